"""Sweeps: one notebook run once per parameter set, on local worker processes or a Dask cluster.

Workers execute runs and hand back each run's record, executed notebook and captured
files; the caller (one process) writes them to its store, tagged with the sweep's id.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import GreenhouseError, InvalidInput, NotFound
from ..models import Execution, ParameterSet, Run, RunError, RunStatus, new_run_id, now
from ..parameters import ParameterPoint, mask_secrets, read_parameters
from ..store import Store
from .execute import Job, prepare

CANCEL_GRACE_S = 60.0
"""How long a cancelled sweep waits for its runs in flight to report that they stopped."""
INFRASTRUCTURE_FAULTS = ("kernel died",)
"""Failure reasons that retries cover: the machinery broke, not the notebook."""


@dataclass
class Task:
    """One run of a sweep: its job, its id and which attempt this is."""

    job: Job
    run_id: str
    sweep_id: str
    attempt: int = 1


@dataclass
class SweepPlan:
    """A validated sweep: one job per parameter set, nothing run yet."""

    id: str
    notebook: str
    tasks: list[Task]


@dataclass
class SweepResult:
    """What a sweep did: the stored runs, and how many never started because it was cancelled."""

    id: str
    runs: list[Run] = field(default_factory=list)
    not_started: int = 0
    cancelled: bool = False

    @property
    def failed(self) -> list[Run]:
        return [r for r in self.runs if r.status is not RunStatus.SUCCEEDED]


def plan_sweep(
    notebook: str | os.PathLike[str],
    points: Sequence[ParameterPoint],
    *,
    kernel: str | None = None,
    timeout: float | None = None,
    timeout_run: float | None = None,
    project_root: Path | None = None,
    sweep_id: str | None = None,
) -> SweepPlan:
    """Validate every parameter set before anything runs; ``sweep_id`` defaults to a new id.

    Raises
    ------
    InvalidInput
        A set does not validate; the message names the set and what was wrong, and
        nothing is run.
    NotFound
        The notebook does not exist.
    """
    sweep_id = sweep_id or new_run_id()
    tasks = []
    for index, point in enumerate(points, start=1):
        try:
            job = prepare(
                notebook,
                point.values,
                text_values=point.text_values,
                kernel=kernel,
                timeout=timeout,
                timeout_run=timeout_run,
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
        tasks.append(Task(job=job, run_id=new_run_id(), sweep_id=sweep_id))
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
    save: Callable[[Execution], Run],
    *,
    retries: int = 0,
    on_progress: Progress | None = None,
) -> SweepResult:
    """Run every task of ``plan`` on ``backend``, storing each run through ``save``.

    A failed run does not stop the others. A run that ends through an infrastructure
    fault (a dead kernel, a lost worker) is run again, up to ``retries`` more times;
    a notebook's own exception never is. Ctrl-C cancels the sweep: runs in flight end
    as ``cancelled``, runs not started are not run, and no kernel is left behind.
    """
    result = SweepResult(id=plan.id)
    pending: dict[Any, Task] = {backend.submit(task): task for task in plan.tasks}
    counts = {"done": 0, "failed": 0, "running": 0, "remaining": len(plan.tasks)}

    def report(run: Run | None) -> None:
        counts["running"] = min(len(pending), backend.workers)
        counts["remaining"] = len(pending) - counts["running"]
        if on_progress is not None:
            on_progress(run, counts)

    report(None)
    cancelled_at = 0.0
    while pending:
        if result.cancelled and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
            _give_up(pending.values(), save, result)
            break
        try:
            finished = backend.wait(list(pending), timeout=0.5)
        except KeyboardInterrupt:
            if result.cancelled:
                raise
            result.cancelled = True
            cancelled_at = time.monotonic()
            backend.cancel()
            continue
        for handle, outcome in finished:
            task = pending.pop(handle)
            execution = _settle(task, outcome, retries, result.cancelled)
            if execution == _RETRY:
                retry = dataclasses.replace(task, attempt=task.attempt + 1)
                pending[backend.submit(retry)] = retry
                continue
            if not isinstance(execution, Execution):
                result.not_started += 1
                continue
            run = save(execution)
            result.runs.append(run)
            counts["done" if run.status is RunStatus.SUCCEEDED else "failed"] += 1
            report(run)
        if not finished:
            report(None)
    order = {t.run_id: i for i, t in enumerate(plan.tasks)}
    result.runs.sort(key=lambda r: order.get(r.id, 0))
    return result


def _give_up(tasks: Iterable[Task], save: Callable[[Execution], Run], result: SweepResult) -> None:
    """Record the runs no worker reported after a cancellation as cancelled, and stop."""
    for task in tasks:
        reason = "cancelled; no worker reported on it after the sweep was cancelled"
        result.runs.append(save(lost_run(task, reason, RunStatus.CANCELLED)))


_RETRY = "retry"


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
    job = task.job
    run = Run(
        id=task.run_id,
        notebook=job.notebook,
        status=status,
        parameters=mask_secrets(job.spec, job.parameters),
        created_at=now(),
        finished_at=now(),
        error=RunError(reason=reason),
        sweep_id=task.sweep_id,
    )
    return Execution(run=run, source=job.source)


ERROR_CELL_CHARS = 80
"""How much of a failed run's error the results table shows; `greenhouse show` has it all."""


