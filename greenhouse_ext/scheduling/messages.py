"""What an alert says and when: the events a schedule notifies on, and the message."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidInput

EVENTS = ("start", "success", "failure", "recovery", "gate", "duration")
"""The events a schedule can notify on; ``duration`` is written ``duration>SECONDS``."""

DEFAULT_NOTIFY_ON = "failure,recovery,gate"

STARTED = "started"
SUCCEEDED = "succeeded"
GATE_FAILED = "gate_failed"
FAILED = frozenset({"failed", "interrupted"})
"""Outcomes that are failures: an exception, a timeout, a dead kernel, a lost scheduler."""

_BAD = FAILED | {GATE_FAILED}
"""Outcomes after which a success is a recovery."""

_WORDS = {
    "start": "started",
    "success": "succeeded",
    "failure": "failed",
    "recovery": "recovered",
    "gate": "failed its gate",
    "duration": "ran long",
}


@dataclass(frozen=True)
class NotifyOn:
    """The events a schedule notifies on; ``str()`` gives the spec back, for storage."""

    events: frozenset[str]
    duration_over_s: float | None = None

    def __contains__(self, event: object) -> bool:
        return event in self.events

    def __str__(self) -> str:
        return ",".join(
            f"duration>{self.duration_over_s:g}" if event == "duration" else event
            for event in EVENTS
            if event in self.events
        )


def parse_events(spec: str = DEFAULT_NOTIFY_ON) -> NotifyOn:
    """Parse a ``--notify-on`` spec such as ``failure,recovery,duration>600``.

    Parameters
    ----------
    spec : str
        Comma-separated events among ``start, success, failure, recovery, gate,
        duration>SECONDS``; the default is ``failure,recovery,gate``.

    Returns
    -------
    NotifyOn
        The events, and the duration threshold in seconds when ``duration>S`` is given.

    Raises
    ------
    InvalidInput
        An unknown event, a duration without a positive number of seconds, or no event.
    """
    valid = "start, success, failure, recovery, gate, duration>SECONDS"
    events: set[str] = set()
    threshold: float | None = None
    problems = []
    for item in (part.strip().lower() for part in spec.split(",") if spec.strip()):
        name, has_threshold, seconds = item.partition(">")
        name = name.strip()
        if name == "duration":
            threshold = _seconds(seconds) if has_threshold else None
            if threshold is None:
                problems.append(
                    f"{item!r}: duration needs a positive number of seconds, as duration>600"
                )
                continue
        elif name not in EVENTS or has_threshold:
            problems.append(f"unknown event {item!r}" if item else "an empty event")
            continue
        events.add(name)
    if not events and not problems:
        problems.append("no event given")
    if problems:
        raise InvalidInput(
            f"--notify-on {spec!r}: {'; '.join(problems)}; valid events are {valid}"
            f" (default {DEFAULT_NOTIFY_ON})",
            problems,
        )
    return NotifyOn(frozenset(events), threshold)


def _seconds(text: str) -> float | None:
    """``text`` as a positive finite number of seconds, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 and math.isfinite(value) else None


def events_for(
    previous_outcome: str | None, outcome: str, duration_s: float | None, notify_on: NotifyOn
) -> list[str]:
    """Return the events an occurrence's outcome raises, among those notified on.

    Parameters
    ----------
    previous_outcome : str or None
        The outcome of the schedule's previous finished occurrence (None for the first).
    outcome : str
        ``started`` when the run begins; else ``succeeded``, ``failed``, ``interrupted``
        (failures), ``gate_failed``, or another outcome that raises no outcome event
        (``cancelled``, ``skipped``).
    duration_s : float or None
        How long the run took, for ``duration>S``.
    notify_on : NotifyOn
        The schedule's events.

    Returns
    -------
    list of str
        ``start``; or one of ``success``, ``recovery`` (a success after a failure or a
        failed gate; it replaces ``success`` when both are notified on), ``failure``,
        ``gate``; then ``duration`` when the run took longer than its threshold.
    """
    if outcome == STARTED:
        return ["start"] if "start" in notify_on else []
    raised = []
    if outcome == SUCCEEDED:
        recovered = previous_outcome in _BAD and "recovery" in notify_on
        raised.append("recovery" if recovered else "success")
    elif outcome in FAILED:
        raised.append("failure")
    elif outcome == GATE_FAILED:
        raised.append("gate")
    over = notify_on.duration_over_s
    if over is not None and duration_s is not None and duration_s > over:
        raised.append("duration")
    return [event for event in raised if event in notify_on]


