"""References to what can be compared or re-run: a run id, NAME@N, NAME@ALIAS, NAME, or a file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, NotFound
from ..models import Run, Version
from ..notebooks import names_notebook, read_notebook
from .index import Store

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
REF_FORMS = "a run id, NAME@N, NAME@ALIAS, NAME (its latest version) or a path to an .ipynb file"


@dataclass
class Subject:
    """What a reference points at: a notebook, and the run and version it came from, if any."""

    ref: str
    kind: str
    notebook: dict[str, Any]
    run: Run | None = None
    version: Version | None = None

    @property
    def label(self) -> str:
        if self.version is not None:
            return self.version.ref
        if self.run is not None:
            return f"run {self.run.id}"
        return self.ref


def check_name(value: str, what: str = "name") -> str:
    """Return ``value`` if it is a valid artefact or alias name, else raise InvalidInput."""
    if not NAME_PATTERN.fullmatch(value or ""):
        raise InvalidInput(
            f"{value!r} is not a valid {what}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (at most 200 characters)"
        )
    return value


def resolve_version(store: Store, ref: str) -> Version:
    """Resolve ``NAME@N``, ``NAME@ALIAS`` or ``NAME`` to a published version."""
    name, _, suffix = ref.partition("@")
    check_name(name)
    if "@" not in ref:
        return store.get_version(name)
    if suffix.isdigit():
        return store.get_version(name, int(suffix))
    return store.get_version(name, alias=check_name(suffix, "alias"))


def resolve(store: Store, ref: str, base: Path | None = None) -> Subject:
    """Resolve any reference form to a Subject.

    Raises
    ------
    InvalidInput
        The reference is malformed.
    NotFound
        Nothing of that name exists; the message lists the accepted forms.
    """
    subject = file_subject(ref, base)
    if subject is not None:
        return subject
    if "@" in ref:
        version = resolve_version(store, ref)
        return _run_subject(store, ref, store.get_run(version.run_id), version)
    run = _find_run(store, ref)
    if run is not None:
        return _run_subject(store, ref, run, None)
    if NAME_PATTERN.fullmatch(ref):
        try:
            version = store.get_version(ref)
        except NotFound:
            pass
        else:
            return _run_subject(store, ref, store.get_run(version.run_id), version)
    raise NotFound(f"{ref!r} is not a run, a published name or a notebook file; give {REF_FORMS}")


def _find_run(store: Store, ref: str) -> Run | None:
    try:
        return store.get_run(ref)
    except NotFound:
        return None


def file_subject(ref: str, base: Path | None = None) -> Subject | None:
    """The notebook file ``ref`` names (a path ending like a notebook, or any existing file).

    Returns None when ``ref`` names no file, so it is for the store to resolve.

    Raises
    ------
    InvalidInput
        The reference is empty, or the file is not a notebook.
    NotFound
        ``ref`` ends like a notebook (`names_notebook`) and no such file exists.
    """
    if not ref:
        raise InvalidInput(f"An empty reference: give {REF_FORMS}")
    path = Path(base or Path.cwd(), ref)
    if not (names_notebook(ref) or path.is_file()):
        return None
    if not path.is_file():
        raise NotFound(f"Notebook file {ref!r} does not exist")
    return Subject(ref=ref, kind="file", notebook=read_notebook(path, ref).notebook)


def _run_subject(store: Store, ref: str, run: Run, version: Version | None) -> Subject:
    if run.output_object is None:
        raise NotFound(f"Run {run.id} has no executed notebook (status {run.status.value})")
    notebook = json.loads(store.get_object(run.output_object))
    return Subject(
        ref=ref, kind="version" if version else "run", notebook=notebook, run=run, version=version
    )
