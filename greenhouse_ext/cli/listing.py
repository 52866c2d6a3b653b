"""Commands that list: ``runs`` (filtered, with chosen columns, sorted) and ``sweeps``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from .group import cli, open_store, print_json, print_table

if TYPE_CHECKING:
    from ..artefacts.listing import RunFilter
    from ..models import Run
    from ..store import Store

METRICS_COLUMN_CHARS = 40
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")


@cli.command("runs")
@click.option(
    "--notebook",
    metavar="PATH",
    help="Only runs of this notebook (relative to the working directory).",
)
@click.option("--status", type=click.Choice(STATUSES), help="Only runs with this status.")
@click.option("--user", help="Only runs made by this user (as `greenhouse show` names them).")
@click.option(
    "--from",
    "from_ref",
    metavar="NAME[@N|@ALIAS]",
    help="Only runs of a published version: NAME@N, NAME@ALIAS (the version it points at "
    "now) or NAME (any of its versions).",
)
@click.option(
    "--sweep",
    "sweep_id",
    metavar="ID",
    help="The runs of sweep ID (or a unique prefix of it) as its results table (parameters "
    "and metrics), oldest first.",
)
@click.option(
    "--schedule",
    "schedule_ref",
    metavar="NAME|ID",
    help="Only the runs of this schedule's occurrences (each attempt is a run); a removed "
    "schedule by its id.",
)
@click.option(
    "--since",
    metavar="WHEN",
    help="Only runs created since then: a duration back from now (30m, 12h, 30d) or a "
    "date or time (2026-12-01, 2026-12-01T08:00; UTC unless it says).",
)
@click.option(
    "--where",
    "conditions",
    multiple=True,
    metavar="EXPR",
    help="Only runs whose metric (else parameter) NAME meets NAME OP NUMBER, OP one of >=, "
    "<=, >, <, ==, != as in `greenhouse check` (repeatable: all must hold), e.g. "
    "'accuracy>0.95'.",
)
@click.option(
    "--columns",
    "columns",
    multiple=True,
    metavar="NAME,...",
    help="Show these metrics or parameters as columns instead of METRICS (comma-separated, "
    "repeatable).",
)
@click.option(
    "--sort",
    metavar="NAME",
    help="Sort by a metric, a parameter or id, status, created, duration, notebook, user "
    "(prefix - for descending; runs without it last); the newest first otherwise.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of run summaries: long values cut and named under 'truncated', "
    "a run a schedule started naming its schedule, occurrence and attempt under "
    "'occurrence'; `greenhouse show RUN --json` gives the full record.",
)
@click.option(
    "--check-orphans",
    is_flag=True,
    help="First mark this machine's queued or running runs whose process has gone as "
    "interrupted (listing alone never changes a record).",
)
@click.pass_context
def runs_command(
    ctx: click.Context,
    notebook: str | None,
    status: str | None,
    user: str | None,
    from_ref: str | None,
    sweep_id: str | None,
    schedule_ref: str | None,
    since: str | None,
    conditions: tuple[str, ...],
    columns: tuple[str, ...],
    sort: str | None,
    limit: int,
    as_json: bool,
    check_orphans: bool,
) -> None:
    """List runs, newest first; --where, --since and --sort look past the first --limit."""
    from dataclasses import replace

    from ..models import RunStatus
    from ..store import find_notebook, find_sweep

    store = open_store(ctx, reading=True)
    if check_orphans:
        for run_id in store.mark_interrupted():
            click.echo(f"greenhouse: run {run_id} lost its process: now interrupted", err=True)
    label = find_notebook(store, notebook) if notebook else None
    wanted_status = RunStatus(status) if status else None
    version = None
    if from_ref:
        from ..execution import version_filter

        version = version_filter(store, from_ref)
    if sweep_id is None and schedule_ref is None and not (conditions or since or sort):
        # The plain listing is the index's own page: no filter machinery is imported.
        runs = store.list_runs(label, wanted_status, limit, user=user, from_version=version)
    else:
        from ..artefacts.listing import RunFilter, list_runs, parse_since, parse_where

        wanted = RunFilter(
            notebook=label,
            status=wanted_status,
            user=user,
            from_version=version,
            schedule=store.get_schedule(schedule_ref).id if schedule_ref is not None else None,
            since=parse_since(since) if since is not None else None,
            where=parse_where(conditions),
        )
        if sweep_id is not None:
            from ..execution import results_table

            runs = _sweep_listing(store, replace(wanted, sweep=find_sweep(store, sweep_id)), sort)
            if as_json:
                print_json([r.to_dict() for r in runs])
            else:
                print_table(*results_table(runs))
            return
        runs = list_runs(store, wanted, limit, sort)
    if as_json:
        occurrences = store.occurrences_of_runs([r.id for r in runs])
        print_json([r.to_summary(occurrence=occurrences.get(r.id)) for r in runs])
        return
    names = [name.strip() for text in columns for name in text.split(",") if name.strip()]
    header = ("ID", "STATUS", "USER", "CREATED (UTC)", "TIME", "NOTEBOOK")
    print_table(
        (*header, *(names or ["METRICS"])),
        [(*_record_cells(r), *(_chosen(r, names) if names else _metrics(r))) for r in runs],
    )


def _sweep_listing(store: Store, wanted: RunFilter, sort: str | None) -> list[Run]:
    """A sweep's runs that pass the filters, oldest first (as its table was made) or
    sorted."""
    from ..artefacts.listing import list_runs
    from ..execution import sorted_runs

    return sorted_runs(list(reversed(list_runs(store, wanted))), sort)


def _record_cells(run: Run) -> tuple[str, ...]:
    return (
        run.id,
        run.status.value,
        run.provenance.user if run.provenance else "-",
        run.created_at[:19].replace("T", " "),
        f"{run.duration_s:.1f}s" if run.duration_s is not None else "-",
        run.notebook,
    )


def _metrics(run: Run) -> tuple[str]:
    from ..display import show_values

    return (show_values(run.metrics, METRICS_COLUMN_CHARS),)


def _chosen(run: Run, names: list[str]) -> list[str]:
    return [_value(run.metrics.get(n, run.parameters.get(n))) for n in names]


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@cli.command("sweeps")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the sweeps as a JSON list.")
@click.pass_context
def sweeps_command(ctx: click.Context, limit: int, as_json: bool) -> None:
    """List sweeps, the most recently started first, with their runs counted by status.

    `greenhouse runs --sweep ID` shows one sweep's results table.
    """
    sweeps = open_store(ctx).list_sweeps(limit)
    if as_json:
        print_json([s.to_dict() for s in sweeps])
        return
    rows = [
        (
            s.id,
            s.started_at[:19].replace("T", " "),
            s.notebook,
            str(s.runs),
            ", ".join(f"{n} {status}" for status, n in sorted(s.statuses.items())),
        )
        for s in sweeps
    ]
    print_table(("SWEEP", "STARTED (UTC)", "NOTEBOOK", "RUNS", "OUTCOMES"), rows)
