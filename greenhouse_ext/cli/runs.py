"""Commands about one run: ``run``, ``show`` and ``open`` (`listing` lists them)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cancellation import EXIT_CANCELLED, Cancellation
from .environment import recorded_variables
from .group import (
    ExecutionOptions,
    cli,
    execution_options,
    open_store,
    print_json,
    store_root,
)

if TYPE_CHECKING:
    from ..execution import Job
    from ..models import Run
    from ..store import Store


@cli.command("run")
@click.argument("notebook", metavar="NOTEBOOK|NAME[@N|@ALIAS]")
@execution_options(
    "NAME VALUE",
    "Set a parameter (repeatable); VALUE is converted to the declared type.",
    example="10",
)
@click.option(
    "--env-var",
    "env_vars",
    multiple=True,
    metavar="NAME",
    help="Record this environment variable as the kernel sees it (repeatable; also the "
    "project's [environment] variables in greenhouse.toml).",
)
@click.option(
    "--secret-env-var",
    "secret_env_vars",
    multiple=True,
    metavar="NAME",
    help="Record this environment variable masked, like a secret (repeatable).",
)
@click.option(
    "--keep-inputs",
    is_flag=True,
    help="Keep the declared input files in the store with the run (each up to "
    "max_input_bytes), as publish does, so that it can be reproduced on the same data.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run record as JSON on stdout.")
@click.option("--run-id", hidden=True, help="Use this id (given by a server that queued the run).")
@click.pass_context
def run_command(
    ctx: click.Context,
    notebook: str,
    execution: ExecutionOptions,
    env_vars: tuple[str, ...],
    secret_env_vars: tuple[str, ...],
    keep_inputs: bool,
    as_json: bool,
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

    execution.use_kernel_start()
    options: dict[str, Any] = {
        "text_values": dict(execution.parameters),
        "kernel": execution.kernel,
        "timeout": execution.timeout,
        "timeout_run": execution.timeout_run,
        "inputs": execution.inputs,
        "value_limit": execution.value_limit,
        **recorded_variables(store_root(ctx).parent, env_vars, secret_env_vars),
    }
    file_values = execution.file_values()
    if names_file(notebook):
        job = prepare(notebook, file_values, project_root=store_root(ctx).parent, **options)
        store = open_store(ctx)
    else:
        store = open_store(ctx)
        job = _prepare_version(store, notebook, file_values, options)
    execution.check_cell(job.spec)
    warm_up(job.kernel or job.kernel_spec_name)
    # On a terminal papermill's progress bar shows; elsewhere a line per cell.
    echo = not (sys.stderr.isatty() and not as_json)
    live = LiveRecord(store, on_progress=_echo_cell if echo else None)
    cancellation = Cancellation()
    with cancellation.handled():
        done = execute(
            job,
            run_id=run_id,
            on_start=live.started,
            on_progress=cancellation.watching(live.progressed),
            progress_bar=not echo,
            log_output=execution.log_output,
        )
        if keep_inputs:
            _keep_inputs(store, done.run, store_root(ctx).parent)
        run = store.save_execution(done)
    if as_json:
        print_json(run.to_dict())
    else:
        _print_summary(run, store)
    if run.status.value == "cancelled":
        ctx.exit(EXIT_CANCELLED)
    if run.status.value != "succeeded":
        ctx.exit(1)


def _keep_inputs(store: Store, run: Run, project: Path) -> None:
    """Store the run's declared inputs and name them on its record, before it is saved.

    A file that changed while the notebook ran is not kept: the run still stands."""
    from ..artefacts.inputs import keep_inputs
    from ..errors import InvalidInput
    from ..store.config import read_max_input_bytes

    folder = Path(project, run.notebook).parent
    try:
        kept = keep_inputs(store, run, folder, read_max_input_bytes(project))
    except InvalidInput as exc:
        click.echo(f"warning: the inputs were not kept: {exc.message}", err=True)
        return
    run.kept_inputs = [k.path for k in kept if k.kept]


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
    from ..display import environment_lines
    from ..store import find_run

    store = open_store(ctx, reading=True)
    run = find_run(store, run_id)
    occurrence = store.occurrence_of_run(run.id)
    if as_json:
        print_json(run.to_dict(occurrence))
        return
    _print_summary(run, store)
    click.echo(f"  created     {run.created_at}")
    click.echo(f"  finished    {run.finished_at or '-'}")
    if occurrence:
        click.echo(
            f"  occurrence  {occurrence['occurrence']} of schedule {occurrence['schedule']} "
            f"({occurrence['schedule_id']}), fire time {occurrence['fire_at']} "
            f"({occurrence['kind']}), attempt {occurrence['attempt']}"
        )
    prov = run.provenance
    if prov is None:
        return
    click.echo(f"  kernel      {prov.kernel} (Python {prov.python})")
    click.echo(f"  source      sha256:{prov.source_sha256}")
    for line in environment_lines(prov):
        click.echo(f"  {line}")
    click.echo(f"  host        {prov.user}@{prov.host}")
    for item in prov.inputs:
        click.echo(f"  input       {item.path} sha256:{item.sha256[:16]} {item.size} B")
    for entry in run.files:
        click.echo(f"  file        {entry.name} sha256:{entry.sha256[:16]} {entry.size} B")


@cli.command("open")
@click.argument("run_id", metavar="RUN")
@click.option("--source", is_flag=True, help="The source notebook instead of the executed one.")
@click.option("--json", "as_json", is_flag=True, help="Print the run id and the path as JSON.")
@click.pass_context
def open_command(ctx: click.Context, run_id: str, source: bool, as_json: bool) -> None:
    """Print the path of RUN's executed notebook (a copy; the store is never edited).

    RUN is a run id, a unique prefix of one, or NAME@N, NAME@ALIAS or NAME (its run)."""
    from ..store import find_run

    store = open_store(ctx, reading=True)
    run = find_run(store, run_id)
    path = _checkout(store, run, source=source)
    if as_json:
        print_json({"run": run.id, "source": source, "path": str(path)})
        return
    click.echo(str(path))


def _checkout(store: Store, run: Run, *, source: bool) -> Path:
    from ..errors import NotFound

    digest = run.source_object if source else run.output_object
    if digest is None:
        raise NotFound(f"Run {run.id} has no {'source' if source else 'executed'} notebook")
    # A text notebook's source is its text, named with its own suffix.
    suffix = Path(run.notebook).suffix if source else ".ipynb"
    return store.checkout(digest, f"{run.id}.{'source' if source else 'output'}{suffix}")


def _echo_cell(done: int, total: int, current: int | None) -> None:
    if current is not None:
        click.echo(f"greenhouse: cell {current + 1}/{total}", err=True)
