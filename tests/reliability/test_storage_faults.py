"""Storage that fails while a run is saved or progresses: a full disk, a lost index, a lock.

Afterwards the record tells the truth, the command says what happened with its exit code,
and no temporary object is left behind.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults import greenhouse, request
from notebooks import write_notebook

from greenhouse_ext.errors import StoreUnavailable
from greenhouse_ext.models import Run, RunStatus, new_run_id, now
from greenhouse_ext.store import Store

DEADLINE_S = 120.0
FILE_LIMIT_BYTES = 1024 * 1024
"""The file size limit of the run whose disk is full (``ulimit -f 1024``)."""
LARGE_OUTPUT = "import os\nprint(os.urandom(2_000_000).hex())"
"""A cell whose output packs to about 2 MB: over the file size limit."""
RECORD = "from greenhouse_ext import record\nrecord('y', 1)"
TOLD = "finished (succeeded) but its results could not be saved (it is recorded as failed)"
"""What the command says of a run whose results could not be saved."""
# Runs the greenhouse command with the store's writes to ``objects/tmp`` failing with the
# errno given as the first argument, after half of the data went to the file.
FAILING_OBJECTS = """
import errno, os, sys
from fsspec.implementations.local import LocalFileSystem
code = getattr(errno, sys.argv.pop(1))
pipe_file = LocalFileSystem.pipe_file
def failing(self, path, value, **kwargs):
    if "/objects/tmp/" not in str(path):
        return pipe_file(self, path, value, **kwargs)
    with open(path, "wb") as handle:
        handle.write(value[: len(value) // 2])
    raise OSError(code, os.strerror(code), str(path))
LocalFileSystem.pipe_file = failing
from greenhouse_ext.cli import main
main()
"""
# Runs the greenhouse command with every progress write failing as a dropped connection does.
FAILING_PROGRESS = """
from greenhouse_ext.errors import StoreUnavailable
from greenhouse_ext.store.runs import RunIndex
def failing(self, run):
    raise StoreUnavailable("greenhouse lost its connection to the index database (injected)")
RunIndex.save_progress = failing
from greenhouse_ext.cli import main
main()
"""
# Holds the write lock of the SQLite file given as the first argument, from a first line on
# stdin until stdin closes.
LOCK_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
sys.stdin.readline()
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}


def _full_disk() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT_BYTES, FILE_LIMIT_BYTES))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _run_on_failing_storage(project: Path, code: str) -> subprocess.CompletedProcess[str]:
    """``greenhouse run big.ipynb`` on storage failing with ``code``: EFBIG is real (a file
    size limit), the others are injected (no unprivileged test can fill a disk or break one)."""
    if code == "EFBIG":
        command = [sys.executable, "-m", "greenhouse_ext", "run", "big.ipynb"]
        preexec = _full_disk
    else:
        command = [sys.executable, "-c", FAILING_OBJECTS, code, "run", "big.ipynb"]
        preexec = None
    return subprocess.run(
        command,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        env=_env(),
        preexec_fn=preexec,
        check=False,
    )


@pytest.mark.parametrize("code", ["EFBIG", "ENOSPC", "EIO", "EACCES"])
def test_storage_failing_while_a_finished_run_is_saved_records_why(tmp_path, code, ledger):
    """A run whose results cannot be written (EFBIG real, the others injected) is recorded as
    failed with the true reason, exits 3 with a clear message and leaves no temporary file."""
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "big.ipynb", None, "x = 1", LARGE_OUTPUT, RECORD)

    done = _run_on_failing_storage(tmp_path, code)

    [run] = json.loads(greenhouse("runs", "--json", cwd=tmp_path, check=True).stdout)
    leftovers = list((tmp_path / ".greenhouse" / "objects" / "tmp").glob("*"))
    orphans = greenhouse("runs", "--check-orphans", "--json", cwd=tmp_path, check=True)
    [after] = json.loads(orphans.stdout)
    reason = run["error"]["reason"] if run["error"] else ""
    held = (
        done.returncode == 3
        and "Traceback" not in done.stderr
        and TOLD in done.stderr
        and run["status"] == "failed"
        and reason.startswith("the notebook finished but its results could not be saved: ")
        and os.strerror(getattr(errno, code)) in reason
        and run["metrics"] == {"y": 1}
        and run["has_notebook"] is False
        and leftovers == []
        and after["error"]["reason"] == reason
    )
    ledger.add("storage", f"{code} while saving a finished run", held)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert TOLD in done.stderr
    assert run["status"] == "failed", run
    assert reason.startswith("the notebook finished but its results could not be saved: ")
    assert os.strerror(getattr(errno, code)) in reason
    assert run["metrics"] == {"y": 1} and run["has_notebook"] is False
    assert leftovers == [], "a temporary object was left behind"
    assert after["status"] == "failed" and after["error"]["reason"] == reason
    assert held


def test_a_failed_progress_write_does_not_fail_a_healthy_run(tmp_path, ledger):
    """Every progress write fails as a dropped connection does (injected: the index must
    answer the run's start and its end): the run still succeeds, warned of once."""
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "nb.ipynb", "x = 1", "y = x + 1", RECORD)

    done = subprocess.run(
        [sys.executable, "-c", FAILING_PROGRESS, "run", "nb.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        env=_env(),
        check=False,
    )

    [run] = json.loads(greenhouse("runs", "--json", cwd=tmp_path, check=True).stdout)
    warnings = done.stderr.count("could not be recorded")
    held = (
        done.returncode == 0
        and run["status"] == "succeeded"
        and run["metrics"] == {"y": 1}
        and warnings == 1
    )
    ledger.add("storage", "progress write lost", held)
    assert done.returncode == 0, done.stderr
    assert run["status"] == "succeeded" and run["metrics"] == {"y": 1}, run
    assert warnings == 1, done.stderr
    assert held


def _lock_holder(index: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(index)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _wait_for_progress(index: Path, run_id: str) -> dict:
    """The run's progress once the engine reports that its cells have ended."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT record FROM runs WHERE id = ?", (run_id,)).fetchone()
        progress = json.loads(row[0]).get("progress") if row else None
        if progress and progress["current"] is None:
            return progress
        time.sleep(0.01)
    raise AssertionError(f"the cells of run {run_id} did not end")


def _wait_for(server, run_id: str, check, what: str) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        status, reply = request(server, "GET", f"runs/{run_id}")
        assert status == 200, reply
        run = json.loads(reply)
        if check(run):
            return run
        assert time.monotonic() < deadline, f"{what}: {run}"
        time.sleep(0.1)


def test_a_cancel_while_a_finished_run_is_saved_is_too_late(tmp_path, servers, ledger):
    """The index is locked (by a real second process) once the cells have ended, so the run
    is saving when it is cancelled, through the server and then with SIGTERM: it is saved
    as succeeded, and both say that the cancel came too late."""
    write_notebook(tmp_path / "nb.ipynb", "x = 1", "y = x + 1", LARGE_OUTPUT, RECORD)
    server = servers(tmp_path)
    body = json.dumps({"notebook": "nb.ipynb", "parameters": {}})
    status, reply = request(server, "POST", "runs", body.encode())
    assert status == 201, reply
    run_id = json.loads(reply)["id"]
    index = tmp_path / ".greenhouse" / "index.sqlite"
    holder = _lock_holder(index)
    try:
        # Read straight from the index, to lock it the moment the cells have ended.
        progress = _wait_for_progress(index, run_id)
        holder.stdin.write("lock\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "locked\n"
        run_then = Store(tmp_path / ".greenhouse").get_run(run_id)
        status, reply = request(server, "POST", f"runs/{run_id}/cancel")
        os.kill(run_then.pid, signal.SIGTERM)
        time.sleep(1)
    finally:
        holder.communicate("", timeout=30)
    assert progress["done"] == progress["total"]
    assert run_then.status is RunStatus.RUNNING, "the run was saved before the test could lock"

    run = _wait_for(server, run_id, lambda r: r["status"] != "running", "the run did not end")
    log = (tmp_path / ".greenhouse" / "logs" / f"{run_id}.log").read_text(errors="replace")
    log = log[-2000:]
    answer = json.loads(reply).get("message", "")
    held = (
        status == 409
        and "had already finished" in answer
        and run["status"] == "succeeded"
        and run["metrics"] == {"y": 1}
        and run["has_notebook"]
        and "too late to cancel" in log
    )
    ledger.add("storage", "cancel while a finished run is saved", held)
    assert status == 409 and "had already finished" in answer, reply
    assert run["status"] == "succeeded", run
    assert run["metrics"] == {"y": 1} and run["has_notebook"], run
    assert "too late to cancel" in log, log
    assert held


def test_an_index_locked_past_its_timeout_is_unavailable(tmp_path, ledger):
    """Another process holds the SQLite write lock longer than the index URL's timeout."""
    root = tmp_path / ".greenhouse"
    store = Store(root, index_url=f"sqlite:///{root / 'index.sqlite'}?timeout=0.5")
    run = Run(new_run_id(), "nb.ipynb", RunStatus.RUNNING, {}, now())
    holder = _lock_holder(root / "index.sqlite")
    holder.stdin.write("lock\n")
    holder.stdin.flush()
    assert holder.stdout.readline() == "locked\n"
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.save_run(run)
    finally:
        waited = time.monotonic() - started
        holder.communicate("", timeout=30)
        store.close()
    held = "held its write lock for over 0.5 s" in caught.value.message and waited < 10
    ledger.add("storage", "index locked past its timeout", held)
    assert "held its write lock for over 0.5 s" in caught.value.message
    assert waited < 10, f"waited {waited:.1f} s for a lock with a 0.5 s timeout"
    assert (
        sqlite3.connect(root / "index.sqlite").execute("SELECT count(*) FROM runs").fetchone()[0]
        == 0
    )
    assert held


def test_store_init_refuses_an_sqlite_index_in_a_missing_folder(tmp_path, ledger):
    """A mistyped or unmounted folder is bad input (exit 2), never created nor a traceback."""
    missing = tmp_path / "share" / "greenhouse"
    done = greenhouse(
        "store",
        "init",
        "--index",
        f"sqlite:///{missing / 'index.sqlite'}",
        "--objects",
        str(tmp_path / "objects"),
        cwd=tmp_path,
    )
    held = (
        done.returncode == 2
        and "Traceback" not in done.stderr
        and f"in {missing}, which is not a folder that exists" in done.stderr
        and not missing.exists()
        and not (tmp_path / "greenhouse.toml").exists()
    )
    ledger.add("storage", "store init in a missing folder", held)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"in {missing}, which is not a folder that exists" in done.stderr
    assert not missing.exists() and not (tmp_path / "greenhouse.toml").exists()
    assert held
