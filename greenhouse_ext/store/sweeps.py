"""The sweeps the index knows of: their runs counted by status, newest sweep first."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from .schema import runs_table


@dataclass
class SweepSummary:
    """One sweep as its runs tell it: when it began and ended, its notebook, its outcomes."""

    id: str
    notebook: str
    started_at: str
    last_at: str
    runs: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SweepIndex:
    """The store's sweeps (a part of `Store`), read from its runs; nothing is written."""

    _engine: sa.Engine

    def list_sweeps(self, limit: int | None = None) -> list[SweepSummary]:
        """Sweeps, the most recently started first, each with its runs counted by status.

        One grouped query: a sweep's runs are never read one by one.
        """
        c = runs_table.c
        query = (
            sa.select(
                c.sweep_id,
                c.status,
                sa.func.min(c.notebook).label("notebook"),
                sa.func.count().label("runs"),
                sa.func.min(c.created_at).label("first"),
                sa.func.max(c.created_at).label("last"),
            )
            .where(c.sweep_id.is_not(None))
            .group_by(c.sweep_id, c.status)
        )
        sweeps: dict[str, SweepSummary] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                sweep = sweeps.setdefault(
                    row.sweep_id, SweepSummary(row.sweep_id, row.notebook, row.first, row.last)
                )
                sweep.started_at = min(sweep.started_at, row.first)
                sweep.last_at = max(sweep.last_at, row.last)
                sweep.runs += row.runs
                sweep.statuses[row.status] = row.runs
        newest = sorted(sweeps.values(), key=lambda s: (s.started_at, s.id), reverse=True)
        return newest[:limit] if limit is not None else newest
