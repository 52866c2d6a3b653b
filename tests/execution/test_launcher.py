"""Runs started in their own processes: launch, log, cancel, and processes that die."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import RUN_DEADLINE_S
from notebooks import write_notebook

from greenhouse_ext.artefacts.reproduce import reproduction_of
from greenhouse_ext.errors import Conflict, InvalidInput, NotFound
from greenhouse_ext.execution.execute import Job, execute, prepare
from greenhouse_ext.execution.launcher import RunLauncher
from greenhouse_ext.execution.logs import read_log
from greenhouse_ext.execution.runserver import RUN_START_ENV, RunServer, run_server
from greenhouse_ext.models import Run, RunStatus, new_run_id, now
from greenhouse_ext.store import Store

PARAMETERS = 'sizes: list[int] = [1]\nlabel = "a"\napi_token = ""  # | secret'
SLEEPER = (
    "import os, pathlib\npathlib.Path('kernel.pid').write_text(str(os.getpid()))",
    "import time\ntime.sleep(600)",
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / ".greenhouse")
    yield store
    store.close()


@pytest.fixture(params=["fork", "plain"])
def launcher(request: pytest.FixtureRequest, store: Store) -> Iterator[RunLauncher]:
    """A launcher whose runs are forked from a ready run server, or started plainly."""
    launcher = RunLauncher(store, fork=request.param == "fork")
    if launcher.fork:
        _ready_run_server()
    yield launcher
    for run in store.list_runs():
        if not run.status.finished and run.pid is not None:
            _kill_group(run.pid)


@pytest.fixture
def values_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temporary folder, so the test sees the values files the launcher makes."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _ready_run_server() -> RunServer:
    deadline = time.monotonic() + RUN_DEADLINE_S
    while (server := run_server()) is None:
        assert time.monotonic() < deadline, "the run server did not get ready"
        time.sleep(0.1)
    return server


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _record(store: Store, status: RunStatus, pid: int | None = None, run_id: str = "") -> Run:
    """Store a record as another process would have left it."""
    run = Run(
        id=run_id or new_run_id(),
        notebook="nb.ipynb",
        status=status,
        parameters={},
        created_at=now(),
        pid=pid,
    )
    store.save_run(run)
    return run


def _job(tmp_path: Path, *cells: str, values: dict[str, object] | None = None, **kw: object) -> Job:
    notebook = write_notebook(tmp_path / "nb.ipynb", PARAMETERS, *cells)
    return prepare(notebook, values or {}, project_root=tmp_path, **kw)  # type: ignore[arg-type]


def _wait(store: Store, run_id: str, until: Callable[[Run], bool] | None = None) -> Run:
    done = until or (lambda run: run.status.finished)
    deadline = time.monotonic() + RUN_DEADLINE_S
    while True:
        run = store.get_run(run_id)
        if done(run):
            return run
        assert time.monotonic() < deadline, f"run {run_id} is still {run.status.value}"
        time.sleep(0.2)


def _gone(pid: int) -> bool:
    """True when ``pid`` has exited (a zombie nobody reaped counts as exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _gone(pid)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_command_runs_the_cli_with_typed_values_in_a_file(tmp_path, store):
    (tmp_path / "data.csv").write_text("x\n1\n")
    job = _job(tmp_path, "pass", kernel="python3", timeout=30, timeout_run=45, inputs=["data.csv"])

    launcher = RunLauncher(store, python="/py", max_value_bytes=200_000)
    command = launcher.command(job, "r1", "/secret/values.json")

    assert command == [
        "/py",
        "-m",
        "greenhouse_ext",
        "--store",
        str(store.root),
        "run",
        "--run-id=r1",
        "--log-output",
        "--parameters-file=/secret/values.json",
        "--max-value-bytes=200000",
        "--timeout=30.0",
        "--timeout-run=45.0",
        "--kernel=python3",
        "--input=data.csv",
        "--",
        str(tmp_path / "nb.ipynb"),
    ]


def test_launched_run_is_queued_at_once_then_succeeds_with_typed_values_and_a_log(
    tmp_path, store, launcher, values_tmp
):
    cell = "from greenhouse_ext import record\nprint('total', sum(sizes))\nrecord('n', len(sizes))"
    job = _job(tmp_path, cell, values={"sizes": [2, 3, 4], "label": "b", "api_token": "s3cr3t"})

    queued = launcher.launch(job)

    assert queued.status is RunStatus.QUEUED
    assert queued.pid is not None
    assert queued.parameters == {"sizes": [2, 3, 4], "label": "b", "api_token": "***"}
    assert store.get_run(queued.id).status in {RunStatus.QUEUED, RunStatus.RUNNING}
    run = _wait(store, queued.id)
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.parameters == {"sizes": [2, 3, 4], "label": "b", "api_token": "***"}
    assert run.metrics == {"n": 3}
    assert run.progress is not None and run.progress.done == run.progress.total
    log = read_log(store, run.id)
    assert f"run {run.id} succeeded" in log.text
    assert "s3cr3t" not in log.text
    assert log.offset == store.log_path(run.id).stat().st_size
    # The launcher's watcher deletes them once the run has left the queue (it polls).
    deadline = time.monotonic() + 10
    while list(values_tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(values_tmp.iterdir()) == [], "the values file (secrets included) is left behind"


def test_cancelled_run_ends_cancelled_and_its_kernel_stops(tmp_path, store, launcher):
    queued = launcher.launch(_job(tmp_path, *SLEEPER))
    _wait(store, queued.id, lambda run: run.progress is not None and run.progress.current == 2)
    kernel_pid = int((tmp_path / "kernel.pid").read_text())

    answer = launcher.cancel(queued.id)

    assert answer.status is RunStatus.RUNNING
    run = _wait(store, queued.id)
    assert run.status is RunStatus.CANCELLED
    assert run.error is not None and run.error.reason == "cancelled"
    assert _wait_gone(kernel_pid), "the kernel outlived the cancelled run"


def test_cancel_before_the_child_records_anything_still_ends_cancelled(tmp_path, store, launcher):
    queued = launcher.launch(_job(tmp_path, "pass"))

    launcher.cancel(queued.id)

    run = _wait(store, queued.id)
    assert run.status is RunStatus.CANCELLED
    assert run.error is not None and run.error.reason == "cancelled"


def test_killed_process_is_recorded_as_interrupted(tmp_path, store, launcher):
    queued = launcher.launch(_job(tmp_path, *SLEEPER))
    _wait(store, queued.id, lambda run: run.status is RunStatus.RUNNING)

    os.killpg(queued.pid, signal.SIGKILL)

    run = _wait(store, queued.id)
    assert run.status is RunStatus.INTERRUPTED
    assert run.error is not None and "SIGKILL" in run.error.reason


def test_process_that_fails_before_recording_is_failed_and_its_log_says_why(
    tmp_path, store, launcher
):
    job = _job(tmp_path, "pass")
    job.path.unlink()

    run = _wait(store, launcher.launch(job).id)

    assert run.status is RunStatus.FAILED
    assert run.error is not None and "exited with code 2" in run.error.reason
    assert "does not exist" in read_log(store, run.id).text


def test_run_outlives_its_launcher_and_a_new_one_can_cancel_it(tmp_path, store, launcher):
    queued = launcher.launch(_job(tmp_path, *SLEEPER))
    _wait(store, queued.id, lambda run: run.status is RunStatus.RUNNING)
    restarted = RunLauncher(Store(store.root))

    assert restarted.store.mark_interrupted() == []
    restarted.cancel(queued.id)

    assert _wait(store, queued.id).status is RunStatus.CANCELLED


def test_cancel_of_a_run_whose_process_is_gone_marks_it_interrupted(store, launcher):
    run = _record(store, RunStatus.RUNNING, pid=_dead_pid())

    with pytest.raises(Conflict, match="now recorded as interrupted"):
        launcher.cancel(run.id)

    assert store.get_run(run.id).status is RunStatus.INTERRUPTED


def test_cancel_never_signals_a_process_that_is_not_the_runs(store, launcher):
    run = _record(store, RunStatus.RUNNING, pid=os.getpid())

    with pytest.raises(Conflict, match="not started by this server"):
        launcher.cancel(run.id)

    assert store.get_run(run.id).status is RunStatus.RUNNING


@pytest.mark.parametrize("status", [s for s in RunStatus if s.finished])
def test_cancel_of_a_finished_run_conflicts(store, launcher, status):
    run = _record(store, status)

    with pytest.raises(Conflict, match=f"is {status.value}"):
        launcher.cancel(run.id)


def test_cancel_of_an_unknown_run_is_not_found(launcher):
    with pytest.raises(NotFound):
        launcher.cancel("0123456789ab")


def test_launch_refuses_an_id_in_use(tmp_path, store, launcher):
    _record(store, RunStatus.FAILED, run_id="taken")

    with pytest.raises(Conflict, match="taken"):
        launcher.launch(_job(tmp_path, "pass"), "taken")


def test_values_left_by_a_stopped_server_are_discarded_once_their_run_has_started(
    store, launcher, values_tmp
):
    started = _record(store, RunStatus.RUNNING)
    queued = _record(store, RunStatus.QUEUED)
    folders = {
        name: values_tmp / f"greenhouse-values-{run_id}-x1_y"
        for name, run_id in [("started", started.id), ("queued", queued.id), ("other", "0f0f0f0f")]
    }
    for folder in folders.values():
        folder.mkdir()
        (folder / "values.json").write_text("{}")

    assert launcher.discard_stale_values() == [started.id]

    assert sorted(p.name for p in values_tmp.iterdir()) == sorted(
        folders[name].name for name in ("queued", "other")
    )


def test_a_reproduction_runs_in_a_process_of_its_own_that_a_new_launcher_can_cancel(
    tmp_path, store, launcher
):
    slow = "import pathlib, time\nif pathlib.Path('slow').exists():\n    time.sleep(600)"
    run = store.save_execution(execute(_job(tmp_path, slow)))
    assert run.status is RunStatus.SUCCEEDED, run.error
    (tmp_path / "slow").write_text("")

    queued = launcher.reproduce(run, run.id, {}, tmp_path)
    _wait(store, queued.id, lambda r: r.progress is not None and r.progress.current == 1)
    RunLauncher(Store(store.root)).cancel(queued.id)

    rerun = _wait(store, queued.id)
    assert (queued.status, queued.reproduces) == (RunStatus.QUEUED, run.id)
    assert (rerun.status, rerun.reproduces) == (RunStatus.CANCELLED, run.id)
    assert reproduction_of(store, rerun.id)["verdict"] == "differs"
    assert "re-running cell 2/2" in read_log(store, rerun.id).text


def test_a_process_that_cannot_start_leaves_its_run_failed_saying_so(tmp_path, store):
    launcher = RunLauncher(store, python=str(tmp_path / "no-such-python"))
    run_id = new_run_id()

    with pytest.raises(FileNotFoundError):
        launcher.launch(_job(tmp_path, "pass"), run_id)

    run = store.get_run(run_id)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and run.error.reason == "its process could not be started"
    assert "no-such-python" in (run.error.evalue or "")


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_forked_run_gets_its_kernel_from_the_shared_server_and_it_ends_with_the_run(
    tmp_path, store
):
    server = _ready_run_server()
    queued = RunLauncher(store).launch(_job(tmp_path, *SLEEPER))
    _wait(store, queued.id, lambda run: run.progress is not None and run.progress.current == 2)
    kernel_pid = int((tmp_path / "kernel.pid").read_text())

    assert _parent(queued.pid) == server.process.pid
    assert _parent(_parent(kernel_pid)) == server.process.pid
    os.killpg(queued.pid, signal.SIGKILL)

    assert _wait(store, queued.id).status is RunStatus.INTERRUPTED
    assert _wait_gone(kernel_pid), "the kernel outlived its killed run"


def test_runs_start_plainly_while_a_run_server_that_died_is_replaced(tmp_path, store):
    dead = _ready_run_server()
    os.killpg(dead.process.pid, signal.SIGKILL)
    dead.process.wait()
    launcher = RunLauncher(store)

    first = launcher.launch(_job(tmp_path, "pass"))

    assert _parent(first.pid) == os.getpid()
    assert _wait(store, first.id).status is RunStatus.SUCCEEDED
    replacement = _ready_run_server()
    assert replacement is not dead
    second = launcher.launch(_job(tmp_path, "pass"))
    assert _parent(second.pid) == replacement.process.pid
    assert _wait(store, second.id).status is RunStatus.SUCCEEDED


def test_a_run_start_mode_that_does_not_exist_is_refused_and_nothing_is_recorded(
    tmp_path, store, monkeypatch
):
    monkeypatch.setenv(RUN_START_ENV, "plian")

    with pytest.raises(InvalidInput, match=r"GREENHOUSE_RUN_START must be one of fork, plain"):
        RunLauncher(store).launch(_job(tmp_path, "pass"))

    assert store.list_runs() == []
    plain = RunLauncher(store, fork=False).launch(_job(tmp_path, "pass"))
    assert _wait(store, plain.id).status is RunStatus.SUCCEEDED
