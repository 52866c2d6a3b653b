"""A run's environment in words and as a lock: what `show`, the report and `env` print."""

from __future__ import annotations

import json

from ..models import ENVIRONMENT_RECORDED, Distribution, KernelEnvironment, Provenance

LOCK_DIR = "environment"
REQUIREMENTS = f"{LOCK_DIR}/requirements.txt"
PYTHON_ENV = f"{LOCK_DIR}/python_env.yaml"
PLATFORM = f"{LOCK_DIR}/platform.json"
_BUILD_TOOLS = ("pip", "setuptools", "wheel")
_NOT_REBUILDABLE = ("editable", "local-file", "local-folder")
_CANNOT_REBUILD = ", which cannot be rebuilt from an index"


def requirement(dist: Distribution) -> str:
    """One line of the lock: a pin, a git or URL reference, or a comment for a local install."""
    origin = dist.origin
    kind = origin.get("kind")
    if kind == "git":
        return f"{dist.name} @ git+{origin.get('url')}@{origin.get('commit')}"
    if kind == "url":
        return f"{dist.name} @ {origin.get('url')}"
    if kind in _NOT_REBUILDABLE:
        what = "an editable install" if kind == "editable" else f"a {kind} install"
        return f"# {dist.name}=={dist.version}: {what} of {origin.get('path')}{_CANNOT_REBUILD}"
    return f"{dist.name}=={dist.version}"


def not_rebuildable(lock: str) -> list[str]:
    """The installs a lock names in comments only (``name==version: an editable install
    of PATH``): those that cannot be rebuilt from an index."""
    return [
        line.removeprefix("# ").removesuffix(_CANNOT_REBUILD)
        for line in lock.splitlines()
        if line.startswith("# ") and line.endswith(_CANNOT_REBUILD)
    ]


def requirements_txt(env: KernelEnvironment) -> str:
    """The pinned ``requirements.txt`` of a recorded environment."""
    header = f"# The kernel's environment: Python {env.version} ({env.implementation})"
    return "\n".join([header, *(requirement(d) for d in env.packages)]) + "\n"


def python_env_yaml(env: KernelEnvironment) -> str:
    """``python_env.yaml`` in MLflow's shape: the Python version, build tools, the lock."""
    versions = env.versions
    tools = [f"{t}=={versions[t]}" if t in versions else t for t in _BUILD_TOOLS]
    lines = [f"python: {env.version}", "build_dependencies:"]
    lines += [f"  - {tool}" for tool in tools]
    lines += ["dependencies:", "  - -r requirements.txt"]
    return "\n".join(lines) + "\n"


def lock_files(prov: Provenance) -> dict[str, bytes]:
    """The lock a version keeps, by path; none when the kernel's environment is unknown."""
    env = prov.environment
    if env is None or env.status != ENVIRONMENT_RECORDED:
        return {}
    platform = {**env.platform, "python": env.version, "implementation": env.implementation}
    return {
        REQUIREMENTS: requirements_txt(env).encode(),
        PYTHON_ENV: python_env_yaml(env).encode(),
        PLATFORM: (json.dumps(platform, indent=2, sort_keys=True) + "\n").encode(),
    }


def by_origin(env: KernelEnvironment) -> dict[str, list[Distribution]]:
    """The distributions grouped by the kind of their origin, index first."""
    groups: dict[str, list[Distribution]] = {}
    for dist in env.packages:
        groups.setdefault(str(dist.origin.get("kind", "unknown")), []).append(dist)
    return dict(sorted(groups.items(), key=lambda item: (item[0] != "index", item[0])))
