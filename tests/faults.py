"""The fault and fuzz suite's shared parts, a pytest plugin named in conftest.py: real
server processes, and a ledger of the cases tried and held, printed as a table at the end
(gathered from every pytest-xdist worker)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TOKEN = "greenhouse-reliability"
SERVER_DEADLINE_S = 120.0
IGNORING_SIGINT = ["sh", "-c", 'trap "" INT; exec "$@"', "sh"]
"""A prefix that runs a command with SIGINT ignored, as a shell runs ``nohup ... &``."""


@dataclass
class Tally:
    """Cases of one kind: how many were tried and how many held."""

    tried: int = 0
    held: int = 0


@dataclass
class Ledger:
    """The cases the suite tried, by area and kind."""

    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)

    def add(self, area: str, kind: str, held: bool) -> None:
        """Count one case of ``kind`` in ``area``, and whether it held."""
        tally = self.tallies.setdefault((area, kind), Tally())
        tally.tried += 1
        tally.held += held


_LEDGER = pytest.StashKey[Ledger]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_LEDGER] = Ledger()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand the worker's tallies to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        tallies = session.config.stash[_LEDGER].tallies
        output["ledger"] = [(a, k, t.tried, t.held) for (a, k), t in tallies.items()]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the pytest-xdist controller, add a finished worker's tallies to the ledger."""
    tallies = node.config.stash[_LEDGER].tallies
    for area, kind, tried, held in node.workeroutput.get("ledger", []):
        tally = tallies.setdefault((area, kind), Tally())
        tally.tried += tried
        tally.held += held


@pytest.fixture(scope="session")
def ledger(pytestconfig: pytest.Config) -> Ledger:
    """Where the suite's tests count what they tried."""
    return pytestconfig.stash[_LEDGER]


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tallies = config.stash[_LEDGER].tallies
    if not tallies:
        return
    terminalreporter.section("fault and fuzz suite: cases tried and held")
    rows = [("AREA", "CASES", "TRIED", "HELD")]
    rows += [(area, kind, str(t.tried), str(t.held)) for (area, kind), t in sorted(tallies.items())]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        terminalreporter.write_line(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        )


def free_port() -> int:
    """A TCP port free on localhost now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A real Jupyter Server process with greenhouse, on localhost."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/greenhouse/api"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {TOKEN}"}

    def kill(self) -> None:
        """End the server at once, as a crash or ``kill -9`` would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_server(
    root: Path, log: Path, port: int | None = None, *, ignore_sigint: bool = False
) -> Server:
    """Start ``jupyter server`` on ``root`` with greenhouse and wait until it answers.

    ``ignore_sigint`` starts it with SIGINT ignored, as a shell does for ``nohup ... &``:
    the processes it starts inherit that.
    """
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                *(IGNORING_SIGINT if ignore_sigint else []),
                sys.executable,
                "-m",
                "jupyter_server",
                "--allow-root",
                "--no-browser",
                f"--port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.port_retries=0",
            ],
            cwd=root,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(root, port, process, log)
    deadline = time.monotonic() + SERVER_DEADLINE_S
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-2000:]
        try:
            with urllib.request.urlopen(f"{server.api}/version?token={TOKEN}", timeout=5):
                return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise TimeoutError(f"jupyter server did not answer on port {port}")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start real servers on a root; every one still going is stopped at the end."""
    started: list[Server] = []

    def start(root: Path, port: int | None = None, *, ignore_sigint: bool = False) -> Server:
        server = start_server(root, tmp_path / "server.log", port, ignore_sigint=ignore_sigint)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def request(server: Server, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """Call the greenhouse API of ``server``; answers of any status are returned."""
    req = urllib.request.Request(
        f"{server.api}/{path}", data=body, method=method, headers=server.headers
    )
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def greenhouse(
    *args: str, cwd: Path, check: bool = False, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run the ``greenhouse`` CLI in ``cwd`` with the store it finds there.

    ``check`` asserts that it exits 0 (showing its stderr when not).
    """
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done
