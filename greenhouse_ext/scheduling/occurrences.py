"""What becomes of the fire times a scheduler finds due: run, queued or skipped, and why.

A due fire time not later than `LATE_S` runs. Those later (no scheduler ran at the time)
are missed: the schedule's catch-up policy decides about them: ``skip`` runs none,
``latest`` the latest (unless one on time runs), ``all`` the latest ``--catch-up-limit``.
Every fire time not run gets a row saying why; then the overlap policy decides about
each one to run while earlier ones still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .schedules import ScheduleSpec

LATE_S = 60.0
"""A due fire time later than this was missed: the catch-up policy decides about it."""
FIRE = "claimed"
SKIPPED = "skipped"
QUEUED = "queued"


@dataclass(frozen=True)
class Decision:
    """What to do with one due fire time: its status on insertion, and the reason if not run."""

    fire_at: datetime
    status: str
    reason: str | None = None


def plan(
    spec: ScheduleSpec, due: list[datetime], now: datetime, paused: bool, active: int
) -> list[Decision]:
    """Decide each due fire time (oldest first): run it, queue it or skip it with a reason.

    Parameters
    ----------
    spec : ScheduleSpec
        The schedule's policies.
    due : list of datetime
        The fire times due, in order, with no row yet.
    now : datetime
        The scheduler's time.
    paused : bool
        Whether the schedule is paused (each fire time is then skipped, saying so).
    active : int
        How many of the schedule's occurrences are running (or retrying) now.
    """
    if paused:
        return [Decision(moment, SKIPPED, "paused") for moment in due]
    missed = [moment for moment in due if (now - moment).total_seconds() > LATE_S]
    chosen = [moment for moment in due if moment not in missed]
    if spec.catch_up == "latest" and not chosen:
        chosen = missed[-1:]
    elif spec.catch_up == "all":
        chosen = missed[-spec.catch_up_limit :] + chosen
    decisions = []
    for moment in due:
        if moment not in chosen:
            decisions.append(Decision(moment, SKIPPED, _missed(spec)))
        elif active < spec.max_concurrent:
            decisions.append(Decision(moment, FIRE))
            active += 1
        elif spec.overlap == "queue":
            decisions.append(Decision(moment, QUEUED, f"waiting: {active} run(s) still running"))
        else:
            decisions.append(
                Decision(
                    moment, SKIPPED, f"overlap: {active} run(s) still running (--overlap skip)"
                )
            )
    return decisions


def _missed(spec: ScheduleSpec) -> str:
    policy = {
        "skip": "--catch-up skip runs none of them",
        "latest": "--catch-up latest runs only the latest",
        "all": f"--catch-up all runs the latest {spec.catch_up_limit} only",
    }[spec.catch_up]
    return f"missed: no scheduler ran at its fire time ({policy})"
