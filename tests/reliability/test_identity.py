"""Whose run is it: a pid taken by another process, a machine of the same name, a launch race.

A run names its process by pid and start time and its machine by more than a hostname, so
that no other process is taken for it; a server records a run before starting its process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults import greenhouse, request
from notebooks import write_notebook

from greenhouse_ext.models import Run, now
from greenhouse_ext.store import Store

DEADLINE_S = 120.0
NAPPER = (
    "import time\ntime.sleep(float(seconds))\n"
    "from greenhouse_ext import record\nrecord('slept', seconds)"
)
NS_LAST_PID = Path("/proc/sys/kernel/ns_last_pid")
LAUNCHES = 4
LOCK_HELD_S = 6.0
"""How long another writer holds the index while the server launches runs."""

TAKE_PID = """
import os, sys
target = int(sys.argv[1])
try:
    with open("/proc/sys/kernel/ns_last_pid", "w") as handle:
        handle.write(str(target - 1))
except OSError:
    pass
for _ in range(int(open("/proc/sys/kernel/pid_max").read())):
    pid = os.fork()
    if pid == 0:
        if os.getpid() == target:
            os.execvp("sleep", ["sleep", "300"])
        os._exit(0)
    if pid == target:
        print(pid, flush=True)
        os.waitpid(pid, 0)
        break
    os.waitpid(pid, 0)
