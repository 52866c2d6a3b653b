"""Local worker processes for sweeps: each executes runs in-process, with fresh kernels."""

from __future__ import annotations

import concurrent.futures
import importlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidInput
from ..models import Execution
from .execute import execute
from .sweep import Task


def execute_task(task: Task, cancel: threading.Event) -> Execution | None:
    """Execute one task in this process (a worker); None when the sweep was cancelled first."""
    if cancel.is_set():
        return None
    execution = execute(task.job, run_id=task.run_id, cancel=cancel, log_output=task.log_output)
    execution.run.sweep_id = task.sweep_id
    return execution


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the process running the sweep, which cancels the runs in order.

    A terminal sends SIGINT to every process of its foreground group, local workers too.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def prepare_worker(kernel: str | None) -> None:
    """Ready a worker process for runs: start its kernel fork server, import papermill.

    The fork server imports ipykernel while this process imports papermill. jsonschema
    is kept from compiling its IRI grammar (about 1.5 s, as the CLI does): no notebook
    schema uses that format, and the process only executes runs.
    """
    from . import kernels

    kernels.warm_up(kernel)
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    importlib.import_module("papermill")


_worker_cancel: Any = None


def _init_local_worker(cancel: Any, kernel: str | None) -> None:
    """Set up a local worker: it dies with its sweep; Ctrl-C is the sweep's; ready for runs."""
    global _worker_cancel  # noqa: PLW0603
    _worker_cancel = cancel
    _die_with_parent()
    ignore_interrupts()
    prepare_worker(kernel)


def _die_with_parent() -> None:
    """End this worker as soon as the sweep process that spawned it has gone (even killed).

    Its kernel fork server then reads the end of its requests and exits, and the kernel
    it forked sees its parent gone and exits too: nothing runs unrecorded.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="greenhouse-parent-watch", daemon=True).start()


def _execute_local(task: Task) -> Execution | None:
    return execute_task(task, _worker_cancel)


class LocalBackend:
    """N worker processes on this machine, each executing runs in-process with fresh kernels.

    Each worker is a pool of one process, so that a worker lost mid-run (killed, out of
    memory) fails only the run it held: a new worker takes its place for the next run.
    """

    def __init__(self, workers: int, kernel: str | None = None) -> None:
        if workers < 1:
            raise InvalidInput(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self._context = multiprocessing.get_context("spawn")
        self._cancel = self._context.Event()
        self._kernel = kernel
        self._pools = [self._new_pool() for _ in range(workers)]
        self._runs: list[concurrent.futures.Future[Execution | None] | None] = [None] * workers

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=1,
            mp_context=self._context,
            initializer=_init_local_worker,
            initargs=(self._cancel, self._kernel),
        )

    def submit(self, task: Task) -> concurrent.futures.Future[Execution | None]:
        """Hand ``task`` to a free worker (the first one when none is free)."""
        slot = next((i for i, run in enumerate(self._runs) if run is None or run.done()), 0)
        try:
            future = self._pools[slot].submit(_execute_local, task)
        except concurrent.futures.BrokenExecutor:
            self._pools[slot].shutdown(wait=False, cancel_futures=True)
            self._pools[slot] = self._new_pool()
            future = self._pools[slot].submit(_execute_local, task)
        self._runs[slot] = future
        return future

    def wait(self, handles: Iterable[Any], timeout: float) -> list[tuple[Any, Any]]:
        done, _ = concurrent.futures.wait(
            handles, timeout=timeout, return_when=concurrent.futures.FIRST_COMPLETED
        )
        return [(f, _outcome(f)) for f in done]

    def cancel(self) -> None:
        self._cancel.set()

    def close(self) -> None:
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future: concurrent.futures.Future[Any]) -> Any:
    if future.cancelled():
        return None
    error = future.exception()
    return error if error is not None else future.result()
