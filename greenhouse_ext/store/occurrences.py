"""What schedules fired: occurrences claimed by inserting their row, leases, attempts and
alert deliveries.

An occurrence is unique per (schedule, fire time in UTC): a scheduler claims one by
inserting its row (``INSERT ... ON CONFLICT DO NOTHING``) and only the one whose insert
took effect runs it. A claim names its scheduler and carries a heartbeat; a claim whose
heartbeat is older than the lease is taken over by a compare-and-set update.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .schema import (
    attempts_table,
    deliveries_table,
    dialect_insert,
    occurrences_table,
    schedules_table,
)

IDS_PER_QUERY = 500
"""Run ids bound in one ``IN (...)`` query: well under SQLite's oldest limit of 999
bound variables (the fast read path, `reading.py`, batches the same way)."""
ACTIVE_OCCURRENCE = ("claimed", "running", "retrying")
"""Statuses of an occurrence that a scheduler holds: it heartbeats them."""
FINISHED_OCCURRENCE = (
    "succeeded",
    "failed",
    "gate_failed",
    "skipped",
    "cancelled",
    "interrupted",
)


@dataclass
class Occurrence:
    """One firing of a schedule (or its trigger), and what came of it."""

    id: str
    schedule_id: str
    fire_at: str
    kind: str
    status: str
    created_at: str
    reason: str | None = None
    claimed_by: str | None = None
    heartbeat_at: str | None = None
    attempt: int = 0
    run_id: str | None = None
    version: str | None = None
    next_attempt_at: str | None = None
    finished_at: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """The occurrence as its table's row."""
        return {**self.__dict__, "detail": json.dumps(self.detail, sort_keys=True)}


@dataclass(frozen=True)
class Attempt:
    """One run of an occurrence."""

    occurrence_id: str
    number: int
    run_id: str
    scheduler_id: str
    started_at: str


