"""The schedules API on a real server: add, list, show, pause, trigger, remove, preview;
bad bodies answered 400 naming the field, with nothing stored; and, with the server's
own scheduler on, a triggered occurrence that runs the published version."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Api
from notebooks import write_notebook

from greenhouse_ext.artefacts import publish
from greenhouse_ext.execution import execute, prepare
from greenhouse_ext.models import RunStatus
from greenhouse_ext.server.app import GreenhouseApp

NOTIFY = "json://hook:${HOOK_PASSWORD}@localhost:9/x"


@pytest.fixture
def published(jp_root_dir: Path, greenhouse: GreenhouseApp) -> str:
    """report.ipynb ran with x=2 and is published as report@1 (production); its run id."""
    notebook = write_notebook(
        jp_root_dir / "report.ipynb",
        "x = 1  # int",
        "from greenhouse_ext import record\nrecord('double', x * 2)",
    )
    store = greenhouse.store
    run = store.save_execution(execute(prepare(notebook, {"x": 2}, project_root=jp_root_dir)))
    assert run.status is RunStatus.SUCCEEDED, run.error
    publish(store, run.id, "report", aliases=["production"])
    return run.id


async def test_a_schedule_is_added_listed_shown_paused_triggered_and_removed(
    api: Api, published: str, greenhouse: GreenhouseApp
) -> None:
    body = {
        "target": "report@production",
        "cron": "0 6 * * *",
        "tz": "Europe/Berlin",
        "parameters": {"x": "5"},
        "retries": 2,
        "notify": [NOTIFY],
    }
    added = await api("POST", "schedules", body=body)
    assert added.code == 201, added.body
    schedule = added.json
    assert added.headers["Location"].endswith(f"/greenhouse/api/schedules/{schedule['id']}")
    assert schedule["name"] == "report" and schedule["target"] == "report@production"
    assert schedule["when"] == "cron '0 6 * * *' Europe/Berlin"
    assert schedule["spec"]["retries"] == 2 and schedule["spec"]["parameters"] == {"x": "5"}
    assert schedule["spec"]["notify"] == [NOTIFY]
    assert len(schedule["next_fire_times"]) == 5
    for moment in schedule["next_fire_times"]:
        local = datetime.fromisoformat(moment["local"])
        assert (local.hour, local.minute) == (6, 0)
        assert local == datetime.fromisoformat(moment["utc"])
        assert local.utcoffset() == local.astimezone(ZoneInfo("Europe/Berlin")).utcoffset()

    listed = (await api("GET", "schedules")).json["schedules"]
    assert [(s["name"], s["paused"], s["last_outcome"]) for s in listed] == [
        ("report", False, None)
    ]
    assert listed[0]["next_fire"] == schedule["next_fire_times"][0]["utc"]
    by_name = await api("GET", "schedules/report")
    assert by_name.code == 200 and by_name.json["id"] == schedule["id"]

    paused = await api("PATCH", f"schedules/{schedule['id']}", body={"paused": True})
    assert paused.code == 200 and paused.json["paused"] is True
    assert greenhouse.store.get_schedule(schedule["id"]).paused is True
    resumed = await api("PATCH", "schedules/report", body={"paused": False})
    assert resumed.json["paused"] is False

    fired = await api("POST", f"schedules/{schedule['id']}/trigger", body={})
    assert fired.code == 202, fired.body
    assert fired.json["status"] == "queued" and fired.json["kind"] == "manual"
    occurrences = (await api("GET", f"schedules/{schedule['id']}/occurrences")).json
    assert [(o["id"], o["status"], o["attempts"]) for o in occurrences["occurrences"]] == [
        (fired.json["id"], "queued", [])
    ]

    removed = await api("DELETE", f"schedules/{schedule['id']}")
    assert removed.code == 200 and removed.json["removed_at"]
    assert (await api("GET", "schedules")).json["schedules"] == []
    assert (await api("GET", "schedules/report")).code == 404
    again = await api("DELETE", f"schedules/{schedule['id']}")
    assert again.code == 404
    kept = await api("GET", f"schedules/{schedule['id']}/occurrences")
    assert [o["id"] for o in kept.json["occurrences"]] == [fired.json["id"]]


async def test_a_notebook_target_is_a_path_under_the_root(
    api: Api, jp_root_dir: Path, greenhouse: GreenhouseApp
) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", "x = 1  # int", "y = x + 1")
    added = await api("POST", "schedules", body={"target": "nb.ipynb", "every": "1h"})
    assert added.code == 201, added.body
    assert added.json["target"] == str(jp_root_dir.resolve() / "nb.ipynb")
    assert added.json["when"] == "every 1h"
    outside = await api("POST", "schedules", body={"target": "../nb.ipynb", "every": "1h"})
    assert outside.code == 400 and "leads out of the server's root" in outside.json["message"]
    assert len(greenhouse.store.list_schedules()) == 1


async def test_the_preview_gives_the_next_fire_times_in_the_zone_and_in_utc(api: Api) -> None:
    shown = await api("GET", "schedules/preview", params={"cron": "30 2 * * *", "tz": "Asia/Tokyo"})
    assert shown.code == 200, shown.body
    assert shown.json["when"] == "cron '30 2 * * *' Asia/Tokyo"
    times = shown.json["next_fire_times"]
    assert len(times) == 5
    assert all(t["local"].endswith("T02:30:00+09:00") for t in times)
    assert all(t["utc"].endswith("T17:30:00+00:00") for t in times)
    every = await api("GET", "schedules/preview", params={"every": "15m", "count": "2"})
    first, second = (datetime.fromisoformat(t["utc"]) for t in every.json["next_fire_times"])
    assert (second - first).total_seconds() == 900 and first.minute % 15 == 0
    bad = await api("GET", "schedules/preview", params={"cron": "61 * * * *"})
    assert bad.code == 400
    assert bad.json["message"].startswith("cron '61 * * * *' is not a cron expression")
    assert "0 6 * * *" in bad.json["message"]
    neither = await api("GET", "schedules/preview")
    assert neither.code == 400 and "exactly one of cron EXPR or every" in neither.json["message"]


BAD: list[tuple[dict[str, Any], list[str]]] = [
    ({"cron": "61 * * * *"}, ["cron '61 * * * *'", "Bad minute", "0 6 * * *"]),
    ({"cron": "0 * * * *", "tz": "Mars/Olympus"}, ["tz 'Mars/Olympus'", "Europe/Berlin"]),
    ({"every": "0s"}, ["every", "zero"]),
    ({"every": "soon"}, ["every", "not a duration", "30s"]),
    ({}, ["exactly one of cron EXPR or every DURATION"]),
    ({"every": "1h", "parameters": {"z": "1"}}, ["'z' is not a parameter"]),
    ({"every": "1h", "parameters": {"x": "many"}}, ["expected int"]),
    ({"every": "1h", "notify_on": "failure,later"}, ["notify_on", "unknown event 'later'"]),
    ({"every": "1h", "notify": ["json://u:hunter2@localhost/x"]}, ["literal secret", "${VAR}"]),
    ({"every": "1h", "retries": -1}, ["retries -1: give 0 (no retry) or more"]),
    ({"every": "1h", "max_concurrent": 0}, ["max_concurrent 0: give 1 or more"]),
    ({"every": "1h", "catch_up": "some"}, ["catch_up 'some'", "skip, latest, all"]),
    ({"every": "1h", "retries": "two"}, ["field 'retries' must be an integer"]),
    ({"every": "1h", "when": "soon"}, ["field 'when' is unknown"]),
]


@pytest.mark.parametrize(("fields", "said"), BAD)
async def test_a_bad_body_is_refused_naming_its_field_and_stores_nothing(
    api: Api, published: str, greenhouse: GreenhouseApp, fields: dict[str, Any], said: list[str]
) -> None:
    answer = await api("POST", "schedules", body={"target": "report@production", **fields})
    assert answer.code == 400, answer.body
    for words in said:
        assert words in answer.json["message"], answer.json["message"]
    assert "--" not in answer.json["message"]
    assert greenhouse.store.list_schedules() == []


async def test_a_target_that_is_not_published_is_refused(
    api: Api, published: str, greenhouse: GreenhouseApp
) -> None:
    alias = await api("POST", "schedules", body={"target": "report@nightly", "every": "1h"})
    assert alias.code in {400, 404} and "nightly" in alias.json["message"]
    name = await api("POST", "schedules", body={"target": "ghost@production", "every": "1h"})
    assert name.code in {400, 404} and "ghost" in name.json["message"]
    bare = await api("POST", "schedules", body={"target": "report", "every": "1h"})
    assert bare.code == 400 and "report@ALIAS" in bare.json["message"]
    await api("POST", "schedules", body={"target": "report@production", "every": "1h"})
    twice = await api("POST", "schedules", body={"target": "report@production", "every": "1h"})
    assert twice.code == 409 and "report" in twice.json["message"]
    assert len(greenhouse.store.list_schedules()) == 1


async def test_pause_takes_a_boolean_and_an_unknown_schedule_is_404(
    api: Api, published: str
) -> None:
    await api("POST", "schedules", body={"target": "report@production", "every": "1h"})
    wrong = await api("PATCH", "schedules/report", body={"paused": "yes"})
    assert wrong.code == 400
    assert "field 'paused' must be true or false" in wrong.json["message"]
    missing = await api("PATCH", "schedules/nobody", body={"paused": True})
    assert missing.code == 404 and "nobody" in missing.json["message"]
    assert (await api("POST", "schedules/nobody/trigger", body={})).code == 404


class TestWithTheServersScheduler:
    @pytest.fixture
    def jp_server_config(self) -> dict[str, Any]:
        return {
            "ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}},
            "GreenhouseApp": {"scheduler": True, "scheduler_grace": 5.0},
        }

    async def test_a_triggered_occurrence_runs_the_published_version(
        self, api: Api, published: str
    ) -> None:
        body = {"target": "report@production", "every": "1d", "parameters": {"x": "7"}}
        schedule = (await api("POST", "schedules", body=body)).json
        fired = await api("POST", f"schedules/{schedule['id']}/trigger", body={})
        assert fired.code == 202
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            found = (await api("GET", f"schedules/{schedule['id']}/occurrences")).json
            (occurrence,) = found["occurrences"]
            if occurrence["status"] == "succeeded":
                break
            await asyncio.sleep(0.5)
        assert occurrence["status"] == "succeeded", occurrence
        assert occurrence["version"] == "report@1"
        (attempt,) = occurrence["attempts"]
        run = (await api("GET", f"runs/{attempt['run_id']}")).json
        assert run["metrics"]["double"] == 14
        assert run["occurrence"] == {
            "schedule_id": schedule["id"],
            "schedule": "report",
            "occurrence": occurrence["id"],
            "fire_at": occurrence["fire_at"],
            "kind": "manual",
            "attempt": 1,
        }
        (listed,) = (await api("GET", "runs", params={"schedule": "report"})).json["runs"]
        assert listed["occurrence"] == run["occurrence"]
        schedulers = (await api("GET", "schedulers")).json["schedulers"]
        assert [s["id"] for s in schedulers] == [attempt["scheduler_id"]]
        assert schedulers[0]["stopped_at"] is None
        listed = (await api("GET", "schedules")).json["schedules"]
        assert listed[0]["last_outcome"] == "succeeded"
