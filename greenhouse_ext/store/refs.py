"""One grammar for references: run ids and prefixes, NAME@N, NAME@ALIAS, NAME, sweep ids, files.

Every command, the REST API and the panel resolve through this module: a version's
reference where a run is wanted means the version's run (`find_run`), and a published
run where a version is wanted means its version (`find_version`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound, ambiguous, did_you_mean, missing_notebook
from ..models import FILE_REF_FORMS, MIN_PREFIX, REF_FORMS, Run, Version
from ..notebooks import names_notebook, read_notebook

if TYPE_CHECKING:
    from .index import Store

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


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
    """Resolve ``NAME@N``, ``NAME@ALIAS`` or ``NAME`` to a published version.

    A name nothing is published as is NotFound, suggesting the nearest published names.
    """
    name, _, suffix = ref.partition("@")
    check_name(name)
    if "@" in ref and not suffix.isdigit():
        check_name(suffix, "alias")
    find_name(store, name)
    if "@" not in ref:
        return store.get_version(name)
    if suffix.isdigit():
        return store.get_version(name, int(suffix))
    return store.get_version(name, alias=suffix)


def find_name(store: Store, name: str) -> str:
    """``name`` if something is published as it; else NotFound suggesting the nearest names."""
    names = store.artefact_names()
    if check_name(name) not in names:
        hint = did_you_mean(name, names) or "; `greenhouse publish` makes versions"
        raise NotFound(f"Nothing is published as {name!r}{hint}")
    return name


def find_version(store: Store, ref: str) -> Version:
    """The version ``ref`` names: ``NAME@N``, ``NAME@ALIAS``, ``NAME``, or a published run.

    A run's id (or unique prefix) means the version published from it.

    Raises
    ------
    InvalidInput
        ``ref`` is malformed or an ambiguous prefix, or the run was published as several
        versions (the message names them).
    NotFound
        No such version, or the run is not published; the message suggests what exists.
    """
    _check_given(ref)
    if "@" in ref or not _run_like(ref) or ref in store.artefact_names():
        return resolve_version(store, ref)
    try:
        run = store.get_run(ref)
    except NotFound:
        return resolve_version(store, ref)
    versions = store.versions_of_run(run.id)
    if not versions:
        raise NotFound(
            f"Run {run.id} is not published; `greenhouse publish {run.id} --name NAME` "
            "makes it a version"
        )
    if len(versions) > 1:
        refs = ", ".join(v.ref for v in versions)
        raise InvalidInput(f"Run {run.id} is published as several versions ({refs}): give one")
    return versions[0]


def find_run(store: Store, ref: str) -> Run:
    """The run ``ref`` names: an id, a unique prefix, or a version's reference (its run).

    Raises
    ------
    InvalidInput
        ``ref`` is malformed, an ambiguous prefix (the message lists the ids) or too
        short a prefix (the message gives the minimum).
    NotFound
        No such run or version; the message lists the forms and the nearest names.
    """
    return _run_and_version(store, ref)[0]


def find_sweep(store: Store, ref: str) -> str:
    """The sweep id ``ref`` names: the whole id or a unique prefix of `MIN_PREFIX`+ characters.

    Raises
    ------
    InvalidInput
        An ambiguous or too short prefix.
    NotFound
        No sweep's id is or starts with ``ref``.
    """
    _check_given(ref, "a sweep id")
    ids = store.sweep_ids(ref)
    if ref in ids:
        return ref
    if len(ref) < MIN_PREFIX and ids:
        raise InvalidInput(
            f"Sweep id prefix {ref!r} is too short: give at least {MIN_PREFIX} characters"
        )
    if len(ids) == 1:
        return ids[0]
    if ids:
        raise InvalidInput(ambiguous("Sweep id prefix", ref, ids))
    raise NotFound(
        f"No sweep {ref!r} in the store at {store.root}; "
        "`greenhouse sweep` prints the id of each sweep it starts"
    )


def resolve(store: Store, ref: str, base: Path | None = None) -> Subject:
    """Resolve any reference form to a Subject: a notebook file, a run or a version.

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
    run, version = _run_and_version(store, ref, files=True)
    if run.output_object is None:
        raise NotFound(f"Run {run.id} has no executed notebook (status {run.status.value})")
    notebook = json.loads(store.get_object(run.output_object))
    return Subject(
        ref=ref, kind="version" if version else "run", notebook=notebook, run=run, version=version
    )


def file_subject(ref: str, base: Path | None = None) -> Subject | None:
    """The notebook file ``ref`` names (a path ending like a notebook, or any existing file).

    Returns None when ``ref`` names no file, so it is for the store to resolve.

    Raises
    ------
    InvalidInput
        The reference is empty, or the file is not a notebook.
    NotFound
        ``ref`` ends like a notebook (`names_notebook`) and no such file exists (the
        nearest file is suggested).
    """
    _check_given(ref, FILE_REF_FORMS)
    path = Path(base or Path.cwd(), ref)
    if not (names_notebook(ref) or path.is_file()):
        return None
    if not path.is_file():
        raise missing_notebook(ref, base)
    return Subject(ref=ref, kind="file", notebook=read_notebook(path, ref).notebook)


def find_notebook(store: Store, path: str) -> str:
    """The notebook label runs of ``path`` are recorded under (relative to the project).

    ``path`` is relative to the working directory, like every other path.

    Raises
    ------
    NotFound
        No file is at ``path`` and no run was recorded under it; the message suggests the
        nearest notebook, or the path from here when ``path`` was given from the project.
    """
    resolved = Path(path).resolve()
    project = store.root.parent.resolve()
    # As run records name a notebook: relative to the project when inside it.
    inside = resolved.is_relative_to(project)
    label = (resolved.relative_to(project) if inside else resolved).as_posix()
    if resolved.is_file() or store.list_runs(label, limit=1):
        return label
    if store.list_runs(path, limit=1):
        here = os.path.relpath(project / path)
        raise NotFound(
            f"Notebook file {path!r} does not exist here: paths are relative to the working "
            f"directory; give {here}"
        )
    raise missing_notebook(path)


def _run_and_version(store: Store, ref: str, *, files: bool = False) -> tuple[Run, Version | None]:
    _check_given(ref, FILE_REF_FORMS if files else REF_FORMS)
    if "@" in ref:
        version = resolve_version(store, ref)
        return store.get_run(version.run_id), version
    try:
        return store.get_run(ref), None
    except (InvalidInput, NotFound) as exc:
        names = store.artefact_names() if NAME_PATTERN.fullmatch(ref) else []
        if ref in names:
            version = store.get_version(ref)
            return store.get_run(version.run_id), version
        if isinstance(exc, InvalidInput):
            raise
        what = (
            "a run, a published name or a notebook file" if files else "a run or a published name"
        )
        raise NotFound(
            f"{ref!r} is not {what} in the store at {store.root}; "
            f"give {FILE_REF_FORMS if files else REF_FORMS}{did_you_mean(ref, names)}"
        ) from None


def _run_like(ref: str) -> bool:
    return ref.isalnum() and ref.lower() == ref


def _check_given(ref: str, forms: str = REF_FORMS) -> None:
    if not ref:
        raise InvalidInput(f"An empty reference: give {forms}")
