"""``GET runs/{id}`` and ``GET runs`` name the schedule, occurrence and attempt of a run a
schedule started, as documented; a run no schedule started has no ``occurrence``."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Api
from notebooks import write_notebook
from test_openapi import check_reply

from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.server.app import GreenhouseApp
from greenhouse_ext.store import Attempt, Occurrence, ScheduleRow

FIRE_AT = "2026-12-06T02:00:00.000000Z"


@pytest.fixture
def retried(greenhouse: GreenhouseApp, jp_root_dir: Path, seed_run) -> dict[str, Run]:
    """Schedule "nightly-retrain" fired at 02:00: its first attempt failed, its retry
    succeeded; one more run was started by hand."""
    notebook = write_notebook(jp_root_dir / "nb.ipynb", "x = 1", "pass")
    store = greenhouse.store
    runs = {
        "by_hand": seed_run(store, notebook),
        "first": seed_run(store, notebook, RunStatus.FAILED),
        "retry": seed_run(store, notebook),
    }
    store.add_schedule(ScheduleRow("sched-1", "nightly-retrain", "nb.ipynb", {}, False, FIRE_AT))
    occurrence = Occurrence("occ-1", "sched-1", FIRE_AT, "scheduled", "succeeded", FIRE_AT)
    assert store.claim_occurrence(occurrence)
    for number, name in enumerate(("first", "retry"), start=1):
        run = runs[name]
        store.add_attempt(Attempt("occ-1", number, run.id, "tester", run.created_at))
    return runs


def _nightly(attempt: int) -> dict[str, object]:
    return {
        "schedule_id": "sched-1",
        "schedule": "nightly-retrain",
        "occurrence": "occ-1",
        "fire_at": FIRE_AT,
        "kind": "scheduled",
        "attempt": attempt,
    }


async def test_a_run_names_the_occurrence_and_attempt_a_schedule_started_it_as(
    api: Api, retried: dict[str, Run]
) -> None:
    for name, attempt in (("first", 1), ("retry", 2)):
        path = f"runs/{retried[name].id}"
        reply = await api("GET", path)
        check_reply("GET", path, reply)
        assert reply.json["occurrence"] == _nightly(attempt)
    path = f"runs/{retried['by_hand'].id}"
    reply = await api("GET", path)
    check_reply("GET", path, reply)
    assert reply.code == 200 and "occurrence" not in reply.json


async def test_the_runs_list_names_the_occurrence_of_each_scheduled_run(
    api: Api, retried: dict[str, Run]
) -> None:
    for params in ({}, {"schedule": "nightly-retrain"}, {"sort": "id"}):
        reply = await api("GET", "runs", params=params)
        check_reply("GET", "runs", reply)
        listed = {run["id"]: run for run in reply.json["runs"]}
        assert listed[retried["first"].id]["occurrence"] == _nightly(1), params
        assert listed[retried["retry"].id]["occurrence"] == _nightly(2), params
        if "schedule" not in params:
            assert "occurrence" not in listed[retried["by_hand"].id], params
