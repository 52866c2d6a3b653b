"""The ``greenhouse`` command group, its error translation and the output helpers it shares."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import GreenhouseError

if TYPE_CHECKING:
    from ..store import Store


class GreenhouseGroup(click.Group):
    """Translates greenhouse errors into a message and an exit code, once for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GreenhouseError as exc:
            click.echo(f"error: {exc.message}", err=True)
            for problem in exc.problems:
                if problem not in exc.message:
                    click.echo(f"  - {problem}", err=True)
            ctx.exit(exc.exit_code)


# Options that `run` and `sweep` share.
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Fail a run when one cell runs longer than this (seconds).",
)
timeout_run_option = click.option(
    "--timeout-run",
    type=click.FloatRange(min=0, min_open=True),
    help="Fail a run when the whole of it (kernel start included) takes longer than this "
    "(seconds); its kernel is stopped and the notebook so far kept.",
)
kernel_option = click.option("--kernel", help="Kernel to use (default: the notebook's own).")


@click.group(cls=GreenhouseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="GREENHOUSE_STORE",
    type=click.Path(file_okay=False),
    help="The store folder (default: the nearest .greenhouse/ upwards, else ./.greenhouse).",
)
@click.option(
    "--local",
    is_flag=True,
    envvar="GREENHOUSE_LOCAL",
    help="Use the project's own .greenhouse store even where greenhouse.toml names a team "
    "store (also $GREENHOUSE_LOCAL=1).",
)
@click.version_option(package_name="greenhouse_ext", prog_name="greenhouse")
@click.pass_context
def cli(ctx: click.Context, store: str | None, local: bool) -> None:
    """Run notebooks reproducibly, with validated parameters and a full record of each run."""
    ctx.obj = {"store": store, "local": local}


def open_store(ctx: click.Context, *, reading: bool = False) -> Store:
    """The store named by ``--store`` / ``$GREENHOUSE_STORE``, or found from the cwd.

    Its index and objects are the team store's where the project's ``greenhouse.toml``
    names one, unless ``--local`` is given. A store found above the working folder with
    no git work tree to say that it is the project's own is named on stderr, the first
    time it is used from that folder. A command that only reads gives ``reading``: a
    folder's own store is then read without importing SQLAlchemy (see
    :mod:`greenhouse_ext.store.reading`).
    """
    if reading:
        from ..store.reading import open_for_reading

        return open_for_reading(store_root(ctx), ctx.obj["local"])
    from ..store import Store

    return Store.open(store_root(ctx), local=ctx.obj["local"])


def store_root(ctx: click.Context) -> Path:
    """The folder of the store named by ``--store`` / ``$GREENHOUSE_STORE``, or found.

    Every command resolves its store here, once: ``~`` is expanded, the path made
    absolute, and a store found above the working folder is named on stderr.
    """
    from ..store import find_store_root

    if "root" not in ctx.obj:
        if ctx.obj["store"]:
            ctx.obj["root"] = Path(ctx.obj["store"]).expanduser().resolve()
        else:
            ctx.obj["root"] = find_store_root()
            _announce_if_outside(ctx.obj["root"])
    root: Path = ctx.obj["root"]
    return root


def _announce_if_outside(root: Path) -> None:
    here = Path.cwd().resolve()
    if root.parent == here or (root.parent / ".git").exists():
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    memo = cache / "greenhouse" / "stores-announced"
    entry = f"{here}\t{root}"
    with contextlib.suppress(OSError):
        if entry in memo.read_text().splitlines():
            return
    click.echo(
        f"greenhouse: using the store {root}, found above this folder and outside any git "
        "work tree; give --store or $GREENHOUSE_STORE to use another",
        err=True,
    )
    with contextlib.suppress(OSError):
        memo.parent.mkdir(parents=True, exist_ok=True)
        with memo.open("a") as handle:
            handle.write(entry + "\n")


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as left-aligned columns under a header."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
