"""Fast fresh kernels: isolation between forked kernels, plain mode, fallback, cancelling."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import Api, wait_for_run
from notebooks import write_notebook

from greenhouse_ext.errors import InvalidInput
from greenhouse_ext.execution import kernels
from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.models import RunStatus
from greenhouse_ext.server.app import GreenhouseApp

PROBE = (
    "import os, random, sys\n"
    "from greenhouse_ext import record\n"
    "record('leaked_global', 'SET_BY_RUN_ONE' in globals())\n"
    "record('leaked_module', 'colorsys' in sys.modules and step == 2)\n"
    "record('cwd', os.getcwd())\n"
    "record('leaked_env', os.environ.get('GH_SET_BY_RUN_ONE'))\n"
    "record('run_env', os.environ.get('GH_RUN_ENV'))\n"
    "record('random', random.random())\n"
    "record('pid', os.getpid())\n"
    "record('parent', os.getppid())\n"
    "if step == 1:\n"
    "    import json\n"
    "    SET_BY_RUN_ONE = True\n"
    "    os.environ['GH_SET_BY_RUN_ONE'] = 'yes'\n"
    "    os.chdir('/')"
)


def _run(notebook: Path, step: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setenv("GH_RUN_ENV", f"run-{step}")
    execution = execute(prepare(notebook, {"step": step}))
    assert execution.run.status is RunStatus.SUCCEEDED, execution.run.error
    return execution.run.metrics


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "probe.ipynb", "step = 1", PROBE)


def test_forked_kernels_share_nothing_between_runs(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(kernels.KERNEL_START_ENV, "fork")
    first = _run(probe, 1, monkeypatch)
    second = _run(probe, 2, monkeypatch)
    server = kernels.fork_server(sys.executable)
    assert first["parent"] == second["parent"] == server.process.pid, "not forked"
    assert first["pid"] != second["pid"]
    assert second["leaked_global"] is False and second["leaked_module"] is False
    assert first["cwd"] == second["cwd"] == str(probe.parent)
    assert second["leaked_env"] is None
    assert (first["run_env"], second["run_env"]) == ("run-1", "run-2")
    assert first["random"] != second["random"]


def test_plain_mode_starts_kernels_the_ordinary_way(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(kernels.KERNEL_START_ENV, "plain")
    metrics = _run(probe, 1, monkeypatch)
    assert metrics["parent"] == os.getpid() and metrics["cwd"] == str(probe.parent)


def test_a_failing_fork_server_falls_back_to_the_plain_start(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(kernels.KERNEL_START_ENV, "fork")
    monkeypatch.setenv(kernels.PRELOAD_ENV, "greenhouse_no_such_module")
    metrics = _run(probe, 1, monkeypatch)
    assert metrics["parent"] == os.getpid()


def test_preloaded_modules_are_imported_before_the_fork(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(kernels.KERNEL_START_ENV, "fork")
    monkeypatch.setenv(kernels.PRELOAD_ENV, "colorsys")
    metrics = _run(probe, 2, monkeypatch)
    assert metrics["leaked_module"] is True
    assert metrics["parent"] == kernels.fork_server(sys.executable).process.pid


def test_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernels.KERNEL_START_ENV, "reuse")
    with pytest.raises(InvalidInput, match="one of fork, plain, got 'reuse'"):
        kernels.kernel_start_mode()


@pytest.mark.parametrize("mode", ["fork", "plain"])
def test_cancel_kills_the_running_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv(kernels.KERNEL_START_ENV, mode)
    notebook = write_notebook(
        tmp_path / "slow.ipynb",
        "a = 1",
        "import os, time\nopen('kernel.pid', 'w').write(str(os.getpid()))\ntime.sleep(120)",
    )
    cancel = threading.Event()
    pid_file = tmp_path / "kernel.pid"

    def cancel_once_running() -> None:
        while not pid_file.exists():
            time.sleep(0.1)
        cancel.set()

    threading.Thread(target=cancel_once_running, daemon=True).start()
    started = time.monotonic()
    execution = execute(prepare(notebook, {}), cancel=cancel)
    assert time.monotonic() - started < 60
    assert execution.run.status is RunStatus.CANCELLED
    assert execution.run.error is not None and execution.run.error.reason == "cancelled"
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


async def test_the_servers_runs_take_the_fast_path(
    api: Api, jp_root_dir: Path, greenhouse: GreenhouseApp
) -> None:
    write_notebook(
        jp_root_dir / "nb.ipynb",
        "a = 1",
        "import os\nfrom greenhouse_ext import record\nrecord('kernel_parent', os.getppid())",
    )
    created = await api("POST", "runs", body={"notebook": "nb.ipynb"})
    record = await wait_for_run(api, created.json["id"])
    assert record["status"] == "succeeded", record["error"]
    # A plain kernel is a child of the run's process; a forked one, of its fork server.
    run_process = greenhouse.store.get_run(record["id"]).pid
    assert run_process is not None
    assert record["metrics"]["kernel_parent"] != run_process
