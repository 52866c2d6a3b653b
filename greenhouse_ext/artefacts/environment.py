"""A run's environment in words and as a lock: what `show`, the report and `env` print."""

from __future__ import annotations

import json
from collections import Counter

from ..models import ENVIRONMENT_RECORDED, Distribution, KernelEnvironment, Provenance

FROM_GREENHOUSE = (
    "taken from the greenhouse process, not the kernel "
    "(recorded before greenhouse asked the kernel)"
)


def describe_kernel(prov: Provenance) -> str:
    """Where the record's environment came from: the kernel, nowhere (why), or greenhouse."""
    env = prov.environment
    if env is None:
        return FROM_GREENHOUSE
    if env.status != ENVIRONMENT_RECORDED:
        return f"unknown: {env.reason}"
    return f"from the kernel: {env.executable} (prefix {env.prefix})"


def describe_origins(env: KernelEnvironment) -> str:
    """E.g. ``index 220, editable 1, git 1``."""
    counts = Counter(d.origin.get("kind", "unknown") for d in env.packages)
    return ", ".join(f"{kind} {n}" for kind, n in counts.most_common())


def describe_platform(env: KernelEnvironment) -> str:
    """E.g. ``Linux 6.1.0 x86_64, glibc 2.36, 2 CPUs, no GPU``."""
    plat = env.platform
    libc = plat.get("libc") or {}
    parts = [" ".join(str(plat.get(k) or "?") for k in ("system", "release", "machine"))]
    if libc.get("name"):
        parts.append(f"{libc['name']} {libc.get('version') or '?'}")
    parts.append(f"{plat.get('cpus') or '?'} CPUs")
    gpu = plat.get("gpu")
    if gpu:
        names = ", ".join(gpu.get("names") or [])
        parts.append(f"GPU {names} (driver {gpu.get('driver')}, CUDA {gpu.get('cuda')})")
    else:
        parts.append("no GPU")
    return ", ".join(parts)


def describe_git(prov: Provenance) -> list[str]:
    """The git state: the commit, and each of the notebook and inputs not clean in it."""
    git = prov.git
    if not git:
        return ["not in git (no repository)"]
    dirty = " (tree dirty)" if git.get("dirty") else ""
    lines = [f"{str(git.get('commit'))[:12]} on {git.get('branch') or '-'}{dirty}"]
    files = {"notebook": git.get("notebook"), **(git.get("inputs") or {})}
    for name, state in files.items():
        if state == "untracked":
            lines.append(f"{name}: not in git (untracked)")
        elif state == "modified":
            lines.append(f"{name}: modified since the commit")
    return lines


def environment_lines(prov: Provenance) -> list[str]:
    """The lines `greenhouse show` prints about the environment and git."""
    env = prov.environment
    lines = [f"environment {describe_kernel(prov)}"]
    origins = f"{describe_origins(env)}; " if env is not None and env.packages else ""
    lines.append(f"packages    {len(prov.packages)} ({origins}sha256:{prov.packages_sha256[:16]})")
    if env is not None and env.status == ENVIRONMENT_RECORDED:
        lines.append(f"platform    {describe_platform(env)}")
        for name, value in env.variables.items():
            lines.append(f"variable    {name}={'(not set)' if value is None else value}")
    lines.extend(f"git         {line}" for line in describe_git(prov))
    return lines


LOCK_DIR = "environment"
REQUIREMENTS = f"{LOCK_DIR}/requirements.txt"
PYTHON_ENV = f"{LOCK_DIR}/python_env.yaml"
PLATFORM = f"{LOCK_DIR}/platform.json"
_BUILD_TOOLS = ("pip", "setuptools", "wheel")
_NOT_REBUILDABLE = ("editable", "local-file", "local-folder")


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
        return (
            f"# {dist.name}=={dist.version}: {what} of {origin.get('path')}, "
            "which cannot be rebuilt from an index"
        )
    return f"{dist.name}=={dist.version}"


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