class OccurrenceIndex:
    """The store's occurrences, attempts and deliveries (a part of `Store`)."""

    _engine: sa.Engine

    def claim_occurrence(self, occurrence: Occurrence) -> bool:
        """Insert ``occurrence``'s row; True when this insert took effect (the claim is ours).

        A row of the same schedule and fire time, written by anyone, makes it False.
        """
        table = occurrences_table
        insert = dialect_insert(self._engine.dialect.name)(table).values(**occurrence.row())
        statement = insert.on_conflict_do_nothing(index_elements=["schedule_id", "fire_at"])
        with self._engine.begin() as conn:
            return conn.execute(statement.returning(table.c.id)).first() is not None

    def update_occurrence(
        self,
        occurrence_id: str,
        expected: Collection[str],
        owner: str | None,
        **values: Any,
    ) -> bool:
        """Change an occurrence while its status is in ``expected`` and its claimer is
        ``owner`` (None: unclaimed); True when it changed (compare-and-set)."""
        table = occurrences_table
        if "detail" in values:
            values["detail"] = json.dumps(values["detail"], sort_keys=True)
        claimer = table.c.claimed_by.is_(None) if owner is None else table.c.claimed_by == owner
        statement = (
            sa.update(table)
            .where(table.c.id == occurrence_id, table.c.status.in_(list(expected)), claimer)
            .values(**values)
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(statement).rowcount)

    def take_over(self, stale: Occurrence, scheduler_id: str, at: str) -> bool:
        """Claim an occurrence whose heartbeat went stale: compare-and-set on its claimer and
        heartbeat, so of schedulers racing for it exactly one wins."""
        table = occurrences_table
        statement = (
            sa.update(table)
            .where(
                table.c.id == stale.id,
                table.c.claimed_by == stale.claimed_by,
                table.c.heartbeat_at == stale.heartbeat_at,
                table.c.status == stale.status,
            )
            .values(claimed_by=scheduler_id, heartbeat_at=at)
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(statement).rowcount)

    def beat_occurrences(self, scheduler_id: str, at: str) -> int:
        """Renew the heartbeat of every occurrence ``scheduler_id`` holds; how many."""
        table = occurrences_table
        statement = (
            sa.update(table)
            .where(table.c.claimed_by == scheduler_id, table.c.status.in_(ACTIVE_OCCURRENCE))
            .values(heartbeat_at=at)
        )
        with self._engine.begin() as conn:
            return int(conn.execute(statement).rowcount)

    def find_occurrences(
        self,
        *,
        schedule_id: str | None = None,
        statuses: Collection[str] | None = None,
        claimed_by: str | None = None,
        stale_before: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Occurrence]:
        """Occurrences by schedule, status, claimer, and heartbeat older than a moment."""
        table = occurrences_table
        query = sa.select(table)
        if schedule_id is not None:
            query = query.where(table.c.schedule_id == schedule_id)
        if statuses is not None:
            query = query.where(table.c.status.in_(list(statuses)))
        if claimed_by is not None:
            query = query.where(table.c.claimed_by == claimed_by)
        if stale_before is not None:
            query = query.where(table.c.heartbeat_at < stale_before)
        order = table.c.fire_at.desc() if newest_first else table.c.fire_at
        query = query.order_by(order, table.c.created_at)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            return [_occurrence(row) for row in conn.execute(query).mappings()]

    def get_occurrence(self, occurrence_id: str) -> Occurrence | None:
        """The occurrence with this id, or None."""
        query = sa.select(occurrences_table).where(occurrences_table.c.id == occurrence_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _occurrence(row) if row is not None else None

    def last_fire_times(self) -> dict[str, str]:
        """Each schedule's latest scheduled (not triggered) fire time that has a row."""
        table = occurrences_table
        query = (
            sa.select(table.c.schedule_id, sa.func.max(table.c.fire_at))
            .where(table.c.kind == "scheduled")
            .group_by(table.c.schedule_id)
        )
        with self._engine.connect() as conn:
            return {row[0]: row[1] for row in conn.execute(query)}

    def count_active(self) -> dict[str, int]:
        """How many occurrences of each schedule are held by a scheduler now."""
        table = occurrences_table
        query = (
            sa.select(table.c.schedule_id, sa.func.count())
            .where(table.c.status.in_(ACTIVE_OCCURRENCE))
            .group_by(table.c.schedule_id)
        )
        with self._engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(query)}

    def previous_outcome(self, occurrence: Occurrence) -> str | None:
        """The status of the schedule's latest finished, run occurrence before this one."""
        table = occurrences_table
        query = (
            sa.select(table.c.status)
            .where(
                table.c.schedule_id == occurrence.schedule_id,
                table.c.fire_at < occurrence.fire_at,
                table.c.status.in_(["succeeded", "failed", "gate_failed", "interrupted"]),
            )
            .order_by(table.c.fire_at.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            value = conn.execute(query).scalar()
        return str(value) if value is not None else None

    # Attempts and deliveries ----------------------------------------------------

    def add_attempt(self, attempt: Attempt) -> None:
        """Record that a run is the ``number``-th attempt of an occurrence."""
        with self._engine.begin() as conn:
            conn.execute(sa.insert(attempts_table).values(**attempt.__dict__))

    def attempts_of(self, occurrence_ids: Iterable[str]) -> dict[str, list[Attempt]]:
        """The attempts of these occurrences, in order."""
        table = attempts_table
        query = (
            sa.select(table)
            .where(table.c.occurrence_id.in_(list(occurrence_ids)))
            .order_by(table.c.occurrence_id, table.c.number)
        )
        found: dict[str, list[Attempt]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query).mappings():
                found.setdefault(row["occurrence_id"], []).append(Attempt(**row))
        return found

    def occurrences_of_runs(self, run_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The schedule, occurrence and attempt number that ran each of ``run_ids``, by run
        id: ``{schedule_id, schedule, occurrence, fire_at, kind, attempt}``. Runs no schedule
        started are left out. One query per `IDS_PER_QUERY` runs."""
        attempt, occurrence, schedule = attempts_table, occurrences_table, schedules_table
        query = (
            sa.select(
                attempt.c.run_id,
                schedule.c.id.label("schedule_id"),
                schedule.c.name.label("schedule"),
                occurrence.c.id.label("occurrence"),
                occurrence.c.fire_at,
                occurrence.c.kind,
                attempt.c.number.label("attempt"),
            )
            .join(occurrence, occurrence.c.id == attempt.c.occurrence_id)
            .join(schedule, schedule.c.id == occurrence.c.schedule_id)
        )
        wanted = list(dict.fromkeys(run_ids))
        found: dict[str, dict[str, Any]] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), IDS_PER_QUERY):
                batch = wanted[start : start + IDS_PER_QUERY]
                for row in conn.execute(query.where(attempt.c.run_id.in_(batch))).mappings():
                    found[row["run_id"]] = {k: v for k, v in row.items() if k != "run_id"}
        return found

    def occurrence_of_run(self, run_id: str) -> dict[str, Any] | None:
        """The schedule, occurrence and attempt number that ran ``run_id`` (as
        `occurrences_of_runs` gives them); None for a run no schedule started."""
        return self.occurrences_of_runs([run_id]).get(run_id)

    def add_deliveries(self, occurrence_id: str, deliveries: Iterable[Mapping[str, Any]]) -> None:
        """Record alert deliveries (channel masked, event, delivered, attempts, error, at)."""
        rows = [{**delivery, "occurrence_id": occurrence_id} for delivery in deliveries]
        if rows:
            with self._engine.begin() as conn:
                conn.execute(sa.insert(deliveries_table), rows)

    def deliveries_of(self, occurrence_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """The alert deliveries of these occurrences, in the order they were recorded."""
        table = deliveries_table
        query = (
            sa.select(table)
            .where(table.c.occurrence_id.in_(list(occurrence_ids)))
            .order_by(table.c.id)
        )
        found: dict[str, list[dict[str, Any]]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query).mappings():
                item = {k: v for k, v in row.items() if k not in ("id", "occurrence_id")}
                item["delivered"] = bool(item["delivered"])
                found.setdefault(row["occurrence_id"], []).append(item)
        return found


def _occurrence(row: sa.RowMapping) -> Occurrence:
    return Occurrence(**{**row, "detail": json.loads(row["detail"] or "{}")})
