"""Sweep results: the table and its sorting, and a sweep's runs found in the store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from notebooks import write_notebook

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.execution.results import results_table, side_by_side, sweep_runs
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store


def _run(run_id: str, status: str, parameters: dict[str, Any], metrics: dict[str, Any]) -> Run:
    return Run(
        id=run_id,
        notebook="nb.ipynb",
        status=RunStatus(status),
        parameters=parameters,
        created_at="2026-01-01T00:00:00+00:00",
        metrics=metrics,
        duration_s=float(len(run_id)),
    )


RUNS = [
    _run("a", "succeeded", {"rate": 0.1, "region": "eu"}, {"r2": 0.5}),
    _run("b", "failed", {"rate": 0.2, "region": "us"}, {}),
    _run("c", "succeeded", {"rate": 0.3, "region": "eu"}, {"r2": 0.9, "note": "best"}),
    _run("d", "succeeded", {"rate": 0.4, "region": "asia"}, {"r2": 0.7}),
]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        (None, ["a", "b", "c", "d"]),
        ("r2", ["a", "d", "c", "b"]),
        ("-r2", ["c", "d", "a", "b"]),
        ("-rate", ["d", "c", "b", "a"]),
        ("region", ["d", "a", "c", "b"]),
        ("note", ["c", "a", "b", "d"]),
        ("status", ["b", "a", "c", "d"]),
    ],
)
def test_results_table_sorts_by_any_column_with_missing_values_last(
    sort: str | None, order: list[str]
) -> None:
    header, rows = results_table(RUNS, sort)
    assert header == ["RUN", "STATUS", "rate", "region", "r2", "note"]
    assert [row[0] for row in rows] == order
    by_id = {row[0]: row for row in rows}
    assert by_id["b"] == ["b", "failed", "0.2", "us", "-", "-"]
    assert by_id["c"] == ["c", "succeeded", "0.3", "eu", "0.9", "best"]


def test_results_table_refuses_an_unknown_sort_column() -> None:
    message = "--sort '-loss' names no column; sort by one of: rate, region, r2"
    with pytest.raises(InvalidInput, match=message):
        results_table(RUNS, "-loss")


def test_side_by_side_has_a_column_per_run() -> None:
    header, rows = side_by_side(RUNS[:2])
    assert header == ["", "a", "b"]
    assert rows == [
        ["status", "succeeded", "failed"],
        ["rate", "0.1", "0.2"],
        ["region", "eu", "us"],
        ["r2", "0.5", "-"],
    ]


def test_a_sweeps_runs_are_found_by_id_and_older_records_still_read(
    tmp_path: Path, seed_run: Callable[..., Run]
) -> None:
    store = Store(tmp_path / ".greenhouse")
    notebook = write_notebook(tmp_path / "nb.ipynb", "rate = 0.1", "x = rate")
    tagged = [seed_run(store, notebook, sweep_id=sweep) for sweep in ("s1", "s1", "s2", None)]
    legacy = seed_run(store, notebook)
    with sqlite3.connect(store.root / "index.sqlite") as conn:
        (record,) = conn.execute("SELECT record FROM runs WHERE id = ?", (legacy.id,)).fetchone()
        data = json.loads(record)
        del data["sweep_id"]
        conn.execute("UPDATE runs SET record = ? WHERE id = ?", (json.dumps(data), legacy.id))

    assert {r.id for r in sweep_runs(store, "s1")} == {tagged[0].id, tagged[1].id}
    assert [r.id for r in sweep_runs(store, "s2")] == [tagged[2].id]
    assert store.get_run(legacy.id).sweep_id is None
    assert len(store.list_runs()) == 5
    with pytest.raises(NotFound, match="No sweep 's3'"):
        sweep_runs(store, "s3")
