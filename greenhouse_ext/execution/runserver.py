"""The run fork server: imports greenhouse once, then forks one fresh run process per run.

A run launched by a server or a scheduler is a process of its own that runs
``python -m greenhouse_ext run ...``. Started plainly, that process spends about a second
importing greenhouse, papermill, nbformat and SQLAlchemy before its kernel starts. The run
server (`SERVER_COMMAND`, with the modules to import as arguments) imports them once; each
run is then a fork of it that runs the same command line, as ``python -m`` would, in its
own session, folder, environment and log.

The run server also starts a kernel fork server (``zygote.py --listen``) for its own
interpreter and names its socket in the environment of the runs it forks
(``$GREENHOUSE_KERNEL_SOCKET``), so their kernels are forked at once instead of each run
starting its own kernel fork server.

Protocol, one JSON object a line: the launcher writes ``{"id", "module", "argv", "cwd",
"env", "log"}`` on the server's stdin; the server answers ``{"ready": true}`` once, then
``{"pid": N, "id"}`` or ``{"error": ..., "id"}`` to each request, and ``{"exit": PID,
"code": N}`` when a run process it forked ends (``code`` as `subprocess.Popen.returncode`
gives it). When stdin closes it forks no more and exits once its runs have ended, so runs
outlive the process that launched them.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import itertools
import json
import logging
import os
import queue
import random
import runpy
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidInput
from ..startup import skip_iri_format_checker
from ..store import identity
from .kernels import KERNEL_SOCKET_ENV, ForkServer, kernel_start_mode, preloaded_modules

RUN_START_ENV = "GREENHOUSE_RUN_START"
MODES = ("fork", "plain")
SERVER_COMMAND = f"import sys; del sys.path[0]; from {__name__} import main; main()"
"""How the server is started: with ``-c`` (as ``-m`` it would import itself twice), and
without the launcher's folder on its path (a ``papermill.py`` there is no module of ours);
each run puts its own folder first, as ``python -m`` there would."""
RUN_MODULES = (
    "greenhouse_ext.cli",
    "greenhouse_ext.cli.cancellation",
    "greenhouse_ext.cli.environment",
    "greenhouse_ext.cli.runs",
    "greenhouse_ext.execution",
    "greenhouse_ext.execution.kernel_probe",
    "greenhouse_ext.execution.provenance",
    "greenhouse_ext.store.index",
    "greenhouse_ext.store.checkouts",
    "greenhouse_ext.artefacts.reproduce",
    "jupytext",
    "nbclient",
    "papermill",
    "sqlalchemy",
)
"""What a ``greenhouse run`` (or ``reproduce``) process imports before its kernel starts."""
REPLY_TIMEOUT_S = 10.0
LOST_POLL_S = 0.2
SOCKET_NAME = "kernels.sock"

log = logging.getLogger(__name__)


def run_start_mode() -> str:
    """``$GREENHOUSE_RUN_START``: ``fork`` (the default) or ``plain`` (every run process
    started as a new interpreter).

    Raises
    ------
    InvalidInput
        It is set to anything else.
    """
    chosen = (os.environ.get(RUN_START_ENV) or "fork").lower()
    if chosen not in MODES:
        raise InvalidInput(
            f"${RUN_START_ENV} must be one of {', '.join(MODES)}, got {chosen!r}: unset it "
            "(runs are then forked from a run server) or set it to plain"
        )
    return chosen


# The launcher's side ------------------------------------------------------------------


class ForkedRun:
    """A run process the run server forked, as `subprocess.Popen` shows a child.

    The server, its parent, reports its exit; if the server itself is gone, the process
    is followed by its pid and start time until it ends (its exit code then unknown).
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.identity = identity.of(pid)
        self._ended = threading.Event()
        self._orphaned = False

    def poll(self) -> int | None:
        if not self._ended.is_set() and self._orphaned and not self._alive():
            self._ended.set()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the process to end; its code, or None when it ended unreported.

        Raises
        ------
        subprocess.TimeoutExpired
            It is still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ended.wait(LOST_POLL_S) and self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"run process {self.pid}", float(timeout or 0))
        return self.returncode

    def send_signal(self, signum: int) -> None:
        self.poll()
        if not self._ended.is_set():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def ended(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def orphaned(self) -> None:
        self._orphaned = True

    def _alive(self) -> bool:
        """True while the process runs: the same process, and not a zombie that whoever
        adopted it has yet to reap."""
        if not identity.is_alive(self.identity, self.pid):
            return False
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"


class RunServer:
    """A running run server for this interpreter; forks run processes on request.

    Parameters
    ----------
    modules : sequence of str
        What the server imports before it forks anything.
    """

    def __init__(self, modules: Sequence[str] = RUN_MODULES) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER_COMMAND, *modules],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        self.ready = threading.Event()
        self.failure: str | None = None
        self._replies: queue.Queue[tuple[int | None, ForkedRun | str]] = queue.Queue()
        self._running: dict[int, ForkedRun] = {}
        self._requests = itertools.count(1)
        self._lock = threading.Lock()
        """Held from a request until its answer (a late answer to an earlier one is dropped)."""
        threading.Thread(target=self._read, name="greenhouse-run-server", daemon=True).start()

    @property
    def served(self) -> bool:
        """True once the server got ready (one that never did is not started again)."""
        return self.ready.is_set()

    @property
    def usable(self) -> bool:
        """True once the server has imported its modules and while it answers."""
        return self.ready.is_set() and self.failure is None

    def start(
        self, module: str, argv: list[str], cwd: Path, env: dict[str, str], log_path: Path
    ) -> ForkedRun:
        """Fork a process that runs ``python -m MODULE ARGV`` in ``cwd`` with ``env``, its
        output appended to ``log_path``.

        Raises
        ------
        TimeoutError
            The server did not answer in time: it may yet fork the process, so it must not
            be started another way.
        OSError
            The server is gone, or could not fork.
        """
        number = next(self._requests)
        request = {
            "id": number,
            "module": module,
            "argv": argv,
            "cwd": str(cwd),
            "env": env,
            "log": str(log_path),
        }
        with self._lock:
            if self.failure is not None:
                raise OSError(self.failure)
            stdin = self.process.stdin
            if stdin is None:
                raise OSError("the run server has no pipe")
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
            reply = self._reply_to(number)
        if isinstance(reply, str):
            raise OSError(f"the run server could not start the run: {reply}")
        return reply

    def _reply_to(self, number: int) -> ForkedRun | str:
        """The answer to request ``number``, or the server's end, whichever comes first."""
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while True:
            try:
                answered, reply = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(
                    f"the run server did not answer within {REPLY_TIMEOUT_S:g} s"
                ) from None
            if answered == number or (answered is None and self.failure is not None):
                return reply

    def close(self) -> None:
        """Let the server end: it forks no more and exits once its runs have ended."""
        with self._lock, contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()

    def _read(self) -> None:
        """Take the server's answers: readiness, forked pids and errors, exits."""
        stdout = self.process.stdout
        assert stdout is not None
        for line in stdout:
            reply = json.loads(line)
            if "exit" in reply:
                child = self._running.pop(reply["exit"], None)
                if child is not None:
                    child.ended(int(reply["code"]))
            elif "pid" in reply and "ready" not in reply:
                child = ForkedRun(int(reply["pid"]))
                self._running[child.pid] = child
                self._replies.put((reply.get("id"), child))
            elif "ready" in reply:
                self.ready.set()
            else:
                if not self.ready.is_set():
                    self.failure = f"the run server could not start: {reply['error']}"
                    log.warning("greenhouse: %s; runs start plainly", self.failure)
                self._replies.put((reply.get("id"), str(reply["error"])))
        self.failure = self.failure or "the run server has ended"
        for child in self._running.values():
            child.orphaned()
        self._replies.put((None, self.failure))


