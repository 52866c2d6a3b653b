"""``GET runs`` filtered, sorted and paged as ``greenhouse runs`` does: where, since, sort,
status, user, sweep, offset."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from notebooks import write_notebook

from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Attempt, Occurrence, ScheduleRow, Store, utc_text


@pytest.fixture
def seeded(greenhouse, jp_root_dir: Path, seed_run) -> dict[str, Run]:
    """Five runs: a sweep of three (lr 0.1, 0.2, 0.3), one failed and one of another notebook."""
    notebook = write_notebook(jp_root_dir / "nb.ipynb", "lr = 0.1", "pass")
    other = write_notebook(jp_root_dir / "other.ipynb", None, "pass")
    store = greenhouse.store
    runs = {}
    for name, lr, accuracy in (("a", 0.1, 0.90), ("b", 0.2, 0.97), ("c", 0.3, 0.95)):
        runs[name] = seed_run(
            store, notebook, parameters={"lr": lr}, metrics={"accuracy": accuracy}, sweep_id="sw1"
        )
    runs["failed"] = seed_run(store, notebook, RunStatus.FAILED, parameters={"lr": 0.5})
    runs["other"] = seed_run(store, other, metrics={"accuracy": 0.99})
    return runs


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("where", "accuracy>0.94")], ["other", "c", "b"]),
        ([("where", "accuracy>0.94"), ("where", "lr<=0.2")], ["b"]),
        ([("where", "lr>=0.3")], ["failed", "c"]),
        ([("sort", "accuracy")], ["a", "c", "b", "other", "failed"]),
        ([("sort", "-accuracy"), ("limit", "2")], ["other", "b"]),
        ([("sort", "-accuracy"), ("offset", "1"), ("limit", "2")], ["b", "c"]),
        ([("offset", "3")], ["b", "a"]),
        ([("offset", "1"), ("limit", "2")], ["failed", "c"]),
        ([("sweep", "sw1")], ["c", "b", "a"]),
        ([("sweep", "sw1"), ("sort", "lr"), ("offset", "2")], ["c"]),
        ([("status", "failed"), ("since", "1h")], ["failed"]),
        ([("since", "2000-01-01"), ("user", "tester"), ("where", "accuracy<0.92")], ["a"]),
        ([("user", "nobody")], []),
        ([("since", "2999-01-01")], []),
        ([("where", "")], ["other", "failed", "c", "b", "a"]),
    ],
)
async def test_list_runs_filtered_sorted_and_paged(api, seeded, params, expected):
    reply = await api("GET", "runs", params=params)

    assert reply.code == 200, reply.json
    assert [r["id"] for r in reply.json["runs"]] == [seeded[name].id for name in expected]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ([("where", "accuracy>>1")], "--where: "),
        ([("where", "accuracy>0.9"), ("where", "loss")], "--where: "),
        ([("since", "yesterday")], "--since 'yesterday' is neither a duration nor a date"),
        ([("sort", "speed")], "--sort 'speed' names no column; sort by one of: lr, accuracy"),
        ([("offset", "-1")], "offset must be >= 0, got -1"),
        ([("where", "a\x01>1")], "query argument 'where'"),
    ],
)
async def test_list_runs_refuses_bad_filters_with_the_core_message(api, seeded, params, words):
    reply = await api("GET", "runs", params=params)

    assert reply.code == 400
    assert words in reply.json["message"]


def _scheduled(store: Store, name: str, runs: list[Run]) -> ScheduleRow:
    """A schedule whose occurrences started ``runs`` (one occurrence each, first attempt)."""
    created = utc_text(datetime.now(timezone.utc))
    schedule = ScheduleRow(f"id-{name}", name, "nb.ipynb", {"every_s": 60}, False, created)
    store.add_schedule(schedule)
    for index, run in enumerate(runs):
        occurrence = Occurrence(
            id=f"{name}-{index}",
            schedule_id=schedule.id,
            fire_at=run.created_at,
            kind="manual",
            status="succeeded",
            created_at=run.created_at,
        )
        assert store.claim_occurrence(occurrence)
        store.add_attempt(Attempt(occurrence.id, 1, run.id, "tester", run.created_at))
    return schedule


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("schedule", "nightly")], ["failed", "b", "a"]),
        ([("schedule", "id-nightly")], ["failed", "b", "a"]),
        ([("schedule", "nightly"), ("status", "succeeded")], ["b", "a"]),
        ([("schedule", "nightly"), ("where", "accuracy>0.92")], ["b"]),
        ([("schedule", "nightly"), ("sort", "accuracy"), ("offset", "1")], ["b", "failed"]),
        ([("schedule", "hourly")], ["other"]),
    ],
)
async def test_list_runs_of_a_schedule(greenhouse, api, seeded, params, expected):
    store = greenhouse.store
    _scheduled(store, "nightly", [seeded["a"], seeded["b"], seeded["failed"]])
    _scheduled(store, "hourly", [seeded["other"]])

    reply = await api("GET", "runs", params=params)

    assert reply.code == 200, reply.json
    assert [r["id"] for r in reply.json["runs"]] == [seeded[name].id for name in expected]


async def test_list_runs_of_an_unknown_schedule_is_404(api, seeded):
    reply = await api("GET", "runs", params=[("schedule", "weekly")])

    assert reply.code == 404
    assert "No schedule 'weekly'" in reply.json["message"]
