"""Sweeps: one notebook run once per parameter set, on local worker processes or a Dask cluster.

Workers execute runs and hand back each run's record, executed notebook and captured
files; the caller (one process) writes them to its store, tagged with the sweep's id.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import Conflict, GreenhouseError, InvalidInput, StoreUnavailable
from ..models import Execution, ParameterSet, Run, RunError, RunStatus, new_run_id, now
from ..parameters import (
    DEFAULT_VALUE_LIMIT,
    ParameterPoint,
    ValueLimit,
    mask_secrets,
    read_parameters,
)
from ..store import Store, identity, unsaved_record
from .execute import Job, check_notebook_kernel, prepare

CANCEL_GRACE_S = 60.0
"""How long a cancelled sweep waits for its runs in flight to report that they stopped."""
RETRIES_MAX = 10
"""The most times a sweep re-runs one run after infrastructure faults."""
INFRASTRUCTURE_FAULTS = ("kernel died",)
"""Failure reasons that retries cover: the machinery broke, not the notebook."""


@dataclass
class Task:
    """One run of a sweep: its job, its id and which attempt this is."""

    job: Job
    run_id: str
    sweep_id: str
    attempt: int = 1
    log_output: bool = False


@dataclass
class SweepPlan:
    """A validated sweep: one job per parameter set, nothing run yet."""

    id: str
    notebook: str
    tasks: list[Task]


@dataclass
class SweepResult:
    """What a sweep did: its runs, how many never started, and the runs it could not store.

    ``unstored`` maps the id of each run whose record or outcome the store refused to
    the reason.
    """

    id: str
    runs: list[Run] = field(default_factory=list)
    not_started: int = 0
    cancelled: bool = False
    unstored: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> list[Run]:
        return [r for r in self.runs if r.status is not RunStatus.SUCCEEDED]


def plan_sweep(
    notebook: str | os.PathLike[str],
    points: Sequence[ParameterPoint],
    *,
    base_values: Mapping[str, Any] | None = None,
    kernel: str | None = None,
    timeout: float | None = None,
    timeout_run: float | None = None,
    inputs: Iterable[str] = (),
    value_limit: ValueLimit = DEFAULT_VALUE_LIMIT,
    log_output: bool = False,
    project_root: Path | None = None,
    sweep_id: str | None = None,
) -> SweepPlan:
    """Validate every parameter set before anything runs; ``sweep_id`` defaults to a new id.

    ``base_values`` are typed values every set starts from (its own values win);
    ``kernel``, the timeouts, ``inputs`` and ``value_limit`` are as `prepare`'s, the same
    for every run; ``log_output`` copies each run's cell output to its worker's own.

    Raises
    ------
    InvalidInput
        A set does not validate; the message names the set and what was wrong, and
        nothing is run.
    NotFound
        The notebook does not exist.
    """
    sweep_id = sweep_id or new_run_id()
    check_notebook_kernel(notebook, kernel)
    tasks = []
    for index, point in enumerate(points, start=1):
        try:
            job = prepare(
                notebook,
                {**(base_values or {}), **point.values},
                text_values=point.text_values,
                kernel=kernel,
                timeout=timeout,
                timeout_run=timeout_run,
                inputs=inputs,
                value_limit=value_limit,
                project_root=project_root,
            )
        except InvalidInput as exc:
            spec = declared_parameters(notebook)
            shown = f" ({point.describe(spec)})" if spec is not None else ""
            raise InvalidInput(
                f"Set {index} of {len(points)}{shown} is invalid, so the sweep "
                f"was not started: {exc.message}",
                exc.problems,
            ) from None
        tasks.append(Task(job=job, run_id=new_run_id(), sweep_id=sweep_id, log_output=log_output))
    if not tasks:
        raise InvalidInput("The sweep has no parameter sets: give -p NAME V1,V2 or --grid FILE")
    return SweepPlan(id=sweep_id, notebook=tasks[0].job.notebook, tasks=tasks)


def declared_parameters(notebook: str | os.PathLike[str]) -> ParameterSet | None:
    """The parameters the notebook declares, which say which values are secret.

    None when the notebook cannot be read; then no message shows any value given for it.
    """
    try:
        return read_parameters(notebook)
    except GreenhouseError:
        return None


class Backend(Protocol):
    """Where a sweep's runs execute: local worker processes or a Dask cluster."""

    workers: int

    def submit(self, task: Task) -> Any: ...

    def wait(self, handles: Iterable[Any], timeout: float) -> list[tuple[Any, Any]]:
        """Handles that finished, each with its result or the exception it raised."""
        ...

    def cancel(self) -> None:
        """Stop every run in flight (its kernel is killed) and every run not started."""
        ...

    def close(self) -> None: ...


