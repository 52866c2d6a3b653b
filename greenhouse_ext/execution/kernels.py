"""Fast fresh kernels: a fork server per interpreter, with the ordinary start as the fallback.

Every run still gets its own kernel process that no other run used. The fork server
(``zygote.py``) has imported IPython and ipykernel (and any modules named in
``$GREENHOUSE_PRELOAD``) once; each kernel is a fork of it, made before any zmq context,
event loop or thread exists, then given the run's working directory and environment.

Shared between runs: only the modules imported before the fork, in their freshly
imported state (so module-level state such modules compute at import, such as a cached
environment variable, is the server's). Not shared: globals, the working directory, the
environment, threads, sockets, and Python's ``random`` state (reseeded in each kernel).
numpy's global random state is *not* reseeded when numpy is preloaded: seed it yourself.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import IO, Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from ..errors import InvalidInput

KERNEL_START_ENV = "GREENHOUSE_KERNEL_START"
PRELOAD_ENV = "GREENHOUSE_PRELOAD"
KERNEL_SOCKET_ENV = "GREENHOUSE_KERNEL_SOCKET"
"""A shared fork server's socket for this interpreter's kernels, set by the run server
(`greenhouse_ext.execution.runserver`) for the runs it forks."""
MODES = ("fork", "plain")
READY_TIMEOUT_S = 60.0
BIND_TIMEOUT_S = 10.0
IOPUB_STEP_S = 0.02
SOCKETS = ("shell", "iopub", "stdin", "control", "hb")

log = logging.getLogger(__name__)


def kernel_start_mode(mode: str | None = None) -> str:
    """The kernel start mode: ``mode`` if given, else ``$GREENHOUSE_KERNEL_START``, else fork.

    Raises
    ------
    InvalidInput
        The mode is neither ``fork`` nor ``plain``.
    """
    chosen = (mode or os.environ.get(KERNEL_START_ENV) or "fork").lower()
    if chosen not in MODES:
        raise InvalidInput(f"Kernel start mode must be one of {', '.join(MODES)}, got {chosen!r}")
    return chosen


class ForkServer:
    """A running ``zygote.py`` for one interpreter; asks it for kernels, one at a time.

    With ``listen``, it answers on that Unix socket instead (see `SharedForkServer`).
    """

    def __init__(self, python: str, preload: list[str], listen: str | None = None) -> None:
        self.python = python
        self._lock = threading.Lock()
        self._ready = False
        zygote = str(Path(__file__).with_name("zygote.py"))
        self.process = subprocess.Popen(
            [python, zygote, *(["--listen", listen] if listen else []), *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            # debugpy (preloaded for ipykernel) warns about frozen modules unless told not to.
            env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
        )

    def fork(self, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        """Fork a kernel that runs ``ipykernel_launcher ARGV``; return its pid.

        Raises
        ------
        OSError
            The server is gone or answered with an error.
        """
        self.wait_ready()
        with self._lock:
            stdin = self._pipe(self.process.stdin)
            stdin.write(json.dumps({"argv": argv, "cwd": cwd, "env": env}) + "\n")
            stdin.flush()
            return int(self._read_reply(10.0)["pid"])

    def wait_ready(self) -> None:
        """Wait until the server has imported ipykernel (and listens, if asked to).

        Raises
        ------
        OSError
            It failed to, or did not say so in time.
        """
        with self._lock:
            if not self._ready:
                self._read_reply(READY_TIMEOUT_S)
                self._ready = True

    def close(self) -> None:
        """Stop the server (kernels it forked live on until their own shutdown)."""
        if self.process.poll() is None:
            self._pipe(self.process.stdin).close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def _read_reply(self, timeout: float) -> dict[str, Any]:
        stdout = self._pipe(self.process.stdout)
        readable, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if readable else ""
        if not line:
            raise OSError(f"the kernel fork server did not answer within {timeout:g} s")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise OSError(f"the kernel fork server failed: {reply['error']}")
        return reply

    @staticmethod
    def _pipe(stream: IO[str] | None) -> IO[str]:
        if stream is None:
            raise OSError("the kernel fork server has no pipe")
        return stream


class SharedForkServer:
    """A ``zygote.py --listen`` that another process started; asked over its Unix socket.

    It outlives this process, so each kernel it forks ends when this process does.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def fork(self, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        """Fork a kernel that runs ``ipykernel_launcher ARGV``; return its pid.

        Raises
        ------
        OSError
            The server is gone or answered with an error.
        """
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(10.0)
            connection.connect(self.path)
            with connection.makefile("rw", encoding="utf-8") as stream:
                request = {"argv": argv, "cwd": cwd, "env": env, "owner": os.getpid()}
                stream.write(json.dumps(request) + "\n")
                stream.flush()
                line = stream.readline()
        if not line:
            raise OSError("the shared kernel fork server closed the connection")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise OSError(f"the shared kernel fork server failed: {reply['error']}")
        return int(reply["pid"])


_servers: dict[tuple[str, ...], ForkServer] = {}
_servers_lock = threading.Lock()


def fork_server(python: str) -> ForkServer | SharedForkServer:
    """The fork server for ``python`` and ``$GREENHOUSE_PRELOAD``: the shared one that
    ``$GREENHOUSE_KERNEL_SOCKET`` names for this interpreter, else this process's own,
    started once."""
    shared = os.environ.get(KERNEL_SOCKET_ENV)
    if shared and python == sys.executable:
        return SharedForkServer(shared)
    preload = preloaded_modules()
    key = (python, *preload)
    with _servers_lock:
        server = _servers.get(key)
        if server is None or server.process.poll() is not None:
            server = _servers[key] = ForkServer(python, preload)
        return server


def preloaded_modules() -> list[str]:
    """The modules ``$GREENHOUSE_PRELOAD`` asks kernels to have imported."""
    return [m.strip() for m in os.environ.get(PRELOAD_ENV, "").split(",") if m.strip()]


def warm_up(kernel: str | None = None) -> None:
    """Start the fork server for ``kernel`` now, so it has imported ipykernel by the first run.

    Does nothing in plain mode or for a kernel that cannot be forked.
    """
    if kernel_start_mode() != "fork":
        return
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel or "python3")
    except NoSuchKernel:
        return
    python = _forkable_python(spec.argv)
    if python is not None:
        fork_server(python)


