"""The verdict of a reproduction: the re-run's outputs, metrics and environment against
the run's, and the record of a re-run whose environment could not be built."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..models import Provenance, Run, RunError, RunStatus, new_run_id, now
from ..store import Subject, identity
from .changes import Change, changes, environment_changes
from .normalise import normalise_outputs
from .outputs import CellDifference, compare_outputs, notebook_diff
from .rebuild import CURRENT, RECORDED, Rebuilt


@dataclass
class InputChange:
    """A declared input whose content is not what the run read (``current_sha256`` None: gone)."""

    path: str
    recorded_sha256: str
    current_sha256: str | None


@dataclass
class Reproduction:
    """The answer of :func:`reproduce`: the verdict, the evidence and the context."""

    ref: str
    label: str
    run_id: str
    rerun_id: str
    reproducible: bool
    reason: str | None
    compared_cells: int
    cells: list[CellDifference] = field(default_factory=list)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    inputs: list[InputChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    diff: list[dict[str, Any]] = field(default_factory=list)
    inputs_from: str = CURRENT
    environment_from: str = CURRENT
    rebuilt: Rebuilt | None = None
    left_out: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "reproducible" if self.reproducible else "differs"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "verdict": self.verdict}


def unbuilt(
    subject: Subject, run: Run, rerun_id: str | None, message: str, left_out: list[str]
) -> tuple[Run, Reproduction]:
    """The failed re-run of ``run`` whose recorded environment could not be built (uv's
    ``message``), and the reproduction that says so."""
    stamp = now()
    rerun = Run(
        id=rerun_id or new_run_id(),
        notebook=run.notebook,
        status=RunStatus.FAILED,
        parameters=dict(run.parameters),
        created_at=stamp,
        started_at=stamp,
        finished_at=stamp,
        pid=os.getpid(),
        identity=identity.current(),
        timeout=run.timeout,
        timeout_run=run.timeout_run,
        reproduces=run.id,
        error=RunError(reason="the recorded environment could not be built", evalue=message),
    )
    result = Reproduction(
        ref=subject.ref,
        label=subject.label,
        run_id=run.id,
        rerun_id=rerun.id,
        reproducible=False,
        reason=f"the recorded environment could not be built: {message}",
        compared_cells=0,
        environment_from=RECORDED,
        left_out=left_out,
    )
    return rerun, result


def compare_runs(
    subject: Subject,
    run: Run,
    rerun: Run,
    executed: Mapping[str, Any],
    rebuilt: Rebuilt | None,
) -> Reproduction:
    """The verdict on ``rerun`` against ``run`` (the ``subject``'s): outputs normalised,
    metrics and environment compared; ``rebuilt`` names the environment it ran in."""
    before = normalise_outputs(subject.notebook)
    after = normalise_outputs(executed)
    cells = compare_outputs(before, after)
    reason = _failure(rerun) or (
        f"{len(cells)} of {_code_cells(before)} code cells differ" if cells else None
    )
    return Reproduction(
        ref=subject.ref,
        label=subject.label,
        run_id=run.id,
        rerun_id=rerun.id,
        reproducible=reason is None,
        reason=reason,
        compared_cells=_code_cells(before),
        cells=cells,
        metrics=_then_and_now(changes(run.metrics, rerun.metrics)),
        environment=_environment(run.provenance, rerun.provenance, rebuilt is not None),
        diff=notebook_diff(before, after),
        environment_from=CURRENT if rebuilt is None else RECORDED,
        rebuilt=rebuilt,
        left_out=list(rebuilt.left_out) if rebuilt is not None else [],
    )


def _then_and_now(found: list[Change]) -> dict[str, list[Any]]:
    """The reproduction's form of changes: ``{name: [then, now]}``, a missing side null."""
    return {change.name: [change.a, change.b] for change in found}


def _environment(
    before: Provenance | None, after: Provenance | None, rebuilt: bool
) -> dict[str, Any]:
    """``{"python"|"kernel": [then, now], "packages": {name: [then, now]}}``, changes only.

    In a rebuilt environment the kernel is a throw-away one: its name is no difference.
    """
    if before is None or after is None:
        return {}
    environment = environment_changes(before, after)
    runtime = [c for c in environment.runtime if not (rebuilt and c.name == "kernel")]
    result: dict[str, Any] = _then_and_now(runtime)
    if environment.packages:
        result["packages"] = _then_and_now(environment.packages)
    return result


def _code_cells(nb: Mapping[str, Any]) -> int:
    return sum(1 for cell in nb["cells"] if cell["cell_type"] == "code")


def _failure(rerun: Run) -> str | None:
    if rerun.status is RunStatus.SUCCEEDED:
        return None
    error = rerun.error
    if error is None:
        return f"the re-run {rerun.status.value}"
    where = f" in cell {error.cell_index + 1}" if error.cell_index is not None else ""
    detail = f": {error.ename}: {error.evalue}" if error.ename else ""
    return f"the re-run {rerun.status.value} ({error.reason}{where}){detail}"
