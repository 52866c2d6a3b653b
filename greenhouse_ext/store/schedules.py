"""The schedules the index keeps, and the schedulers that fire them (their heartbeats)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, NotFound
from .schema import dialect_insert, schedulers_table, schedules_table

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""How the schedule tables write a moment: UTC, fixed width, so text order is time order."""


def utc_text(moment: datetime) -> str:
    """``moment`` (timezone-aware) as the schedule tables write it."""
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def utc_moment(text: str) -> datetime:
    """A moment the schedule tables wrote, timezone-aware in UTC."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class ScheduleRow:
    """A stored schedule: its target, its spec (JSON-ready) and whether it is paused."""

    id: str
    name: str
    target: str
    spec: dict[str, Any]
    paused: bool
    created_at: str
    removed_at: str | None = None


@dataclass(frozen=True)
class SchedulerRow:
    """A scheduler process seen by the store, and its last heartbeat."""

    id: str
    host: str
    pid: int
    version: str
    started_at: str
    heartbeat_at: str
    stopped_at: str | None = None


class ScheduleIndex:
    """The store's schedules and schedulers (a part of `Store`)."""

    _engine: sa.Engine

    def add_schedule(self, schedule: ScheduleRow) -> None:
        """Record a new schedule.

        Raises
        ------
        Conflict
            A schedule that is not removed has this name already.
        """
        row = {**schedule.__dict__, "spec": json.dumps(schedule.spec, sort_keys=True)}
        try:
            with self._engine.begin() as conn:
                conn.execute(sa.insert(schedules_table).values(**row))
        except sa.exc.IntegrityError:
            raise Conflict(
                f"A schedule named {schedule.name!r} exists already: choose another --name, "
                f"or remove it first (`greenhouse schedule remove {schedule.name}`)"
            ) from None

    def get_schedule(self, ref: str) -> ScheduleRow:
        """The schedule with this id, or the schedule not removed with this name.

        Raises
        ------
        NotFound
            No such schedule.
        """
        table = schedules_table
        query = sa.select(table).where(
            sa.or_(table.c.id == ref, sa.and_(table.c.name == ref, table.c.removed_at.is_(None)))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"No schedule {ref!r}; `greenhouse schedule list` lists them")
        return _schedule(row)

    def list_schedules(self, include_removed: bool = False) -> list[ScheduleRow]:
        """The schedules, oldest first; removed ones only when asked."""
        query = sa.select(schedules_table).order_by(schedules_table.c.created_at)
        if not include_removed:
            query = query.where(schedules_table.c.removed_at.is_(None))
        with self._engine.connect() as conn:
            return [_schedule(row) for row in conn.execute(query).mappings()]

    def schedule_states(self) -> dict[str, bool]:
        """Whether each schedule not removed is paused, by id, oldest first.

        A schedule's target and spec never change once added, so a reader that keeps the
        rows it has read needs only this (a cheap query) to see what was added, removed,
        paused or resumed since.
        """
        table = schedules_table
        query = (
            sa.select(table.c.id, table.c.paused)
            .where(table.c.removed_at.is_(None))
            .order_by(table.c.created_at)
        )
        with self._engine.connect() as conn:
            return {id_: bool(paused) for id_, paused in conn.execute(query)}

    def set_paused(self, schedule_id: str, paused: bool) -> None:
        """Pause or resume a schedule that is not removed."""
        self._update_schedule(schedule_id, paused=paused)

    def remove_schedule(self, schedule_id: str, at: str) -> None:
        """Mark a schedule removed: it fires no more; its occurrences and runs stay."""
        self._update_schedule(schedule_id, removed_at=at)

    def _update_schedule(self, schedule_id: str, **values: Any) -> None:
        table = schedules_table
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(table)
                .where(table.c.id == schedule_id, table.c.removed_at.is_(None))
                .values(**values)
            ).rowcount
        if not changed:
            raise NotFound(f"No schedule {schedule_id!r} (or it was removed)")

    # Schedulers ---------------------------------------------------------------

    def beat_scheduler(self, scheduler: SchedulerRow) -> None:
        """Record that a scheduler is alive now (its row is made on its first beat)."""
        row = dict(scheduler.__dict__)
        insert = dialect_insert(self._engine.dialect.name)(schedulers_table).values(**row)
        statement = insert.on_conflict_do_update(
            index_elements=["id"],
            set_={"heartbeat_at": row["heartbeat_at"], "stopped_at": row["stopped_at"]},
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def list_schedulers(self) -> list[SchedulerRow]:
        """Every scheduler seen, the most recently alive first."""
        query = sa.select(schedulers_table).order_by(schedulers_table.c.heartbeat_at.desc())
        with self._engine.connect() as conn:
            return [SchedulerRow(**row) for row in conn.execute(query).mappings()]


def _schedule(row: sa.RowMapping) -> ScheduleRow:
    return ScheduleRow(**{**row, "spec": json.loads(row["spec"]), "paused": bool(row["paused"])})
