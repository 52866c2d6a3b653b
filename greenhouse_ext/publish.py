"""Publishing: a succeeded run becomes an immutable numbered version; copies, aliases, checks."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec

from .errors import Conflict, GreenhouseError, InvalidInput, NotFound
from .execute import now
from .models import ManifestFile, Run, RunStatus, Version
from .provenance import sha256_bytes
from .refs import check_name, resolve_version
from .store import Store

MANIFEST = "manifest.json"
NOTEBOOK = "notebook.ipynb"
REPORT = "report.html"
METRICS = "metrics.json"
FILES_DIR = "files"
INDEX = "index.json"
VERSION_RECORD = "version.json"
MANIFEST_FORMAT = "greenhouse.manifest/1"
# Object stores write each object in one request, so a temporary name would only add a copy.
ATOMIC_PUT_PROTOCOLS = {"s3", "s3a", "gs", "gcs", "abfs", "az", "adl"}


@dataclass
class FileProblem:
    """One published file that is not what its manifest says."""

    path: str
    problem: str
    expected_sha256: str
    actual_sha256: str | None = None


@dataclass
class VerifyResult:
    """The outcome of recomputing every file's sha256 of one version."""

    ref: str
    location: str
    checked: int
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def check_alias(alias: str) -> str:
    """Return ``alias`` if it is a valid alias name; a number would read as a version."""
    check_name(alias, "alias")
    if alias.isdigit():
        raise InvalidInput(f"{alias!r} is not a valid alias: NAME@{alias} means version {alias}")
    return alias


