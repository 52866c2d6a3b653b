"""Listing runs: the index's filters, plus a start time, conditions on recorded values
(the grammar of gates) and a sort by any column, applied before the limit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..durations import FORM, parse_duration
from ..errors import InvalidInput
from ..execution import sorted_runs
from ..models import Run, RunStatus
from ..store import Store
from .gate import Condition, is_number, parse_condition

PAGE = 500
"""How many records are read at a time while conditions or a sort need more than the limit."""


@dataclass(frozen=True)
class RunFilter:
    """Which runs a listing shows: the index's own filters, a start time and conditions.

    ``from_version`` is ``(name, number)`` (number None: any version of the name);
    ``schedule`` a schedule's id (the runs its occurrences started, each attempt a run);
    ``since`` an ISO 8601 time in the store's form; ``where`` conditions that a run's
    metric, or else its parameter, of that name must meet.
    """

    notebook: str | None = None
    status: RunStatus | None = None
    user: str | None = None
    sweep: str | None = None
    from_version: tuple[str, int | None] | None = None
    schedule: str | None = None
    since: str | None = None
    where: tuple[Condition, ...] = ()

    def admits(self, run: Run) -> bool:
        """Whether ``run`` meets every condition (the index has applied the rest)."""
        return all(_meets(run, condition) for condition in self.where)


def parse_where(texts: Sequence[str]) -> tuple[Condition, ...]:
    """Conditions ``NAME OP NUMBER``, as `greenhouse check --metric` reads them.

    Raises
    ------
    InvalidInput
        Every malformed condition, at once.
    """
    problems, parsed = [], []
    for text in texts:
        try:
            parsed.append(parse_condition(text))
        except InvalidInput as exc:
            problems.append(f"--where: {exc.message}")
    if problems:
        raise InvalidInput("; ".join(problems), problems)
    return tuple(parsed)


def parse_since(text: str, now: datetime | None = None) -> str:
    """The start of a listing's time window: a duration back from now, or a date or time.

    ``30d``, ``12h``; or ``2026-12-01``, ``2026-12-01T08:00`` (UTC unless it says).

    Raises
    ------
    InvalidInput
        Neither form.
    """
    moment = now or datetime.now(timezone.utc)
    try:
        return (moment - timedelta(seconds=parse_duration(text, what="--since"))).isoformat(
            timespec="milliseconds"
        )
    except InvalidInput:
        pass
    try:
        given = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"--since {text!r} is neither a duration nor a date: write {FORM}, or a date "
            "or time such as 2026-12-01 or 2026-12-01T08:00"
        ) from None
    if given.tzinfo is None:
        given = given.replace(tzinfo=timezone.utc)
    return given.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def list_runs(
    store: Store,
    runs: RunFilter,
    limit: int | None = None,
    sort: str | None = None,
    offset: int = 0,
) -> list[Run]:
    """The runs ``runs`` admits, newest first or by ``sort``, at most ``limit`` of them
    after skipping ``offset``.

    Without conditions or a sort the index answers alone, reading only the page shown;
    otherwise records are read a page at a time, newest first.

    Raises
    ------
    InvalidInput
        ``sort`` names no column of the runs found (see `sorted_runs`).
    """
    if not runs.where and not sort:
        return _page(store, runs, limit, offset)
    end = None if limit is None else offset + limit
    found: list[Run] = []
    for run in _newest_first(store, runs):
        if runs.admits(run):
            found.append(run)
        if not sort and end is not None and len(found) >= end:
            break
    return (sorted_runs(found, sort) if sort else found)[offset:end]


def _newest_first(store: Store, runs: RunFilter) -> Iterator[Run]:
    offset = 0
    while True:
        page = _page(store, runs, PAGE, offset)
        yield from page
        if len(page) < PAGE:
            return
        offset += PAGE


def _page(store: Store, runs: RunFilter, limit: int | None, offset: int) -> list[Run]:
    return store.list_runs(
        runs.notebook,
        runs.status,
        limit,
        sweep=runs.sweep,
        user=runs.user,
        offset=offset,
        from_version=runs.from_version,
        since=runs.since,
        schedule=runs.schedule,
    )


def _meets(run: Run, condition: Condition) -> bool:
    value: Any = run.metrics.get(condition.metric, run.parameters.get(condition.metric))
    return is_number(value) and condition.holds(float(value))
