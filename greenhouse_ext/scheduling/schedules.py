"""What a schedule is: its target, when it fires (cron in a zone, or every DURATION), its
run options and policies; checked whole before anything is stored."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from ..durations import parse_duration
from ..errors import InvalidInput

CATCH_UP = ("skip", "latest", "all")
OVERLAP = ("skip", "queue")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CRON_EXAMPLE = "'0 6 * * *' (every day at 06:00) or '*/15 * * * *' (every 15 minutes)"


@dataclass(frozen=True)
class ScheduleSpec:
    """Everything a schedule says: when, what with, and what to do around each run."""

    cron: str | None = None
    tz: str = "UTC"
    every_s: int | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    kernel: str | None = None
    timeout: float | None = None
    timeout_run: float | None = None
    inputs: tuple[str, ...] = ()
    catch_up: str = "latest"
    catch_up_limit: int = 10
    max_concurrent: int = 1
    overlap: str = "skip"
    retries: int = 0
    retry_delay: float = 30.0
    checks: tuple[str, ...] = ()
    against: str | None = None
    max_drop: tuple[str, ...] = ()
    max_rise: tuple[str, ...] = ()
    publish: str | None = None
    alias: str | None = None
    notify: tuple[str, ...] = ()
    notify_on: str = "failure,recovery,gate"

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready fields (what the store keeps)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleSpec:
        """The spec the store kept."""
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names
        }
        return cls(**values)

    @property
    def when(self) -> str:
        """When it fires, as a person writes it: ``cron '0 6 * * *' Europe/Berlin``."""
        if self.cron is not None:
            return f"cron '{self.cron}' {self.tz}"
        from ..durations import format_duration

        return f"every {format_duration(self.every_s or 0)}"

    @property
    def has_gate(self) -> bool:
        return bool(self.checks or self.max_drop or self.max_rise)


def check_timing(
    cron: str | None, tz: str | None, every: str | None
) -> tuple[str | None, str, int | None]:
    """Check ``--cron``/``--tz``/``--every``; return the cron, the zone and the interval.

    Raises
    ------
    InvalidInput
        Neither or both of cron and every; a malformed expression (cronsim's reason and
        an example); an unknown zone; a zone with ``--every``; a bad duration.
    """
    if (cron is None) == (every is None):
        raise InvalidInput("Give exactly one of --cron EXPR or --every DURATION (such as 1h)")
    zone = check_zone(tz or "UTC")
    if every is not None:
        if tz is not None:
            raise InvalidInput("--tz applies to --cron only: --every counts real elapsed time")
        return None, zone, parse_duration(every, what="--every")
    assert cron is not None
    try:
        CronSim(cron, datetime.now(ZoneInfo(zone)))
    except CronSimError as exc:
        raise InvalidInput(
            f"--cron {cron!r} is not a cron expression ({exc}): write five fields, minute "
            f"hour day-of-month month day-of-week, such as {CRON_EXAMPLE}"
        ) from None
    return cron, zone, None


def check_zone(tz: str) -> str:
    """``tz`` when it names a time zone this machine knows."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"--tz {tz!r} is not a time zone: give an IANA name such as Europe/Berlin, "
            "America/New_York or UTC"
        ) from None
    return tz


def check_policies(
    catch_up: str,
    catch_up_limit: int,
    max_concurrent: int,
    overlap: str,
    retries: int,
    retry_delay: float,
) -> None:
    """Check the catch-up, overlap and retry policies.

    Raises
    ------
    InvalidInput
        Every problem at once: an unknown policy, a negative count, no concurrency.
    """
    problems = []
    if catch_up not in CATCH_UP:
        problems.append(f"--catch-up {catch_up!r}: choose one of {', '.join(CATCH_UP)}")
    if catch_up_limit < 1:
        problems.append(f"--catch-up-limit {catch_up_limit}: give 1 or more")
    if max_concurrent < 1:
        problems.append(f"--max-concurrent {max_concurrent}: give 1 or more runs at once")
    if overlap not in OVERLAP:
        problems.append(f"--overlap {overlap!r}: choose one of {', '.join(OVERLAP)}")
    if retries < 0:
        problems.append(f"--retries {retries}: give 0 (no retry) or more")
    if not (retry_delay >= 0 and math.isfinite(retry_delay)):
        problems.append(f"--retry-delay {retry_delay}: give 0 or more seconds")
    if problems:
        raise InvalidInput("; ".join(problems), problems)


def fire_times(spec: ScheduleSpec, after: datetime) -> Iterator[datetime]:
    """The schedule's fire times strictly after ``after``, in order, in UTC.

    A cron schedule fires in its zone with Debian cron's daylight-saving rules (cronsim):
    a time skipped by spring-forward fires at the first minute after the gap, a time
    repeated by fall-back fires once. ``--every`` fires at whole multiples of its
    interval since the Unix epoch (``1h``: on the hour, UTC), whatever the zone does.
    """
    if spec.cron is not None:
        zone = ZoneInfo(spec.tz)
        start = after.astimezone(zone)
        # In UTC: two times of one zone compare by their wall clock, fold ignored, so the
        # two 02:00 of a fall-back night would be taken for one.
        for moment in CronSim(spec.cron, start):
            yield moment.astimezone(timezone.utc)
        return
    step = timedelta(seconds=spec.every_s or 1)
    moment = EPOCH + step * ((after - EPOCH) // step + 1)
    while True:
        yield moment.astimezone(timezone.utc)
        moment += step


def next_fire_times(spec: ScheduleSpec, after: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` fire times after ``after``."""
    return list(islice(fire_times(spec, after), count))


def due_fire_times(
    spec: ScheduleSpec, after: datetime, until: datetime, cap: int = 1000
) -> list[datetime]:
    """Fire times in ``(after, until]``, in order: the latest ``cap`` of them at most."""
    if spec.every_s is not None and until - after > timedelta(seconds=spec.every_s * cap):
        after = until - timedelta(seconds=spec.every_s * cap)
    due: list[datetime] = []
    for moment in fire_times(spec, after):
        if moment > until:
            break
        due.append(moment)
        if len(due) > cap:
            due.pop(0)
    return due


def join_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``-p NAME VALUE`` pairs as a mapping (the later of a repeated name wins)."""
    return dict(pairs)