def publish(
    store: Store, run_ref: str, name: str, aliases: Iterable[str] = (), to: str | None = None
) -> Version:
    """Make a succeeded run the next version of ``name``.

    Everything is checked before the store changes. The version holds the executed
    notebook, an offline HTML report, the metrics, the run's captured files and a
    manifest with the run record and a sha256 and size for every other file.

    Parameters
    ----------
    store : Store
        Where the run is and the version goes.
    run_ref : str
        A run id or a unique prefix of one.
    name : str
        The artefact's name; versions are numbered from 1 per name.
    aliases : iterable of str
        Aliases to point at the new version (moved if they pointed elsewhere).
    to : str, optional
        An fsspec URL to copy the version to as ``NAME/N/...`` (see :func:`write_to`).

    Raises
    ------
    InvalidInput
        A bad name, alias or URL.
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
    version = store.add_version(_build_version(store, run, name))
    for alias in alias_names:
        store.set_alias(name, alias, version.number)
    version.aliases = alias_names
    if to is not None:
        try:
            write_to(store, version, to)
        except GreenhouseError as exc:
            raise type(exc)(
                f"{version.ref} is published in the store, but copying it to {to} failed: "
                f"{exc.message}; `greenhouse push {version.ref} --to {to}` tries again"
            ) from exc
    return version


def _publishable_run(store: Store, run_ref: str) -> Run:
    run = store.get_run(run_ref)
    if run.status is not RunStatus.SUCCEEDED:
        raise Conflict(f"Run {run.id} is {run.status.value}: only a succeeded run can be published")
    if run.output_object is None or not store.has_object(run.output_object):
        raise Conflict(f"Run {run.id} has no executed notebook in the store")
    missing = [f.name for f in run.files if not store.has_object(f.sha256)]
    if missing:
        raise Conflict(f"Run {run.id} lacks captured files in the store: {', '.join(missing)}")
    return run


def _build_version(store: Store, run: Run, name: str) -> Version:
    """Store the report, metrics and manifest objects and return the unnumbered version."""
    from .report import render_html

    assert run.output_object is not None
    captured = _captured_files(run)
    notebook = _read_checked(store, run.output_object, NOTEBOOK)
    report = render_html(json.loads(notebook), title=name, run=run)
    metrics = (json.dumps(run.metrics, indent=2, sort_keys=True) + "\n").encode()
    files = [
        ManifestFile(NOTEBOOK, run.output_object, len(notebook)),
        ManifestFile(REPORT, store.put_object(report), len(report)),
        ManifestFile(METRICS, store.put_object(metrics), len(metrics)),
        *captured,
    ]
    created_at = now()
    manifest = {
        "format": MANIFEST_FORMAT,
        "name": name,
        "created_at": created_at,
        "run": run.to_dict(),
        "files": [asdict(f) for f in files],
    }
    manifest_sha256 = store.put_object(_json_bytes(manifest))
    return Version(
        name=name,
        number=0,
        run_id=run.id,
        created_at=created_at,
        manifest_sha256=manifest_sha256,
        files=files,
        metrics=dict(run.metrics),
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


def set_alias(store: Store, ref: str, alias: str, to: str | None = None) -> Version:
    """Point ``alias`` at the version ``ref`` names, atomically; also at ``to`` if given.

    Raises
    ------
    InvalidInput
        A bad reference, alias or URL.
    NotFound
        No such version.
    """
    check_alias(alias)
    location = Location(to) if to is not None else None
    version = resolve_version(store, ref)
    store.set_alias(version.name, alias, version.number)
    version = store.get_version(version.name, version.number)
    if location is not None:
        if location.holds(version):
            location.write_index(store, version.name)
        else:
            write_to(store, version, location.url)
    return version


def write_to(store: Store, version: Version, url: str) -> str:
    """Copy a version to ``URL/NAME/N/`` and refresh ``URL/NAME/index.json``; return its URL.

    Every file is written under a temporary name and moved into place where the
    filesystem can rename (object stores write each object whole). ``version.json`` is
    written last; the index is rebuilt from every ``version.json`` there rather than
    edited, so any later write restores an entry that a racing writer left out. A
    different version already at ``NAME/N`` is never replaced. Idempotent: pushing the
    same version again repairs a damaged copy.

    Raises
    ------
    InvalidInput
        The URL's filesystem is unknown or its package (e.g. s3fs) is not installed.
    Conflict
        ``NAME/N`` there holds another version, or a stored object is damaged.
    GreenhouseError
        The location cannot be written.
    """
    location = Location(url)
    folder = (version.name, str(version.number))
    existing = location.read(*folder, MANIFEST)
    if existing is not None and sha256_bytes(existing) != version.manifest_sha256:
        raise Conflict(
            f"{location.url}/{version.name}/{version.number} already holds a different "
            "version; versions are never overwritten (let one index number them: "
            "share the store, or GREENHOUSE_INDEX_URL)"
        )
    for entry in version.files:
        location.write(_read_checked(store, entry.sha256, entry.path), *folder, entry.path)
    location.write(_read_checked(store, version.manifest_sha256, MANIFEST), *folder, MANIFEST)
    record = {k: v for k, v in version.to_dict().items() if k != "aliases"}
    location.write(_json_bytes(record), *folder, VERSION_RECORD)
    location.write_index(store, version.name)
    return location.at(*folder)


def verify(store: Store, ref: str) -> VerifyResult:
    """Recompute the sha256 of every file of a stored version, the manifest included.

    Parameters
    ----------
    store : Store
        The store holding the version.
    ref : str
        ``NAME@N``, ``NAME@ALIAS`` or ``NAME`` (its latest version).

    Returns
    -------
    VerifyResult
        ``ok`` when every file is present and unchanged; otherwise the problems.
    """
    version = resolve_version(store, ref)
    expected = [(MANIFEST, version.manifest_sha256)] + [(f.path, f.sha256) for f in version.files]
    problems = _check(
        expected, lambda _, digest: store.get_object(digest) if store.has_object(digest) else None
    )
    return VerifyResult(version.ref, str(store.root), len(expected), problems)


def verify_at(url: str, ref: str) -> VerifyResult:
    """Check a copy made by :func:`write_to` against its manifest and the index there.

    Parameters
    ----------
    url : str
        The location given to ``write_to`` (not including ``NAME/N``).
    ref : str
        ``NAME@N``, ``NAME@ALIAS`` or ``NAME``, resolved with ``URL/NAME/index.json``.
    """
    location = Location(url)
    name, number, entry = location.resolve(ref)
    folder = (name, str(number))
    manifest = location.read(*folder, MANIFEST)
    expected = [(MANIFEST, str(entry["manifest_sha256"]))]
    if manifest is not None:
        expected += [(f["path"], f["sha256"]) for f in _manifest_files(manifest)]
    problems = _check(expected, lambda path, _: location.read(*folder, path))
    return VerifyResult(f"{name}@{number}", location.at(*folder), len(expected), problems)


def _manifest_files(manifest: bytes) -> list[dict[str, Any]]:
    try:
        files = json.loads(manifest).get("files")
    except (ValueError, AttributeError):
        return []
    return [f for f in files or [] if isinstance(f, dict) and {"path", "sha256"} <= set(f)]


def _check(
    expected: list[tuple[str, str]], read: Callable[[str, str], bytes | None]
) -> list[FileProblem]:
    problems = []
    for path, digest in expected:
        if not _is_safe(path):
            problems.append(FileProblem(path, "unsafe path", digest))
            continue
        data = read(path, digest)
        if data is None:
            problems.append(FileProblem(path, "missing", digest))
        elif (actual := sha256_bytes(data)) != digest:
            problems.append(FileProblem(path, "changed", digest, actual))
    return problems


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
    version = resolve_version(store, ref)
    contents = {f.path: _read_checked(store, f.sha256, f.path) for f in version.files}
    contents[MANIFEST] = _read_checked(store, version.manifest_sha256, MANIFEST)
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


def _read_checked(store: Store, digest: str, what: str) -> bytes:
    if not store.has_object(digest):
        raise Conflict(f"The store has lost {what} (object {digest}); see `greenhouse verify`")
    data = store.get_object(digest)
    if sha256_bytes(data) != digest:
        raise Conflict(f"The store's copy of {what} is damaged (object {digest})")
    return data


def _is_safe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and not {"..", "."} & set(parts)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


class Location:
    """A place outside the store that holds copies of versions: any fsspec URL.

    Layout: ``NAME/index.json`` (versions and aliases) and ``NAME/N/`` holding the
    version's files, ``manifest.json`` and ``version.json`` (its record).
    """

    def __init__(self, url: str) -> None:
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as exc:
            raise InvalidInput(f"Cannot use {url!r} as a location: {exc}") from None
        self.url = url.rstrip("/")
        protocols = self.fs.protocol
        protocols = {protocols} if isinstance(protocols, str) else set(protocols)
        self.renames = not protocols & ATOMIC_PUT_PROTOCOLS

    def path(self, *parts: str) -> str:
        """The filesystem path of ``parts`` here."""
        return "/".join([self.root.rstrip("/"), *parts])

    def at(self, *parts: str) -> str:
        """The URL of ``parts`` here."""
        return "/".join([self.url, *parts])

    def read(self, *parts: str) -> bytes | None:
        """The bytes at ``parts``, or None when there is no such file."""
        try:
            data: bytes = self.fs.cat_file(self.path(*parts))
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:
            raise GreenhouseError(f"Cannot read {self.at(*parts)}: {exc}") from None
        return data

    def write(self, data: bytes, *parts: str) -> None:
        """Write ``data`` at ``parts``, through a temporary name where renames are atomic."""
        target = self.path(*parts)
        folder = target.rsplit("/", 1)[0]
        try:
            self.fs.makedirs(folder, exist_ok=True)
            if not self.renames:
                self.fs.pipe_file(target, data)
                return
            tmp = f"{folder}/.{uuid.uuid4().hex}.tmp"
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, target)
        except OSError as exc:
            raise GreenhouseError(f"Cannot write {self.at(*parts)}: {exc}") from None

    def holds(self, version: Version) -> bool:
        """True when this version's manifest is here."""
        manifest = self.read(version.name, str(version.number), MANIFEST)
        return manifest is not None and sha256_bytes(manifest) == version.manifest_sha256

    def write_index(self, store: Store, name: str) -> None:
        """Rebuild ``NAME/index.json`` from the version records here and the store's aliases."""
        versions = sorted(
            (
                {k: r[k] for k in ("number", "run_id", "created_at", "manifest_sha256", "metrics")}
                for r in self._records(name)
            ),
            key=lambda r: int(r["number"]),
        )
        numbers = {int(v["number"]) for v in versions}
        try:
            previous = self._index(name) or {}
        except Conflict:
            previous = {}
        aliases = {**previous.get("aliases", {}), **store.aliases(name)}
        index = {
            "name": name,
            "versions": versions,
            "aliases": {a: n for a, n in sorted(aliases.items()) if n in numbers},
        }
        self.write(_json_bytes(index), name, INDEX)

    def _records(self, name: str) -> list[dict[str, Any]]:
        """The readable ``version.json`` records of ``name`` here (a damaged one is left out)."""
        found = self.fs.glob(self.path(name, "*", VERSION_RECORD))
        records = []
        for data in (self.fs.cat(found) if found else {}).values():
            try:
                records.append(Version.from_dict(json.loads(data)).to_dict())
            except (ValueError, TypeError, KeyError):
                continue
        return records

    def _index(self, name: str) -> dict[str, Any] | None:
        data = self.read(name, INDEX)
        if data is None:
            return None
        try:
            index: dict[str, Any] = json.loads(data)
        except ValueError:
            raise Conflict(
                f"{self.at(name, INDEX)} is damaged; `greenhouse push {name} --to {self.url}` "
                "rewrites it"
            ) from None
        return index

    def resolve(self, ref: str) -> tuple[str, int, dict[str, Any]]:
        """``(name, number, index entry)`` for ``NAME@N``, ``NAME@ALIAS`` or ``NAME`` here."""
        name, _, suffix = ref.partition("@")
        check_name(name)
        index = self._index(name)
        if index is None or not index.get("versions"):
            raise NotFound(f"Nothing is published as {name!r} at {self.url}")
        entries = {int(v["number"]): v for v in index["versions"]}
        if not suffix:
            number = max(entries)
        elif suffix.isdigit():
            number = int(suffix)
        elif check_name(suffix, "alias") in index.get("aliases", {}):
            number = int(index["aliases"][suffix])
        else:
            raise NotFound(f"{name!r} at {self.url} has no alias {suffix!r}")
        if number not in entries:
            raise NotFound(f"{name!r} at {self.url} has no version {number}")
        return name, number, entries[number]
