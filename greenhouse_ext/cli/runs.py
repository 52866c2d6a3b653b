"""Commands about runs: ``run``, ``show``, ``runs`` and ``open``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import InvalidInput
from ..parameters import DEFAULT_MAX_VALUE_BYTES, ValueLimit
from .cancellation import EXIT_CANCELLED, Cancellation
from .group import (
    cli,
    kernel_option,
    open_store,
    print_json,
    print_table,
    store_root,
    timeout_option,
    timeout_run_option,
)

if TYPE_CHECKING:
    from ..execution import Job
    from ..models import Run
    from ..store import Store

MAX_VALUE_BYTES_ENV = "GREENHOUSE_MAX_VALUE_BYTES"
METRICS_COLUMN_CHARS = 40


def _read_values_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle) if path.endswith(".json") else yaml.safe_load(handle)
    except OSError as exc:
        raise InvalidInput(f"Cannot read parameters file {path!r}: {exc.strerror}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"Parameters file {path!r} is not valid JSON/YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput(
            f"Parameters file {path!r} must hold a mapping of names to values, "
            f"not a {type(data).__name__}"
        )
    return data


@cli.command("run")
@click.argument("notebook", metavar="NOTEBOOK|NAME[@N|@ALIAS]")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="Set a parameter (repeatable); VALUE is converted to the declared type.",
)
@click.option(
    "-f",
    "--parameters-file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A YAML or JSON file of parameter values (repeatable; later wins, -p wins over all).",
)
@timeout_option
@timeout_run_option
@kernel_option
@click.option(
    "--max-value-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_VALUE_BYTES,
    show_default=True,
    envvar=MAX_VALUE_BYTES_ENV,
    help=f"The largest parameter value accepted, in bytes (also ${MAX_VALUE_BYTES_ENV}).",
)
@click.option(
    "--input",
    "inputs",
    multiple=True,
    help="A data file the run reads (repeatable); its sha256 is recorded. "
    "Relative to the notebook's folder. A version's own inputs are read again anyway.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run record as JSON on stdout.")
@click.option(
    "--log-output", is_flag=True, help="Copy the cells' stdout and stderr to this terminal."
)
@click.option("--run-id", hidden=True, help="Use this id (given by a server that queued the run).")
@click.pass_context
def run_command(
    ctx: click.Context,
    notebook: str,
    parameters: tuple[tuple[str, str], ...],
    files: tuple[str, ...],
    timeout: float | None,
    timeout_run: float | None,
    kernel: str | None,
    max_value_bytes: int,
    inputs: tuple[str, ...],
    as_json: bool,
    log_output: bool,
    run_id: str | None,
) -> None:
    """Run NOTEBOOK, or a published version, with validated parameters; record everything.

    \b
    NOTEBOOK is a file when it ends in .ipynb or holds a path separator; anything else
    names a published version: NAME@N, NAME@ALIAS or NAME (its latest version), even
    when a file of that name exists (write ./NAME to run the file). A version runs its
    own stored notebook, not the working copy: its recorded parameter values are the
    defaults, which -p and -f override (checked against that version's parameters);
    its declared inputs are read and hashed again; its secret parameters must be given
    again with -p. The run records the version it ran (`greenhouse show`, `runs --from`).
    """
    from ..execution import execute, names_file, prepare
    from ..execution.kernels import warm_up
    from ..store import LiveRecord

    file_values: dict[str, Any] = {}
    for path in files:
        file_values.update(_read_values_file(path))
    options: dict[str, Any] = {
        "text_values": dict(parameters),
        "kernel": kernel,
        "timeout": timeout,
        "timeout_run": timeout_run,
        "inputs": inputs,
        "value_limit": ValueLimit(
            max_value_bytes, f"--max-value-bytes (or ${MAX_VALUE_BYTES_ENV})"
        ),
    }
    if names_file(notebook):
        job = prepare(notebook, file_values, project_root=store_root(ctx).parent, **options)
        store = open_store(ctx)
    else:
        store = open_store(ctx)
        job = _prepare_version(store, notebook, file_values, options)
    warm_up(job.kernel or job.kernel_spec_name)
    # On a terminal papermill's progress bar shows; elsewhere a line per cell.
    echo = not (sys.stderr.isatty() and not as_json)
    live = LiveRecord(store, on_progress=_echo_cell if echo else None)
    cancellation = Cancellation()
    with cancellation.handled():
        execution = execute(
            job,
            run_id=run_id,
            on_start=live.started,
            on_progress=cancellation.watching(live.progressed),
            progress_bar=not echo,
            log_output=log_output,
        )
        run = store.save_execution(execution)
    if as_json:
        print_json(run.to_dict())
    else:
        _print_summary(run, store)
    if run.status.value == "cancelled":
        ctx.exit(EXIT_CANCELLED)
    if run.status.value != "succeeded":
        ctx.exit(1)


def _prepare_version(
    store: Store, ref: str, values: dict[str, Any], options: dict[str, Any]
) -> Job:
    """`prepare_version`, saying how to run a file of the same name when ``ref`` names none."""
    from ..errors import NotFound
    from ..execution import prepare_version

    try:
        return prepare_version(store, ref, values, **options)
    except NotFound as exc:
        if not Path(ref).is_file():
            raise
        raise NotFound(f"{exc.message}; to run the file {ref!r}, write ./{ref}") from None


def _print_summary(run: Run, store: Store) -> None:
    from ..display import show_values
    from ..models import SUMMARY_VALUE_CHARS

    duration = f" in {run.duration_s:.2f}s" if run.duration_s is not None else ""
    click.echo(f"run {run.id} {run.status.value}{duration}")
    click.echo(f"  notebook    {run.notebook}")
    if run.from_version is not None:
        click.echo(f"  version     {run.from_version.ref}")
    if run.parameters:
        click.echo(f"  parameters  {show_values(run.parameters, SUMMARY_VALUE_CHARS)}")
    if run.metrics:
        click.echo(f"  metrics     {show_values(run.metrics, SUMMARY_VALUE_CHARS)}")
    if run.error is not None:
        error = run.error
        where = f" in cell {error.cell_index + 1}" if error.cell_index is not None else ""
        what = f": {error.ename}: {error.evalue}" if error.ename is not None else ""
        click.echo(f"  error       {error.reason}{where}{what}")
    if run.output_object:
        click.echo(f"  executed    {_checkout(store, run, source=False)}")


@cli.command("show")
@click.argument("run_id", metavar="RUN")
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON.")
@click.pass_context
def show_command(ctx: click.Context, run_id: str, as_json: bool) -> None:
    """Show the record of RUN: a run id, a unique prefix of one, or NAME@N, NAME@ALIAS or
    NAME for the run a version was published from."""
    from ..store import find_run

    store = open_store(ctx, reading=True)
    run = find_run(store, run_id)
    if as_json:
        print_json(run.to_dict())
        return
    _print_summary(run, store)
    click.echo(f"  created     {run.created_at}")
    click.echo(f"  finished    {run.finished_at or '-'}")
    prov = run.provenance
    if prov is None:
        return
    git = prov.git
    click.echo(f"  kernel      {prov.kernel} (Python {prov.python})")
    click.echo(f"  source      sha256:{prov.source_sha256}")
    click.echo(f"  packages    {len(prov.packages)} (sha256:{prov.packages_sha256[:16]})")
    if git:
        dirty = " (dirty)" if git["dirty"] else ""
        click.echo(f"  git         {git['commit'][:12]} on {git['branch'] or '-'}{dirty}")
    click.echo(f"  host        {prov.user}@{prov.host}")
    for item in prov.inputs:
        click.echo(f"  input       {item.path} sha256:{item.sha256[:16]} {item.size} B")
    for entry in run.files:
        click.echo(f"  file        {entry.name} sha256:{entry.sha256[:16]} {entry.size} B")


@cli.command("runs")
@click.option(
    "--notebook",
    metavar="PATH",
    help="Only runs of this notebook (relative to the working directory).",
)
@click.option(
    "--status",
    type=click.Choice(["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]),
    help="Only runs with this status.",
)
@click.option("--user", help="Only runs made by this user (as `greenhouse show` names them).")
@click.option(
    "--from",
    "from_ref",
    metavar="NAME[@N|@ALIAS]",
    help="Only runs of a published version: NAME@N, NAME@ALIAS (the version it points at "
    "now) or NAME (any of its versions).",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of run summaries: long values cut and named under 'truncated'; "
    "`greenhouse show RUN --json` gives the full record.",
)
@click.option(
    "--check-orphans",
    is_flag=True,
    help="First mark this machine's queued or running runs whose process has gone as "
    "interrupted (listing alone never changes a record).",
)
@click.option(
    "--sweep",
    "sweep_id",
    metavar="ID",
    help="The runs of sweep ID (or a unique prefix of it) as its results table.",
)
@click.option("--sort", metavar="NAME", help="With --sweep: sort by this metric or parameter.")
@click.pass_context
def runs_command(
    ctx: click.Context,
    notebook: str | None,
    status: str | None,
    user: str | None,
    from_ref: str | None,
    limit: int,
    as_json: bool,
    sweep_id: str | None,
    sort: str | None,
    check_orphans: bool,
) -> None:
    """List runs, newest first."""
    from ..display import show_values
    from ..models import RunStatus
    from ..store import find_notebook

    store = open_store(ctx, reading=True)
    if check_orphans:
        for run_id in store.mark_interrupted():
            click.echo(f"greenhouse: run {run_id} lost its process: now interrupted", err=True)
    if sweep_id is not None:
        from ..execution import results_table, sorted_runs, sweep_runs

        runs = sorted_runs(sweep_runs(store, sweep_id), sort)
        if as_json:
            print_json([r.to_dict() for r in runs])
        else:
            print_table(*results_table(runs))
        return
    label = find_notebook(store, notebook) if notebook else None
    wanted = None
    if from_ref:
        from ..execution import version_filter

        wanted = version_filter(store, from_ref)
    runs = store.list_runs(
        label, RunStatus(status) if status else None, limit, user=user, from_version=wanted
    )
    if as_json:
        print_json([r.to_summary() for r in runs])
        return
    rows = [
        (
            r.id,
            r.status.value,
            r.provenance.user if r.provenance else "-",
            r.created_at[:19].replace("T", " "),
            f"{r.duration_s:.1f}s" if r.duration_s is not None else "-",
            r.notebook,
            show_values(r.metrics, METRICS_COLUMN_CHARS),
        )
        for r in runs
    ]
    print_table(("ID", "STATUS", "USER", "CREATED (UTC)", "TIME", "NOTEBOOK", "METRICS"), rows)


@cli.command("open")
@click.argument("run_id", metavar="RUN")
@click.option("--source", is_flag=True, help="The source notebook instead of the executed one.")
@click.pass_context
def open_command(ctx: click.Context, run_id: str, source: bool) -> None:
    """Print the path of RUN's executed notebook (a copy; the store is never edited).

    RUN is a run id, a unique prefix of one, or NAME@N, NAME@ALIAS or NAME (its run)."""
    from ..store import find_run

    store = open_store(ctx, reading=True)
    click.echo(str(_checkout(store, find_run(store, run_id), source=source)))


def _checkout(store: Store, run: Run, *, source: bool) -> Path:
    from ..errors import NotFound

    digest = run.source_object if source else run.output_object
    if digest is None:
        raise NotFound(f"Run {run.id} has no {'source' if source else 'executed'} notebook")
    return store.checkout(digest, f"{run.id}.{'source' if source else 'output'}.ipynb")


def _echo_cell(done: int, total: int, current: int | None) -> None:
    if current is not None:
        click.echo(f"greenhouse: cell {current + 1}/{total}", err=True)
