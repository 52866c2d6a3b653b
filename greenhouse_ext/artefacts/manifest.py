"""A version's manifest: the files it lists with their sha256, and checking copies against it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ..errors import Conflict
from ..store import Store, sha256_bytes

MANIFEST_FORMAT = "greenhouse.manifest/1"


@dataclass
class FileProblem:
    """One published file that is not what its manifest says."""

    path: str
    problem: str
    expected_sha256: str
    actual_sha256: str | None = None


@dataclass
class VerifyResult:
    """The outcome of recomputing every file's sha256 of one version.

    ``checked`` counts the manifest and the files it lists.
    """

    ref: str
    location: str
    checked: int
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def files(self) -> int:
        """How many files the manifest lists (the count `publish` gives): every one checked
        but the manifest itself."""
        return self.checked - 1

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def json_bytes(data: Any) -> bytes:
    """The published form of a manifest, record or index: indented JSON with sorted keys."""
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def manifest_files(manifest: bytes) -> list[dict[str, Any]]:
    """The ``{path, sha256, ...}`` entries of a manifest; none when it is damaged."""
    try:
        files = json.loads(manifest).get("files")
    except (ValueError, AttributeError):
        return []
    return [f for f in files or [] if isinstance(f, dict) and {"path", "sha256"} <= set(f)]


def check_files(
    expected: list[tuple[str, str]], read: Callable[[str, str], bytes | None]
) -> list[FileProblem]:
    """Read every ``(path, sha256)`` with ``read(path, sha256)`` (None: missing) and compare.

    A path that could leave the version's folder is reported as unsafe and never read; a
    file that cannot be read back (``read`` raises Conflict) is reported as changed.
    """
    problems = []
    for path, digest in expected:
        if not _is_safe(path):
            problems.append(FileProblem(path, "unsafe path", digest))
            continue
        try:
            data = read(path, digest)
        except Conflict:
            problems.append(FileProblem(path, "changed", digest))
            continue
        if data is None:
            problems.append(FileProblem(path, "missing", digest))
        elif (actual := sha256_bytes(data)) != digest:
            problems.append(FileProblem(path, "changed", digest, actual))
    return problems


def read_checked(store: Store, digest: str, what: str) -> bytes:
    """The stored object ``digest``, refused (Conflict) when it is lost or damaged."""
    if not store.has_object(digest):
        raise Conflict(f"The store has lost {what} (object {digest}); see `greenhouse verify`")
    data = store.get_object(digest)
    if sha256_bytes(data) != digest:
        raise Conflict(f"The store's copy of {what} is damaged (object {digest})")
    return data


def _is_safe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and not {"..", "."} & set(parts)
