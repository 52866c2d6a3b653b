"""The ``sweep`` command: one notebook run once per parameter set, on local workers or Dask."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from ..errors import InvalidInput, StoreUnavailable
from ..parameters import DEFAULT_MAX_SWEEP_RUNS
from .cancellation import EXIT_CANCELLED, cancel_event
from .group import (
    ExecutionOptions,
    cli,
    execution_options,
    open_store,
    print_json,
    print_table,
    store_root,
)

if TYPE_CHECKING:
    from ..execution import Backend, SweepResult
    from ..models import Run
    from ..parameters import ParameterPoint

MAX_SWEEP_RUNS_ENV = "GREENHOUSE_MAX_SWEEP_RUNS"


@cli.command("sweep")
@click.argument("notebook", type=click.Path(dir_okay=False))
@execution_options(
    "NAME V1,V2,...",
    "Values of one parameter, separated by commas (repeatable); the sweep runs every "
    "combination. A value that itself holds a comma must be given in a --grid file.",
    example="10,20",
)
@click.option(
    "--grid",
    type=click.Path(dir_okay=False),
    help="A YAML or JSON file of parameter sets: `product: {NAME: [V1, V2], ...}` for every "
    "combination, or `runs: [{NAME: V, ...}, ...]` for an explicit list; - reads it "
    "as JSON from stdin.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Runs at a time on this machine (worker processes; with --dask local, Dask workers).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS|local",
    help="Run on the Dask cluster at ADDRESS (tcp://host:8786), or on a local one started "
    "for the sweep. Needs greenhouse_ext[dask].",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Re-run a run this many times (at most 10) after an infrastructure fault (a dead "
    "kernel, a lost worker); never after the notebook's own exception.",
)
@click.option(
    "--sort",
    metavar="NAME",
    help="Sort the results by this metric or parameter (prefix - for descending).",
)
@click.option(
    "--max-runs",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_SWEEP_RUNS,
    show_default=True,
    envvar=MAX_SWEEP_RUNS_ENV,
    help="The most runs the sweep may make, counted before any parameter set is built "
    f"(also ${MAX_SWEEP_RUNS_ENV}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print {sweep, runs: [records]} as JSON.")
@click.option("--sweep-id", hidden=True, help="Use this id (given by a server that started it).")
@click.pass_context
def sweep_command(
    ctx: click.Context,
    notebook: str,
    execution: ExecutionOptions,
    grid: str | None,
    workers: int,
    dask_address: str | None,
    retries: int,
    sort: str | None,
    max_runs: int,
    as_json: bool,
    sweep_id: str | None,
) -> None:
    """Run NOTEBOOK once per parameter set and show every run's parameters and metrics.

    Every set is validated before the first run starts; one bad set rejects the sweep
    (exit 2). The values of -f files apply to every set; -p and --grid values win.
    Each run is an ordinary run in the store, tagged with the sweep's id (`greenhouse
    runs --sweep ID` shows the table again), recorded as queued when the sweep starts.
    With --log-output, each worker copies its cells' output to its own (Dask workers:
    to their logs). Ctrl-C or SIGTERM cancels the sweep.

    \b
    Exit status: 0 when every run succeeded; 1 when any failed; 2 for bad input;
    3 when a run's outcome could not be stored (the other runs are); 130 when cancelled.
    """
    from ..execution import (
        check_retries,
        plan_sweep,
        results_table,
        run_sweep,
        sorted_runs,
    )

    check_retries(retries)

    if bool(execution.parameters) == bool(grid):
        raise InvalidInput("Give the sweep's values either as -p NAME V1,V2 or as --grid FILE")
    execution.use_kernel_start()
    root = store_root(ctx)
    plan = plan_sweep(
        notebook,
        _points(notebook, execution.parameters, grid, max_runs),
        base_values=execution.file_values(),
        kernel=execution.kernel,
        timeout=execution.timeout,
        timeout_run=execution.timeout_run,
        inputs=execution.inputs,
        value_limit=execution.value_limit,
        log_output=execution.log_output,
        project_root=root.parent,
        sweep_id=sweep_id,
    )
    execution.check_cell(plan.tasks[0].job.spec)
    store = open_store(ctx)
    cancel = cancel_event()
    backend = _backend(dask_address, workers, execution.kernel)
    if not as_json:
        size = len(plan.tasks)
        runs = "run" if size == 1 else "runs"
        click.echo(f"sweep {plan.id}: {size} {runs} of {plan.notebook}", err=True)
    bar = _ProgressBar(len(plan.tasks))
    try:
        result = run_sweep(
            plan,
            backend,
            store,
            retries=retries,
            on_progress=bar.update,
            cancel=cancel,
        )
    finally:
        bar.close()
        backend.close()
    try:
        shown = sorted_runs(result.runs, sort)
    except InvalidInput as exc:
        click.echo(f"warning: {exc.message}; the runs are not sorted", err=True)
        shown = list(result.runs)
    if as_json:
        print_json({"sweep": result.id, "runs": [r.to_dict() for r in shown]})
    else:
        print_table(*results_table(shown))
        _print_outcome(result)
    if result.unstored:
        _print_unstored(result.unstored)
    if result.cancelled:
        ctx.exit(EXIT_CANCELLED)
    if result.unstored:
        ctx.exit(StoreUnavailable.exit_code)
    if result.failed:
        ctx.exit(1)


def _print_unstored(unstored: dict[str, str]) -> None:
    runs = "run" if len(unstored) == 1 else "runs"
    click.echo(
        f"error: the store failed for {len(unstored)} {runs} of the sweep (each recorded as "
        "failed, saying why, where the index could still be written); the others are recorded:",
        err=True,
    )
    for run_id, reason in unstored.items():
        click.echo(f"  - run {run_id}: {reason}", err=True)


def _points(
    notebook: str, parameters: tuple[tuple[str, str], ...], grid: str | None, max_runs: int
) -> list[ParameterPoint]:
    """The sweep's sets from ``-p`` values or a grid file (``-`` for stdin), within the limit."""
    from ..execution import declared_parameters
    from ..parameters import GridLimit, product_of_text, read_grid, read_grid_file

    spec = declared_parameters(notebook)
    limit = GridLimit(max_runs, f"--max-runs (or ${MAX_SWEEP_RUNS_ENV})")
    if parameters:
        return product_of_text(parameters, spec, limit)
    if grid == "-":
        return read_grid(_read_stdin_json(), "the grid on stdin", spec, limit)
    return read_grid_file(str(grid), spec, limit)


def _read_stdin_json() -> Any:
    try:
        return json.load(sys.stdin)
    except ValueError as exc:
        raise InvalidInput(f"The grid on stdin is not valid JSON: {exc}") from None


def _backend(dask_address: str | None, workers: int, kernel: str | None) -> Backend:
    if dask_address:
        from ..execution.cluster import DaskBackend

        return DaskBackend(dask_address, workers, kernel)
    from ..execution.workers import LocalBackend

    return LocalBackend(workers, kernel)


def _print_outcome(result: SweepResult) -> None:
    statuses = [run.status.value for run in result.runs]
    summary = f"sweep {result.id}: " + ", ".join(
        f"{statuses.count(status)} {status}"
        for status in ("succeeded", "failed", "cancelled")
        if status != "cancelled" or status in statuses
    )
    if result.cancelled:
        summary += f"; the sweep was cancelled ({result.not_started} of them not started)"
    click.echo(summary, err=True)


class _ProgressBar:
    """One bar for the whole sweep on a terminal; a line per finished run elsewhere."""

    def __init__(self, total: int) -> None:
        self.bar: Any = None
        if sys.stderr.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True)

    def update(self, run: Run | None, counts: dict[str, int]) -> None:
        if self.bar is not None:
            self.bar.set_postfix(counts, refresh=False)
            self.bar.update(1 if run is not None else 0)
            self.bar.refresh()
        elif run is not None:
            click.echo(
                f"greenhouse: run {run.id} {run.status.value} "
                f"({counts['done']} done, {counts['failed']} failed, "
                f"{counts['running']} running, {counts['remaining']} remaining)",
                err=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
