"""Running a published version: its stored notebook, its recorded values, its inputs read anew."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, NotFound
from ..models import ParameterSet, Run, Version, VersionRef
from ..notebooks import NotebookFile, names_notebook, parse_notebook
from ..parameters import DEFAULT_VALUE_LIMIT, ValueLimit, discover, validate
from ..store import Store, find_version
from . import provenance
from .execute import Job, check_options, environment_query, run_kernel


def names_file(ref: str) -> bool:
    """Whether ``greenhouse run REF`` runs a file: a notebook's name, or a path.

    ``REF`` ends like a notebook (``.ipynb``, or a text notebook's ``.py``, ``.md``...) or
    holds a separator.

    Anything else (``penguins``, ``penguins@3``, ``penguins@production``) names a
    published version, even when a file of that name exists: write ``./penguins`` for it.
    """
    separators = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return names_notebook(ref) or any(s in ref for s in separators)


def version_filter(store: Store, ref: str) -> tuple[str, int | None]:
    """The name and number a ``--from`` filter means: ``NAME`` is every version of NAME.

    An alias means the version it points at now.

    Raises
    ------
    InvalidInput, NotFound
        As `greenhouse_ext.store.find_version`: nothing of that name, number or alias is published.
    """
    version = find_version(store, ref)
    return version.name, None if ref == version.name else version.number


def prepare_version(
    store: Store,
    ref: str,
    values: Mapping[str, Any],
    *,
    text_values: Mapping[str, str] | None = None,
    kernel: str | None = None,
    timeout: float | None = None,
    timeout_run: float | None = None,
    inputs: Iterable[str] = (),
    value_limit: ValueLimit = DEFAULT_VALUE_LIMIT,
    env_vars: Iterable[str] = (),
    secret_env_vars: Iterable[str] = (),
) -> Job:
    """Check everything about running a published version before any kernel starts.

    The version's own stored notebook runs (not the working copy), in the folder its
    notebook was run from when that still exists (else the project's folder). Its
    recorded parameter values are the defaults; ``values`` (typed) and ``text_values``
    (command-line text, which win) override them and are validated against the
    parameters of the version's notebook. Secret values were never stored, so each
    secret parameter must be given again. The inputs the version's run declared are
    read and hashed again, relative to that folder; ``inputs`` adds more or replaces
    one of the same path. As for a file, the kernel is the notebook's own unless
    ``kernel`` names one, and only the timeouts given apply.

    Parameters
    ----------
    store : Store
        Where the version is published.
    ref : str
        ``NAME@N``, ``NAME@ALIAS`` or ``NAME`` (its latest version).
    values, text_values, kernel, timeout, timeout_run, value_limit, env_vars, secret_env_vars
        As `greenhouse_ext.execution.prepare`.
    inputs : iterable of str
        More declared inputs.

    Returns
    -------
    Job
        The job, with ``from_version`` naming the version by number (also for an alias).

    Raises
    ------
    NotFound
        No such version, or its notebook is not in the store.
    InvalidInput
        A value, a missing secret, the kernel, a timeout or an input is wrong.
    """
    version, run, source, read, spec = _stored_notebook(store, ref)
    secrets = sorted(p.name for p in spec.parameters if p.secret and p.name in run.parameters)
    missing = [name for name in secrets if name not in {**values, **(text_values or {})}]
    if missing:
        flags = " ".join(f"-p {name} VALUE" for name in missing)
        raise InvalidInput(
            f"Version {version.ref} takes the secret parameter(s) {', '.join(missing)}, whose "
            f"values are never stored: give them again ({flags}, or as text under 'secrets' "
            "in the API)"
        )
    check_options(kernel, timeout, timeout_run)
    recorded = {k: v for k, v in run.parameters.items() if k not in secrets}
    coerced = validate(spec, {**recorded, **values}, text_values=text_values, limit=value_limit)
    path = _notebook_path(store.root.parent, run.notebook)
    declared = [item.path for item in run.provenance.inputs] if run.provenance else []
    return Job(
        notebook=run.notebook,
        path=path,
        source=source,
        spec=spec,
        parameters=coerced,
        kernel=run_kernel(read, kernel),
        timeout=timeout,
        timeout_run=timeout_run,
        inputs=provenance.hash_inputs(dict.fromkeys([*declared, *inputs]), path.parent),
        environment_query=environment_query(env_vars, secret_env_vars),
        from_version=VersionRef(version.name, version.number),
        nb=read.notebook,
        notebook_format=read.format,
    )


def version_parameters(store: Store, ref: str) -> ParameterSet:
    """The parameters a run of a published version takes, for a form.

    They are those of the version's own stored notebook, each defaulting to the value the
    version's run recorded; a secret's value was never stored, so it has no default and
    must be given again.

    Raises
    ------
    NotFound, InvalidInput
        As `prepare_version`: no such version, or its notebook is not in the store.
    """
    version, run, _, _, spec = _stored_notebook(store, ref)
    parameters = [
        replace(p, default=None if p.secret else run.parameters.get(p.name, p.default))
        for p in spec.parameters
    ]
    return replace(spec, notebook=version.ref, parameters=parameters)


def _stored_notebook(
    store: Store, ref: str
) -> tuple[Version, Run, bytes, NotebookFile, ParameterSet]:
    """A version, its run, and the run's stored notebook: its bytes, as read, and its parameters."""
    version = find_version(store, ref)
    run = store.get_run(version.run_id)
    if run.source_object is None:
        raise NotFound(f"Version {version.ref} has no stored notebook (run {run.id})")
    source = store.get_object(run.source_object)
    read = parse_notebook(source, run.notebook)
    return version, run, source, read, discover(read.notebook, run.notebook)


def _notebook_path(project: Path, label: str) -> Path:
    """Where the version's notebook was run: its folder if it still exists, else the project."""
    original = Path(project, label).resolve()
    folder = original.parent if original.parent.is_dir() else project.resolve()
    return folder / original.name
