"""Commands about the store itself: ``greenhouse store init``, ``info`` and ``upgrade``."""

from __future__ import annotations

import click

from .group import cli, print_json, store_root


@cli.group("store")
def store_group() -> None:
    """Look after the store: configure a team store, show where it is, upgrade its format."""


@store_group.command("init")
@click.option(
    "--index",
    "index",
    required=True,
    metavar="URL",
    help="The team's index database, e.g. postgresql+psycopg://USER@HOST:5432/DB "
    "(no password: PGPASSWORD or ~/.pgpass supply it).",
)
@click.option(
    "--objects",
    "objects",
    required=True,
    metavar="URL",
    help="Where the team's objects go, e.g. s3://BUCKET/PREFIX (keys come from the AWS "
    "credential chain).",
)
@click.option(
    "--endpoint-url",
    metavar="URL",
    help="The endpoint of an S3-compatible object store (else $AWS_ENDPOINT_URL or AWS).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the file written and the store.")
@click.pass_context
def init_command(
    ctx: click.Context, index: str, objects: str, endpoint_url: str | None, as_json: bool
) -> None:
    """Make the project use a team store: write greenhouse.toml at its root.

    The store is reached first (its schema made in an empty database), so a file is
    written only for a store that works. The file holds no credentials: commit it, and
    every greenhouse command in the project, its JupyterLab server and CI use the store.
    An SQLite index must be in a folder that exists (exit 2 otherwise).
    """
    from ..store import Store, check_index_folder, checked, write_config

    root = store_root(ctx)
    config = checked(index, objects, endpoint_url)
    check_index_folder(config.index)
    Store(root, config.index, config.objects, config.storage_options()).close()
    path = write_config(root.parent, config)
    if as_json:
        print_json(
            {
                "config": str(path),
                "index": config.index,
                "objects": config.objects,
                "endpoint_url": config.endpoint_url,
            }
        )
        return
    click.echo(f"wrote {path}: this project now uses the team store")
    click.echo(f"  index    {config.index}")
    click.echo(f"  objects  {config.objects}")
    click.echo("commit it; `greenhouse push` copies this project's runs and versions there")


@store_group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@click.pass_context
def info_command(ctx: click.Context, as_json: bool) -> None:
    """Show where the store's index and objects are and its schema (no secrets)."""
    from ..errors import StoreUnavailable
    from ..store import describe

    info = describe(store_root(ctx), local=ctx.obj["local"])
    if as_json:
        print_json(info)
        ctx.exit(StoreUnavailable.exit_code if info["problem"] else 0)
    schema = info["schema"]
    if info["problem"]:
        state = f"unknown: {info['problem']}"
    elif schema is None:
        state = "no index yet (made on first use)"
    elif schema == info["latest_schema"]:
        state = f"{schema} (up to date)"
    else:
        state = (
            f"{schema} (this greenhouse reads {info['latest_schema']}: `greenhouse store upgrade`)"
        )
    click.echo(f"store      {info['store']}")
    click.echo(f"config     {info['config'] or 'none (the folder holds the store)'}")
    click.echo(f"index      {info['index']} ({info['database']})")
    endpoint = f" (endpoint {info['endpoint_url']})" if info["endpoint_url"] else ""
    click.echo(f"objects    {info['objects']}{endpoint}")
    click.echo(f"schema     {state}")
    if info["problem"]:
        ctx.exit(StoreUnavailable.exit_code)


@store_group.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print the schema before and after as JSON.")
@click.pass_context
def upgrade_command(ctx: click.Context, as_json: bool) -> None:
    """Migrate the store's index to this greenhouse's format (a no-op when it is already)."""
    from ..store import describe, upgrade

    root = store_root(ctx)
    info = describe(root)
    where = root if info["database"] == "sqlite" else info["index"]
    before, after = upgrade(root)
    if as_json:
        print_json(
            {"store": str(where), "before": before, "after": after, "upgraded": before != after}
        )
        return
    if before == after:
        click.echo(f"The store at {where} is up to date (schema {after})")
    else:
        click.echo(f"Upgraded the store at {where} from schema {before or 'v0'} to {after}")