_servers: dict[str, RunServer] = {}
_servers_lock = threading.Lock()


def run_server() -> RunServer | None:
    """This process's run server once it is ready, else None (after starting it); always
    None in plain mode. One that has ended is started again.

    Raises
    ------
    InvalidInput
        ``$GREENHOUSE_RUN_START`` names no mode.
    """
    if run_start_mode() != "fork":
        return None
    with _servers_lock:
        server = _servers.get(sys.executable)
        if server is None or (server.process.poll() is not None and server.served):
            server = _servers[sys.executable] = RunServer()
        return server if server.usable else None


@atexit.register
def close_servers() -> None:
    """Let this process's run server end once its runs have."""
    with _servers_lock:
        for server in _servers.values():
            server.close()


# The server's side ---------------------------------------------------------------------


def main() -> None:
    """Start the kernel fork server, import the modules, say so, then fork runs."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    skip_iri_format_checker()
    kernels = _KernelServer.start()
    try:
        for name in sys.argv[1:]:
            importlib.import_module(name)
        if threading.active_count() != 1:
            raise RuntimeError("importing the run modules started a thread; cannot fork safely")
        if kernels is not None and not kernels.wait_ready():
            kernels.close()
            kernels = None
    except Exception as exc:
        _reply(replies, {"error": f"{type(exc).__name__}: {exc}"})
        if kernels is not None:
            kernels.close()
        raise SystemExit(1) from None
    _reply(replies, {"ready": True, "pid": os.getpid()})
    request = serve(replies)
    if request is None:
        if kernels is not None:
            kernels.close()
        return
    become_run(request, replies, kernels)


def serve(replies: IO[str]) -> dict[str, Any] | None:
    """Fork runs until stdin closes and every run has ended; in a forked run, its request."""
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    running: set[int] = set()
    pending = b""
    listening = True
    while listening or running:
        watched = [wake_read, 0] if listening else [wake_read]
        readable, _, _ = select.select(watched, [], [])
        if wake_read in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_read, 4096)
        _reap(running, replies)
        if 0 not in readable:
            continue
        chunk = os.read(0, 65536)
        listening = bool(chunk)
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            pid = _fork(line, replies)
            if pid == 0:
                signal.set_wakeup_fd(-1)
                os.close(wake_read)
                os.close(wake_write)
                return dict(json.loads(line))
            if pid is not None:
                running.add(pid)
    signal.set_wakeup_fd(-1)
    return None


def _fork(line: bytes, replies: IO[str]) -> int | None:
    """Fork the run a request line asks for; None (and an error reply) when that fails."""
    try:
        request = json.loads(line)
    except ValueError as exc:
        _reply(replies, {"error": f"not a JSON request: {exc}", "id": None})
        return None
    number = request.get("id") if isinstance(request, dict) else None
    try:
        fd = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except (KeyError, TypeError, OSError) as exc:
        _reply(replies, {"error": f"cannot open the run's log: {exc}", "id": number})
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(fd)
        _reply(replies, {"error": str(exc), "id": number})
        return None
    if pid == 0:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        return 0
    os.close(fd)
    _reply(replies, {"pid": pid, "id": number})
    return pid


def _reap(running: set[int], replies: IO[str]) -> None:
    """Collect ended children; report the runs among them."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in running:
            running.discard(pid)
            _reply(replies, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _reply(replies: IO[str], message: dict[str, Any]) -> None:
    """Answer the launcher; one that has gone away no longer needs to know."""
    with contextlib.suppress(OSError, ValueError):
        replies.write(json.dumps(message) + "\n")
        replies.flush()


def become_run(request: dict[str, Any], replies: IO[str], kernels: _KernelServer | None) -> None:
    """In the forked child: detach, take the run's folder and environment, run its module.

    Its output already goes to the run's log (fds 1 and 2). It ends as ``python -m``
    would: through `SystemExit`, with exit handlers run.
    """
    os.setsid()
    for signum in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.suppress(OSError):
        replies.close()
    if kernels is not None:
        kernels.forget()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    sys.stdout = _stream(1, "strict")
    sys.stderr = _stream(2, "backslashreplace")
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if kernels is not None:
        os.environ[KERNEL_SOCKET_ENV] = kernels.path
    sys.path.insert(0, os.getcwd())
    sys.argv = [sys.argv[0], *request["argv"]]
    random.seed()
    runpy.run_module(request["module"], run_name="__main__", alter_sys=True)


def _stream(fd: int, errors: str) -> io.TextIOWrapper:
    """Unbuffered text output on ``fd``, as ``PYTHONUNBUFFERED`` gives a plain process."""
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors=errors, write_through=True
    )


class _KernelServer:
    """The kernel fork server the forked runs share, listening on a private socket."""

    def __init__(self, server: ForkServer, folder: str) -> None:
        self.server = server
        self.folder = folder
        self.path = os.path.join(folder, SOCKET_NAME)

    @classmethod
    def start(cls) -> _KernelServer | None:
        """Start it, unless kernels start plainly here (then each run starts its own)."""
        try:
            if kernel_start_mode() != "fork":
                return None
        except InvalidInput:
            return None
        folder = tempfile.mkdtemp(prefix="greenhouse-kernels-")
        listen = os.path.join(folder, SOCKET_NAME)
        return cls(ForkServer(sys.executable, preloaded_modules(), listen), folder)

    def wait_ready(self) -> bool:
        """True once it has imported ipykernel and listens; False when it failed to."""
        try:
            self.server.wait_ready()
        except OSError:
            return False
        return True

    def forget(self) -> None:
        """In a forked run: drop this process's copies of the pipes that keep the server up."""
        for pipe in (self.server.process.stdin, self.server.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def close(self) -> None:
        """End it (the kernels it forked have ended with their runs) and its folder."""
        self.server.close()
        shutil.rmtree(self.folder, ignore_errors=True)
