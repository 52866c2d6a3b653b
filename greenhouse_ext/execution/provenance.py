"""Where a run came from: the environment, the git state and the declared inputs."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..models import InputFile
from ..store import sha256_bytes

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """Return ``(hex sha256, size in bytes)`` of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def source_sha256(nb: Mapping[str, Any]) -> str:
    """Hash a notebook's cell types and sources, ignoring outputs, ids and metadata.

    Two notebooks that differ only by their outputs or execution counts hash the same.
    """
    cells = [
        {"cell_type": cell.get("cell_type"), "source": _text(cell.get("source", ""))}
        for cell in nb.get("cells", [])
    ]
    return sha256_bytes(json.dumps(cells, sort_keys=True).encode())


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def packages() -> dict[str, str]:
    """Return ``{distribution name: version}`` for every installed distribution."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower().replace("_", "-")] = dist.version
    return dict(sorted(found.items()))


def packages_sha256(pkgs: Mapping[str, str]) -> str:
    """A single hash of the package set, to tell at a glance whether two environments match."""
    return sha256_bytes(json.dumps(dict(sorted(pkgs.items()))).encode())


def git_state(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return ``{commit, branch, dirty}`` of the repository holding ``folder``, or None."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "branch": None if branch in (None, "HEAD") else branch,
        "dirty": bool(status),
    }


def hash_inputs(paths: Iterable[str], base: str | os.PathLike[str]) -> list[InputFile]:
    """Hash each declared input file; paths are relative to ``base`` unless absolute.

    Raises
    ------
    InvalidInput
        Listing every declared input that is missing or is not a file.
    """
    found: list[InputFile] = []
    problems: list[str] = []
    for given in paths:
        path = Path(base, given)
        if not path.is_file():
            problems.append(f"input {given!r} is not a file (looked for {path})")
            continue
        digest, size = sha256_file(path)
        found.append(InputFile(path=given, sha256=digest, size=size))
    if problems:
        raise InvalidInput(
            "Declared inputs must be existing files: " + "; ".join(problems), problems
        )
    return found


def python_version() -> str:
    """E.g. ``3.11.7 (CPython)``."""
    return f"{platform.python_version()} ({platform.python_implementation()})"
