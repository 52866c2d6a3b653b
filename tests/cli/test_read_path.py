"""The read commands answer the same on the fast read path (the standard library's sqlite3)
as through SQLAlchemy and fsspec, and the fast path imports neither."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from notebooks import write_notebook

from greenhouse_ext.artefacts import publish
from greenhouse_ext.cli import cli
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Attempt, Occurrence, ScheduleRow, Store
from greenhouse_ext.store.reading import IDS_PER_QUERY, StoreReader

IMAGE = "iVBORw0KGgo" * 9000
"""An output long enough to be kept apart when packed: `open` must put it back."""


@pytest.fixture
def project(tmp_path: Path, seed_run: Callable[..., Run]) -> tuple[Path, dict[str, Run]]:
    store = Store(tmp_path / ".greenhouse")
    train = write_notebook(tmp_path / "train.ipynb", "epochs = 3", f"print('{IMAGE}')")
    other = write_notebook(tmp_path / "other.ipynb", "rate = 0.1", "print(rate)")
    runs = {
        "first": seed_run(store, train, metrics={"score": 0.5, "table": {"a": [1, 2]}}),
        "failed": seed_run(store, other, RunStatus.FAILED),
        "swept": seed_run(store, train, parameters={"epochs": 4}, sweep_id="sweep0000001"),
        "last": seed_run(store, train, parameters={"epochs": 5}, metrics={"score": 0.9}),
    }
    publish(store, runs["first"].id, "model", aliases=["production"])
    publish(store, runs["last"].id, "model")
    retried(store, runs["failed"], runs["last"])
    store.close()
    return tmp_path, runs


def retried(store: Store, first: Run, second: Run) -> None:
    """Schedule "nightly" fired at 02:00; ``first`` was its first attempt, ``second`` its
    retry."""
    at = "2026-12-06T02:00:00.000000Z"
    store.add_schedule(ScheduleRow("sched-1", "nightly", "train.ipynb", {}, False, at))
    occurrence = Occurrence("occ-1", "sched-1", at, "scheduled", "succeeded", at, attempt=2)
    assert store.claim_occurrence(occurrence)
    for number, run in enumerate((first, second), start=1):
        store.add_attempt(Attempt("occ-1", number, run.id, "tester", run.created_at))


def commands(folder: Path, runs: dict[str, Run]) -> list[list[str]]:
    first, last = runs["first"].id, runs["last"].id
    return [
        ["runs"],
        ["runs", "--json"],
        ["runs", "--limit", "2"],
        ["runs", "--status", "failed"],
        ["runs", "--user", "tester", "--json"],
        ["runs", "--notebook", str(folder / "train.ipynb")],
        ["runs", "--from", "model@production", "--json"],
        ["runs", "--sweep", "sweep0000001"],
        ["runs", "--schedule", "nightly", "--json"],
        ["runs", "--check-orphans"],
        ["show", first],
        ["show", last[:6], "--json"],
        ["show", runs["failed"].id, "--json"],
        ["show", "zzzz"],
        ["show", "abc"],
        ["open", last],
        ["open", first, "--source"],
        ["versions", "model"],
        ["versions", "model", "--json"],
        ["versions", "nothing"],
    ]


def answer(folder: Path, arguments: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(folder / ".greenhouse"), *arguments], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_read_commands_answer_alike_on_both_paths(
    project: tuple[Path, dict[str, Run]],
) -> None:
    folder, runs = project
    full = {"GREENHOUSE_INDEX_URL": f"sqlite:///{folder / '.greenhouse' / 'index.sqlite'}"}
    for arguments in commands(folder, runs):
        fast = answer(folder, arguments, {"GREENHOUSE_INDEX_URL": ""})
        assert fast == answer(folder, arguments, full), arguments
        assert fast[1] or fast[2], f"{arguments} printed nothing: the comparison proves nothing"
    code, out, _ = answer(folder, ["open", runs["last"].id], {})
    assert code == 0
    assert IMAGE in Path(out.strip()).read_text()


def test_the_occurrences_of_runs_are_read_alike_on_both_paths(
    project: tuple[Path, dict[str, Run]],
) -> None:
    folder, runs = project
    root = folder / ".greenhouse"
    # Past one query's worth of ids: the scheduled runs are found in the later batches.
    unknown = [f"nothing{n:05d}" for n in range(IDS_PER_QUERY + 10)]
    wanted = [*unknown, runs["first"].id, runs["failed"].id, *unknown, runs["last"].id]
    store, reader = Store.open(root), StoreReader(root, root / "index.sqlite", False)
    try:
        found = store.occurrences_of_runs(wanted)
        assert reader.occurrences_of_runs(wanted) == found
        assert reader.occurrences_of_runs([]) == store.occurrences_of_runs([]) == {}
        assert reader.occurrence_of_run(runs["first"].id) is None
        assert reader.occurrence_of_run(runs["last"].id) == found[runs["last"].id]
        assert store.occurrence_of_run(runs["last"].id) == found[runs["last"].id]
    finally:
        reader.close()
        store.close()
    nightly = {
        "schedule_id": "sched-1",
        "schedule": "nightly",
        "occurrence": "occ-1",
        "fire_at": "2026-12-06T02:00:00.000000Z",
        "kind": "scheduled",
    }
    assert found == {
        runs["failed"].id: {**nightly, "attempt": 1},
        runs["last"].id: {**nightly, "attempt": 2},
    }


def test_runs_json_names_the_occurrence_of_each_scheduled_run(
    project: tuple[Path, dict[str, Run]],
) -> None:
    folder, runs = project
    code, out, _ = answer(folder, ["runs", "--json"], {})
    assert code == 0
    listed = {r["id"]: r.get("occurrence") for r in json.loads(out)}
    shown = json.loads(answer(folder, ["show", runs["last"].id, "--json"], {})[1])
    assert listed[runs["last"].id] == shown["occurrence"]
    assert listed[runs["last"].id]["attempt"] == 2
    assert listed[runs["failed"].id]["attempt"] == 1
    unscheduled = [r for r in json.loads(out) if r["id"] in {runs["first"].id, runs["swept"].id}]
    assert len(unscheduled) == 2 and not any("occurrence" in r for r in unscheduled)


def imported(folder: Path, *arguments: str, **env: str) -> set[str]:
    """The modules a greenhouse command imports, as ``-X importtime`` names them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "greenhouse_ext", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if "|" in line}


def test_the_fast_path_imports_neither_sqlalchemy_nor_fsspec(
    project: tuple[Path, dict[str, Run]],
) -> None:
    folder, runs = project
    shown = (["runs"], ["runs", "--json"], ["show", runs["last"].id], ["open", runs["last"].id])
    for arguments in shown:
        assert not {"sqlalchemy", "fsspec"} & imported(folder, *arguments), arguments
    assert "greenhouse_ext.models" not in imported(folder, "--help")
    index = f"sqlite:///{folder / '.greenhouse' / 'index.sqlite'}"
    assert "sqlalchemy" in imported(folder, "runs", GREENHOUSE_INDEX_URL=index)