"""
"""Fork until a child gets pid ``argv[1]`` (at once where ns_last_pid can be written)."""


def stored(root: Path, run_id: str | None = None) -> Run:
    """The record of run ``run_id`` (default: the only run) in the store at ``root``."""
    store = Store(root / ".greenhouse")
    try:
        return store.get_run(run_id) if run_id else store.list_runs()[0]
    finally:
        store.close()


def wait_for(root: Path, check: Callable[[Run], bool], what: str, run_id: str | None = None) -> Run:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        try:
            run = stored(root, run_id)
            if check(run):
                return run
        except IndexError:
            pass
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}


@pytest.fixture
def groups() -> Iterator[list[int]]:
    """Process groups the test starts; each still there is killed at the end."""
    started: list[int] = []
    yield started
    for group in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


def test_a_killed_runs_pid_taken_by_another_process_is_not_taken_for_the_run(
    tmp_path, servers, groups, ledger
):
    """The pid of a run killed with SIGKILL goes to an unrelated ``sleep`` for real (the
    kernel's ns_last_pid, or forking until the pid comes round): the run is interrupted,
    and cancelling it neither signals the sleep nor tells the user to."""
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "slow.ipynb", "seconds = 300", NAPPER)
    run_process = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "run", "slow.ipynb"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        start_new_session=True,
    )
    groups.append(run_process.pid)
    assert run_process.stderr is not None
    for line in run_process.stderr:
        if "cell 2/2" in line:
            break
    pid = run_process.pid
    assert stored(tmp_path).pid == pid
    os.killpg(pid, signal.SIGKILL)
    run_process.wait(timeout=30)

    taker = subprocess.Popen(
        [sys.executable, "-c", TAKE_PID, str(pid)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    groups.append(taker.pid)
    assert taker.stdout is not None
    assert taker.stdout.readline().strip() == str(pid), "the pid could not be taken again"
    deadline = time.monotonic() + 10
    while not Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep"):
        assert time.monotonic() < deadline, "the process that took the pid is not a sleep"
        time.sleep(0.05)

    server = servers(tmp_path)
    run_id = stored(tmp_path).id
    status, reply = request(server, "POST", f"runs/{run_id}/cancel")
    message = json.loads(reply).get("message", "")
    run = stored(tmp_path, run_id)
    sleep_alive = taker.poll() is None
    held = (
        status == 409
        and f"kill -TERM {pid}" not in message
        and run.status.value == "interrupted"
        and sleep_alive
    )
    ledger.add("process identity", "pid of a killed run taken by another process", held)
    assert status == 409, reply
    assert f"kill -TERM {pid}" not in message, message
    assert run.status.value == "interrupted", run
    assert sleep_alive, "the process that took the pid was signalled"


def _pid_namespaces_work() -> bool:
    try:
        done = subprocess.run(
            ["unshare", "--pid", "--fork", "--mount-proc", "true"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return done.returncode == 0


@pytest.mark.skipif(not _pid_namespaces_work(), reason="needs unshare --pid (root)")
def test_a_live_run_of_another_container_with_the_same_hostname_is_left_to_it(
    tmp_path, groups, ledger
):
    """The run executes for real in its own pid namespace (a container sharing the host's
    name and the store), under a pid that no process of this namespace has; orphan checks
    from here leave it running, and its outcome is recorded."""
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "nap.ipynb", "seconds = 12", NAPPER)
    spare = subprocess.Popen(["true"])
    spare.wait()
    inner_pid = spare.pid
    script = (
        f"echo {inner_pid - 1} > {NS_LAST_PID}; "
        f'"{sys.executable}" -m greenhouse_ext run nap.ipynb; exit $?'
    )
    log = tmp_path / "container.log"
    with log.open("wb") as sink:
        container = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", script],
            cwd=tmp_path,
            env=clean_env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    groups.append(container.pid)
    running = wait_for(tmp_path, lambda r: r.status.value == "running", "the run did not start")
    assert running.pid == inner_pid

    checked = greenhouse("runs", "--check-orphans", "--json", cwd=tmp_path, check=True)
    after_check = json.loads(checked.stdout)[0]["status"]
    returncode = container.wait(timeout=DEADLINE_S)
    final = stored(tmp_path, running.id)
    held = after_check == "running" and final.status.value == "succeeded"
    ledger.add("process identity", "live run of a machine with the same hostname", held)
    assert after_check == "running", checked.stderr
    assert final.status.value == "succeeded", log.read_text()
    assert returncode == 0, log.read_text()


def _bare_machine() -> bool:
    """True outside any container, on a machine with an installation id."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
        return bool(Path("/etc/machine-id").read_text().strip()) and namespace == 0xEFFFFFFC
    except OSError:
        return False


@pytest.mark.skipif(not _bare_machine(), reason="needs a machine id, outside containers")
def test_a_run_of_this_machine_before_it_rebooted_is_interrupted(tmp_path, ledger):
    """No reboot can be made here: the record is written as this machine would have
    written it in an earlier boot, under the pid that a live process of this boot (the
    test's own) has now. The orphan check is a real ``greenhouse`` process."""
    stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    record = {
        "id": "beforeboot01",
        "notebook": "nb.ipynb",
        "status": "running",
        "parameters": {},
        "created_at": now(),
        "pid": os.getpid(),
        "identity": {
            "host": os.uname().nodename,
            "machine": Path("/etc/machine-id").read_text().strip(),
            "boot": "an-earlier-boot",
            "namespace": os.stat("/proc/self/ns/pid").st_ino,
            "started": int(stat[19]),
        },
    }
    store = Store(tmp_path / ".greenhouse")
    store.save_run(Run.from_dict(record))
    store.close()

    checked = greenhouse("runs", "--check-orphans", "--json", cwd=tmp_path, check=True)
    held = json.loads(checked.stdout)[0]["status"] == "interrupted"
    ledger.add("process identity", "run of this machine before it rebooted", held)
    assert held, checked.stdout


def _launch(server, results: list[tuple[int, dict]]) -> None:
    body = json.dumps({"notebook": "nap.ipynb", "parameters": {"seconds": 0.1}}).encode()
    status, reply = request(server, "POST", "runs", body)
    results.append((status, json.loads(reply)))


def test_runs_launched_while_another_writer_holds_the_index_all_run(tmp_path, servers, ledger):
    """A real second connection holds SQLite's write lock while the server launches runs,
    so the server and each run's process wait on it together; every launch answers 201 and
    every run ends succeeded."""
    write_notebook(tmp_path / "nap.ipynb", "seconds = 0.1", NAPPER)
    Store(tmp_path / ".greenhouse").close()
    server = servers(tmp_path)
    results: list[tuple[int, dict]] = []
    holder = sqlite3.connect(tmp_path / ".greenhouse" / "index.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        threads = [
            threading.Thread(target=_launch, args=(server, results)) for _ in range(LAUNCHES)
        ]
        for thread in threads:
            thread.start()
        time.sleep(LOCK_HELD_S)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for thread in threads:
        thread.join(timeout=DEADLINE_S)

    outcomes = []
    for status, reply in results:
        if status != 201:
            outcomes.append(f"{status}: {reply.get('message')}")
            continue
        run = wait_for(tmp_path, lambda r: r.status.finished, "a run never ended", reply["id"])
        outcomes.append(run.status.value)
    for outcome in outcomes:
        ledger.add(
            "launch race",
            "run launched while another writer holds the index",
            outcome == "succeeded",
        )
    assert outcomes == ["succeeded"] * LAUNCHES, outcomes


def test_a_launched_run_keeps_the_time_it_was_queued(tmp_path, servers, ledger):
    """A run launched through a real server, executed by its real process."""
    write_notebook(tmp_path / "nap.ipynb", "seconds = 0.1", NAPPER)
    server = servers(tmp_path)
    results: list[tuple[int, dict]] = []
    _launch(server, results)
    [(status, queued)] = results
    assert status == 201, queued

    run = wait_for(tmp_path, lambda r: r.status.finished, "the run never ended", queued["id"])
    held = run.created_at == queued["created_at"] and run.status.value == "succeeded"
    ledger.add("launch", "queue time kept when the run starts", held)
    assert run.created_at == queued["created_at"], (run.created_at, run.started_at)
    assert run.started_at is not None and run.started_at >= run.created_at
