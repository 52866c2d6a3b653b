"""Copying runs and versions between two stores: ``greenhouse push`` and ``greenhouse pull``.

What is copied, in order, for each thing selected: every object its record names
(`record_objects`; skipped where the destination has that digest already), then its index
row, so the destination never names an object it lacks. The objects are checked even
when the destination has the record, so copying again repairs a destination that lost
one. Runs keep their ids. A version is numbered by the destination, as
the next of its name there, and is recognised by its name and manifest digest, so copying
it again changes nothing. Aliases are not copied: where an alias points is each store's
own decision (``greenhouse alias`` moves one). Unfinished runs stay where they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import NotFound, did_you_mean
from ..models import Run, Version
from .index import Store
from .records import record_objects
from .refs import check_name, resolve_version


@dataclass
class CopiedVersion:
    """One version as it is called in the store it came from and in the one it went to."""

    source: str
    destination: str
    new: bool


@dataclass
class TransferReport:
    """What a transfer copied, and what the destination had already."""

    runs_copied: list[str] = field(default_factory=list)
    runs_present: int = 0
    runs_unfinished: list[str] = field(default_factory=list)
    versions: list[CopiedVersion] = field(default_factory=list)
    objects_copied: int = 0
    objects_present: int = 0

    def to_dict(self) -> dict[str, object]:
        """The report as JSON-ready data."""
        return {
            "runs_copied": self.runs_copied,
            "runs_present": self.runs_present,
            "runs_unfinished": self.runs_unfinished,
            "versions": [
                {"source": v.source, "destination": v.destination, "new": v.new}
                for v in self.versions
            ],
            "objects_copied": self.objects_copied,
            "objects_present": self.objects_present,
        }


def transfer(source: Store, destination: Store, refs: Sequence[str] = ()) -> TransferReport:
    """Copy runs and versions from ``source`` to ``destination``; idempotent.

    Parameters
    ----------
    source, destination : Store
        Where the records are read and where they are copied to.
    refs : sequence of str
        What to copy: run ids (or unique prefixes), ``NAME`` (every version of it) or
        ``NAME@N`` / ``NAME@ALIAS``; a version brings its run along. Empty: every
        finished run and every version.

    Raises
    ------
    NotFound
        A reference names nothing in ``source``.
    InvalidInput
        A malformed reference.
    """
    copier = _Copier(source, destination)
    runs, versions = _selection(source, refs)
    for run in runs:
        copier.run(run)
    for version in versions:
        copier.version(version)
    return copier.report


def _selection(source: Store, refs: Sequence[str]) -> tuple[list[Run], list[Version]]:
    """The runs and versions ``refs`` name in ``source`` (all of them when none)."""
    if not refs:
        every = source.artefact_names()
        return list(reversed(source.list_runs())), [
            v for n in every for v in source.list_versions(n)
        ]
    runs: list[Run] = []
    versions: list[Version] = []
    names = set(source.artefact_names())
    for ref in refs:
        if "@" in ref:
            versions.append(resolve_version(source, ref))
        elif ref in names:
            versions.extend(source.list_versions(check_name(ref)))
        else:
            try:
                runs.append(source.get_run(ref))
            except NotFound:
                raise NotFound(
                    f"{ref!r} is neither a run nor a published name in the store at "
                    f"{source.root}; give RUN, NAME or NAME@N{did_you_mean(ref, names)}"
                ) from None
    return runs, versions


class _Copier:
    """Copies records one by one, each object at most once."""

    def __init__(self, source: Store, destination: Store) -> None:
        self.source = source
        self.destination = destination
        self.report = TransferReport()
        self._done_objects: set[str] = set()
        self._done_runs: set[str] = set()

    def objects(self, record: Run | Version) -> None:
        for _, digest in record_objects(record):
            if digest in self._done_objects:
                continue
            self._done_objects.add(digest)
            if self.destination.has_object(digest):
                self.report.objects_present += 1
            else:
                self.destination.put_object(self.source.get_object(digest))
                self.report.objects_copied += 1

    def run(self, run: Run) -> None:
        if run.id in self._done_runs:
            return
        self._done_runs.add(run.id)
        if not run.status.finished:
            self.report.runs_unfinished.append(run.id)
            return
        self.objects(run)
        if self.destination.save_run(run, replaces=()):
            self.report.runs_copied.append(run.id)
        else:
            self.report.runs_present += 1

    def version(self, version: Version) -> None:
        source_ref = version.ref
        # A version carries its run's record in its manifest; the run itself may be gone.
        with contextlib.suppress(NotFound):
            self.run(self.source.get_run(version.run_id))
        self.objects(version)
        version.aliases = []
        copied, new = self.destination.import_version(version)
        self.report.versions.append(CopiedVersion(source_ref, copied.ref, new))
