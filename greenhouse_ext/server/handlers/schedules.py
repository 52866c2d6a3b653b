"""REST handlers about schedules and schedulers: the same core calls as ``greenhouse schedule``.

Every check, the storing, the trigger and the description are the core's
(`greenhouse_ext.scheduling`); a handler only reads the request and answers JSON. The core
names a wrong value by its command-line option (``--cron``); these handlers set
`GreenhouseHandler.names_fields`, so such a message names the body field (``cron``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ...execution import names_file
from ...scheduling.registration import (
    describe,
    fire_now,
    history,
    preview,
    register,
    remove,
    set_paused,
    summary,
)
from ...scheduling.schedules import ScheduleSpec, check_policies, check_timing
from ...store import Store
from .base import GreenhouseHandler

POLICY_DEFAULTS: dict[str, Any] = {
    "catch_up": "latest",
    "catch_up_limit": 10,
    "max_concurrent": 1,
    "overlap": "skip",
    "retries": 0,
    "retry_delay": 30.0,
}
CREATE_SCHEDULE_OPTIONS = {
    "name": "string",
    "cron": "string",
    "tz": "string",
    "every": "string",
    "parameters": "string map",
    "timeout": "number",
    "timeout_run": "number",
    "kernel": "string",
    "inputs": "strings",
    "catch_up": "string",
    "catch_up_limit": "integer",
    "max_concurrent": "integer",
    "overlap": "string",
    "retries": "integer",
    "retry_delay": "number",
    "checks": "strings",
    "against": "string",
    "max_drop": "strings",
    "max_rise": "strings",
    "publish": "string",
    "alias": "string",
    "notify": "strings",
    "notify_on": "string",
}
LISTED_FIELDS = ("inputs", "checks", "max_drop", "max_rise", "notify")
OCCURRENCES_DEFAULT = 20
OCCURRENCES_MAX = 1000


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ScheduleAPIHandler(GreenhouseHandler):
    """The base of the schedule handlers: messages name body fields, not options."""

    names_fields = True


class SchedulesHandler(ScheduleAPIHandler):
    """``GET schedules``: the schedules; ``POST schedules``: add one, checked whole."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer ``{"schedules": [...]}``: each with its next fire time, last outcome, paused."""
        self.reply({"schedules": await self.with_store(_summaries, _now())})

    @tornado.web.authenticated
    @authorized(action="write")
    async def post(self) -> None:
        """Add a schedule (201, described as ``GET schedules/{id}`` does); nothing is stored
        when anything is wrong (400 naming each wrong field)."""
        request = self.body(required={"target": "string"}, optional=CREATE_SCHEDULE_OPTIONS)
        target = request.pop("target")
        if names_file(target):
            target = str(self.confined(target, "notebook"))
        described = await self.with_store(_add, target, request, _now())
        location = url_path_join(self.base_url, "greenhouse/api/schedules", described["id"])
        self.set_header("Location", location)
        self.reply(described, 201)


class SchedulePreviewHandler(ScheduleAPIHandler):
    """``GET schedules/preview?cron=EXPR&tz=ZONE`` or ``?every=DURATION``: the next fire
    times, for a form that shows them as the expression is typed."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer ``{"when", "next_fire_times": [{"local", "utc"}, ...]}`` (5 of them)."""
        cron = self.optional_query("cron") or None
        tz = self.optional_query("tz") or None
        every = self.optional_query("every") or None
        count = self.int_query("count", 5, 1, 50)
        cron, zone, every_s = check_timing(cron, tz, every)
        spec = ScheduleSpec(cron=cron, tz=zone, every_s=every_s)
        self.reply({"when": spec.when, "next_fire_times": preview(spec, _now(), count)})


class ScheduleHandler(ScheduleAPIHandler):
    """``GET``, ``PATCH`` (pause, resume) and ``DELETE schedules/{id}`` (by id or name)."""

    @tornado.web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """Answer the schedule's spec (alert URLs masked), its next 5 fire times in its
        zone and in UTC, and its last 20 occurrences with their runs and alerts."""
        self.reply(await self.with_store(_described, ref, _now()))

    @tornado.web.authenticated
    @authorized(action="write")
    async def patch(self, ref: str) -> None:
        """``{"paused": true}`` pauses, ``{"paused": false}`` resumes; answers the schedule."""
        paused = self.body(required={"paused": "boolean"})["paused"]
        self.reply(await self.with_store(set_paused, ref, paused, _now()))

    @tornado.web.authenticated
    @authorized(action="write")
    async def delete(self, ref: str) -> None:
        """Remove the schedule: it fires no more; its occurrences and runs stay."""
        self.reply(await self.with_store(remove, ref, _now()))


class OccurrencesHandler(ScheduleAPIHandler):
    """``GET schedules/{id}/occurrences?limit=N``: the last occurrences, newest first."""

    @tornado.web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        """Answer ``{"occurrences": [...]}``, each with its attempts (runs) and deliveries."""
        limit = self.int_query("limit", OCCURRENCES_DEFAULT, 1, OCCURRENCES_MAX)
        self.reply({"occurrences": await self.with_store(_history, ref, limit)})


class TriggerHandler(ScheduleAPIHandler):
    """``POST schedules/{id}/trigger``: fire now, as an occurrence of its own."""

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self, ref: str) -> None:
        """Answer the queued occurrence (202): a running scheduler claims and runs it."""
        self.reply(await self.with_store(fire_now, ref, _now()), 202)


class SchedulersHandler(GreenhouseHandler):
    """``GET schedulers``: each scheduler seen, with its last heartbeat."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer ``{"schedulers": [{id, host, pid, version, started_at, heartbeat_at,
        stopped_at}]}``."""
        rows = await self.with_store(Store.list_schedulers)
        self.reply({"schedulers": [row.__dict__ for row in rows]})


def _summaries(store: Store, now: datetime) -> list[dict[str, Any]]:
    return [summary(store, row, now) for row in store.list_schedules()]


def _add(store: Store, target: str, request: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Check and store a schedule as `greenhouse schedule add` does."""
    cron, zone, every_s = check_timing(request.pop("cron"), request.pop("tz"), request.pop("every"))
    options: dict[str, Any] = {
        key: default if request[key] is None else request[key]
        for key, default in POLICY_DEFAULTS.items()
    }
    check_policies(**options)
    name = request.pop("name")
    fields: dict[str, Any] = {
        key: tuple(value) if key in LISTED_FIELDS else value
        for key, value in request.items()
        if value is not None and key not in options
    }
    spec = ScheduleSpec(cron=cron, tz=zone, every_s=every_s, **options, **fields)
    row = register(store, target, spec, name, now)
    return describe(store, row, now)


def _described(store: Store, ref: str, now: datetime) -> dict[str, Any]:
    return describe(store, store.get_schedule(ref), now)


def _history(store: Store, ref: str, limit: int) -> list[dict[str, Any]]:
    return history(store, store.get_schedule(ref), limit)
