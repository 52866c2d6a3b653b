"""Commands that clean the store: ``gc`` by a stated policy, ``delete`` for one run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .group import cli, open_store, print_json, print_table

if TYPE_CHECKING:
    from ..store.gc import Removal

DEFAULT_GRACE = "1h"


@cli.command("gc")
@click.option(
    "--failed-older-than",
    metavar="DURATION",
    help="Remove the runs that failed, were cancelled or were interrupted longer ago than "
    "this (such as 30d).",
)
@click.option(
    "--keep-last",
    type=click.IntRange(min=1),
    metavar="N",
    help="Keep the newest N finished runs of each notebook; remove the older ones.",
)
@click.option(
    "--grace",
    metavar="DURATION",
    default=DEFAULT_GRACE,
    show_default=True,
    help="Spare an object that nothing names when it was written less than this long ago "
    "(a run or publish going on writes its objects before its record).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would go and how many bytes; change nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Print what went (or would go) as JSON.")
@click.pass_context
def gc_command(
    ctx: click.Context,
    failed_older_than: str | None,
    keep_last: int | None,
    grace: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Clean the store: remove the runs a policy chooses, then the objects nothing names.

    \b
    Without --failed-older-than or --keep-last no run is removed, only objects that no
    run or version names (left by killed processes or removed runs). A published
    version's run, and everything a version names, are never removed; queued and
    running runs neither. The runs go first, in one transaction, then their objects: a
    cleaning killed midway leaves only unnamed objects, which the next one removes.
    """
    from ..durations import parse_duration
    from ..store.gc import Policy, collect_garbage

    policy = Policy(
        failed_older_than_s=(
            parse_duration(failed_older_than, what="--failed-older-than")
            if failed_older_than is not None
            else None
        ),
        keep_last=keep_last,
        grace_s=parse_duration(grace, what="--grace"),
    )
    removal = collect_garbage(open_store(ctx), policy, dry_run=dry_run)
    if as_json:
        print_json(removal.to_dict())
        return
    _print_removal(removal)


@cli.command("delete")
@click.argument("run_id", metavar="RUN")
@click.option("--json", "as_json", is_flag=True, help="Print what went as JSON.")
@click.pass_context
def delete_command(ctx: click.Context, run_id: str, as_json: bool) -> None:
    """Delete RUN (an id, or a unique prefix of one) and the objects only it names.

    A published version's run is never deleted, nor a run that has not finished.
    """
    from ..store.gc import delete_run

    removal = delete_run(open_store(ctx), run_id)
    if as_json:
        print_json(removal.to_dict())
        return
    (run, _), *_ = removal.runs
    click.echo(f"deleted run {run.id} and {_objects(removal)}")


def _print_removal(removal: Removal) -> None:
    if removal.runs:
        rows = [
            (run.id, run.status.value, run.created_at[:19].replace("T", " "), run.notebook, why)
            for run, why in removal.runs
        ]
        print_table(("ID", "STATUS", "CREATED (UTC)", "NOTEBOOK", "WHY"), rows)
    count = len(removal.runs)
    what = f"{count} run{'s' if count != 1 else ''} and {_objects(removal)}"
    if removal.dry_run:
        click.echo(f"would remove {what}; nothing was changed (--dry-run)")
    else:
        click.echo(f"removed {what}")
    if removal.kept_published:
        click.echo(
            f"kept {len(removal.kept_published)} published run(s) the policy chose "
            f"(a published version's run is never removed): {', '.join(removal.kept_published)}"
        )


def _objects(removal: Removal) -> str:
    plural = "s" if removal.objects != 1 else ""
    return f"{removal.objects} object{plural} ({format_bytes(removal.bytes)})"


def format_bytes(size: int) -> str:
    """A size in bytes, in the largest binary unit under which it is at least 1."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
