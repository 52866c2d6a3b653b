"""The kernel's environment from a terminal: which variables a run records, and ``env``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidInput
from .group import cli, open_store, print_json


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


@cli.command("env")
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
