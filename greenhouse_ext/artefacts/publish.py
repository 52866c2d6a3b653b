"""Publishing: a succeeded run becomes an immutable numbered version; copies, aliases, checks."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path, PurePosixPath

from ..errors import Conflict, GreenhouseError
from ..models import ManifestFile, Run, RunStatus, Version, now
from ..store import MANIFEST, Store, check_name, find_run, find_version, record_objects, user
from ..store.config import read_max_input_bytes
from .aliases import check_alias
from .environment import lock_files
from .inputs import KeptInput, keep_inputs, manifest_entries
from .locations import Location, write_to
from .manifest import (
    MANIFEST_FORMAT,
    VerifyResult,
    check_files,
    json_bytes,
    read_checked,
)

NOTEBOOK = "notebook.ipynb"
REPORT = "report.html"
METRICS = "metrics.json"
FILES_DIR = "files"


def publish(
    store: Store,
    run_ref: str,
    name: str,
    aliases: Iterable[str] = (),
    to: str | None = None,
    locations: Mapping[str, str] | None = None,
) -> Version:
    """Make a succeeded run the next version of ``name``.

    Everything is checked before the store changes. The version holds the executed
    notebook, an offline HTML report, the metrics, the run's captured files, its
    declared input files up to the project's ``max_input_bytes`` (as ``inputs/PATH``;
    larger ones by hash and location only) and a manifest with the run record and a
    sha256 and size for every other file.

    Parameters
    ----------
    store : Store
        Where the run is and the version goes.
    run_ref : str
        A run id or a unique prefix of one; a version's reference means its run.
    name : str
        The artefact's name; versions are numbered from 1 per name.
    aliases : iterable of str
        Aliases to point at the new version (moved if they pointed elsewhere).
    to : str, optional
        An fsspec URL to copy the version to as ``NAME/N/...`` (see
        :func:`greenhouse_ext.artefacts.locations.write_to`).
    locations : mapping of str to str, optional
        Where each declared input (by its path) can be fetched from later, recorded in
        the manifest: for an input too large to keep (``max_input_bytes``).

    Raises
    ------
    InvalidInput
        A bad name, alias or URL; an input location naming no input; an input file that
        is no longer what the run read.
    NotFound
        No such run.
    Conflict
        The run did not succeed, or its stored objects are missing or damaged; or the
        copy to ``to`` failed after the version was made (the message says so).
    """
    check_name(name)
    alias_names = sorted({check_alias(a) for a in aliases})
    if to is not None:
        Location(to)
    run = _publishable_run(store, run_ref)
    kept = keep_inputs(
        store,
        run,
        Path(store.root.parent, run.notebook).parent,
        read_max_input_bytes(store.root.parent),
        locations,
    )
    # The objects are stored by `_build_version`; the index row naming them comes last.
    version = store.add_version(_build_version(store, run, name, kept), alias_names)
    if to is not None:
        try:
            write_to(store, version, to)
        except GreenhouseError as exc:
            again = (
                ""
                if isinstance(exc, Conflict)
                else f"; `greenhouse push {version.ref} --to {to}` tries again"
            )
            raise type(exc)(
                f"{version.ref} is published in the store, but copying it to {to} failed: "
                f"{exc.message}{again}"
            ) from exc
    return version


def _publishable_run(store: Store, run_ref: str) -> Run:
    run = find_run(store, run_ref)
    if run.status is not RunStatus.SUCCEEDED:
        raise Conflict(f"Run {run.id} is {run.status.value}: only a succeeded run can be published")
    if run.output_object is None:
        raise Conflict(f"Run {run.id} has no executed notebook in the store")
    missing = [what for what, digest in record_objects(run) if not store.has_object(digest)]
    if missing:
        raise Conflict(f"Run {run.id} lacks objects in the store: {', '.join(missing)}")
    return run


def _build_version(store: Store, run: Run, name: str, kept: list[KeptInput]) -> Version:
    """Store the report, metrics and manifest objects and return the unnumbered version."""
    from .report import render_html

    assert run.output_object is not None
    captured = _captured_files(run)
    notebook = read_checked(store, run.output_object, NOTEBOOK)
    report = render_html(json.loads(notebook), title=name, run=run)
    metrics = (json.dumps(run.metrics, indent=2, sort_keys=True) + "\n").encode()
    files = [
        ManifestFile(NOTEBOOK, run.output_object, len(notebook)),
        ManifestFile(REPORT, store.put_object(report), len(report)),
        ManifestFile(METRICS, store.put_object(metrics), len(metrics)),
        *captured,
        *manifest_entries(kept),
    ]
    if run.provenance is not None:
        for path, data in lock_files(run.provenance).items():
            files.append(ManifestFile(path, store.put_object(data), len(data)))
    created_at = now()
    publisher = user()
    manifest = {
        "format": MANIFEST_FORMAT,
        "name": name,
        "published_by": publisher,
        # This publication's own id, kept wherever the version is copied to: two
        # publications of one run in one millisecond still have different manifests.
        "publication": uuid.uuid4().hex,
        "created_at": created_at,
        "run": run.to_dict(),
        "files": [asdict(f) for f in files],
        "inputs": [asdict(k) for k in kept],
    }
    manifest_sha256 = store.put_object(json_bytes(manifest))
    return Version(
        name=name,
        number=0,
        run_id=run.id,
        created_at=created_at,
        manifest_sha256=manifest_sha256,
        files=files,
        metrics=dict(run.metrics),
        published_by=publisher,
    )


def _captured_files(run: Run) -> list[ManifestFile]:
    entries: dict[str, ManifestFile] = {}
    for recorded in sorted(run.files, key=lambda f: f.name):
        path = captured_path(recorded.name)
        if path in entries:
            raise Conflict(f"Run {run.id} captured two files that both publish as {path!r}")
        entries[path] = ManifestFile(path, recorded.sha256, recorded.size)
    return list(entries.values())


def captured_path(name: str) -> str:
    """Where a captured file goes in a version: ``files/`` + its name made relative and safe."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("/", ".", "..")]
    return "/".join([FILES_DIR, *(parts or ["unnamed"])])