Progress = Callable[[Run | None, dict[str, int]], None]
"""Called with a run that has just been stored (or None for a tick) and the counts."""


def run_sweep(
    plan: SweepPlan,
    backend: Backend,
    store: Store,
    *,
    retries: int = 0,
    on_progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SweepResult:
    """Run every task of ``plan`` on ``backend``, recording each run in ``store``.

    Every run is recorded ``queued`` (under this process) before any starts, ``running``
    when it is handed to a worker (never more at once than the backend has workers), and
    finished when its worker hands it back. A failed run does not stop the others, nor
    does a failure to store one: that run is recorded as failed with the reason, named in
    `SweepResult.unstored`, and the sweep goes on. A run that ends through an
    infrastructure fault (a dead kernel, a lost worker) is run again, up to ``retries``
    more times; a notebook's own exception never is. Ctrl-C (or setting ``cancel``)
    cancels the sweep: runs in flight end as ``cancelled``, runs not started are recorded
    as cancelled before they started, and no kernel is left behind.

    Raises
    ------
    InvalidInput
        ``retries`` is not between 0 and `RETRIES_MAX`.
    Conflict
        A run of the plan is recorded already; nothing was run.
    """
    check_retries(retries)
    _record_queued(plan, store)
    sweep = _Sweep(plan, backend, store, retries, on_progress)
    cancelled_at = 0.0
    while sweep.waiting or sweep.pending:
        if cancel is not None and cancel.is_set() and not sweep.result.cancelled:
            sweep.cancel()
            cancelled_at = time.monotonic()
        if sweep.result.cancelled and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
            sweep.give_up()
            break
        sweep.start_waiting()
        try:
            finished = backend.wait(list(sweep.pending), timeout=0.5)
        except KeyboardInterrupt:
            if sweep.result.cancelled:
                raise
            sweep.cancel()
            cancelled_at = time.monotonic()
            continue
        for handle, outcome in finished:
            sweep.finish(sweep.pending.pop(handle), outcome)
        if not finished:
            sweep.report(None)
    order = {t.run_id: i for i, t in enumerate(plan.tasks)}
    sweep.result.runs.sort(key=lambda r: order.get(r.id, 0))
    return sweep.result


def check_retries(retries: int) -> None:
    """Refuse a number of retries outside ``0..RETRIES_MAX``.

    Raises
    ------
    InvalidInput
        The message names the limit.
    """
    if not 0 <= retries <= RETRIES_MAX:
        raise InvalidInput(f"retries must be between 0 and {RETRIES_MAX}, got {retries}")


class _Sweep:
    """The state of a running sweep: runs waiting for a worker, runs in flight, the result."""

    def __init__(
        self,
        plan: SweepPlan,
        backend: Backend,
        store: Store,
        retries: int,
        on_progress: Progress | None,
    ) -> None:
        self.backend = backend
        self.store = store
        self.retries = retries
        self.on_progress = on_progress
        self.result = SweepResult(id=plan.id)
        self.waiting: deque[Task] = deque(plan.tasks)
        self.pending: dict[Any, Task] = {}
        self.counts = {"done": 0, "failed": 0, "running": 0, "remaining": len(plan.tasks)}
        self.report(None)

    def report(self, run: Run | None) -> None:
        self.counts["running"] = len(self.pending)
        self.counts["remaining"] = len(self.waiting)
        if self.on_progress is not None:
            self.on_progress(run, self.counts)

    def start_waiting(self) -> None:
        """Hand waiting runs to the backend while it has a worker free, recording each running."""
        while self.waiting and len(self.pending) < self.backend.workers:
            task = self.waiting.popleft()
            self._write(sweep_record(task, RunStatus.RUNNING))
            self.pending[self.backend.submit(task)] = task

    def finish(self, task: Task, outcome: Any) -> None:
        """Record what came back for ``task``, or hand it back to the queue for a retry."""
        execution = _settle(task, outcome, self.retries, self.result.cancelled)
        if execution == _RETRY:
            self.waiting.appendleft(dataclasses.replace(task, attempt=task.attempt + 1))
            return
        if not isinstance(execution, Execution):
            self._not_started(task)
            return
        run = self._save(execution)
        self.result.runs.append(run)
        self.counts["done" if run.status is RunStatus.SUCCEEDED else "failed"] += 1
        self.report(run)

    def cancel(self) -> None:
        """Stop the runs in flight and record the waiting ones as never started."""
        self.result.cancelled = True
        self.backend.cancel()
        while self.waiting:
            self._not_started(self.waiting.popleft())

    def give_up(self) -> None:
        """Record the runs no worker reported after a cancellation as cancelled."""
        for task in self.pending.values():
            reason = "cancelled; no worker reported on it after the sweep was cancelled"
            run = lost_run(task, reason, RunStatus.CANCELLED).run
            self._write(run)
            self.result.runs.append(run)

    def _not_started(self, task: Task) -> None:
        run = lost_run(task, NOT_STARTED, RunStatus.CANCELLED).run
        self._write(run)
        self.result.runs.append(run)
        self.result.not_started += 1

    def _save(self, execution: Execution) -> Run:
        """Store a finished run; when that fails, its record says why and the sweep goes on."""
        run = execution.run
        try:
            return self.store.save_execution(execution)
        except StoreUnavailable as exc:
            # The store has recorded the run as failed, saying why, where it still could.
            self.result.unstored[run.id] = exc.message
            return unsaved_record(run, exc.message)
        except Conflict:
            return self.store.get_run(run.id)

    def _write(self, run: Run) -> None:
        """Record ``run`` unless it has finished; a store that fails is noted, the sweep goes on."""
        try:
            self.store.save_run(run)
        except StoreUnavailable as exc:
            self.result.unstored.setdefault(run.id, exc.message)


def _record_queued(plan: SweepPlan, store: Store) -> None:
    """Record every run of ``plan`` as queued by this process, or none of them.

    Raises
    ------
    Conflict
        A run with one of the plan's ids is recorded already.
    StoreUnavailable
        The store failed; the runs recorded so far are recorded as never started.
    """
    recorded: list[Task] = []
    try:
        for task in plan.tasks:
            if not store.save_run(sweep_record(task, RunStatus.QUEUED), replaces=()):
                raise Conflict(
                    f"A run with id {task.run_id} exists already: the sweep was not started"
                )
            recorded.append(task)
    except BaseException:
        reason = "not started: the sweep could not record all of its runs"
        for task in recorded:
            with contextlib.suppress(StoreUnavailable):
                store.save_run(lost_run(task, reason, RunStatus.CANCELLED).run)
        raise


_RETRY = "retry"
NOT_STARTED = "not started: the sweep was cancelled first"
"""The reason recorded for a run of a cancelled sweep that never reached a worker."""


def _settle(task: Task, outcome: Any, retries: int, cancelled: bool) -> Execution | str | None:
    """The execution to store for a finished task; ``_RETRY``; or None if it never ran."""
    can_retry = task.attempt <= retries and not cancelled
    if isinstance(outcome, Execution):
        error = outcome.run.error
        if can_retry and error is not None and error.reason.startswith(INFRASTRUCTURE_FAULTS):
            return _RETRY
        outcome.run.sweep_id = task.sweep_id
        return outcome
    if outcome is None or isinstance(outcome, concurrent.futures.CancelledError):
        return None
    if can_retry:
        return _RETRY
    if cancelled:
        return lost_run(task, "cancelled", RunStatus.CANCELLED)
    return lost_run(task, f"the worker running it was lost: {type(outcome).__name__}: {outcome}")


def lost_run(task: Task, reason: str, status: RunStatus = RunStatus.FAILED) -> Execution:
    """The record of a run whose worker ended before handing anything back."""
    run = sweep_record(task, status)
    run.finished_at = run.created_at
    run.error = RunError(reason=reason)
    return Execution(run=run, source=task.job.source)


def sweep_record(task: Task, status: RunStatus) -> Run:
    """A record of ``task`` written by the sweep process, which it names (pid, identity).

    A run left queued or running by a sweep process that has gone is so found by the
    orphan check.
    """
    job = task.job
    return Run(
        id=task.run_id,
        notebook=job.notebook,
        status=status,
        parameters=mask_secrets(job.spec, job.parameters),
        created_at=now(),
        started_at=now() if status is RunStatus.RUNNING else None,
        pid=os.getpid(),
        identity=identity.current(),
        sweep_id=task.sweep_id,
        timeout=job.timeout,
        timeout_run=job.timeout_run,
    )
