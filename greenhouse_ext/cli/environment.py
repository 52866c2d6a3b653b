"""The kernel's environment from a terminal: which variables a run records, and ``env``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidInput
from .group import cli, open_store, print_json, print_table, store_root


def recorded_variables(
    project: Path, env_vars: tuple[str, ...], secret_env_vars: tuple[str, ...]
) -> dict[str, Any]:
    """The ``env_vars`` and ``secret_env_vars`` options of a run: the names given on the
    command line and those of the project's ``[environment]`` table in greenhouse.toml.
    A secret name is recorded too, masked."""
    from ..store.config import read_environment_settings

    names, secret = read_environment_settings(project)
    secret_names = [*secret, *secret_env_vars]
    return {
        "env_vars": list(dict.fromkeys([*names, *env_vars, *secret_names])),
        "secret_env_vars": secret_names,
    }


class EnvGroup(click.Group):
    """``env REF`` prints an environment; ``env cache ...`` manages the rebuilt ones.

    Arguments that do not start with a subcommand's name (or ask for help) are those
    of `env_command`, which then runs as ``env`` itself: ``greenhouse env REF
    [--json|--requirements]`` reads, and says its usage, as it always did.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        first = args[0] if args else None
        helping = first in (parent.help_option_names if parent else ["--help"])
        if first not in self.commands and not helping:
            return env_command.make_context(info_name, args, parent, **extra)
        return super().make_context(info_name, args, parent, **extra)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] REF | cache COMMAND [ARGS]...")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        env_command.format_options(ctx, formatter)
        self.format_commands(ctx, formatter)


@cli.group("env", cls=EnvGroup)
def env_group() -> None:
    """Print the kernel's environment that REF recorded (a run id, NAME@N, NAME@ALIAS or
    NAME), or manage the environments `reproduce --env recorded` rebuilt (`env cache`).

    `greenhouse env REF` prints Python, platform, packages grouped by origin and the
    declared variables; --json the whole record; --requirements the lock alone.
    """


@click.command("env")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded environment as JSON.")
@click.option("--requirements", is_flag=True, help="Print the lock (requirements.txt) alone.")
@click.pass_context
def env_command(ctx: click.Context, ref: str, as_json: bool, requirements: bool) -> None:
    """Print the kernel's environment of REF (a run id, NAME@N, NAME@ALIAS or NAME):
    Python, platform, packages grouped by origin and the declared variables."""
    from ..artefacts.environment import REQUIREMENTS, by_origin, requirements_txt
    from ..artefacts.manifest import read_checked
    from ..display import describe_kernel, describe_platform
    from ..errors import NotFound
    from ..models import ENVIRONMENT_RECORDED
    from ..store import resolve

    store = open_store(ctx)
    subject = resolve(store, ref)
    if subject.run is None or subject.run.provenance is None:
        raise InvalidInput(f"{ref!r} is a notebook file: give a run or a published version")
    prov = subject.run.provenance
    env = prov.environment
    if as_json:
        print_json(dataclasses.asdict(env) if env is not None else None)
        return
    recorded = env is not None and env.status == ENVIRONMENT_RECORDED
    if requirements:
        if subject.version is not None:
            lock = {f.path: f.sha256 for f in subject.version.files}.get(REQUIREMENTS)
            if lock is None:
                raise NotFound(f"{subject.label} has no lock: its kernel's environment is unknown")
            click.echo(read_checked(store, lock, REQUIREMENTS).decode(), nl=False)
        elif recorded and env is not None:
            click.echo(requirements_txt(env), nl=False)
        else:
            raise NotFound(f"{subject.label} has no lock: {describe_kernel(prov)}")
        return
    click.echo(f"{subject.label}: environment {describe_kernel(prov)}")
    if not recorded or env is None:
        return
    click.echo(f"python     {env.version} ({env.implementation}) {env.executable}")
    click.echo(f"platform   {describe_platform(env)}")
    for name, value in env.variables.items():
        click.echo(f"variable   {name}={'(not set)' if value is None else value}")
    for kind, dists in by_origin(env).items():
        click.echo(f"{kind} ({len(dists)}):")
        for dist in dists:
            where = dist.origin.get("path") or dist.origin.get("url") or ""
            commit = str(dist.origin.get("commit") or "")[:12]
            extra = " ".join(part for part in (where, commit) if part)
            click.echo(f"  {dist.name}=={dist.version}{'  ' + extra if extra else ''}")


@env_group.group("cache")
def cache_group() -> None:
    """The environments `reproduce --env recorded` built, cached under the store by the
    sha256 of their lock."""


@cache_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.pass_context
def cache_list(ctx: click.Context, as_json: bool) -> None:
    """List the cached environments, the most recently used first."""
    from ..store import EnvCache

    entries = EnvCache(store_root(ctx)).entries()
    if as_json:
        print_json([entry.to_dict() for entry in entries])
        return
    if not entries:
        click.echo("no cached environments")
        return
    rows = [[e.sha256[:12], _megabytes(e.size), e.python, _moment(e.last_used)] for e in entries]
    print_table(["SHA256", "SIZE", "PYTHON", "LAST USED"], rows)


@cache_group.command("prune")
@click.option("--all", "everything", is_flag=True, help="Remove every cached environment.")
@click.option(
    "--older-than",
    metavar="DURATION",
    help="Remove the environments not used for this long (30s, 5m, 1h, 30d, 2w).",
)
@click.pass_context
def cache_prune(ctx: click.Context, everything: bool, older_than: str | None) -> None:
    """Remove cached environments: all of them, or those not used for a while."""
    from ..durations import parse_duration
    from ..store import EnvCache

    if everything == (older_than is not None):
        raise InvalidInput("env cache prune: give --all or --older-than DURATION (one of them)")
    seconds = None if older_than is None else parse_duration(older_than, what="--older-than")
    removed = EnvCache(store_root(ctx)).prune(seconds)
    for entry in removed:
        click.echo(f"removed {entry.sha256[:12]}  {entry.python}")
    click.echo(f"{len(removed)} environment(s) removed")


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _moment(stamp: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
