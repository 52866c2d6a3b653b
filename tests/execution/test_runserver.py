"""The run fork server: forked run processes, their exits, its lifetime and its failures."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from greenhouse_ext.execution.kernels import KERNEL_SOCKET_ENV
from greenhouse_ext.execution.processes import ended_outcome
from greenhouse_ext.execution.runserver import RunServer
from greenhouse_ext.models import RunStatus

PROBE = """
import json, os, pathlib, sys, time
report = {
    "cwd": os.getcwd(),
    "argv": sys.argv[1:],
    "colour": os.environ.get("COLOUR"),
    "kernel_socket": os.environ.get("GREENHOUSE_KERNEL_SOCKET"),
    "session_leader": os.getsid(0) == os.getpid(),
    "parent": os.getppid(),
    "papermill_preloaded": "papermill" in sys.modules,
    "stdin": sys.stdin.read(),
}
print(json.dumps(report))
if "--sleep" in sys.argv:
    pathlib.Path("started").write_text(str(os.getpid()))
    time.sleep(600)
sys.exit(int(sys.argv[1]))
"""


def _until(condition: Callable[[], object], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def server() -> Iterator[RunServer]:
    server = RunServer(["papermill"])
    _until(lambda: server.usable or server.failure)
    assert server.usable, server.failure
    yield server
    server.close()
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    (tmp_path / "greenhouse_probe.py").write_text(PROBE)
    return tmp_path


def test_a_forked_run_has_its_own_folder_environment_session_and_log_and_reports_its_exit(
    server, probe
):
    log = probe / "run.log"

    child = server.start("greenhouse_probe", ["3", "--flag"], probe, {"COLOUR": "green"}, log)

    assert child.wait(60) == 3
    report = json.loads(log.read_text())
    assert report == {
        "cwd": str(probe),
        "argv": ["3", "--flag"],
        "colour": "green",
        "kernel_socket": report["kernel_socket"],
        "session_leader": True,
        "parent": server.process.pid,
        "papermill_preloaded": True,
        "stdin": "",
    }
    assert report["kernel_socket"].endswith("kernels.sock")
    assert KERNEL_SOCKET_ENV not in os.environ


def test_a_killed_run_reports_its_signal_and_the_next_ones_still_start(server, probe):
    child = server.start("greenhouse_probe", ["0", "--sleep"], probe, {}, probe / "a.log")
    _until((probe / "started").exists)

    child.send_signal(signal.SIGKILL)

    assert child.wait(30) == -signal.SIGKILL
    again = server.start("greenhouse_probe", ["0"], probe, {}, probe / "b.log")
    assert again.wait(60) == 0


def test_a_request_the_server_cannot_serve_is_refused_and_the_server_goes_on(server, probe):
    with pytest.raises(OSError, match="run server could not start the run"):
        server.start("greenhouse_probe", ["0"], probe, {}, probe / "no-such-folder" / "x.log")

    assert server.start("greenhouse_probe", ["0"], probe, {}, probe / "ok.log").wait(60) == 0


def test_the_server_outlives_its_launcher_until_its_last_run_ends(server, probe):
    child = server.start("greenhouse_probe", ["0", "--sleep"], probe, {}, probe / "run.log")
    _until((probe / "started").exists)
    socket_path = json.loads((probe / "run.log").read_text())["kernel_socket"]

    server.close()
    time.sleep(1)

    assert server.process.poll() is None
    assert Path(socket_path).exists()
    os.kill(child.pid, signal.SIGTERM)
    server.process.wait(30)
    _until(lambda: not Path(socket_path).parent.exists(), 30)


def test_a_run_whose_server_died_is_followed_until_it_ends_its_exit_unknown(server, probe):
    child = server.start("greenhouse_probe", ["0", "--sleep"], probe, {}, probe / "run.log")
    _until((probe / "started").exists)

    os.kill(server.process.pid, signal.SIGKILL)
    _until(lambda: server.failure is not None, 30)

    assert child.poll() is None
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(30) is None
    with pytest.raises(OSError, match="run server has ended"):
        server.start("greenhouse_probe", ["0"], probe, {}, probe / "late.log")
    status, error = ended_outcome(None, cancelled=False)
    assert status is RunStatus.INTERRUPTED
    assert "run server that started it had stopped" in error.reason


def test_a_server_that_cannot_import_its_modules_says_why_and_is_never_ready():
    server = RunServer(["greenhouse_no_such_module"])
    _until(lambda: server.failure is not None)

    assert not server.usable and not server.served
    assert "greenhouse_no_such_module" in str(server.failure)
    assert server.process.wait(30) == 1


def test_a_module_in_the_launchers_folder_is_not_what_the_server_imports(tmp_path, monkeypatch):
    (tmp_path / "papermill.py").write_text("raise SystemExit('the folder, not the package')\n")
    monkeypatch.chdir(tmp_path)

    server = RunServer(["papermill"])
    _until(lambda: server.usable or server.failure)

    assert server.usable, server.failure
    server.close()
    assert server.process.wait(30) == 0
