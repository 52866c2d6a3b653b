"""Locations: copies of published versions outside the store, at any fsspec URL."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import Conflict, GreenhouseError, InvalidInput, NotFound
from ..models import Version
from ..store import MANIFEST, Store, check_name, sha256_bytes
from .manifest import VerifyResult, check_files, json_bytes, manifest_files, read_checked

INDEX = "index.json"
VERSION_RECORD = "version.json"
# Object stores write each object in one request, so a temporary name would only add a copy.
ATOMIC_PUT_PROTOCOLS = {"s3", "s3a", "gs", "gcs", "abfs", "az", "adl"}


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

    def create(self, data: bytes, *parts: str) -> bool:
        """Write ``data`` at ``parts`` unless a file is there; True when this call made it.

        Of two writers racing for one name, exactly one makes the file and neither
        replaces the other's: in a folder a complete temporary file is linked to the name
        (a link never replaces a file), elsewhere the filesystem's exclusive create
        (``If-None-Match`` on S3).
        """
        target = self.path(*parts)
        folder = target.rsplit("/", 1)[0]
        try:
            self.fs.makedirs(folder, exist_ok=True)
            if not isinstance(self.fs, LocalFileSystem):
                self.fs.pipe_file(target, data, mode="create")
                return True
            tmp = f"{folder}/.{uuid.uuid4().hex}.tmp"
            self.fs.pipe_file(tmp, data)
            try:
                os.link(tmp, target)
            finally:
                self.fs.rm_file(tmp)
        except FileExistsError:
            return False
        except OSError as exc:
            raise GreenhouseError(f"Cannot write {self.at(*parts)}: {exc}") from None
        return True

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
        self.write(json_bytes(index), name, INDEX)

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


def write_to(store: Store, version: Version, url: str) -> str:
    """Copy a version to ``URL/NAME/N/`` and refresh ``URL/NAME/index.json``; return its URL.

    The manifest comes first, by a conditional create (`Location.create`): it claims
    ``NAME/N`` for this version, so of two writers racing with different versions
    numbered N, one makes the copy and the other stops before writing anything. A
    different version already at ``NAME/N`` is never replaced. Every other file is
    written under a temporary name and moved into place where the filesystem can rename
    (object stores write each object whole). ``version.json`` is written last, marking the
    copy complete; the index is rebuilt from every ``version.json`` there rather than
    edited, so any later write restores an entry that a racing writer left out.
    Idempotent: pushing the same version again completes or repairs its copy.

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
    manifest = read_checked(store, version.manifest_sha256, MANIFEST)
    if not location.create(manifest, *folder, MANIFEST):
        existing = location.read(*folder, MANIFEST)
        if existing is None or sha256_bytes(existing) != version.manifest_sha256:
            raise Conflict(
                f"{location.at(*folder)} already holds a different version, left as it "
                f"is: versions are never overwritten, and {version.ref} was not copied "
                "(let one index number them: share the store, or GREENHOUSE_INDEX_URL)"
            )
    for entry in version.files:
        location.write(read_checked(store, entry.sha256, entry.path), *folder, entry.path)
    record = {k: v for k, v in version.to_dict().items() if k != "aliases"}
    location.write(json_bytes(record), *folder, VERSION_RECORD)
    location.write_index(store, version.name)
    return location.at(*folder)


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
        expected += [(f["path"], f["sha256"]) for f in manifest_files(manifest)]
    problems = check_files(expected, lambda path, _: location.read(*folder, path))
    return VerifyResult(f"{name}@{number}", location.at(*folder), len(expected), problems)
