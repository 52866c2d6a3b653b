"""The Dask backend of sweeps: runs execute on a ``dask.distributed`` cluster and hand back results.

Workers need no access to the store: a task returns the run's record, executed notebook
and captured files, and the client stores them. A worker lost mid-run is retried
elsewhere by the scheduler. Cancelling sets a ``distributed.Event`` that every running
task watches, killing its kernel (Dask's own cancel does not stop a running task).
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..models import Execution
from .kernels import close_servers
from .sweep import Task
from .workers import execute_task, ignore_interrupts, prepare_worker

CONNECT_TIMEOUT_S = 15
CANCEL_POLL_S = 0.3


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InvalidInput(
            "--dask needs Dask: install the extra with pip install 'greenhouse_ext[dask]'"
        ) from None
    return distributed


def run_on_worker(task: Task, cancel_event: str) -> Execution | None:
    """Execute one task on a Dask worker; None when the sweep was cancelled before it started."""
    distributed = _distributed()
    event = distributed.Event(cancel_event)
    if event.is_set():
        return None
    cancel = threading.Event()
    done = threading.Event()

    def watch() -> None:
        # Short questions rather than a long wait on the scheduler, which would still be
        # pending (and logged as an error) if the cluster closed right after the run.
        try:
            while not done.wait(CANCEL_POLL_S):
                if event.is_set():
                    cancel.set()
                    return
        except (OSError, RuntimeError, distributed.comm.CommClosedError):
            # The scheduler has gone away: there is no sweep left to cancel.
            return

    watcher = threading.Thread(target=watch, name="greenhouse-dask-cancel", daemon=True)
    watcher.start()
    try:
        with _notebook_on_worker(task) as local:
            return execute_task(local, cancel)
    finally:
        done.set()
        watcher.join()


@contextmanager
def _notebook_on_worker(task: Task) -> Iterator[Task]:
    """The task itself where its notebook exists; else a copy of its source in a scratch folder."""
    if task.job.path.is_file():
        yield task
        return
    with tempfile.TemporaryDirectory(prefix="greenhouse-run-") as folder:
        path = Path(folder) / task.job.path.name
        path.write_bytes(task.job.source)
        yield dataclasses.replace(task, job=dataclasses.replace(task.job, path=path))


class DaskBackend:
    """Runs a sweep on the cluster at ``address``, or on a ``LocalCluster`` for ``"local"``.

    Parameters
    ----------
    address : str
        A scheduler address (``tcp://host:8786``) or ``local``.
    workers : int
        How many worker processes a local cluster has (one run at a time each).
    kernel : str, optional
        The kernel the runs use, so workers can warm up its fork server.
    """

    def __init__(self, address: str, workers: int = 2, kernel: str | None = None) -> None:
        distributed = _distributed()
        self._cluster = None
        if address == "local":
            import dask

            # Workers fork from a server that has imported distributed once: they start
            # with less work on a small machine, and stop faster than spawned ones.
            with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
                self._cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    # Any free port: the scheduler serves HTTP even without a dashboard.
                    dashboard_address=":0",
                )
            self._client = distributed.Client(self._cluster)
        else:
            try:
                self._client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, ValueError) as exc:
                raise InvalidInput(
                    f"No Dask scheduler answers at {address!r} ({exc}); give a scheduler "
                    "address such as tcp://host:8786, or --dask local"
                ) from None
        self.workers = max(1, sum(self._client.nthreads().values()))
        self._event_name = f"greenhouse-cancel-{uuid.uuid4().hex}"
        self._event = distributed.Event(self._event_name, client=self._client)
        if self._cluster is not None:
            self._client.run(ignore_interrupts)
        self._client.run(prepare_worker, kernel)

    def submit(self, task: Task) -> Any:
        return self._client.submit(
            run_on_worker,
            task,
            self._event_name,
            key=f"greenhouse-run-{task.run_id}-{task.attempt}",
            pure=False,
        )

    def wait(self, handles: Iterable[Any], timeout: float) -> list[tuple[Any, Any]]:
        distributed = _distributed()
        try:
            done, _ = distributed.wait(
                list(handles), timeout=timeout, return_when="FIRST_COMPLETED"
            )
        except TimeoutError:
            return []
        finished = []
        for future in done:
            if future.status == "finished":
                finished.append((future, future.result()))
            elif future.status == "cancelled":
                finished.append((future, None))
            else:
                finished.append((future, future.exception()))
        return finished

    def cancel(self) -> None:
        self._event.set()

    def close(self) -> None:
        # Stopping the workers' fork servers first lets a local cluster close at once.
        self._client.run(close_servers)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
