"""The kernel fork server: imports ipykernel once, then forks one fresh kernel per request.

Run as a script by the kernel's own interpreter (``python zygote.py [MODULE ...]``), so it
needs nothing but the standard library and ipykernel there. It reads one JSON request a
line on stdin (``{"argv", "cwd", "env"}``) and answers ``{"pid": N}`` or ``{"error": ...}``
on stdout; it exits when stdin closes. Every forked kernel is a new session that runs in
its own working directory and environment, with Python's ``random`` reseeded.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import signal
import sys
import threading
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
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    os._exit(code)


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


def main() -> None:
    """Preload, say so, then serve; anything printed later goes to stderr, not the replies."""
    sys.path[0] = os.getcwd()
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    try:
        preload(sys.argv[1:])
    except Exception as exc:
        replies.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
        replies.flush()
        raise SystemExit(1) from None
    replies.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    replies.flush()
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
