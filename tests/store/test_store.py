"""The store: objects written once and atomically, run records indexed and found again."""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext.errors import Conflict, InvalidInput, NotFound
from greenhouse_ext.models import Execution, RecordedFile, Run, RunStatus, Version, VersionRef
from greenhouse_ext.store import Store, find_store_root, sha256_bytes


def make_run(run_id: str, notebook: str = "nb.ipynb", created: str = "2026-01-01T00:00:00") -> Run:
    return Run(
        id=run_id,
        notebook=notebook,
        status=RunStatus.SUCCEEDED,
        parameters={"a": 1},
        created_at=created,
        metrics={"m": 0.5},
    )


def test_save_execution_writes_objects_then_record(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    run = make_run("abc123abc123")
    run.files = [RecordedFile(name="f.txt", sha256=sha256_bytes(b"data"), size=4)]
    saved = store.save_execution(
        Execution(run=run, source=b"src", output=b"out", files={"f.txt": b"data"})
    )
    assert store.get_object(saved.source_object or "") == b"src"
    assert store.get_object(saved.output_object or "") == b"out"
    assert store.get_object(run.files[0].sha256) == b"data"
    assert store.get_run("abc123abc123").to_dict() == saved.to_dict()


def test_get_run_by_prefix(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    store.save_run(make_run("aaaa11112222"))
    store.save_run(make_run("aaaa33334444"))
    assert store.get_run("aaaa1111").id == "aaaa11112222"
    with pytest.raises(InvalidInput, match="ambiguous"):
        store.get_run("aaaa")
    with pytest.raises(NotFound):
        store.get_run("bbbb")


def test_list_runs_filters_and_orders(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    store.save_run(make_run("r1", "a.ipynb", "2026-01-01T00:00:01"))
    store.save_run(make_run("r2", "b.ipynb", "2026-01-01T00:00:02"))
    failed = make_run("r3", "a.ipynb", "2026-01-01T00:00:03")
    failed.status = RunStatus.FAILED
    store.save_run(failed)
    assert [r.id for r in store.list_runs()] == ["r3", "r2", "r1"]
    assert [r.id for r in store.list_runs(notebook="a.ipynb")] == ["r3", "r1"]
    assert [r.id for r in store.list_runs(status=RunStatus.FAILED)] == ["r3"]
    assert [r.id for r in store.list_runs(limit=1)] == ["r3"]


def test_list_runs_filters_by_the_version_they_ran(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    for run_id, created, source in [
        ("r1", "2026-01-01T00:00:01", VersionRef("train", 1)),
        ("r2", "2026-01-01T00:00:02", VersionRef("train", 2)),
        ("r3", "2026-01-01T00:00:03", VersionRef("trainer", 1)),
        ("r4", "2026-01-01T00:00:04", None),
    ]:
        run = make_run(run_id, created=created)
        run.from_version = source
        store.save_run(run)

    assert [r.id for r in store.list_runs(from_version=("train", None))] == ["r2", "r1"]
    assert [r.id for r in store.list_runs(from_version=("train", 2))] == ["r2"]
    assert [r.id for r in store.list_runs(from_version=("trainer", 2))] == []
    assert store.get_run("r3").from_version == VersionRef("trainer", 1)
    with sqlite3.connect(tmp_path / ".greenhouse" / "index.sqlite") as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM runs WHERE from_name = 'train' AND from_number = 2"
        ).fetchall()
    assert "ix_runs_from_version" in str(plan)


def test_runs_of_dead_processes_become_interrupted(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = make_run("dead")
    dead.status, dead.pid = RunStatus.RUNNING, gone.pid
    alive = make_run("alive")
    alive.status, alive.pid = RunStatus.RUNNING, os.getpid()
    store.save_run(dead)
    store.save_run(alive)
    assert store.mark_interrupted() == ["dead"]
    assert store.get_run("dead").status is RunStatus.INTERRUPTED
    assert store.get_run("dead").error is not None
    assert store.get_run("alive").status is RunStatus.RUNNING


def test_index_is_sqlite_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    store.save_run(make_run("r1"))
    with sqlite3.connect(tmp_path / ".greenhouse" / "index.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_objects_can_live_in_another_fsspec_location(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse", objects_url="memory://greenhouse-test/objects")
    digest = store.put_object(b"remote bytes")
    assert store.get_object(digest) == b"remote bytes"
    assert store.has_object(digest)
    assert not (tmp_path / ".greenhouse" / "objects").exists()


def test_checkout_copies_without_linking(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    digest = store.put_object(b'{"cells": []}')
    path = store.checkout(digest, "r1.output.ipynb")
    path.write_text("edited")
    assert store.get_object(digest) == b'{"cells": []}'


def test_store_is_found_upwards_or_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GREENHOUSE_STORE", raising=False)
    (tmp_path / ".greenhouse").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_store_root(deep) == (tmp_path / ".greenhouse").resolve()
    monkeypatch.setenv("GREENHOUSE_STORE", str(tmp_path / "elsewhere"))
    assert find_store_root(deep) == (tmp_path / "elsewhere").resolve()


@pytest.mark.parametrize("git_marker", ["folder", "file"], ids=["work-tree", "worktree-link"])
def test_store_search_stops_at_the_git_work_tree_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git_marker: str
) -> None:
    monkeypatch.delenv("GREENHOUSE_STORE", raising=False)
    (tmp_path / ".greenhouse").mkdir()
    project = tmp_path / "project"
    deep = project / "notebooks" / "eda"
    deep.mkdir(parents=True)
    if git_marker == "folder":
        (project / ".git").mkdir()
    else:
        (project / ".git").write_text("gitdir: /elsewhere/.git/worktrees/project\n")

    assert find_store_root(deep) == deep.resolve() / ".greenhouse"
    (project / ".greenhouse").mkdir()
    assert find_store_root(deep) == (project / ".greenhouse").resolve()


def make_version(run_id: str = "r1") -> Version:
    return Version(
        name="model",
        number=0,
        run_id=run_id,
        created_at="2026-01-01T00:00:00",
        manifest_sha256="0" * 64,
    )


def test_versions_are_numbered_from_one_and_found_by_number_alias_or_latest(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    assert [store.add_version(make_version(f"r{i}")).number for i in range(3)] == [1, 2, 3]
    store.set_alias("model", "production", 2)
    assert store.get_version("model").number == 3
    assert store.get_version("model", 1).run_id == "r0"
    assert store.get_version("model", alias="production").number == 2
    assert store.get_version("model", 2).aliases == ["production"]
    store.set_alias("model", "production", 3)
    assert [v.aliases for v in store.list_versions("model")] == [[], [], ["production"]]
    for bad in (lambda: store.get_version("model", 9), lambda: store.get_version("other")):
        with pytest.raises(NotFound):
            bad()
    with pytest.raises(NotFound, match="production"):
        store.get_version("model", alias="staging")
    with pytest.raises(NotFound):
        store.set_alias("model", "staging", 9)
    for number in (0, 2**31, 10**24):
        with pytest.raises(NotFound, match=f"no version {number}: versions are numbered from 1"):
            store.get_version("model", number)


def _publish_many(root: str, count: int) -> list[int]:
    store = Store(root)
    return [store.add_version(make_version(f"p{os.getpid()}-{i}")).number for i in range(count)]


def test_concurrent_version_numbers_have_no_gap_and_no_duplicate(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    root = str(tmp_path / ".greenhouse")
    # A connection open across fork() shares SQLite's locks with the children, and a
    # child that closes its copy drops them for every connection it has: close first.
    Store(root).close()
    with ProcessPoolExecutor(max_workers=6) as pool:
        numbers = [n for batch in pool.map(_publish_many, [root] * 6, [10] * 6) for n in batch]
    assert sorted(numbers) == list(range(1, 61))
    assert [v.number for v in Store(root).list_versions("model")] == list(range(1, 61))


def test_artefact_names_are_distinct_and_sorted(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    assert store.artefact_names() == []
    for name in ("zeta", "alpha", "zeta"):
        version = make_version()
        version.name = name
        store.add_version(version)
    assert store.artefact_names() == ["alpha", "zeta"]


@pytest.mark.parametrize("finished", [s for s in RunStatus if s.finished])
@pytest.mark.parametrize("status", list(RunStatus))
def test_a_finished_run_is_never_replaced(
    tmp_path: Path, finished: RunStatus, status: RunStatus
) -> None:
    store = Store(tmp_path / ".greenhouse")
    run = make_run("r1")
    run.status = finished
    store.save_run(run)
    later = make_run("r1")
    later.status, later.metrics = status, {"m": 9}

    assert store.save_run(later) is False

    assert store.get_run("r1").to_dict() == run.to_dict()
    assert store.list_runs(status=finished)[0].id == "r1"


@pytest.mark.parametrize(
    ("stored", "replaces", "written"),
    [
        (RunStatus.QUEUED, (RunStatus.QUEUED,), True),
        (RunStatus.QUEUED, (RunStatus.RUNNING,), False),
        (RunStatus.RUNNING, (RunStatus.RUNNING,), True),
        (RunStatus.RUNNING, (RunStatus.QUEUED, RunStatus.RUNNING), True),
        (RunStatus.RUNNING, (), False),
        (None, (), True),
        (None, (RunStatus.RUNNING,), True),
    ],
)
def test_save_run_replaces_only_the_statuses_named(
    tmp_path: Path,
    stored: RunStatus | None,
    replaces: tuple[RunStatus, ...],
    written: bool,
) -> None:
    store = Store(tmp_path / ".greenhouse")
    if stored is not None:
        first = make_run("r1")
        first.status = stored
        store.save_run(first)
    run = make_run("r1")
    run.status, run.metrics = RunStatus.SUCCEEDED, {"m": 2}

    assert store.save_run(run, replaces=replaces) is written

    expected = run.status if written else stored
    assert store.get_run("r1").status is expected
    assert [r.id for r in store.list_runs(status=expected)] == ["r1"]


def test_save_run_refuses_to_replace_a_finished_status(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    with pytest.raises(ValueError, match="never replaced, got succeeded"):
        store.save_run(make_run("r1"), replaces=(RunStatus.RUNNING, RunStatus.SUCCEEDED))
    with pytest.raises(NotFound):
        store.get_run("r1")


def test_the_outcome_of_a_run_finished_meanwhile_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / ".greenhouse")
    cancelled = make_run("r1")
    cancelled.status = RunStatus.CANCELLED
    store.save_run(cancelled)

    with pytest.raises(Conflict, match="r1 is recorded as cancelled already"):
        store.save_execution(Execution(run=make_run("r1"), source=b"src"))

    assert store.get_run("r1").status is RunStatus.CANCELLED


FILLER_RUNS = 2000
"""Runs of live processes that the orphan check reads first, as in a busy store."""
RACING_RUNS = 40


def _short_run(root: str, run_id: str, go: Any) -> None:
    """A run's process in brief: record running, wait, record the outcome, exit at once."""
    store = Store(root)
    run = make_run(run_id)
    run.status, run.pid = RunStatus.RUNNING, os.getpid()
    store.save_run(run)
    go.wait()
    time.sleep(random.uniform(0, 1.5))
    run.status = RunStatus.SUCCEEDED
    store.save_run(run)
    os._exit(0)


def test_orphan_checks_never_overwrite_runs_that_finish_meanwhile(tmp_path: Path) -> None:
    root = str(tmp_path / ".greenhouse")
    fillers = Store(root)
    for index in range(FILLER_RUNS):
        run = make_run(f"filler{index:05}")
        run.status, run.pid = RunStatus.RUNNING, os.getpid()
        fillers.save_run(run)
    fillers.close()
    context = multiprocessing.get_context("fork")
    go = context.Event()
    children = [
        context.Process(target=_short_run, args=(root, f"short{i:03}", go))
        for i in range(RACING_RUNS)
    ]
    for child in children:
        child.start()
    # Each child is reaped the moment it exits, as the launcher's watcher does.
    reapers = [threading.Thread(target=child.join) for child in children]
    for reaper in reapers:
        reaper.start()
    store = Store(root)
    deadline = time.monotonic() + 60
    while len(store.list_runs(status=RunStatus.RUNNING)) < FILLER_RUNS + RACING_RUNS:
        assert time.monotonic() < deadline, "the short runs did not start"
        time.sleep(0.05)
    go.set()
    checks = 0
    while any(reaper.is_alive() for reaper in reapers):
        store.mark_interrupted()
        checks += 1
    store.mark_interrupted()

    assert checks > 1
    statuses = {run.id: run.status for run in store.list_runs() if run.id.startswith("short")}
    assert statuses == {f"short{i:03}": RunStatus.SUCCEEDED for i in range(RACING_RUNS)}
    assert len(store.list_runs(status=RunStatus.RUNNING)) == FILLER_RUNS
