"""Fire times (cron in a zone through daylight saving, --every), catch-up and overlap."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from greenhouse_ext.scheduling.clock import FakeClock
from greenhouse_ext.scheduling.occurrences import FIRE, QUEUED, SKIPPED, plan
from greenhouse_ext.scheduling.schedules import ScheduleSpec, due_fire_times

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


def walk(spec: ScheduleSpec, start: datetime, hours: float, step_s: float = 300) -> list[datetime]:
    """The fire times a scheduler ticking every ``step_s`` on a fake clock finds due."""
    clock = FakeClock(start)
    last, fired = clock.now(), []
    while clock.now() < start + timedelta(hours=hours):
        clock.advance(step_s)
        due = due_fire_times(spec, last, clock.now())
        fired += due
        last = due[-1] if due else last
    return fired


def test_spring_forward_fires_the_skipped_time_once_just_after_the_gap() -> None:
    spec = ScheduleSpec(cron="30 2 * * *", tz="Europe/Berlin")
    fired = walk(spec, datetime(2026, 3, 28, 12, tzinfo=BERLIN), 72)
    local = [moment.astimezone(BERLIN).strftime("%m-%d %H:%M %Z") for moment in fired]
    assert local == ["03-29 03:00 CEST", "03-30 02:30 CEST", "03-31 02:30 CEST"]


def test_fall_back_fires_each_hour_once_in_utc_none_lost() -> None:
    spec = ScheduleSpec(cron="0 * * * *", tz="Europe/Berlin")
    fired = walk(spec, datetime(2026, 10, 24, 22, tzinfo=UTC), 6)
    assert [m.astimezone(UTC).hour for m in fired] == [23, 0, 1, 2, 3, 4]
    assert max(Counter(fired).values()) == 1
    repeated = [m.astimezone(BERLIN).strftime("%H:%M %Z") for m in fired[1:3]]
    assert repeated == ["02:00 CEST", "02:00 CET"]


def test_a_daily_fall_back_time_fires_once() -> None:
    spec = ScheduleSpec(cron="30 2 * * *", tz="Europe/Berlin")
    fired = walk(spec, datetime(2026, 10, 24, 12, tzinfo=BERLIN), 48)
    assert [m.astimezone(BERLIN).strftime("%m-%d %H:%M") for m in fired] == [
        "10-25 02:30",
        "10-26 02:30",
    ]


def test_every_fires_on_whole_intervals_of_real_time() -> None:
    spec = ScheduleSpec(every_s=3600)
    fired = walk(spec, datetime(2026, 10, 24, 22, 10, tzinfo=UTC), 5)
    assert [(m.hour, m.minute) for m in fired] == [(23, 0), (0, 0), (1, 0), (2, 0), (3, 0)]


NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
MISSED = [NOW - timedelta(minutes=2 * k) for k in (5, 4, 3, 2, 1)]


@pytest.mark.parametrize(
    ("catch_up", "runs", "skipped"), [("skip", 0, 5), ("latest", 1, 4), ("all", 3, 2)]
)
def test_catch_up_after_five_missed_fire_times(catch_up: str, runs: int, skipped: int) -> None:
    spec = ScheduleSpec(every_s=120, catch_up=catch_up, catch_up_limit=3, max_concurrent=5)
    decisions = plan(spec, MISSED, NOW, paused=False, active=0)
    assert [d.fire_at for d in decisions] == MISSED
    statuses = Counter(d.status for d in decisions)
    assert (statuses[FIRE], statuses[SKIPPED]) == (runs, skipped)
    ran = [d.fire_at for d in decisions if d.status == FIRE]
    assert ran == MISSED[len(MISSED) - runs :]
    assert all("missed" in (d.reason or "") for d in decisions if d.status == SKIPPED)


def test_a_fire_time_on_time_runs_whatever_the_catch_up() -> None:
    spec = ScheduleSpec(every_s=120, catch_up="skip")
    decisions = plan(spec, [NOW - timedelta(seconds=5)], NOW, paused=False, active=0)
    assert [d.status for d in decisions] == [FIRE]


@pytest.mark.parametrize(("overlap", "status"), [("skip", SKIPPED), ("queue", QUEUED)])
def test_overlap_while_the_previous_run_runs(overlap: str, status: str) -> None:
    spec = ScheduleSpec(every_s=120, overlap=overlap, max_concurrent=2)
    due = [NOW - timedelta(seconds=4), NOW - timedelta(seconds=2)]
    decisions = plan(spec, due, NOW, paused=False, active=1)
    assert [d.status for d in decisions] == [FIRE, status]
    assert "1 run(s) still running" not in (decisions[1].reason or "")


def test_paused_fire_times_are_skipped_saying_so() -> None:
    spec = ScheduleSpec(every_s=120)
    decisions = plan(spec, MISSED, NOW, paused=True, active=0)
    assert {(d.status, d.reason) for d in decisions} == {(SKIPPED, "paused")}
