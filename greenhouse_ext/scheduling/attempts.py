"""One attempt of an occurrence: the job it runs (an alias resolved now), and what its
finished run means for the occurrence (gates, publishing, whether to retry)."""

from __future__ import annotations

from dataclasses import dataclass

from ..artefacts import check, publish
from ..errors import GreenhouseError
from ..execution import Job, names_file, prepare, prepare_version
from ..models import Run, RunStatus
from ..store import Store
from .schedules import ScheduleSpec

RETRYABLE = ("failed", "interrupted")
"""Outcomes worth another attempt: an exception, a timeout, a dead kernel, a lost scheduler."""


@dataclass(frozen=True)
class Verdict:
    """What a finished run makes of its occurrence."""

    status: str
    reason: str | None = None
    failed_conditions: tuple[str, ...] = ()
    published: str | None = None
    retryable: bool = False


def prepare_job(store: Store, target: str, spec: ScheduleSpec) -> Job:
    """Check everything about one attempt before its process starts.

    A published target is resolved now, so an alias moved since the schedule was added
    runs the version it points at now.

    Raises
    ------
    InvalidInput, NotFound
        The alias or version is gone, the notebook is gone, a value no longer fits.
    """
    options = {
        "text_values": spec.parameters,
        "kernel": spec.kernel,
        "timeout": spec.timeout,
        "timeout_run": spec.timeout_run,
        "inputs": spec.inputs,
    }
    if names_file(target):
        return prepare(target, {}, project_root=store.root.parent, **options)  # type: ignore[arg-type]
    return prepare_version(store, target, {}, **options)  # type: ignore[arg-type]


def judge(store: Store, run: Run, spec: ScheduleSpec) -> Verdict:
    """What ``run`` (finished) makes of its occurrence.

    A succeeded run is checked against the schedule's gates (the code of
    ``greenhouse check``) and, when they hold, published when the schedule says so.
    Failures and interruptions may be retried; a cancellation, a failed gate and a
    failed publication never are.
    """
    if run.status is RunStatus.SUCCEEDED:
        return _gated(store, run, spec)
    reason = run.error.reason if run.error is not None else None
    status = run.status.value
    return Verdict(status, reason, retryable=status in RETRYABLE)


def _gated(store: Store, run: Run, spec: ScheduleSpec) -> Verdict:
    if spec.has_gate:
        try:
            report = check(
                store,
                run.id,
                spec.checks,
                against=spec.against,
                max_drop=spec.max_drop,
                max_rise=spec.max_rise,
            )
        except GreenhouseError as exc:
            return Verdict("gate_failed", f"the gate could not be checked: {exc.message}")
        if not report.passed:
            failed = tuple(f"{o.condition} (was {o.actual:g})" for o in report.failures)
            count = f"{len(failed)} of {len(report.outcomes)} conditions failed"
            return Verdict("gate_failed", count, failed)
    if spec.publish is None:
        return Verdict("succeeded")
    aliases = [spec.alias] if spec.alias else []
    try:
        version = publish(store, run.id, spec.publish, aliases)
    except GreenhouseError as exc:
        return Verdict("failed", f"the run succeeded but could not be published: {exc.message}")
    return Verdict("succeeded", published=version.ref)


def retry_delay(spec: ScheduleSpec, attempt: int) -> float:
    """Seconds before the attempt after ``attempt``: ``--retry-delay``, doubled each time."""
    return float(spec.retry_delay * 2 ** (attempt - 1))
