"""Sweeps under faults: a store write that fails, a killed sweep, a lost worker, a cancel.

Real `greenhouse sweep` processes with real kernels, real signals and a real file size
limit; the API cases use a real server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from faults import Ledger, Server, greenhouse, request
from notebooks import write_notebook

DEADLINE_S = 120.0
SLOW = "import os, time\nopen(f'kernel-{i}', 'w').write(str(os.getpid()))\ntime.sleep(seconds)"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}


def _sweep(project: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", "greenhouse_ext", "sweep", *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        start_new_session=True,
    )


def _runs(project: Path, *args: str) -> list[dict[str, Any]]:
    listing = greenhouse("runs", "--json", "--limit", "100", *args, cwd=project)
    assert listing.returncode == 0, listing.stderr
    result: list[dict[str, Any]] = json.loads(listing.stdout)
    return result


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie left to a parent that never reaps it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _kill(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _kernels(project: Path, count: int) -> list[int]:
    _wait_for(lambda: len(list(project.glob("kernel-*"))) >= count, "the runs did not start")
    time.sleep(0.2)
    return [int(p.read_text()) for p in sorted(project.glob("kernel-*"))]


def test_a_failed_store_write_fails_one_run_and_the_others_are_recorded(
    tmp_path: Path, ledger: Ledger
) -> None:
    """A real file size limit (``ulimit -f 4096``, 4 MiB: room for the index's write-ahead
    log) on the sweep process: one run's output is larger, so writing its object fails
    with EFBIG."""
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "big.ipynb", "size = 1", "import os\nprint(os.urandom(size).hex())")
    limited = ("sh", "-c", 'ulimit -f 4096; exec "$@"', "sh")
    proc = _sweep(tmp_path, "big.ipynb", "-p", "size", "1,2,3,6000000,5,6", prefix=limited)
    _, stderr = proc.communicate(timeout=300)
    runs = {r["parameters"]["size"]: r for r in _runs(tmp_path)}
    big = runs.get(6000000, {})
    held = (
        proc.returncode == 3
        and "Traceback" not in stderr
        and "the store failed for 1 run of the sweep" in stderr
        and "File too large" in stderr
        and len(runs) == 6
        and big.get("status") == "failed"
        and "File too large" in big["error"]["reason"]
        and all(r["status"] == "succeeded" for size, r in runs.items() if size != 6000000)
    )
    ledger.add("sweep", "a store write fails for one run: the others are recorded", held)
    assert held, (proc.returncode, stderr[-2000:], {s: r["status"] for s, r in runs.items()})


def test_a_killed_sweep_leaves_its_runs_recorded_and_nothing_running(
    tmp_path: Path, ledger: Ledger
) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "slow.ipynb", "i = 0\nseconds = 60", SLOW)
    proc = _sweep(tmp_path, "slow.ipynb", "-p", "i", "1,2,3,4", "--workers", "2")
    kernels = _kernels(tmp_path, 2)
    left = _descendants(proc.pid) | set(kernels)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    recorded = sorted(r["status"] for r in _runs(tmp_path))
    deadline = time.monotonic() + 30
    while any(map(_alive, left)) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = [pid for pid in left if _alive(pid)]
    _kill(survivors)
    checked = greenhouse("runs", "--check-orphans", cwd=tmp_path)
    after = sorted(r["status"] for r in _runs(tmp_path))
    held = (
        recorded == ["queued", "queued", "running", "running"]
        and not survivors
        and after == ["interrupted"] * 4
        and checked.stderr.count("lost its process") == 4
    )
    ledger.add("sweep", "SIGKILL of the sweep: runs recorded, workers and kernels end", held)
    assert held, (recorded, survivors, after, checked.stderr)


def test_a_lost_worker_fails_only_the_run_it_held(tmp_path: Path, ledger: Ledger) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(
        tmp_path / "slow.ipynb", "i = 0\nseconds = 0", "seconds = 8 if i <= 2 else 0", SLOW
    )
    proc = _sweep(tmp_path, "slow.ipynb", "-p", "i", "1,2,3,4,5,6", "--json")
    _kernels(tmp_path, 2)
    worker = int((tmp_path / "kernel-1").read_text())
    while _parent(worker) != proc.pid:
        worker = _parent(worker)
    os.kill(worker, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=300)
    runs = {r["parameters"]["i"]: r for r in json.loads(stdout)["runs"]} if stdout else {}
    stored = {r["parameters"]["i"]: r["status"] for r in _runs(tmp_path)}
    held = (
        proc.returncode == 1
        and runs[1]["status"] == "failed"
        and runs[1]["error"]["reason"].startswith("the worker running it was lost")
        and all(runs[i]["status"] == "succeeded" for i in range(2, 7))
        and stored == {1: "failed", **{i: "succeeded" for i in range(2, 7)}}
    )
    ledger.add("sweep", "one local worker killed: only its run fails", held)
    assert held, (proc.returncode, stderr[-2000:], stored)


def test_retries_are_capped_on_the_command_line_and_the_api(
    tmp_path: Path, ledger: Ledger, servers: Callable[..., Server]
) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "nb.ipynb", "i = 0", "i")
    done = greenhouse("sweep", "nb.ipynb", "-p", "i", "1,2", "--retries", "11", cwd=tmp_path)
    held = done.returncode == 2 and "between 0 and 10" in done.stderr and not _runs(tmp_path)
    ledger.add("sweep", "retries over the limit: refused (CLI)", held)
    assert held, done.stderr
    server = servers(tmp_path)
    for retries in (1e18, 11, -1):
        body = {"notebook": "nb.ipynb", "parameters": {"i": [1, 2]}, "retries": retries}
        status, reply = request(server, "POST", "sweeps", json.dumps(body).encode())
        held = status == 400 and "between 0 and 10" in json.loads(reply)["message"]
        ledger.add("sweep", "retries over the limit: refused (API)", held)
        assert held, (retries, status, reply)
    assert not _runs(tmp_path)


def test_cancel_stops_a_sweep_started_by_a_server_that_ignores_sigint(
    tmp_path: Path, ledger: Ledger, servers: Callable[..., Server]
) -> None:
    """The server is started with SIGINT ignored, as ``nohup ... &`` does."""
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "slow.ipynb", "i = 0\nseconds = 120", SLOW)
    server = servers(tmp_path, ignore_sigint=True)
    body = {"notebook": "slow.ipynb", "parameters": {"i": [1, 2, 3, 4]}, "workers": 2}
    status, reply = request(server, "POST", "sweeps", json.dumps(body).encode())
    assert status == 201, reply
    sweep_id = json.loads(reply)["id"]
    kernels = _kernels(tmp_path, 2)
    status, _ = request(server, "POST", f"sweeps/{sweep_id}/cancel", b"")
    assert status == 202

    def stopped() -> bool:
        code, answer = request(server, "GET", f"sweeps/{sweep_id}")
        return code == 200 and not json.loads(answer)["active"]

    deadline = time.monotonic() + 60
    while not stopped() and time.monotonic() < deadline:
        time.sleep(0.3)
    _, answer = request(server, "GET", f"sweeps/{sweep_id}")
    runs = json.loads(answer)["runs"]
    reasons = sorted(r["error"]["reason"] for r in runs if r["status"] == "cancelled")
    held = (
        stopped()
        and len(runs) == 4
        and reasons[:2] == ["cancelled"] * 2
        and all(reason.startswith("not started") for reason in reasons[2:])
        and len(reasons) == 4
        and not any(map(_alive, kernels))
    )
    _kill(_descendants(server.process.pid) | set(kernels))
    ledger.add("sweep", "cancel through the API under an ignored SIGINT: the sweep stops", held)
    assert held, runs
