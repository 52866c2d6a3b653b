"""The ``init`` command: a project whose store exists and whose git diffs and merges notebooks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .group import cli, open_store, print_json

if TYPE_CHECKING:
    from ..vcs import Setting

EXIT_MISSING = 1


@cli.command("init")
@click.option(
    "--check",
    is_flag=True,
    help="Report what the project lacks and change nothing: exit 1 when something is missing.",
)
@click.option(
    "--strip-outputs",
    is_flag=True,
    help="Also make nbstripout the filter of notebooks, so that they are committed without "
    "outputs (the store keeps every executed notebook).",
)
@click.option(
    "--global",
    "global_",
    is_flag=True,
    help="Configure the drivers (and the filter) in your global git configuration instead "
    "of this repository's.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the settings and changes as JSON.")
@click.pass_context
def init_command(
    ctx: click.Context, check: bool, strip_outputs: bool, global_: bool, as_json: bool
) -> None:
    """Set up the project (the git work tree you are in) for notebooks and greenhouse.

    Makes the store if there is none, enables nbdime's git diff and merge drivers for
    notebooks (the merge driver drops outputs and execution counts both branches changed,
    so that branches which both re-ran a notebook merge cleanly), ignores the store in
    .gitignore, and adds the greenhouse-params hook to .pre-commit-config.yaml when the
    project has one. Running it again changes nothing. Outside a git work tree: exit 2.
    """
    from ..vcs import Project, Setting, work_tree

    project = Project(work_tree(Path.cwd()), "global" if global_ else None)
    store = _store_setting(ctx, project.root)
    settings = [store, *project.settings(strip_outputs)]
    if check:
        again = " ".join(
            ["greenhouse init", *(["--strip-outputs"] if strip_outputs else [])]
            + (["--global"] if global_ else [])
        )
        _report_check(project.root, settings, again, as_json)
        ctx.exit(EXIT_MISSING if any(not s.done for s in settings) else 0)
    changed = project.configure(strip_outputs)
    if not store.done:
        open_store(ctx).close()
        changed.insert(0, Setting(store.name, store.what, True))
    if as_json:
        print_json(
            {
                "project": str(project.root),
                "changed": [s.name for s in changed],
                "settings": [{"name": s.name, "what": s.what, "done": True} for s in settings],
            }
        )
        return
    if not changed:
        click.echo(f"Nothing to change: {project.root} is set up for notebooks")
        for setting in settings:
            click.echo(f"  ok      {setting.what}")
        return
    click.echo(f"Set up {project.root} for notebooks:")
    for setting in changed:
        click.echo(f"  set up  {setting.what}")
    for setting in settings:
        if setting.done:
            click.echo(f"  ok      {setting.what}")


def _store_setting(ctx: click.Context, project: Path) -> Setting:
    """Whether the project's store has an index yet, and where it is.

    A store named by ``--store`` or found from here is the one; with none found, the
    project's store is at the root of its work tree, wherever in it this runs.
    """
    from ..store import CONFIG_FILENAME, describe, find_store_root
    from ..vcs import Setting

    if ctx.obj["store"]:
        root = Path(ctx.obj["store"]).expanduser().resolve()
    else:
        found = find_store_root()
        made = found.is_dir() or (found.parent / CONFIG_FILENAME).is_file()
        root = found if made else project / ".greenhouse"
    ctx.obj["root"] = root
    made = describe(root, local=ctx.obj["local"])["schema"] is not None
    return Setting("store", f"the store at {root}", made)


def _report_check(root: Path, settings: list[Setting], again: str, as_json: bool) -> None:
    missing = [s for s in settings if not s.done]
    if as_json:
        print_json(
            {
                "project": str(root),
                "missing": [s.name for s in missing],
                "settings": [{"name": s.name, "what": s.what, "done": s.done} for s in settings],
            }
        )
        return
    for setting in settings:
        click.echo(f"  {'ok' if setting.done else 'missing':7} {setting.what}")
    if missing:
        click.echo(f"{len(missing)} missing in {root}: `{again}` sets them up")
    else:
        click.echo(f"{root} is set up for notebooks")
