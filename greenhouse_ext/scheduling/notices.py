"""The alerts an occurrence's outcome raises, sent in the background and recorded on it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from ..store import Occurrence, ScheduleRow, Store, utc_moment, utc_text
from .alerts import Alert, deliver, events_for, parse_events, run_link
from .schedules import ScheduleSpec


def alerts_for(
    occurrence: Occurrence,
    schedule: ScheduleRow,
    previous: str | None,
    outcome: str,
    reason: str | None,
    failed: tuple[str, ...],
    duration: float | None,
) -> list[Alert]:
    """One alert per event the outcome raises among the schedule's (none without --notify)."""
    spec = ScheduleSpec.from_dict(schedule.spec)
    if not spec.notify:
        return []
    events = events_for(previous, outcome, duration, parse_events(spec.notify_on))
    return [
        Alert(
            schedule=schedule.name,
            event=event,
            fire_time=utc_moment(occurrence.fire_at),
            zone=spec.tz,
            version=occurrence.version or schedule.target,
            outcome=outcome,
            reason=reason,
            failed_conditions=failed,
            duration_s=duration,
            run_id=occurrence.run_id,
            attempt=max(occurrence.attempt, 1),
            link=run_link(occurrence.run_id),
        )
        for event in events
    ]


def send_later(
    store: Store,
    occurrence_id: str,
    urls: Sequence[str],
    alert: Alert,
    said: Callable[[str, str], None],
) -> threading.Thread:
    """Deliver ``alert`` in a thread of its own and record each delivery on the occurrence.

    ``said(what, detail)`` hears of each delivery (``alert sent`` or ``alert failed``);
    nothing that goes wrong here reaches the caller: a failed delivery never stops a
    scheduler.
    """

    def send() -> None:
        try:
            deliveries = deliver(urls, alert)
            rows = [
                {
                    "channel": d.channel,
                    "event": d.event,
                    "delivered": d.delivered,
                    "attempts": d.attempts,
                    "error": d.error,
                    "at": utc_text(d.at),
                }
                for d in deliveries
            ]
            store.add_deliveries(occurrence_id, rows)
            for d in deliveries:
                detail = f"{d.event} to {d.channel}" + (f": {d.error}" if d.error else "")
                said("alert sent" if d.delivered else "alert failed", detail)
        except Exception as exc:  # a failed delivery never stops the scheduler
            said("alert failed", f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=send, daemon=True, name="greenhouse-scheduler-alert")
    thread.start()
    return thread
