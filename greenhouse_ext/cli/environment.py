"""The kernel's environment from a terminal: which variables a run records, and ``env``."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