def sorted_runs(runs: Sequence[Run], sort: str | None) -> list[Run]:
    """``runs`` sorted by ``sort``: a parameter or metric (or ``status``/``duration``).

    Prefix ``-`` for descending; runs without that value come last. No ``sort`` keeps
    the order given.

    Raises
    ------
    InvalidInput
        ``sort`` names no parameter, metric, ``status`` or ``duration`` of the runs.
    """
    rows = list(runs)
    if not sort:
        return rows
    key = sort.lstrip("-")
    columns = [*_ordered_keys(r.parameters for r in runs), *_ordered_keys(r.metrics for r in runs)]
    if key not in {*columns, "status", "duration"}:
        choices = ", ".join([*columns, "status", "duration"])
        raise InvalidInput(f"--sort {sort!r} names no column; sort by one of: {choices}")
    present = [r for r in rows if _sort_value(r, key) is not None]
    absent = [r for r in rows if _sort_value(r, key) is None]
    present.sort(key=lambda r: _comparable(_sort_value(r, key)), reverse=sort.startswith("-"))
    return present + absent


def results_table(
    runs: Sequence[Run], sort: str | None = None
) -> tuple[list[str], list[list[str]]]:
    """A sweep's runs as a table: id, status, every parameter, every metric.

    When a run did not succeed, a last column ``ERROR`` says why (the exception and its
    message, or the reason). The rows are in the order of `sorted_runs`.

    Raises
    ------
    InvalidInput
        ``sort`` names no column of the table.
    """
    names = _ordered_keys(r.parameters for r in runs)
    metrics = _ordered_keys(r.metrics for r in runs)
    errors = any(r.error is not None for r in runs)
    header = ["RUN", "STATUS", *names, *metrics, *(["ERROR"] if errors else [])]
    table = [
        [
            r.id,
            r.status.value,
            *(_cell(r.parameters.get(n, "")) for n in names),
            *(_cell(r.metrics.get(m, "-")) for m in metrics),
            *([_error_cell(r)] if errors else []),
        ]
        for r in sorted_runs(runs, sort)
    ]
    return header, table


def _ordered_keys(mappings: Iterable[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for mapping in mappings:
        keys.update(dict.fromkeys(mapping))
    return list(keys)


def _sort_value(run: Run, key: str) -> Any:
    if key == "status":
        return run.status.value
    if key == "duration":
        return run.duration_s
    if key in run.metrics:
        return run.metrics[key]
    return run.parameters.get(key)


def _comparable(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return (1, str(value))
    return (0, value)


def _error_cell(run: Run) -> str:
    if run.error is None:
        return "-"
    if run.error.ename is None:
        return run.error.reason
    text = f"{run.error.ename}: {run.error.evalue or ''}".strip()
    return text if len(text) <= ERROR_CELL_CHARS else text[: ERROR_CELL_CHARS - 1] + "…"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return value if isinstance(value, str) else repr(value)


def sweep_runs(store: Store, sweep_id: str) -> list[Run]:
    """The runs of a sweep, oldest first.

    Raises
    ------
    NotFound
        The store holds no run of that sweep.
    """
    runs = store.list_runs(sweep=sweep_id, oldest_first=True)
    if not runs:
        raise _no_sweep(store, sweep_id)
    return runs


def sweep_page(
    store: Store, sweep_id: str, offset: int, limit: int, *, active: bool = False
) -> tuple[int, list[Run]]:
    """How many runs a sweep has, and ``limit`` of them from ``offset``, oldest first.

    Raises
    ------
    NotFound
        The store holds no run of that sweep, and it is not ``active``.
    """
    total = store.count_runs(sweep=sweep_id)
    if not total and not active:
        raise _no_sweep(store, sweep_id)
    return total, store.list_runs(sweep=sweep_id, limit=limit, offset=offset, oldest_first=True)


def _no_sweep(store: Store, sweep_id: str) -> NotFound:
    return NotFound(
        f"No runs of sweep {sweep_id!r} in the store at {store.root}; "
        "`greenhouse sweep` prints the id of each sweep it starts"
    )


def side_by_side(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]]:
    """A sweep's parameters and metrics as rows, one column per run."""
    header = ["", *(r.id for r in runs)]
    rows = [["status", *(r.status.value for r in runs)]]
    for name in _ordered_keys(r.parameters for r in runs):
        rows.append([name, *(_cell(r.parameters.get(name, "-")) for r in runs)])
    for name in _ordered_keys(r.metrics for r in runs):
        rows.append([name, *(_cell(r.metrics.get(name, "-")) for r in runs)])
    return header, rows
