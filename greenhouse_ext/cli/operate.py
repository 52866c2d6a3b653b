"""Commands that operate on recorded runs: ``reproduce``, ``check`` and ``history``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from .group import (
    against_option,
    cli,
    max_drop_option,
    max_rise_option,
    open_store,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from ..artefacts import GateReport, History, Outcome, Reproduction

PACKAGE_LINES = 10


@cli.command("reproduce")
@click.argument("ref")
@click.option(
    "-p",
    "--parameter",
    "secrets",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="A secret parameter's value (repeatable): secrets are never stored. "
    "Every other parameter is re-used as recorded.",
)
@click.option(
    "--inputs",
    "inputs",
    type=click.Choice(["stored", "current"]),
    help="stored: the input files kept with the run or version, placed in a scratch copy "
    "of the notebook's folder (the default when all were kept); current: today's files, "
    "each one that differs from the record reported.",
)
@click.option(
    "--env",
    "env",
    type=click.Choice(["current", "recorded"]),
    default="current",
    show_default=True,
    help="current: the run's kernel as installed today; recorded: the environment its lock "
    "names, built with uv (cached under the store by the lock's sha256) and run in a "
    "throw-away kernel.",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="With --env recorded: rebuild what can be (leaving out editable and local installs, "
    "or a differing platform) and record what was left out, instead of refusing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer, with nbdime's diff.")
@click.option(
    "--log-output", is_flag=True, help="Copy the cells' stdout and stderr to this terminal."
)
@click.option("--run-id", hidden=True, help="Use this id (given by a server that queued it).")
@click.option(
    "--secrets-file",
    hidden=True,
    type=click.Path(dir_okay=False),
    help="A JSON file of secret values as text (written by a server).",
)
@click.pass_context
def reproduce_command(
    ctx: click.Context,
    ref: str,
    secrets: tuple[tuple[str, str], ...],
    inputs: str | None,
    env: str,
    allow_partial: bool,
    as_json: bool,
    log_output: bool,
    run_id: str | None,
    secrets_file: str | None,
) -> None:
    """Re-run REF from its stored source and compare its outputs, noise removed.

    REF is a run id, NAME@N, NAME@ALIAS or NAME. The re-run uses the recorded parameters,
    kernel, declared inputs and timeouts, and is stored as a new run. Exits 0 when it
    reproduces, 1 when it differs (or the re-run fails, or its recorded environment
    could not be built), 2 for a bad reference, missing secrets or an environment that
    cannot be rebuilt here (the list said before anything runs), 130 when cancelled.
    """
    from ..artefacts import reproduce
    from .cancellation import EXIT_CANCELLED, Cancellation

    values = {**(_read_secrets(secrets_file) if secrets_file else {}), **dict(secrets)}
    store = open_store(ctx)
    cancellation = Cancellation()
    with cancellation.handled():
        result = reproduce(
            store,
            ref,
            values,
            run_id=run_id,
            on_progress=cancellation.watching(_progress),
            log_output=log_output,
            inputs=inputs,
            env=env,
            allow_partial=allow_partial,
            on_build=_building,
        )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        print_json(result.to_dict())
    else:
        _print_reproduction(result)
    if store.get_run(result.rerun_id).status.value == "cancelled":
        ctx.exit(EXIT_CANCELLED)
    if not result.reproducible:
        ctx.exit(1)


def _read_secrets(path: str) -> dict[str, str]:
    from ..errors import InvalidInput

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"Cannot read the secrets file {path!r}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InvalidInput(f"The secrets file {path!r} must map names to text values")
    return data


def _building() -> None:
    click.echo("greenhouse: building the recorded environment with uv", err=True)


def _progress(done: int, total: int, current: int | None) -> None:
    if current is not None:
        click.echo(f"greenhouse: re-running cell {current + 1}/{total}", err=True)


def _print_reproduction(result: Reproduction) -> None:
    detail = result.reason or f"all {result.compared_cells} code cells match"
    click.echo(
        f"{result.verdict}: {result.label}, re-run as run {result.rerun_id} in the "
        f"{result.environment_from} environment: {detail}"
    )
    if result.rebuilt is not None:
        built = result.rebuilt
        how = "from the cache" if built.cached else f"built in {built.seconds:.1f} s"
        click.echo(f"  env      lock {built.sha256[:12]}, Python {built.python}, {how}")
    for item in result.left_out:
        click.echo(f"  left out {item}")
    for cell in result.cells:
        click.echo(f"  cell {cell.index + 1}  {cell.what}  {cell.source}")
        click.echo(f"    before  {cell.before}")
        click.echo(f"    after   {cell.after}")
    for name, (before, after) in result.metrics.items():
        click.echo(f"  metric   {name}: {_value(before)} -> {_value(after)}")
    if result.inputs_from == "stored":
        click.echo("  inputs   the files kept in the store")
    for change in result.inputs:
        now = change.current_sha256[:12] if change.current_sha256 else "missing"
        click.echo(f"  input    {change.path}: sha256 {change.recorded_sha256[:12]} -> {now}")
    environment = dict(result.environment)
    packages = environment.pop("packages", {})
    for key, (before, after) in environment.items():
        click.echo(f"  {key:<8} {before} -> {after}")
    for name, (before, after) in list(packages.items())[:PACKAGE_LINES]:
        click.echo(f"  package  {name} {before or '(none)'} -> {after or '(none)'}")
    if len(packages) > PACKAGE_LINES:
        click.echo(f"  package  ... and {len(packages) - PACKAGE_LINES} more (see --json)")


@cli.command("check")
@click.argument("ref")
@click.option(
    "--metric",
    "conditions",
    multiple=True,
    metavar="EXPR",
    help="A condition NAME OP NUMBER, OP one of >=, <=, >, <, ==, != (repeatable), "
    "e.g. 'accuracy>=0.9'.",
)
@against_option
@max_drop_option
@max_rise_option
@click.option(
    "--clean-git",
    is_flag=True,
    help="Also fail when the notebook or a declared input was untracked or modified in git.",
)
@click.option(
    "--same-env",
    metavar="REF",
    help="Also fail when the Python minor version or any package version differs from REF's.",
)
@click.option("--json", "as_json", is_flag=True, help="Print every outcome as JSON.")
@click.pass_context
def check_command(
    ctx: click.Context,
    ref: str,
    conditions: tuple[str, ...],
    against: str | None,
    max_drop: tuple[str, ...],
    max_rise: tuple[str, ...],
    clean_git: bool,
    same_env: str | None,
    as_json: bool,
) -> None:
    """Gate on the metrics REF recorded, and on where it came from: exit 0 when every
    condition holds, 1 when not.

    REF is a run id, NAME@N, NAME@ALIAS, NAME or an executed .ipynb file. A missing
    metric or a malformed expression exits 2.
    """
    from ..artefacts import check

    report = check(
        open_store(ctx),
        ref,
        conditions,
        against=against,
        max_drop=max_drop,
        max_rise=max_rise,
        clean_git=clean_git,
        same_env=same_env,
    )
    if as_json:
        print_json(report.to_dict())
    else:
        _print_gate(report)
    if not report.passed:
        ctx.exit(1)


def _print_gate(report: GateReport) -> None:
    total = len(report.outcomes) + len(report.guards)
    if report.passed:
        click.echo(f"ok: all {total} conditions hold for {report.subject}")
        return
    failures = report.failures
    failed = len(failures) + sum(not guard.passed for guard in report.guards)
    click.echo(f"failed: {failed} of {total} conditions do not hold for {report.subject}")
    if failures:
        print_table(("METRIC", "CONDITION", "ACTUAL"), [_failure_row(o) for o in failures])
    for guard in report.guards:
        if guard.passed:
            continue
        click.echo(f"{guard.name}:")
        rows = [(d.what, d.expected or "(none)", d.actual or "(none)") for d in guard.differences]
        clean = guard.name == "clean-git"
        headers = ("FILE", "WANTED", "FOUND") if clean else ("WHAT", "REF", "THIS")
        print_table(headers, rows)


def _failure_row(outcome: Outcome) -> tuple[str, str, str]:
    actual = _value(outcome.actual)
    if outcome.baseline is not None:
        actual += f" (was {_value(outcome.baseline)})"
    return outcome.metric, outcome.condition, actual


@cli.command("history")
@click.argument("name")
@click.option("--metric", "metrics", multiple=True, help="Only this metric (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the history as JSON.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    metavar="FILE.png",
    help="Also draw the numeric metrics against the version number into a PNG.",
)
@click.pass_context
def history_command(
    ctx: click.Context, name: str, metrics: tuple[str, ...], as_json: bool, plot: str | None
) -> None:
    """Show each published version of NAME with its metrics, oldest first."""
    from ..artefacts import history, plot_history

    found = history(open_store(ctx), name, metrics)
    if plot is not None:
        click.echo(f"plot written to {plot_history(found, plot)}", err=True)
    if as_json:
        print_json(found.to_dict())
    else:
        _print_history(found)


def _print_history(found: History) -> None:
    header = ("VERSION", "CREATED (UTC)", "RUN", "ALIASES", *found.metrics)
    rows = [
        (
            str(entry.number),
            entry.created_at[:19].replace("T", " "),
            entry.run_id,
            ",".join(entry.aliases) or "-",
            *(_value(entry.metrics[m]) for m in found.metrics),
        )
        for entry in found.versions
    ]
    print_table(header, rows)


def _value(value: Any) -> str:
    from ..display import show_value

    return "-" if value is None else show_value(value, quote_text=True)
