"""The kernel fork server: imports ipykernel once, then forks one fresh kernel per request.

Run as a script by the kernel's own interpreter (``python zygote.py [--listen PATH]
[MODULE ...]``), so it needs nothing but the standard library and ipykernel there. It reads
one JSON request a line (``{"argv", "cwd", "env"}``, and ``"owner"``: a pid whose end
ends the kernel) and answers ``{"pid": N}`` or
``{"error": ...}``: on stdin and stdout, or, with ``--listen``, one request per connection
to the Unix socket PATH (so that many processes can ask one server). It exits when stdin
closes. Every forked kernel is a new session that runs in its own working directory and
environment, with Python's ``random`` reseeded.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import select
import signal
import socket
import sys
import threading
import time
import traceback
from typing import IO, Any, NoReturn

KERNEL_MODULES = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell")
KERNEL_START_MODULES = (
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.history",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "psutil",
    "tornado.gen",
    "tornado.platform.asyncio",
    "tornado.queues",
)
"""What ipykernel imports while a kernel starts (debugpy is most of it); optional ones may lack."""
OWNER_POLL_S = 1.0


def preload(modules: list[str]) -> None:
    """Import the kernel's modules and the declared heavy ones, before anything is forked."""
    for name in [*KERNEL_MODULES, *modules]:
        importlib.import_module(name)
    for name in KERNEL_START_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    if threading.active_count() != 1:
        raise RuntimeError("importing the preloaded modules started a thread; cannot fork safely")


def become_kernel(request: dict[str, Any], replies: IO[str]) -> NoReturn:
    """In the forked child: detach, take the run's folder and environment, run ipykernel."""
    code = 0
    try:
        os.setsid()
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        replies.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # The kernel's parent is this server, not the process that asked for it: watch it.
        # (ipykernel read JPY_PARENT_PID at import, before this environment existed.)
        parent = str(os.getppid())
        os.environ["JPY_PARENT_PID"] = parent
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={parent}"]
        sys.path[0] = os.getcwd()
        sys.argv = [sys.argv[0], *argv]
        random.seed()
        if request.get("owner"):
            threading.Thread(target=_end_with, args=(int(request["owner"]),), daemon=True).start()
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    os._exit(code)


def _end_with(owner: int) -> None:
    """End this kernel once process ``owner`` (the run it serves) has gone.

    A shared server outlives the runs whose kernels it forks, so its being alive (what
    ipykernel watches) does not say that the kernel is still wanted.
    """
    while True:
        time.sleep(OWNER_POLL_S)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            continue


def serve(requests: IO[str], replies: IO[str]) -> None:
    """Answer fork requests until ``requests`` closes."""
    # Forked kernels are reaped by the system, never left as zombies of this server.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in requests:
        try:
            request = json.loads(line)
            pid = os.fork()
        except (ValueError, OSError) as exc:
            replies.write(json.dumps({"error": str(exc)}) + "\n")
            replies.flush()
            continue
        if pid == 0:
            requests.close()
            become_kernel(request, replies)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()


def serve_socket(listener: socket.socket, control: IO[str]) -> None:
    """Answer one fork request per connection to ``listener`` until ``control`` closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watched: list[Any] = [control, listener]
    while True:
        readable, _, _ = select.select(watched, [], [])
        if control in readable and not os.read(control.fileno(), 4096):
            return
        if listener not in readable:
            continue
        connection, _ = listener.accept()
        connection.settimeout(10.0)
        stream = connection.makefile("rw", encoding="utf-8")
        try:
            request = json.loads(stream.readline())
            pid = os.fork()
        except (ValueError, OSError) as exc:
            with contextlib.suppress(OSError):
                stream.write(json.dumps({"error": str(exc)}) + "\n")
                stream.flush()
            stream.close()
            connection.close()
            continue
        if pid == 0:
            listener.close()
            connection.close()
            become_kernel(request, stream)
        with contextlib.suppress(OSError):
            stream.write(json.dumps({"pid": pid}) + "\n")
            stream.flush()
        stream.close()
        connection.close()


def main() -> None:
    """Preload, say so, then serve; anything printed later goes to stderr, not the replies."""
    sys.path[0] = os.getcwd()
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    arguments = sys.argv[1:]
    path = arguments[1] if arguments[:1] == ["--listen"] else None
    modules = arguments[2:] if path is not None else arguments
    try:
        preload(modules)
        listener = _listen(path) if path is not None else None
    except Exception as exc:
        replies.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        replies.flush()
        raise SystemExit(1) from None
    replies.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    replies.flush()
    if listener is None:
        serve(sys.stdin, replies)
        return
    replies.close()
    try:
        serve_socket(listener, sys.stdin)
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(str(path))


def _listen(path: str) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    return listener


if __name__ == "__main__":
    main()
