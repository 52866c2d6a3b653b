"""Commands about the store itself: ``greenhouse store upgrade``."""

from __future__ import annotations

import click

from .group import cli, store_root


@cli.group("store")
def store_group() -> None:
    """Look after the store: bring its format up to date."""


@store_group.command("upgrade")
@click.pass_context
def upgrade_command(ctx: click.Context) -> None:
    """Migrate the store's index to this greenhouse's format (a no-op when it is already)."""
    from ..store import upgrade

    root = store_root(ctx.find_root())
    before, after = upgrade(root)
    if before == after:
        click.echo(f"The store at {root} is up to date (schema {after})")
    else:
        click.echo(f"Upgraded the store at {root} from schema {before or 'v0'} to {after}")
