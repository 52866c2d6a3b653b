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


def _untagged(text: str, expected: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    found = data.pop("format", None)
    if found != expected:
        raise OutdatedStore(
            f"A stored record has format {found or 'untagged'!r}, not {expected!r}: "
            "run `greenhouse store upgrade` (or use the greenhouse that wrote the store)"
        )
    return data