@atexit.register
def close_servers() -> None:
    """Stop this process's fork servers (kernels they forked live on until their shutdown)."""
    with _servers_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()


def _forkable_python(argv: list[str]) -> str | None:
    """The interpreter of an ipykernel command line, or None for any other kernel."""
    if len(argv) < 3 or argv[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    python = argv[0]
    if python in {"python", "python3"}:
        return sys.executable
    return python if os.path.isabs(python) else None


class ForkedKernel:
    """The kernel process as a provisioner sees it; reaped by the fork server, not by us."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        return self.poll()

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Launches an ipykernel by forking the fork server; any failure falls back to a plain start."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        python = _forkable_python(cmd)
        if python is None:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        try:
            pid = fork_server(python).fork(cmd[3:], cwd, env)
        except (OSError, ValueError) as exc:
            log.warning("greenhouse: fast kernel start failed (%s); starting it plainly", exc)
            return await super().launch_kernel(cmd, **kwargs)
        # LocalProvisioner only polls, waits for and signals its process: a ForkedKernel does.
        self.process = ForkedKernel(pid)  # type: ignore[assignment]
        self.pid = self.pgid = pid
        self.cwd = cwd
        await self._sockets_bound()
        return self.connection_info

    async def _sockets_bound(self) -> None:
        """Wait until a forked kernel has bound its IPC sockets, as it does within milliseconds.

        A client that connects earlier is refused and only retries after zmq's reconnect
        interval, and misses the kernel's first IOPub messages: together about 0.3 s.
        """
        info: dict[str, Any] = dict(self.connection_info)
        if info.get("transport") != "ipc":
            return
        paths = [Path(f"{info['ip']}-{info[f'{name}_port']}") for name in SOCKETS]
        deadline = time.monotonic() + BIND_TIMEOUT_S
        while not all(p.exists() for p in paths) and time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return
            await asyncio.sleep(0.005)

    async def wait(self) -> int | None:
        """Wait for the kernel to end, in short steps: a killed kernel is gone in milliseconds."""
        while self.process is not None and await self.poll() is None:
            await asyncio.sleep(0.005)
        return int(await super().wait() or 0)


class ReadyKernelClient(AsyncKernelClient):
    """Waits for a fresh kernel in short steps rather than jupyter_client's 0.2 s ones.

    A kernel is ready when it answers ``kernel_info`` and its IOPub messages reach us.
    The first ones can be lost while our subscription is still being set up, so ask
    again after a short wait rather than a long one.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=IOPUB_STEP_S)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class ForkingKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, with kernels forked from a fork server in fork mode."""

    client_class = DottedObjectName("greenhouse_ext.execution.kernels.ReadyKernelClient")
    client_factory = Type(ReadyKernelClient, klass=AsyncKernelClient)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.provisioner is None and kernel_start_mode() == "fork":
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)


def kill_kernel(manager: Any) -> None:
    """Kill a kernel's process group at once (from any thread): how a run is cancelled."""
    provisioner = getattr(manager, "provisioner", None)
    pid = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
    if pid and pid != os.getpgrp():
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
