"""Commands about published versions: publish, versions, alias, get and verify."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .group import cli, open_store, print_json, print_table

if TYPE_CHECKING:
    from pathlib import Path

    from ..artefacts import AliasHistory, VerifyResult
    from ..models import Version

EXIT_DAMAGED = 1
TO_HELP = (
    "Also copy the version to this fsspec URL as NAME/N/... with NAME/index.json "
    "(file://..., memory://..., s3://... when s3fs is installed)."
)


@cli.command("publish")
@click.argument("run_id", metavar="RUN")
@click.option("--name", required=True, help="The artefact's name; versions are numbered per name.")
@click.option(
    "--alias", "aliases", multiple=True, help="Point this alias at the new version (repeatable)."
)
@click.option("--to", "to", metavar="URL", help=TO_HELP)
@click.option(
    "--input-location",
    "input_locations",
    multiple=True,
    metavar="NAME=URL",
    help="Where the declared input NAME can be fetched from later (an fsspec URL; "
    "repeatable): for an input larger than max_input_bytes, which is kept by hash only.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the version record as JSON.")
@click.pass_context
def publish_command(
    ctx: click.Context,
    run_id: str,
    name: str,
    aliases: tuple[str, ...],
    to: str | None,
    input_locations: tuple[str, ...],
    as_json: bool,
) -> None:
    """Publish the succeeded RUN as the next version of NAME.

    RUN is a run id, a unique prefix of one, or NAME@N, NAME@ALIAS or NAME (its run).
    The run's declared input files are kept with the version (as inputs/PATH), each up
    to max_input_bytes of the [inputs] table in greenhouse.toml (default 256 MiB);
    a larger one is recorded by its sha256 only. An input file that changed since
    the run is refused."""
    from ..artefacts import publish
    from ..artefacts.inputs import parse_locations

    locations = parse_locations(input_locations)
    version = publish(open_store(ctx), run_id, name, aliases, to, locations)
    if as_json:
        print_json({**version.to_dict(), "copied_to": _copy_url(version, to)})
        return
    click.echo(f"published {version.ref} from run {version.run_id} ({len(version.files)} files)")
    if version.aliases:
        click.echo(f"  aliases    {', '.join(version.aliases)}")
    if to is not None:
        click.echo(f"  copied to  {_copy_url(version, to)}")


def _copy_url(version: Version, to: str | None) -> str | None:
    return None if to is None else f"{to.rstrip('/')}/{version.name}/{version.number}"


@cli.command("versions")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the version records as a JSON list.")
@click.pass_context
def versions_command(ctx: click.Context, name: str, as_json: bool) -> None:
    """List the versions of NAME, oldest first, with their aliases and metrics."""
    from ..display import show_values
    from ..store import find_name

    store = open_store(ctx, reading=True)
    versions = store.list_versions(find_name(store, name))
    if as_json:
        print_json([v.to_dict() for v in versions])
        return
    rows = [
        (
            str(v.number),
            v.created_at[:19].replace("T", " "),
            v.run_id,
            v.published_by or "-",
            ",".join(v.aliases) or "-",
            show_values(v.metrics),
        )
        for v in versions
    ]
    print_table(("VERSION", "CREATED (UTC)", "RUN", "BY", "ALIASES", "METRICS"), rows)


@cli.command("alias")
@click.argument("ref", metavar="NAME@N")
@click.argument("alias", required=False)
@click.option("--reason", metavar="TEXT", help="Why the alias changes; kept in its history.")
@click.option("--remove", is_flag=True, help="Remove ALIAS from NAME (give NAME and ALIAS).")
@click.option("--history", is_flag=True, help="List every change of NAME's aliases (give NAME).")
@click.option("--to", "to", metavar="URL", help="Also move the alias in the index at this URL.")
@click.option("--json", "as_json", is_flag=True, help="Print the change or the history as JSON.")
@click.pass_context
def alias_command(
    ctx: click.Context,
    ref: str,
    alias: str | None,
    reason: str | None,
    remove: bool,
    history: bool,
    to: str | None,
    as_json: bool,
) -> None:
    """Point ALIAS at version NAME@N (or NAME@OTHER-ALIAS, NAME, or the run it was published
    from); it moves atomically.

    Every change is recorded with who made it, when, and the --reason given:
    `greenhouse alias --history NAME` lists them, and `greenhouse alias --remove NAME ALIAS`
    removes an alias.
    """
    from ..artefacts import alias_history, remove_alias, set_alias

    if history:
        if alias is not None or remove or reason is not None or to is not None:
            raise click.UsageError("--history takes only NAME: greenhouse alias --history NAME")
        _print_history(alias_history(open_store(ctx), ref), as_json)
        return
    if alias is None:
        raise click.UsageError(
            "Missing ALIAS: greenhouse alias NAME@N ALIAS, or --remove NAME ALIAS, "
            "or --history NAME"
        )
    if remove:
        if to is not None:
            raise click.UsageError("--remove does not take --to")
        event = remove_alias(open_store(ctx), ref, alias, reason)
        if as_json:
            print_json(event.to_dict())
        else:
            click.echo(
                f"{event.name}@{alias} removed (it pointed at {event.name}@{event.from_number})"
            )
        return
    version, change = set_alias(open_store(ctx), ref, alias, to, reason)
    if as_json:
        print_json({"version": version.to_dict(), "change": change and change.to_dict()})
    elif change is None:
        click.echo(f"{version.name}@{alias} -> {version.ref} (unchanged: it already pointed there)")
    elif change.from_number is None:
        click.echo(f"{version.name}@{alias} -> {version.ref}")
    else:
        click.echo(
            f"{version.name}@{alias} -> {version.ref} (moved from version {change.from_number})"
        )


def _print_history(history: AliasHistory, as_json: bool) -> None:
    if as_json:
        print_json(history.to_dict())
        return
    rows = [
        (
            event.at[:19].replace("T", " "),
            event.alias,
            event.action,
            "-" if event.from_number is None else str(event.from_number),
            "-" if event.to_number is None else str(event.to_number),
            event.user,
            event.reason or "-",
        )
        for event in history.events
    ]
    if rows:
        print_table(("WHEN (UTC)", "ALIAS", "CHANGE", "FROM", "TO", "BY", "REASON"), rows)
    else:
        click.echo(f"No alias of {history.name!r} has been changed since history was kept")
    for alias, number in sorted(history.unrecorded.items()):
        click.echo(f"{alias} -> {history.name}@{number} was set before alias history was kept")


@cli.command("get")
@click.argument("ref", metavar="REF")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the files into; existing files there are never replaced.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@click.pass_context
def get_command(ctx: click.Context, ref: str, out_dir: str, as_json: bool) -> None:
    """Write the files of REF (NAME@N, NAME@ALIAS, NAME or a published run) into a folder."""
    from ..artefacts import export

    _print_written(ref, out_dir, export(open_store(ctx), ref, out_dir), as_json)


@cli.command("export")
@click.argument("ref", metavar="REF")
@click.option(
    "--binder",
    "binder",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="A new or empty folder to write a repo2docker/Binder project into.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@click.pass_context
def export_command(ctx: click.Context, ref: str, binder: str, as_json: bool) -> None:
    """Write REF as a folder that repo2docker (and Binder) builds and a person can run.

    The folder holds the version's notebook, binder/requirements.txt and
    binder/runtime.txt from its lock, the input files the store kept, values.yaml
    (secrets left out and named) and a README saying how to run it with papermill
    and with greenhouse. REF is NAME@N, NAME@ALIAS, NAME or a published run."""
    from ..artefacts.binder import export_binder

    _print_written(ref, binder, export_binder(open_store(ctx), ref, binder), as_json)


def _print_written(ref: str, out: str, paths: list[Path], as_json: bool) -> None:
    if as_json:
        print_json({"ref": ref, "out": str(out), "files": [str(p) for p in paths]})
        return
    for path in paths:
        click.echo(str(path))


@cli.command("verify")
@click.argument("ref", metavar="REF")
@click.option(
    "--at",
    "at",
    metavar="URL",
    help="Check the copy at this URL (as given to --to) instead of the store; "
    "REF is resolved with URL/NAME/index.json.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify_command(ctx: click.Context, ref: str, at: str | None, as_json: bool) -> None:
    """Recompute the sha256 of every file of REF; exit 1 if any changed or is missing.

    REF is NAME@N, NAME@ALIAS, NAME (its latest version) or a published run."""
    from ..artefacts import verify, verify_at

    result = verify_at(at, ref) if at is not None else verify(open_store(ctx), ref)
    if as_json:
        print_json(result.to_dict())
    else:
        _print_verification(result)
    if not result.ok:
        ctx.exit(EXIT_DAMAGED)


def _print_verification(result: VerifyResult) -> None:
    if result.ok:
        click.echo(f"{result.ref} intact: {result.files} files match the manifest")
        return
    click.echo(
        f"{result.ref} damaged: {len(result.problems)} of {result.checked} files (the "
        f"manifest and the {result.files} it lists)"
    )
    for problem in result.problems:
        click.echo(f"  {problem.problem:<8} {problem.path}")
