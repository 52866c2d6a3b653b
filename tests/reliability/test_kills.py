"""kill -9 at the worst moments: a run mid-cell, a server with runs going, a publish.

Afterwards no run is stuck, no kernel is left, the index is intact, and no
half-published version is visible.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse, request
from notebooks import write_notebook

DEADLINE_S = 120.0
SLEEPER = (
    "import time\ntime.sleep(float(seconds))\n"
    "from greenhouse_ext import record\nrecord('slept', seconds)"
)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def wait_until(check: Any, what: str, deadline_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_run_killed_mid_cell_leaves_no_kernel_and_an_intact_index(tmp_path, ledger):
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "slow.ipynb", "seconds = 120", SLEEPER)
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "run", "slow.ipynb"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "cell 2/2" in line:
            break
    kernels = children(proc.pid)
    assert kernels, "the run's kernel process was not found"

    proc.kill()
    proc.wait(timeout=30)

    wait_until(lambda: all(gone(pid) for pid in kernels), "the kernel outlived its run", 30)
    [run] = json.loads(greenhouse("runs", "--check-orphans", "--json", cwd=tmp_path).stdout)
    held = run["status"] == "interrupted" or (run["status"] == "failed" and run["error"]["reason"])
    with sqlite3.connect(tmp_path / ".greenhouse" / "index.sqlite") as db:
        intact = db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    ledger.add("kill -9", "run process mid-cell", bool(held and intact))
    assert held, run
    assert intact


def test_server_killed_with_two_runs_going_leaves_none_stuck(tmp_path, servers, ledger):
    write_notebook(tmp_path / "nap.ipynb", "seconds = 0.1", SLEEPER)
    server = servers(tmp_path)
    ids = []
    for seconds in (3, 4):
        body = json.dumps({"notebook": "nap.ipynb", "parameters": {"seconds": seconds}})
        status, reply = request(server, "POST", "runs", body.encode())
        assert status == 201, reply
        ids.append(json.loads(reply)["id"])

    def status_of(run_id: str) -> str:
        code, reply = request(server, "GET", f"runs/{run_id}")
        assert code == 200, reply
        return str(json.loads(reply)["status"])

    wait_until(lambda: all(status_of(i) == "running" for i in ids), "the runs did not start")
    server.kill()
    server = servers(tmp_path, port=server.port)

    wait_until(
        lambda: all(status_of(i) not in {"queued", "running"} for i in ids),
        "a run is stuck after the server was killed",
    )
    outcomes = [status_of(i) for i in ids]
    for outcome in outcomes:
        ledger.add("kill -9", "server with two runs going", outcome in {"succeeded", "interrupted"})
    assert set(outcomes) <= {"succeeded", "interrupted"}, outcomes


@pytest.fixture
def published_project(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "nap.ipynb", "seconds = 0", SLEEPER)
    done = greenhouse("run", "nap.ipynb", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path, json.loads(done.stdout)["id"]


def test_publish_killed_at_any_moment_leaves_no_half_version(published_project, ledger):
    project, run_id = published_project
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    command = [sys.executable, "-m", "greenhouse_ext", "publish", run_id, "--name", "model"]
    started = time.monotonic()
    assert greenhouse(*command[3:], cwd=project).returncode == 0
    whole = time.monotonic() - started
    for fraction in (0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        proc = subprocess.Popen(
            command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        time.sleep(whole * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        listing = greenhouse("versions", "model", "--json", cwd=project)
        assert listing.returncode == 0, listing.stderr
        numbers = [v["number"] for v in json.loads(listing.stdout)]
        intact = all(
            greenhouse("verify", f"model@{n}", cwd=project).returncode == 0 for n in numbers
        )
        gapless = numbers == list(range(1, len(numbers) + 1))
        ledger.add("kill -9", "publish at a moment of its run", intact and gapless)
        assert intact and gapless, (fraction, numbers)

    after = greenhouse("publish", run_id, "--name", "model", "--json", cwd=project)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["number"] == len(numbers) + 1
