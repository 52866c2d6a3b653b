"""Exactly once: three `greenhouse scheduler` processes on one store (SQLite, then a real
PostgreSQL server) fire an `--every 2s` schedule; each fire time has exactly one run."""

from __future__ import annotations

import time
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from schedulers import greenhouse, logs, occurrences, project, schedulers
from services import Postgres

from greenhouse_ext.store import Store, utc_moment

WINDOW_S = 20.0


def fire_each_once(folder: Path, index_url: str | None) -> None:
    greenhouse(
        folder, "schedule", "add", "nb.ipynb", "--every", "2s", "--max-concurrent", "20",
        index_url=index_url,
    )  # fmt: skip
    with schedulers(folder, 3, "--grace", "90", index_url=index_url):
        time.sleep(WINDOW_S)
    found = occurrences(folder, index_url)
    moments = [utc_moment(o.fire_at) for o in found]
    assert len(moments) >= WINDOW_S / 2 - 3, logs(folder)
    steps = {later - earlier for earlier, later in pairwise(moments)}
    assert steps == {timedelta(seconds=2)}, f"a fire time is missing or doubled: {moments}"
    store = Store(folder / ".greenhouse", index_url=index_url)
    try:
        attempts = store.attempts_of(o.id for o in found)
        runs = store.list_runs()
    finally:
        store.close()
    assert [o.status for o in found] == ["succeeded"] * len(found), logs(folder)
    assert [len(attempts.get(o.id, [])) for o in found] == [1] * len(found)
    assert len(runs) == len(found)
    assert {a[0].run_id for a in attempts.values()} == {run.id for run in runs}
    assert all(run.status.value == "succeeded" for run in runs)
    claimers = {o.claimed_by for o in found}
    assert len(claimers) >= 2, "the three schedulers should share the work"


def test_three_schedulers_on_sqlite_fire_each_occurrence_once(tmp_path: Path) -> None:
    fire_each_once(project(tmp_path), None)


@pytest.mark.usefixtures("service_env")
def test_three_schedulers_on_postgresql_fire_each_occurrence_once(
    tmp_path: Path, postgres: Postgres
) -> None:
    fire_each_once(project(tmp_path), postgres.database())
