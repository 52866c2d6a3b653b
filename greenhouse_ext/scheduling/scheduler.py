"""The scheduler: claims due occurrences, runs them in their own processes, follows them to
their outcome (gates, publishing, retries), takes over claims whose scheduler went silent,
and sends alerts; as many schedulers as wanted share one store."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from .._version import __version__
from ..errors import GreenhouseError
from ..execution import RunLauncher
from ..models import Run, RunError, RunStatus
from ..store import (
    ACTIVE_OCCURRENCE,
    Attempt,
    Occurrence,
    ScheduleRow,
    SchedulerRow,
    Store,
    host,
    utc_moment,
    utc_text,
)
from .attempts import Verdict, judge, prepare_job, retry_delay
from .clock import Clock, SystemClock
from .notices import alerts_for, send_later
from .occurrences import FIRE, QUEUED, SKIPPED, plan
from .schedules import ScheduleSpec, due_fire_times, next_fire_times

DEFAULT_LEASE_S = 60.0
DEFAULT_TICK_S = 1.0
FIRE_MARGIN_S = 0.002
"""How long after a fire time the scheduler wakes for it."""
RELEASED = "0000-00-00T00:00:00.000000Z"
"""The heartbeat of an occurrence a stopping scheduler hands on: stale at once."""


def new_id() -> str:
    return uuid.uuid4().hex[:16]


class Scheduler:
    """One scheduler process's loop over a store.

    Parameters
    ----------
    store : Store
        The store whose schedules it fires.
    clock : Clock, optional
        Where it reads the time (the system's by default).
    lease_s : float
        How old a claim's heartbeat may get before another scheduler takes it over.
    tick_s : float
        Seconds between two looks at the store.
    log : callable, optional
        Receives one line per event (claimed, started, finished, skipped, alert...).
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        lease_s: float = DEFAULT_LEASE_S,
        tick_s: float = DEFAULT_TICK_S,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.lease_s = lease_s
        self.tick_s = tick_s
        self.log = log or (lambda line: None)
        self.launcher = RunLauncher(store)
        self.id = f"{host()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.started_at = utc_text(self.clock.now())
        self.stopping = threading.Event()
        self._alerts: list[threading.Thread] = []
        self._next: dict[str, tuple[str, datetime]] = {}
        self._rows: dict[str, ScheduleRow] = {}

    # The loop -------------------------------------------------------------------

    def run(self, once: bool = False, grace: float = 30.0) -> None:
        """Fire schedules until `stop` (or, with ``once``, what is due now, then follow
        those runs to their end); then give running runs ``grace`` seconds."""
        self.launcher.fork = not once
        self.launcher.warm_up()
        try:
            self.tick()
            while not self.stopping.is_set() and (not once or self._held()):
                self.clock.sleep(self.tick_s if once else self._pause(), self.stopping)
                self.tick(claim=not once)
            self._shut_down(grace)
        finally:
            for thread in self._alerts:
                thread.join(timeout=60)
            self._beat(stopped=True)

    def stop(self) -> None:
        """Stop claiming; `run` then gives running runs their grace."""
        self.stopping.set()

    def tick(self, claim: bool = True) -> None:
        """One look at the store: heartbeats, take-overs, due occurrences, running ones."""
        now = self.clock.now()
        self._beat()
        self.store.beat_occurrences(self.id, utc_text(now))
        if claim and not self.stopping.is_set():
            self._take_over(now)
            self._fire_due(now)
            self._start_waiting(now)
        self._follow(now)

    def _pause(self) -> float:
        """Seconds until the next look: a tick, or less when a fire time comes sooner (so
        that an occurrence starts on time, not up to a tick late)."""
        now = self.clock.now()
        upcoming = [moment for _, moment in self._next.values() if moment > now]
        if not upcoming:
            return self.tick_s
        return min(self.tick_s, (min(upcoming) - now).total_seconds() + FIRE_MARGIN_S)

    def _beat(self, stopped: bool = False) -> None:
        now = utc_text(self.clock.now())
        row = SchedulerRow(
            self.id,
            host(),
            os.getpid(),
            __version__,
            self.started_at,
            now,
            now if stopped else None,
        )
        self.store.beat_scheduler(row)

    def _held(self) -> list[Occurrence]:
        return self.store.find_occurrences(claimed_by=self.id, statuses=ACTIVE_OCCURRENCE)

    # Claiming ---------------------------------------------------------------------

    def _fire_due(self, now: datetime) -> None:
        last = self.store.last_fire_times()
        active = self.store.count_active()
        for schedule in self._schedules():
            after = last.get(schedule.id) or schedule.created_at
            cached = self._next.get(schedule.id)
            if cached is not None and cached[0] == after and cached[1] > now:
                continue
            spec = ScheduleSpec.from_dict(schedule.spec)
            due = due_fire_times(spec, utc_moment(after), now)
            if not due:
                upcoming = next_fire_times(spec, now, 1)
                self._next[schedule.id] = (after, upcoming[0] if upcoming else now)
                continue
            for decision in plan(spec, due, now, schedule.paused, active.get(schedule.id, 0)):
                occurrence = Occurrence(
                    id=new_id(),
                    schedule_id=schedule.id,
                    fire_at=utc_text(decision.fire_at),
                    kind="scheduled",
                    status=decision.status,
                    created_at=utc_text(now),
                    reason=decision.reason,
                    claimed_by=self.id if decision.status == FIRE else None,
                    heartbeat_at=utc_text(now) if decision.status == FIRE else None,
                    finished_at=utc_text(now) if decision.status == SKIPPED else None,
                )
                if not self.store.claim_occurrence(occurrence):
                    continue
                what = {FIRE: "claimed", QUEUED: "queued", SKIPPED: "skipped"}[decision.status]
                self._say(what, schedule, occurrence, occurrence.reason)
                if decision.status == FIRE:
                    active[schedule.id] = active.get(schedule.id, 0) + 1
                    self._start(occurrence, schedule)

    def _schedules(self) -> list[ScheduleRow]:
        """The schedules not removed, oldest first: rows read once, their pause state fresh."""
        states = self.store.schedule_states()
        if not states.keys() <= self._rows.keys():
            self._rows = {row.id: row for row in self.store.list_schedules()}
        rows = (self._rows[id_] for id_ in states if id_ in self._rows)
        return [
            row if row.paused == states[row.id] else replace(row, paused=states[row.id])
            for row in rows
        ]

    def _start_waiting(self, now: datetime) -> None:
        """Claim queued occurrences (and triggered ones) whose schedule has room."""
        active = self.store.count_active()
        for occurrence in self.store.find_occurrences(statuses=[QUEUED]):
            schedule = self.store.get_schedule(occurrence.schedule_id)
            if schedule.removed_at is not None:
                self.store.update_occurrence(
                    occurrence.id,
                    [QUEUED],
                    None,
                    status=SKIPPED,
                    reason="schedule removed",
                    finished_at=utc_text(now),
                )
                continue
            spec = ScheduleSpec.from_dict(schedule.spec)
            if active.get(schedule.id, 0) >= spec.max_concurrent:
                continue
            claimed = self.store.update_occurrence(
                occurrence.id,
                [QUEUED],
                None,
                status=FIRE,
                claimed_by=self.id,
                heartbeat_at=utc_text(now),
                reason=None,
            )
            if claimed:
                active[schedule.id] = active.get(schedule.id, 0) + 1
                mine = replace(occurrence, status=FIRE, claimed_by=self.id)
                self._say("claimed", schedule, mine)
                self._start(mine, schedule)

    def _take_over(self, now: datetime) -> None:
        """Claim occurrences whose scheduler stopped heartbeating; interrupt their runs."""
        cutoff = utc_text(now - timedelta(seconds=self.lease_s))
        for stale in self.store.find_occurrences(statuses=ACTIVE_OCCURRENCE, stale_before=cutoff):
            if not self.store.take_over(stale, self.id, utc_text(now)):
                continue
            occurrence = replace(stale, claimed_by=self.id, heartbeat_at=utc_text(now))
            schedule = self.store.get_schedule(occurrence.schedule_id)
            self._say("took over", schedule, occurrence, f"from {stale.claimed_by}")
            if occurrence.status == "running" and occurrence.run_id:
                run = self._interrupt(occurrence.run_id)
                self._finish(occurrence, schedule, run, now)

    def _interrupt(self, run_id: str) -> Run:
        """Record a run of a lost scheduler as interrupted, and end its process if here."""
        from ..execution.processes import runs_here

        while True:
            # Compare and set: a run still starting may turn running between the read and
            # the write; it is read again then (a status moves on at most twice).
            run = self.store.get_run(run_id)
            if run.status.finished:
                return run
            expected = run.status
            run.status = RunStatus.INTERRUPTED
            run.error = RunError(reason="its scheduler stopped heartbeating (its lease expired)")
            if self.store.save_run(run, replaces=(expected,)):
                break
        if run.pid is not None and runs_here(run):
            with contextlib.suppress(ProcessLookupError):
                os.kill(run.pid, signal.SIGTERM)
        return self.store.get_run(run_id)

    # Attempts -----------------------------------------------------------------------

    def _start(self, occurrence: Occurrence, schedule: ScheduleRow) -> None:
        """Start the occurrence's next attempt in its own process."""
        spec = ScheduleSpec.from_dict(schedule.spec)
        now = self.clock.now()
        attempt = occurrence.attempt + 1
        try:
            job = prepare_job(self.store, schedule.target, spec)
            run = self.launcher.launch(job)
        except GreenhouseError as exc:
            verdict = Verdict("failed", f"could not start: {exc.message}")
            self._close(replace(occurrence, attempt=attempt), schedule, verdict, None, now)
            return
        version = job.from_version.ref if job.from_version else job.notebook
        self.store.add_attempt(Attempt(occurrence.id, attempt, run.id, self.id, utc_text(now)))
        started = self.store.update_occurrence(
            occurrence.id,
            [FIRE, "retrying"],
            self.id,
            status="running",
            attempt=attempt,
            run_id=run.id,
            version=version,
            heartbeat_at=utc_text(now),
            next_attempt_at=None,
        )
        if not started:
            with contextlib.suppress(GreenhouseError):
                self.launcher.cancel(run.id)
            return
        occurrence = replace(
            occurrence, status="running", attempt=attempt, run_id=run.id, version=version
        )
        self._say("started", schedule, occurrence, f"run {run.id} attempt {attempt} ({version})")
        self._alert(occurrence, schedule, "started", None, (), None)

    def _follow(self, now: datetime) -> None:
        """Move on the occurrences this scheduler holds: finished runs, due retries."""
        for occurrence in self._held():
            if occurrence.status == "running" and occurrence.run_id:
                run = self.store.get_run(occurrence.run_id)
                if run.status.finished:
                    self._finish(
                        occurrence, self.store.get_schedule(occurrence.schedule_id), run, now
                    )
            elif self.stopping.is_set():
                continue
            elif occurrence.status == FIRE or (
                occurrence.next_attempt_at is not None
                and occurrence.next_attempt_at <= utc_text(now)
            ):
                self._start(occurrence, self.store.get_schedule(occurrence.schedule_id))

    def _finish(
        self, occurrence: Occurrence, schedule: ScheduleRow, run: Run, now: datetime
    ) -> None:
        """Judge a finished run: close the occurrence, or plan its next attempt."""
        spec = ScheduleSpec.from_dict(schedule.spec)
        verdict = judge(self.store, run, spec)
        if verdict.retryable and occurrence.attempt <= spec.retries:
            delay = retry_delay(spec, occurrence.attempt)
            retried = self.store.update_occurrence(
                occurrence.id,
                ["running"],
                self.id,
                status="retrying",
                reason=verdict.reason,
                next_attempt_at=utc_text(now + timedelta(seconds=delay)),
            )
            if retried:
                self._say("retrying", schedule, occurrence, f"in {delay:g} s: {verdict.reason}")
            return
        self._close(occurrence, schedule, verdict, run, now)

    def _close(
        self,
        occurrence: Occurrence,
        schedule: ScheduleRow,
        verdict: Verdict,
        run: Run | None,
        now: datetime,
    ) -> None:
        detail = {
            "failed_conditions": list(verdict.failed_conditions),
            "published": verdict.published,
        }
        closed = self.store.update_occurrence(
            occurrence.id,
            ACTIVE_OCCURRENCE,
            self.id,
            status=verdict.status,
            reason=verdict.reason,
            finished_at=utc_text(now),
            attempt=occurrence.attempt,
            detail=detail,
        )
        if not closed:
            return
        self._say(
            "finished",
            schedule,
            occurrence,
            verdict.status + (f": {verdict.reason}" if verdict.reason else ""),
        )
        duration = run.duration_s if run is not None else None
        self._alert(
            occurrence,
            schedule,
            verdict.status,
            verdict.reason,
            verdict.failed_conditions,
            duration,
        )

    def _shut_down(self, grace: float) -> None:
        """Give running runs ``grace`` seconds, then cancel them and hand their occurrences on."""
        deadline = time.monotonic() + grace
        while self._running() and time.monotonic() < deadline:
            time.sleep(min(self.tick_s, 0.5))
            self.tick(claim=False)
        now = self.clock.now()
        for occurrence in self._held():
            if occurrence.status == "running" and occurrence.run_id:
                with contextlib.suppress(GreenhouseError):
                    self.launcher.cancel(occurrence.run_id)
            handed = self.store.update_occurrence(
                occurrence.id,
                ACTIVE_OCCURRENCE,
                self.id,
                status="retrying",
                heartbeat_at=RELEASED,
                next_attempt_at=utc_text(now),
                reason="its scheduler stopped: run again by the next one",
            )
            if handed:
                schedule = self.store.get_schedule(occurrence.schedule_id)
                self._say("handed on", schedule, occurrence, "the scheduler stopped")

    def _running(self) -> bool:
        return any(o.status == "running" for o in self._held())

    # Alerts and log -----------------------------------------------------------------

    def _alert(
        self,
        occurrence: Occurrence,
        schedule: ScheduleRow,
        outcome: str,
        reason: str | None,
        failed: tuple[str, ...],
        duration: float | None,
    ) -> None:
        """Send the alerts an outcome raises, off the loop; each delivery is recorded."""
        previous = self.store.previous_outcome(occurrence) if outcome != "started" else None
        alerts = alerts_for(occurrence, schedule, previous, outcome, reason, failed, duration)
        for alert in alerts:

            def said(what: str, detail: str) -> None:
                self._say(what, schedule, occurrence, detail)

            urls = ScheduleSpec.from_dict(schedule.spec).notify
            thread = send_later(self.store, occurrence.id, urls, alert, said)
            self._alerts = [t for t in self._alerts if t.is_alive()] + [thread]

    def _say(
        self, what: str, schedule: ScheduleRow, occurrence: Occurrence, detail: str | None = None
    ) -> None:
        moment = utc_text(self.clock.now())
        line = f"{moment} {what} {schedule.name} {occurrence.fire_at} {occurrence.id}"
        with contextlib.suppress(Exception):
            self.log(line + (f": {detail}" if detail else ""))


def handle_signals(scheduler: Scheduler) -> None:
    """SIGTERM and SIGINT stop the scheduler's claiming (running runs get their grace)."""

    def stop(_signum: int, _frame: object) -> None:
        scheduler.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
