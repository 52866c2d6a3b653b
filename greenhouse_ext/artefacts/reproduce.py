"""Re-run a recorded run from its stored source and tell whether its outputs reproduce."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Conflict, InvalidInput, NotFound
from ..execution import provenance
from ..models import SECRET_MASK, Execution, InputFile, ProgressCallback, Run, RunStatus
from ..notebooks import parse_notebook
from ..parameters import discover
from ..store import LiveRecord, Store, Subject, resolve
from .inputs import fetch_input, input_locations, stored_inputs
from .manifest import read_checked
from .rebuild import (
    CURRENT,
    ENV_SOURCES,
    RECORDED,
    BuildFailed,
    EnvPlan,
    plan_environment,
    recorded_kernel,
)
from .reproduction import InputChange, Reproduction, compare_runs, unbuilt

STORED = "stored"
INPUT_SOURCES = (STORED, CURRENT)


@dataclass
class Plan:
    """A reproduction checked and ready to run: the run, its source, values and inputs."""

    subject: Subject
    run: Run
    source: bytes
    values: dict[str, Any]
    secrets: dict[str, str]
    changes: list[InputChange]
    inputs: list[InputFile]
    warnings: list[str]
    inputs_from: str = CURRENT
    kept: list[InputFile] = field(default_factory=list)
    environment: EnvPlan | None = None
    fetched: dict[str, str] = field(default_factory=dict)


def plan(
    store: Store,
    ref: str,
    secrets: Mapping[str, str] | None = None,
    base: Path | None = None,
    inputs: str | None = None,
    env: str | None = None,
    allow_partial: bool = False,
) -> Plan:
    """Check everything about reproducing ``ref`` before any kernel starts.

    ``inputs`` is ``stored`` (the declared inputs the store kept, placed in a scratch
    copy of the notebook's folder) or ``current`` (today's files, each one that differs
    from the record reported); by default ``stored`` when the store kept them all.
    ``env`` is ``current`` (the run's kernel as installed today, the default) or
    ``recorded`` (the environment its lock names, rebuilt with uv: see
    `greenhouse_ext.artefacts.rebuild`); ``allow_partial`` rebuilds it without what
    cannot be rebuilt here, instead of refusing.

    Raises
    ------
    InvalidInput
        The reference is malformed or names a file, or secrets are missing or unexpected;
        ``inputs`` is neither ``stored`` nor ``current``, or ``stored`` when the store
        kept none of the run's inputs; ``env`` is neither ``current`` nor ``recorded``,
        or ``recorded`` when the environment cannot be rebuilt (the problems listed).
    NotFound
        Nothing has that reference, or its source is not in the store.
    Conflict
        The run did not succeed.
    """
    if env is not None and env not in ENV_SOURCES:
        raise InvalidInput(f"--env {env!r}: give current or recorded")
    if allow_partial and env != RECORDED:
        raise InvalidInput("--allow-partial applies to --env recorded only")
    subject = resolve(store, ref, base)
    run, source_object = _succeeded_run(subject)
    source = store.get_object(source_object)
    values, secret_values = _parameters(
        run, parse_notebook(source, run.notebook).notebook, secrets or {}
    )
    located = input_locations(store, subject.version) if subject.version else {}
    kept, source_of_inputs = _input_source(store, run, inputs, located)
    folder = Path(store.root.parent, run.notebook).parent
    changes, present, warnings = _inputs(run, folder, {k.path for k in kept})
    fetched = {k.path: located[k.path] for k in kept if k.path in located}
    warnings += [f"input {path} is fetched from {url}" for path, url in fetched.items()]
    rebuild = plan_environment(store, subject, run, allow_partial) if env == RECORDED else None
    return Plan(
        subject,
        run,
        source,
        values,
        secret_values,
        changes,
        [*kept, *present],
        warnings,
        source_of_inputs,
        kept,
        rebuild,
        fetched,
    )


def _input_source(
    store: Store, run: Run, wanted: str | None, located: Mapping[str, str]
) -> tuple[list[InputFile], str]:
    """The kept inputs to place (those the store holds, and those to fetch from their
    recorded location), and where the re-run's inputs come from."""
    if wanted is not None and wanted not in INPUT_SOURCES:
        raise InvalidInput(f"--inputs {wanted!r}: give stored or current")
    declared = run.provenance.inputs if run.provenance else []
    held = stored_inputs(store, run)
    kept = held + [item for item in declared if item.path in located and item not in held]
    if wanted == STORED and declared and not kept:
        raise InvalidInput(
            f"Run {run.id} did not keep its input files (publish keeps them, or "
            "`greenhouse run --keep-inputs`): reproduce it with --inputs current"
        )
    if wanted == CURRENT or not declared or (wanted is None and len(kept) < len(declared)):
        return [], CURRENT
    return kept, STORED


def reproduce(
    store: Store,
    ref: str,
    secrets: Mapping[str, str] | None = None,
    *,
    run_id: str | None = None,
    on_progress: ProgressCallback | None = None,
    log_output: bool = False,
    base: Path | None = None,
    inputs: str | None = None,
    env: str | None = None,
    allow_partial: bool = False,
    on_build: Callable[[], None] | None = None,
) -> Reproduction:
    """Re-run a recorded run from its stored source, compare outputs, store both.

    The stored source (not today's file) runs with the recorded parameters, kernel,
    declared inputs and timeouts (per cell and whole run), in the original notebook's
    folder when it still exists. The re-run is recorded like any run (running, its
    progress, its outcome) with ``reproduces`` naming the run; its final record also
    names the stored comparison (``reproduction``), which `reproduction_of` reads.

    Parameters
    ----------
    store : Store
        Where the run is recorded and the re-run is saved.
    ref : str
        A run id, ``NAME@N``, ``NAME@ALIAS`` or ``NAME``.
    secrets : mapping of str to str, optional
        Values of the run's secret parameters, which are never stored, as command-line text.
    run_id : str, optional
        The re-run's id: the one a server queued it under (default: a fresh one).
    on_progress : callable, optional
        Called as cells finish, after the progress is recorded.
    log_output : bool
        Copy the cells' stdout and stderr to this process's own.
    base : Path, optional
        The folder relative references are read from (default: the working directory).
    inputs : str, optional
        ``stored`` or ``current``: see `plan`.
    env : str, optional
        ``current`` or ``recorded``: see `plan`.
    allow_partial : bool
        With ``env`` recorded, rebuild what can be and record what was left out.
    on_build : callable, optional
        Called before the recorded environment is built (not when it is cached).

    Returns
    -------
    Reproduction
        ``reproducible`` when the re-run succeeded and every normalised output matches.
        When the recorded environment could not be built, the re-run is recorded as
        failed with uv's message, and the reproduction says so.

    Raises
    ------
    InvalidInput, NotFound, Conflict
        As `plan`; Conflict also when ``run_id`` has started or finished already.
    """
    from ..execution import execute, prepare

    checked = plan(store, ref, secrets, base, inputs, env, allow_partial)
    run = checked.run
    original = Path(store.root.parent, run.notebook)
    warnings = list(checked.warnings)
    live = LiveRecord(store, reproduces=run.id, on_progress=on_progress)
    kernel, rebuilt = run.provenance.kernel if run.provenance else None, None
    with ExitStack() as stack:
        if checked.environment is not None:
            try:
                kernel, rebuilt = stack.enter_context(
                    recorded_kernel(store, checked.environment, on_build)
                )
            except BuildFailed as exc:
                return _record_unbuilt(store, checked, run_id, exc.message)
        where = stack.enter_context(_folder(store, original, checked.kept, checked.fetched))
        staged = stack.enter_context(_staged(checked.source, where, warnings))
        job = prepare(
            staged,
            checked.values,
            text_values=checked.secrets,
            kernel=kernel,
            timeout=run.timeout,
            timeout_run=run.timeout_run,
        )
        job.notebook, job.inputs = run.notebook, checked.inputs
        execution = execute(
            job,
            run_id=run_id,
            on_start=live.started,
            on_progress=live.progressed,
            log_output=log_output,
        )
    rerun = execution.run
    rerun.reproduces = run.id
    executed = json.loads(execution.output) if execution.output is not None else {}
    result = compare_runs(checked.subject, run, rerun, executed, rebuilt)
    result.inputs, result.warnings = checked.changes, warnings
    result.inputs_from = checked.inputs_from
    rerun.reproduction = store.put_object(json.dumps(result.to_dict()).encode())
    store.save_execution(execution)
    return result


def _record_unbuilt(store: Store, checked: Plan, run_id: str | None, message: str) -> Reproduction:
    left_out = list(checked.environment.left_out if checked.environment else [])
    rerun, result = unbuilt(checked.subject, checked.run, run_id, message, left_out)
    result.inputs, result.warnings = checked.changes, checked.warnings
    result.inputs_from = checked.inputs_from
    rerun.reproduction = store.put_object(json.dumps(result.to_dict()).encode())
    store.save_execution(Execution(run=rerun, source=checked.source))
    return result


def reproduction_of(store: Store, run_ref: str) -> dict[str, Any]:
    """The comparison a finished re-run recorded, as `Reproduction.to_dict` gave it.

    Raises
    ------
    NotFound
        No such run, or it is not a re-run.
    Conflict
        The re-run has not finished, or it ended before its outputs were compared.
    """
    rerun = store.get_run(run_ref)
    if rerun.reproduces is None:
        raise NotFound(f"Run {rerun.id} is not a re-run: reproducing a run makes one")
    if not rerun.status.finished:
        raise Conflict(
            f"Run {rerun.id} is {rerun.status.value}: its comparison is there once it finishes"
        )
    if rerun.reproduction is None:
        raise Conflict(
            f"Run {rerun.id} ended {rerun.status.value} before its outputs were compared"
        )
    result: dict[str, Any] = json.loads(store.get_object(rerun.reproduction))
    return result


def _succeeded_run(subject: Subject) -> tuple[Run, str]:
    """The subject's run and its stored source, if it is a run that can be reproduced."""
    if subject.run is None:
        raise InvalidInput(
            f"{subject.ref!r} is a notebook file: reproduce needs a run id, NAME@N, "
            "NAME@ALIAS or NAME"
        )
    run = subject.run
    if run.status is not RunStatus.SUCCEEDED:
        raise Conflict(f"Run {run.id} {run.status.value}: only a succeeded run can be reproduced")
    if run.source_object is None:
        raise NotFound(f"Run {run.id} has no stored source notebook")
    return run, run.source_object


def _parameters(
    run: Run, nb: Mapping[str, Any], secrets: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The recorded values to re-use, and the secret values given again (checked)."""
    spec = discover(nb, run.notebook)
    masked = {
        name
        for name, value in run.parameters.items()
        if value == SECRET_MASK and (p := spec.get(name)) is not None and p.secret
    }
    unexpected = sorted(set(secrets) - masked)
    if unexpected:
        raise InvalidInput(
            f"-p only supplies the secret parameters of run {run.id} again "
            f"({', '.join(sorted(masked)) or 'it has none'}); "
            f"{', '.join(unexpected)} are re-used as recorded"
        )
    missing = sorted(masked - set(secrets))
    if missing:
        flags = " ".join(f"-p {name} VALUE" for name in missing)
        raise InvalidInput(
            f"Run {run.id} used the secret parameter(s) {', '.join(missing)}, whose values "
            f"are never stored: supply them again with {flags}"
        )
    return {k: v for k, v in run.parameters.items() if k not in masked}, dict(secrets)


def _inputs(
    run: Run, folder: Path, placed: set[str]
) -> tuple[list[InputChange], list[InputFile], list[str]]:
    """Hash the declared inputs not ``placed`` again: what changed, what to record, warnings."""
    changes, present, warnings = [], [], []
    for recorded in run.provenance.inputs if run.provenance else []:
        if recorded.path in placed:
            continue
        path = Path(folder, recorded.path)
        digest, size = provenance.sha256_file(path) if path.is_file() else (None, 0)
        if digest is not None:
            present.append(InputFile(path=recorded.path, sha256=digest, size=size))
        if digest != recorded.sha256:
            changes.append(InputChange(recorded.path, recorded.sha256, digest))
            state = "is missing" if digest is None else "has changed since the run"
            warnings.append(f"input {recorded.path} {state} ({path})")
    return changes, present, warnings


@contextmanager
def _folder(
    store: Store, original: Path, kept: list[InputFile], fetched: Mapping[str, str]
) -> Iterator[Path]:
    """Where the re-run's notebook goes: beside the original when no input is placed;
    else in a scratch copy of its folder with the kept inputs written in (from the store,
    or fetched from the location in ``fetched``), so the user's own files are never
    touched."""
    if not kept:
        yield original
        return
    scratch = Path(tempfile.mkdtemp(prefix=".greenhouse-reproduce-"))
    placed = {Path(original.parent, k.path).resolve() for k in kept}
    copy = scratch / (original.parent.name or "notebook")
    try:
        if original.parent.is_dir():
            shutil.copytree(
                original.parent,
                copy,
                symlinks=True,
                ignore=lambda folder, names: [
                    n
                    for n in names
                    if n in (".greenhouse", ".git") or Path(folder, n).resolve() in placed
                ],
            )
        for item in kept:
            target = Path(copy, item.path)
            if not target.resolve().is_relative_to(scratch.resolve()):
                raise Conflict(
                    f"Input {item.path} lies outside the notebook's folder: reproduce it "
                    "with --inputs current"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            if item.path in fetched:
                fetch_input(item, fetched[item.path], target)
            else:
                target.write_bytes(read_checked(store, item.sha256, f"input {item.path}"))
        yield copy / original.name
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def _staged(source: bytes, original: Path, warnings: list[str]) -> Iterator[Path]:
    """Write the stored source beside the original notebook, so relative paths work."""
    prefix, folder = f".{original.stem}.reproduce-", original.parent
    try:
        handle, name = tempfile.mkstemp(
            original.suffix, prefix, folder if folder.is_dir() else None
        )
    except OSError:
        handle, name = tempfile.mkstemp(original.suffix, prefix)
    if Path(name).parent != folder:
        warnings.append(f"{folder} is gone or read-only: re-ran in a temporary folder")
    try:
        with open(handle, "wb") as stream:
            stream.write(source)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
