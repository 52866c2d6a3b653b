"""The scheduler's own view of the schedules: rows kept between ticks, their state fresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.scheduling.clock import FakeClock
from greenhouse_ext.scheduling.scheduler import Scheduler
from greenhouse_ext.scheduling.schedules import ScheduleSpec
from greenhouse_ext.store import Occurrence, ScheduleRow, Store, utc_text

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


def test_a_taken_over_run_that_turns_running_meanwhile_is_still_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / ".greenhouse")
    clock = FakeClock(START)
    schedule = add(store, "slow", paused=False, clock=clock)
    run = Run("r1", "nb.ipynb", RunStatus.QUEUED, {}, utc_text(clock.now()))
    store.save_run(run)
    stale = utc_text(clock.now() - timedelta(minutes=5))
    occurrence = Occurrence(
        "o1", schedule.id, stale, "manual", "running", stale, claimed_by="gone",
        heartbeat_at=stale, attempt=1, run_id=run.id,
    )  # fmt: skip
    store.claim_occurrence(occurrence)
    save_run = store.save_run

    def its_process_starts_first(record: Run, replaces: tuple[RunStatus, ...] = ()) -> bool:
        if record.status is RunStatus.INTERRUPTED and store.get_run(record.id).status is (
            RunStatus.QUEUED
        ):
            save_run(replace(run, status=RunStatus.RUNNING), replaces=(RunStatus.QUEUED,))
        return save_run(record, replaces=replaces)

    monkeypatch.setattr(store, "save_run", its_process_starts_first)
    Scheduler(store, clock=clock).tick()

    assert store.get_run(run.id).status is RunStatus.INTERRUPTED
    assert [o.status for o in store.find_occurrences(schedule_id=schedule.id)] == ["interrupted"]
    store.close()