def run_link(run_id: str | None, base_url: str | None = None) -> str | None:
    """Return the URL of a run's record, when a base URL is configured.

    Parameters
    ----------
    run_id : str or None
        The run.
    base_url : str, optional
        The Jupyter Server's public URL; defaults to ``GREENHOUSE_BASE_URL``.

    Returns
    -------
    str or None
        ``BASE/greenhouse/api/runs/RUN``, or None without a run or a base URL.
    """
    base = base_url or os.environ.get("GREENHOUSE_BASE_URL")
    if not run_id or not base:
        return None
    return f"{base.rstrip('/')}/greenhouse/api/runs/{run_id}"


@dataclass(frozen=True)
class Alert:
    """What one alert says about one occurrence of a schedule."""

    schedule: str
    event: str
    fire_time: datetime
    """The occurrence's fire time, timezone-aware."""
    zone: str
    """The schedule's time zone, e.g. ``Europe/Berlin``."""
    version: str
    """What ran: ``NAME@N`` or a notebook path."""
    outcome: str
    reason: str | None = None
    failed_conditions: tuple[str, ...] = ()
    duration_s: float | None = None
    run_id: str | None = None
    attempt: int = 1
    link: str | None = None

    def fields(self) -> dict[str, Any]:
        """The alert as JSON-ready fields (times in ISO 8601, UTC and in the zone)."""
        data = asdict(self)
        data["fire_time"] = self.fire_time.astimezone(timezone.utc).isoformat()
        data["fire_time_local"] = _local(self.fire_time, self.zone).isoformat()
        data["failed_conditions"] = list(self.failed_conditions)
        return data


def _local(moment: datetime, zone: str) -> datetime:
    """``moment`` in ``zone``, or in UTC when the zone is unknown here."""
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):
        return moment.astimezone(timezone.utc)


def render(alert: Alert) -> tuple[str, str]:
    """Write an alert as a title and a plain-text body.

    Parameters
    ----------
    alert : Alert
        The alert.

    Returns
    -------
    tuple of str
        The title (``greenhouse: SCHEDULE failed (VERSION)``) and the body, one fact a line.
    """
    title = f"greenhouse: {alert.schedule} {_WORDS.get(alert.event, alert.event)} ({alert.version})"
    utc = alert.fire_time.astimezone(timezone.utc)
    local = _local(alert.fire_time, alert.zone)
    outcome = alert.outcome + (f": {alert.reason}" if alert.reason else "")
    when = f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    if local.tzname() != "UTC":
        when += f" ({local:%Y-%m-%d %H:%M:%S %Z} {alert.zone})"
    lines = [
        f"Schedule: {alert.schedule}",
        f"Event: {alert.event}",
        f"Fire time: {when}",
        f"Version: {alert.version}",
        f"Outcome: {outcome}",
    ]
    if alert.failed_conditions:
        lines.append("Failed conditions:")
        lines.extend(f"  - {condition}" for condition in alert.failed_conditions)
    if alert.duration_s is not None:
        lines.append(f"Duration: {alert.duration_s:.1f} s")
    if alert.run_id:
        lines.append(f"Run: {alert.run_id} (attempt {alert.attempt})")
    if alert.link:
        lines.append(f"Link: {alert.link}")
    return title, "\n".join(lines)
