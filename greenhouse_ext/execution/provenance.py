"""Where a run came from: the environment, the git state and the declared inputs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
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


GIT_UNTRACKED = "untracked"
GIT_MODIFIED = "modified"
GIT_CLEAN = "clean"


def packages_sha256(pkgs: Mapping[str, str]) -> str:
    """A single hash of the package set, to tell at a glance whether two environments match."""
    return sha256_bytes(json.dumps(dict(sorted(pkgs.items()))).encode())


def _git(folder: str | os.PathLike[str], *args: str) -> str | None:
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
    return done.stdout.strip("\n") if done.returncode == 0 else None


def git_state(
    folder: str | os.PathLike[str],
    notebook: Path | None = None,
    inputs: Mapping[str, Path] | None = None,
) -> dict[str, Any] | None:
    """Return the git state of the repository holding ``folder``, or None outside one.

    ``{commit, branch, dirty}``, where ``dirty`` says whether any tracked file of the tree
    differs from the commit; with ``notebook`` and ``inputs`` (name: path), also the
    state of each of those files: ``untracked`` (not in git, or ignored), ``modified``
    (differs from the commit, staged or not) or ``clean``.
    """
    commit = _git(folder, "rev-parse", "HEAD")
    top = _git(folder, "rev-parse", "--show-toplevel")
    if commit is None or top is None:
        return None
    branch = _git(folder, "rev-parse", "--abbrev-ref", "HEAD")
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    state: dict[str, Any] = {
        "commit": commit,
        "branch": None if branch in (None, "HEAD") else branch,
        "dirty": bool(status),
    }
    named = dict(inputs or {})
    files = ([notebook] if notebook is not None else []) + list(named.values())
    states = _file_states(Path(top), files)
    if notebook is not None:
        state["notebook"] = states[notebook]
    state["inputs"] = {name: states[path] for name, path in named.items()}
    return state


def _file_states(top: Path, files: list[Path]) -> dict[Path, str]:
    """Each file's state against HEAD, from one ``git status`` of those paths."""
    inside: dict[str, Path] = {}
    states: dict[Path, str] = {}
    root = top.resolve()
    for path in files:
        try:
            inside[path.resolve().relative_to(root).as_posix()] = path
        except ValueError:
            states[path] = GIT_UNTRACKED
    if not inside:
        return states
    listing = _git(
        root,
        "status",
        "--porcelain",
        "-z",
        "--untracked-files=all",
        "--ignored",
        "--",
        *inside,
    )
    codes: dict[str, str] = {}
    for entry in (listing or "").split("\0"):
        if len(entry) > 3:
            codes[entry[3:]] = entry[:2]
    for relative, path in inside.items():
        code = codes.get(relative)
        if code is None:
            states[path] = GIT_CLEAN
        elif code in ("??", "!!"):
            states[path] = GIT_UNTRACKED
        else:
            states[path] = GIT_MODIFIED
    return states


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
