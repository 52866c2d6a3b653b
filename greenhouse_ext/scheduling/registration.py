"""Adding a schedule (everything checked before anything is stored), triggering it, and
describing it: its next fire times and its last occurrences with their runs and alerts."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..artefacts.gate import parse_condition, parse_tolerance
from ..artefacts.publish import check_alias
from ..errors import InvalidInput
from ..execution import names_file
from ..store import Occurrence, ScheduleRow, Store, check_name, utc_text
from .alerts import check_notify_url, mask_url, parse_events
from .attempts import prepare_job
from .schedules import ScheduleSpec, next_fire_times


def register(
    store: Store, target: str, spec: ScheduleSpec, name: str | None, now: datetime
) -> ScheduleRow:
    """Check a new schedule whole and store it.

    A notebook target is stored as an absolute path; a published one (``NAME@ALIAS``,
    ``NAME@N``) as written, so that an alias is resolved at each fire time. The target
    is prepared once now with the schedule's values, so a value that does not fit the
    version's parameters, or a version or alias that does not exist, is refused now.

    Raises
    ------
    InvalidInput, NotFound
        Every problem of the gates, alerts and publishing at once; then the target's.
    Conflict
        The name is taken.
    """
    problems: list[str] = []
    for check in _checks(spec):
        try:
            check()
        except InvalidInput as exc:
            problems.append(exc.message)
    if problems:
        raise InvalidInput("; ".join(problems), problems)
    if names_file(target):
        target = str(Path(target).resolve())
    elif "@" not in target:
        raise InvalidInput(
            f"Target {target!r} names no version: write {target}@ALIAS (resolved at each fire "
            f"time) or {target}@N, or a notebook path"
        )
    prepare_job(store, target, spec)
    default = Path(target).stem if names_file(target) else target.partition("@")[0]
    label = name or default
    check_name(label, "schedule name")
    row = ScheduleRow(uuid.uuid4().hex[:12], label, target, spec.to_dict(), False, utc_text(now))
    store.add_schedule(row)
    return row


def _checks(spec: ScheduleSpec) -> list[Any]:
    checks: list[Any] = [lambda: parse_events(spec.notify_on)]
    checks += [lambda url=url: check_notify_url(url) for url in spec.notify]
    checks += [lambda text=text: parse_condition(text) for text in spec.checks]
    checks += [lambda text=text: parse_tolerance(text, "drop") for text in spec.max_drop]
    checks += [lambda text=text: parse_tolerance(text, "rise") for text in spec.max_rise]
    if (spec.max_drop or spec.max_rise) and spec.against is None:
        checks.append(_fail("--max-drop and --max-rise need --against REF to compare with"))
    if spec.against is not None and not (spec.max_drop or spec.max_rise):
        checks.append(_fail("--against needs --max-drop or --max-rise to say what may change"))
    if spec.publish is not None:
        checks.append(lambda: check_name(spec.publish or "", "--publish name"))
    if spec.alias is not None:
        checks.append(lambda: check_alias(spec.alias or ""))
        if spec.publish is None:
            checks.append(_fail("--alias needs --publish NAME: it names the version published"))
    return checks


def _fail(message: str) -> Any:
    def fail() -> None:
        raise InvalidInput(message)

    return fail


def trigger(store: Store, schedule: ScheduleRow, now: datetime) -> Occurrence:
    """Fire a schedule now, as its own occurrence: queued until a scheduler claims it."""
    occurrence = Occurrence(
        id=uuid.uuid4().hex[:16],
        schedule_id=schedule.id,
        fire_at=utc_text(now),
        kind="manual",
        status="queued",
        created_at=utc_text(now),
        reason="triggered by hand",
    )
    if not store.claim_occurrence(occurrence):
        raise InvalidInput(f"Schedule {schedule.name} was triggered at this very moment: try again")
    return occurrence


def set_paused(store: Store, ref: str, paused: bool, now: datetime) -> dict[str, Any]:
    """Pause or resume the schedule ``ref`` (an id or a name); its `summary` after."""
    row = store.get_schedule(ref)
    store.set_paused(row.id, paused)
    return summary(store, store.get_schedule(row.id), now)


def remove(store: Store, ref: str, now: datetime) -> dict[str, Any]:
    """Remove the schedule ``ref``: it fires no more; its occurrences and runs stay."""
    row = store.get_schedule(ref)
    at = utc_text(now)
    store.remove_schedule(row.id, at)
    return {"id": row.id, "name": row.name, "removed_at": at}


def fire_now(store: Store, ref: str, now: datetime) -> dict[str, Any]:
    """`trigger` the schedule ``ref``; the occurrence made, without its claim fields."""
    occurrence = trigger(store, store.get_schedule(ref), now)
    hidden = ("claimed_by", "heartbeat_at")
    return {k: v for k, v in occurrence.__dict__.items() if k not in hidden}


def summary(store: Store, schedule: ScheduleRow, now: datetime) -> dict[str, Any]:
    """A schedule as `schedule list` shows it: when, next fire time, last outcome, paused."""
    spec = ScheduleSpec.from_dict(schedule.spec)
    last = store.find_occurrences(schedule_id=schedule.id, limit=1, newest_first=True)
    upcoming = next_fire_times(spec, now, 1)
    return {
        "id": schedule.id,
        "name": schedule.name,
        "target": schedule.target,
        "when": spec.when,
        "paused": schedule.paused,
        "next_fire": upcoming[0].astimezone(timezone.utc).isoformat() if upcoming else None,
        "last_outcome": last[0].status if last else None,
    }


def describe(store: Store, schedule: ScheduleRow, now: datetime, count: int = 20) -> dict[str, Any]:
    """Everything `schedule show` says: the spec (alert URLs masked), the next 5 fire
    times in its zone and in UTC, the last ``count`` occurrences with runs and alerts."""
    spec = ScheduleSpec.from_dict(schedule.spec)
    shown = {**spec.to_dict(), "notify": [mask_url(url) for url in spec.notify]}
    return {
        **summary(store, schedule, now),
        "created_at": schedule.created_at,
        "spec": shown,
        "next_fire_times": preview(spec, now),
        "occurrences": history(store, schedule, count),
    }


def preview(spec: ScheduleSpec, now: datetime, count: int = 5) -> list[dict[str, str]]:
    """The next ``count`` fire times after ``now``, each in the schedule's zone and in UTC."""
    zone = ZoneInfo(spec.tz)
    return [
        {"local": m.astimezone(zone).isoformat(), "utc": m.astimezone(timezone.utc).isoformat()}
        for m in next_fire_times(spec, now, count)
    ]


def history(store: Store, schedule: ScheduleRow, count: int = 20) -> list[dict[str, Any]]:
    """The last ``count`` occurrences of a schedule, newest first, each with its attempts
    (the runs it ran) and its alert deliveries."""
    occurrences = store.find_occurrences(schedule_id=schedule.id, limit=count, newest_first=True)
    ids = [o.id for o in occurrences]
    attempts, deliveries = store.attempts_of(ids), store.deliveries_of(ids)
    return [
        {
            **{k: v for k, v in o.__dict__.items() if k not in ("claimed_by", "heartbeat_at")},
            "attempts": [a.__dict__ for a in attempts.get(o.id, [])],
            "deliveries": deliveries.get(o.id, []),
        }
        for o in occurrences
    ]


def run_ids(store: Store, schedule: ScheduleRow) -> list[str]:
    """The ids of every run a schedule's occurrences started (each attempt is a run),
    newest occurrence first, then by attempt."""
    occurrences = store.find_occurrences(schedule_id=schedule.id, newest_first=True)
    attempts = store.attempts_of([o.id for o in occurrences])
    return [a.run_id for o in occurrences for a in attempts.get(o.id, [])]
