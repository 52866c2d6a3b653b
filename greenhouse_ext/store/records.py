"""The stored form of runs and versions: tagged with a format, kept apart from the API form.

What the index holds is not what the API serves. A stored run keeps fields only greenhouse
itself needs (the process id, the digests of its notebooks); its API form
(:meth:`Run.to_dict`) leaves them out. Every stored record carries a ``format`` tag, so a
record written by another greenhouse is recognised instead of misread; changing the stored
form means a new tag and a migration (``greenhouse_ext/migrations``).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..errors import OutdatedStore
from ..models import Run, Version

RUN_FORMAT = "greenhouse.run/1"
VERSION_FORMAT = "greenhouse.version/1"
MANIFEST = "manifest.json"
"""The name a version's manifest goes by wherever its files are listed or copied."""


def run_record(run: Run) -> str:
    """The stored JSON text of ``run``: every field, the internal ones included, and its tag."""
    data = dataclasses.asdict(run)
    data["status"] = run.status.value
    return json.dumps({**data, "format": RUN_FORMAT}, sort_keys=True)


def run_from_record(text: str) -> Run:
    """The run a stored record holds; OutdatedStore when its format is not this one."""
    return Run.from_dict(_untagged(text, RUN_FORMAT))


def version_record(version: Version) -> str:
    """The stored JSON text of ``version``; its number and aliases live in their own columns."""
    data = dataclasses.asdict(version)
    del data["number"], data["aliases"]
    return json.dumps({**data, "format": VERSION_FORMAT}, sort_keys=True)


def version_from_record(text: str, number: int) -> Version:
    """The version a stored record holds, numbered ``number``."""
    return Version.from_dict({**_untagged(text, VERSION_FORMAT), "number": number})


def record_objects(record: Run | Version) -> list[tuple[str, str]]:
    """Every stored object ``record`` names, as ``(what it is, sha256)`` pairs.

    The one list of what travels with a record: push, pull, ``verify`` and publishing's
    checks all read it here, so no object a record names is ever left behind.

    Parameters
    ----------
    record : Run or Version
        A run names its source and executed notebooks, its captured files, the
        comparison a reproduction stored and the declared inputs it kept; a version
        names its manifest and its files (by their paths in the version).

    Returns
    -------
    list of tuple of (str, str)
        The objects in the order they can be copied, the ones not yet made left out.
    """
    if isinstance(record, Version):
        return [(MANIFEST, record.manifest_sha256), *((f.path, f.sha256) for f in record.files)]
    named = [
        ("source notebook", record.source_object),
        ("executed notebook", record.output_object),
        *((f"captured file {f.name}", f.sha256) for f in record.files),
        ("reproduction", record.reproduction),
        *(
            (f"kept input {f.path}", f.sha256)
            for f in (record.provenance.inputs if record.provenance else [])
            if f.path in record.kept_inputs
        ),
    ]
    return [(what, digest) for what, digest in named if digest is not None]


def _untagged(text: str, expected: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    found = data.pop("format", None)
    if found != expected:
        raise OutdatedStore(
            f"A stored record has format {found or 'untagged'!r}, not {expected!r}: "
            "run `greenhouse store upgrade` (or use the greenhouse that wrote the store)"
        )
    return data
