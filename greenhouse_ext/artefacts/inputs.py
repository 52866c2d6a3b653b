"""Declared input files kept in the store with a run or a version, and placed back for re-runs.

A kept input is an object of the store like any other: content-addressed and compressed,
so the same data used by many versions is stored once. A version lists each kept input
in its manifest's files as ``inputs/PATH`` (so `verify`, `get`, `export`, `push` and
`pull` carry and check it) and every declared input, kept or not, in the manifest's
``inputs``: ``{path, sha256, size, kept, location}``. An input too large to keep is
fetched from its location when a re-run needs it, its hash checked before use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import Conflict, InvalidInput
from ..execution import provenance
from ..models import InputFile, ManifestFile, Run, Version
from ..store import Store
from .manifest import read_checked

INPUTS_DIR = "inputs"


@dataclass
class KeptInput:
    """A declared input as a version records it: kept in the store, or by hash and location."""

    path: str
    sha256: str
    size: int
    kept: bool
    location: str | None = None


def input_path(path: str) -> str:
    """Where a declared input goes in a version: ``inputs/`` + its path made relative and safe."""
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in ("/", ".", "..")]
    return "/".join([INPUTS_DIR, *(parts or ["unnamed"])])


def parse_locations(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``NAME=URL`` pairs as a mapping; InvalidInput for one without ``=``."""
    found: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise InvalidInput(
                f"--input-location {item!r} is not NAME=URL: give the input's path as "
                "declared with --input, then =, then an fsspec URL (e.g. s3://bucket/data.csv)"
            )
        found[name] = url
    return found


def keep_inputs(
    store: Store,
    run: Run,
    folder: Path,
    max_bytes: int,
    locations: Mapping[str, str] | None = None,
) -> list[KeptInput]:
    """Store each declared input of ``run`` up to ``max_bytes``; record the others by hash.

    Every file is checked before any is stored. An input the run kept already is not read
    again; a missing one, or one over ``max_bytes``, is recorded by its hash only.

    Parameters
    ----------
    store : Store
        Where the inputs go.
    run : Run
        The run whose ``provenance.inputs`` are kept.
    folder : Path
        The notebook's folder, which the recorded paths are relative to.
    max_bytes : int
        The largest file kept.
    locations : mapping of str to str, optional
        Where to fetch an input later, by its declared path.

    Raises
    ------
    InvalidInput
        A location names no declared input, or an input file is no longer what the run
        read (nothing is stored then).
    Conflict
        A file changed while it was being stored.
    """
    recorded = run.provenance.inputs if run.provenance else []
    where = dict(locations or {})
    unknown = sorted(set(where) - {f.path for f in recorded})
    if unknown:
        declared = ", ".join(f.path for f in recorded) or "none"
        raise InvalidInput(
            f"--input-location names {', '.join(unknown)}, which run {run.id} did not "
            f"declare as inputs (its inputs: {declared})"
        )
    plans: list[tuple[InputFile, Path | None, bool]] = []
    changed: list[str] = []
    for item in recorded:
        path = Path(folder, item.path)
        if item.path in run.kept_inputs and store.has_object(item.sha256):
            plans.append((item, None, True))
        elif not path.is_file() or item.size > max_bytes:
            plans.append((item, None, False))
        elif (digest := provenance.sha256_file(path)[0]) != item.sha256:
            changed.append(f"{item.path}: sha256 {item.sha256[:12]} then, {digest[:12]} now")
        else:
            plans.append((item, path, True))
    if changed:
        raise InvalidInput(
            f"Input file(s) of run {run.id} changed since it ran, so they cannot be kept "
            f"with it: {'; '.join(changed)}. Restore them, or run the notebook again and "
            "publish that run",
            changed,
        )
    kept = []
    for item, source, keep in plans:
        if source is not None and store.put_object(source.read_bytes()) != item.sha256:
            raise Conflict(f"Input {item.path} changed while it was being stored; try again")
        kept.append(KeptInput(item.path, item.sha256, item.size, keep, where.get(item.path)))
    return kept


def manifest_entries(kept: list[KeptInput]) -> list[ManifestFile]:
    """The files a version lists for its kept inputs, at ``inputs/PATH``."""
    return [ManifestFile(input_path(k.path), k.sha256, k.size) for k in kept if k.kept]


def stored_inputs(store: Store, run: Run) -> list[InputFile]:
    """The declared inputs of ``run`` whose content the store holds (kept by it or others)."""
    recorded = run.provenance.inputs if run.provenance else []
    return [item for item in recorded if store.has_object(item.sha256)]


def input_locations(store: Store, version: Version) -> dict[str, str]:
    """Where each declared input that ``version`` did not keep can be fetched, by its path.

    Read from the version's manifest (``publish --input-location PATH=URL``).
    """
    manifest = json.loads(
        read_checked(store, version.manifest_sha256, f"the manifest of {version.ref}")
    )
    return {
        item["path"]: item["location"]
        for item in manifest.get("inputs", [])
        if not item.get("kept") and item.get("location")
    }


def fetch_input(item: InputFile, url: str, target: Path) -> None:
    """Copy the input ``item`` from ``url`` (any fsspec URL) to ``target``, checking its hash.

    Raises
    ------
    Conflict
        The location cannot be read, or holds other data than the run read (nothing is
        left at ``target`` then).
    """
    import fsspec

    digest = hashlib.sha256()
    try:
        with fsspec.open(url, "rb") as source, target.open("wb") as out:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    # Each fsspec backend raises errors of its own (S3's, HTTP's...): any is a fetch failure.
    except Exception as exc:
        target.unlink(missing_ok=True)
        raise Conflict(
            f"Input {item.path} cannot be fetched from {url}: {exc}. Make the location "
            "readable, or reproduce with --inputs current"
        ) from None
    if digest.hexdigest() != item.sha256:
        target.unlink()
        raise Conflict(
            f"Input {item.path} fetched from {url} has sha256 {digest.hexdigest()}, not "
            f"{item.sha256} as the run read: that location no longer holds the run's data. "
            "Restore it, or reproduce with --inputs current"
        )