def verify(store: Store, ref: str) -> VerifyResult:
    """Recompute the sha256 of every file of a stored version, the manifest included.

    Parameters
    ----------
    store : Store
        The store holding the version.
    ref : str
        ``NAME@N``, ``NAME@ALIAS``, ``NAME`` (its latest version) or a published run.

    Returns
    -------
    VerifyResult
        ``ok`` when every file is present and unchanged; otherwise the problems.
    """
    version = find_version(store, ref)
    expected = record_objects(version)
    problems = check_files(
        expected, lambda _, digest: store.get_object(digest) if store.has_object(digest) else None
    )
    return VerifyResult(version.ref, str(store.root), len(expected), problems)


def export(store: Store, ref: str, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write a version's files and manifest into ``out_dir``; all of them or none.

    Files already there with the same content are left alone; any other existing file
    at one of the version's paths is a conflict, and nothing is written.

    Returns
    -------
    list of Path
        The files of the version in ``out_dir``.

    Raises
    ------
    Conflict
        ``out_dir`` holds different files at the version's paths, or the version is damaged.
    """
    version = find_version(store, ref)
    contents = {f.path: read_checked(store, f.sha256, f.path) for f in version.files}
    contents[MANIFEST] = read_checked(store, version.manifest_sha256, MANIFEST)
    out = Path(out_dir)
    clashes = [p for p, data in contents.items() if _clashes(out, p, data)]
    if clashes:
        raise Conflict(
            f"{out} already holds other files at {version.ref}'s paths; nothing was written",
            [f"{out / p} exists with other content" for p in clashes],
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=".greenhouse-get-", dir=out if out.is_dir() else out.parent)
    )
    try:
        for path, data in contents.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_bytes(data)
        _move_into(staging, out, contents)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / p for p in contents]


def _clashes(out: Path, path: str, data: bytes) -> bool:
    target = out / path
    if any(parent.exists() and not parent.is_dir() for parent in [out, *target.parents]):
        return True
    return target.exists() and (not target.is_file() or target.read_bytes() != data)


def _move_into(staging: Path, out: Path, contents: Mapping[str, bytes]) -> None:
    """One rename when ``out`` is new; else each file renamed into place, already checked."""
    if not out.exists():
        staging.rename(out)
        return
    for path in contents:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / path, target)
