"""The scheduler's own view of the schedules: rows kept between ticks, their state fresh."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from greenhouse_ext.scheduling.clock import FakeClock
from greenhouse_ext.scheduling.scheduler import Scheduler
from greenhouse_ext.scheduling.schedules import ScheduleSpec
from greenhouse_ext.store import ScheduleRow, Store, utc_text

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)


def add(store: Store, name: str, paused: bool, clock: FakeClock) -> ScheduleRow:
    spec = ScheduleSpec(every_s=60).to_dict()
    row = ScheduleRow(f"id-{name}", name, "nb.ipynb", spec, paused, utc_text(clock.now()))
    store.add_schedule(row)
    return row


def outcomes(store: Store, schedule: ScheduleRow) -> list[tuple[str, str | None]]:
    found = store.find_occurrences(schedule_id=schedule.id)
    return sorted((o.status, o.reason) for o in found)


def test_pauses_additions_and_removals_after_the_first_tick_are_seen(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    clock = FakeClock(START)
    first = add(store, "first", paused=False, clock=clock)
    scheduler = Scheduler(store, clock=clock)
    scheduler.tick()
    assert outcomes(store, first) == []

    store.set_paused(first.id, True)
    second = add(store, "second", paused=True, clock=clock)
    clock.advance(61)
    scheduler.tick()
    assert outcomes(store, first) == [("skipped", "paused")]
    assert outcomes(store, second) == [("skipped", "paused")]

    store.remove_schedule(second.id, utc_text(clock.now()))
    clock.advance(60)
    scheduler.tick()
    assert outcomes(store, first) == [("skipped", "paused")] * 2
    assert outcomes(store, second) == [("skipped", "paused")]
    store.close()
