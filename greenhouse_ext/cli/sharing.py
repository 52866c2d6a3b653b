"""Commands that copy records elsewhere: ``push`` and ``pull`` (team store), ``push --to``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .group import cli, open_store, print_json, store_root

if TYPE_CHECKING:
    from ..store import Store, TransferReport

REFS_HELP = "RUN ids (or unique prefixes), NAME (every version) or NAME@N; none: everything."


@cli.command("push")
@click.argument("refs", metavar="[RUN|NAME|NAME@N]...", nargs=-1)
@click.option(
    "--to",
    "to",
    metavar="URL",
    help="Instead, copy the published version REF as files to this fsspec URL "
    "(NAME/N/... with NAME/index.json), e.g. again after a failed `publish --to`.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was copied as JSON.")
@click.pass_context
def push_command(ctx: click.Context, refs: tuple[str, ...], to: str | None, as_json: bool) -> None:
    """Copy runs and versions from this project's .greenhouse store to its team store.

    The team store is the one greenhouse.toml names (`greenhouse store init`). Copying
    is idempotent: objects the team store has are skipped, and a version already pushed
    is recognised. The team store numbers each version as the next of its name there
    (local model@3 may become model@6). Aliases stay behind; unfinished runs too.
    """
    if to is not None:
        _push_to_location(ctx, refs, to)
        return
    local, team = _stores(ctx)
    _report(_transfer(local, team, refs), as_json)


@cli.command("pull")
@click.argument("refs", metavar="[RUN|NAME|NAME@N]...", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print what was copied as JSON.")
@click.pass_context
def pull_command(ctx: click.Context, refs: tuple[str, ...], as_json: bool) -> None:
    """Copy runs and versions from the team store into this project's .greenhouse store.

    The reverse of `greenhouse push`, with the same rules; the local store numbers the
    versions it receives. `greenhouse --local ...` then works on the local copy.
    """
    local, team = _stores(ctx)
    _report(_transfer(team, local, refs), as_json)


def _push_to_location(ctx: click.Context, refs: tuple[str, ...], to: str) -> None:
    from ..artefacts import write_to
    from ..store import find_version

    if len(refs) != 1:
        raise click.UsageError("--to copies one published version: give one NAME@N")
    store = open_store(ctx)
    click.echo(write_to(store, find_version(store, refs[0]), to))


def _stores(ctx: click.Context) -> tuple[Store, Store]:
    """The project's local store and its team store, in that order."""
    from ..errors import InvalidInput
    from ..store import CONFIG_FILENAME, Store, read_config

    root = store_root(ctx)
    if read_config(root.parent) is None:
        raise InvalidInput(
            f"No team store is configured for the project at {root.parent}: "
            f"`greenhouse store init --index URL --objects URL` writes {CONFIG_FILENAME}"
        )
    return Store.open(root, local=True), Store.open(root)


def _transfer(source: Store, destination: Store, refs: tuple[str, ...]) -> TransferReport:
    from ..store import transfer

    try:
        return transfer(source, destination, refs)
    finally:
        source.close()
        destination.close()


def _report(report: TransferReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    for run_id in report.runs_copied:
        click.echo(f"run {run_id} copied")
    for version in report.versions:
        if not version.new:
            click.echo(f"{version.source} already there as {version.destination}")
        elif version.source != version.destination:
            click.echo(f"{version.source} → {version.destination}")
        else:
            click.echo(f"{version.source} copied")
    for run_id in report.runs_unfinished:
        click.echo(f"run {run_id} not copied: it has not finished", err=True)
    new_versions = sum(v.new for v in report.versions)
    click.echo(
        f"{len(report.runs_copied)} run(s) copied ({report.runs_present} already there), "
        f"{new_versions} version(s) copied ({len(report.versions) - new_versions} already "
        f"there), {report.objects_copied} object(s) copied ({report.objects_present} "
        "already there)"
    )
