"""Cleaning the store: the policy honoured, published runs kept, unnamed objects removed."""

from __future__ import annotations

import base64
import os
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from notebooks import write_notebook
from services import team_project

from greenhouse_ext.artefacts import publish, verify
from greenhouse_ext.errors import Conflict, NotFound
from greenhouse_ext.models import Execution, RecordedFile, Run, RunStatus
from greenhouse_ext.store import Store, sha256_bytes
from greenhouse_ext.store.config import StoreConfig
from greenhouse_ext.store.gc import Policy, collect_garbage, delete_run

DAY_S = 86400
IMAGE = base64.b64encode(bytes(range(256)) * 300)
"""A base64 run long enough (100 KiB) to be kept as an object of its own when packed."""


def days_ago(days: float) -> str:
    moment = datetime.now(timezone.utc) - timedelta(days=days)
    return moment.isoformat(timespec="milliseconds")


def seed(
    store: Store,
    run_id: str,
    notebook: str = "a.ipynb",
    status: RunStatus = RunStatus.SUCCEEDED,
    age_days: float = 1.0,
    output: bytes | None = None,
    files: dict[str, bytes] | None = None,
) -> Run:
    """Store a finished run whose executed notebook and files are its own objects."""
    run = Run(
        id=run_id,
        notebook=notebook,
        status=status,
        parameters={},
        created_at=days_ago(age_days),
        finished_at=days_ago(age_days),
    )
    run.files = [
        RecordedFile(name=name, sha256=sha256_bytes(data), size=len(data))
        for name, data in (files or {}).items()
    ]
    executed = output if output is not None else f"executed {run_id}".encode()
    execution = Execution(
        run=run, source=f"source of {notebook}".encode(), output=executed, files=files or {}
    )
    return store.save_execution(execution)


def stored_ids(store: Store) -> set[str]:
    return {run.id for run in store.list_runs()}


def object_files(store: Store) -> dict[str, Path]:
    root = store.root / "objects"
    return {
        f"{path.parent.name}{path.name}": path
        for path in root.glob("??/*")
        if path.is_file() and path.parent.name != "tmp"
    }


def age(path: Path, seconds: float) -> None:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / ".greenhouse")


def test_keep_last_keeps_the_newest_of_each_notebook(store: Store) -> None:
    for index in range(5):
        seed(store, f"a{index}", "a.ipynb", age_days=10 - index)
    for index in range(2):
        seed(store, f"b{index}", "b.ipynb", age_days=10 - index)
    objects_before = set(object_files(store))

    removal = collect_garbage(store, Policy(keep_last=2))

    assert [run.id for run, _ in removal.runs] == ["a0", "a1", "a2"]
    assert all("older than the last 2" in why for _, why in removal.runs)
    assert stored_ids(store) == {"a3", "a4", "b0", "b1"}
    gone = objects_before - set(object_files(store))
    assert gone == {sha256_bytes(f"executed a{i}".encode()) for i in range(3)}
    assert removal.objects == 3
    assert removal.bytes > 0
    for run in store.list_runs():
        assert store.get_object(run.output_object or "") == f"executed {run.id}".encode()
        assert store.get_object(run.source_object or "")


def test_failed_older_than_takes_only_old_unsuccessful_runs(store: Store) -> None:
    seed(store, "old-failed", status=RunStatus.FAILED, age_days=40)
    seed(store, "old-cancelled", status=RunStatus.CANCELLED, age_days=35)
    seed(store, "old-interrupted", status=RunStatus.INTERRUPTED, age_days=31)
    seed(store, "new-failed", status=RunStatus.FAILED, age_days=29)
    seed(store, "old-succeeded", status=RunStatus.SUCCEEDED, age_days=90)
    store.save_run(Run("old-running", "a.ipynb", RunStatus.RUNNING, {}, days_ago(60)))

    removal = collect_garbage(store, Policy(failed_older_than_s=30 * DAY_S))

    assert {run.id for run, _ in removal.runs} == {
        "old-failed",
        "old-cancelled",
        "old-interrupted",
    }
    assert stored_ids(store) == {"new-failed", "old-succeeded", "old-running"}


def test_the_two_rules_together_and_a_running_run_never_counts(store: Store) -> None:
    seed(store, "r0", age_days=50, status=RunStatus.FAILED)
    seed(store, "r1", age_days=5, status=RunStatus.FAILED)
    seed(store, "r2", age_days=4)
    seed(store, "r3", age_days=3)
    store.save_run(Run("r4", "a.ipynb", RunStatus.RUNNING, {}, days_ago(90)))

    removal = collect_garbage(store, Policy(failed_older_than_s=30 * DAY_S, keep_last=2))

    why = {run.id: reason for run, reason in removal.runs}
    assert set(why) == {"r0", "r1"}
    assert "failed before the cut-off" in why["r0"] and "older than the last 2" in why["r0"]
    assert stored_ids(store) == {"r2", "r3", "r4"}


def test_dry_run_changes_nothing_and_counts_what_a_real_run_removes(store: Store) -> None:
    for index in range(4):
        seed(store, f"r{index}", age_days=10 - index, files={"out.csv": f"row {index}".encode()})
    index_before = (store.root / "index.sqlite").read_bytes()
    sizes = {digest: path.stat().st_size for digest, path in object_files(store).items()}

    planned = collect_garbage(store, Policy(keep_last=1), dry_run=True)

    assert planned.dry_run
    assert stored_ids(store) == {"r0", "r1", "r2", "r3"}
    assert set(object_files(store)) == set(sizes)
    assert (store.root / "index.sqlite").read_bytes() == index_before
    done = collect_garbage(store, Policy(keep_last=1))
    assert [r.id for r, _ in planned.runs] == [r.id for r, _ in done.runs] == ["r0", "r1", "r2"]
    gone = set(sizes) - set(object_files(store))
    assert len(gone) == 6, "each removed run's output and file; the shared source stays"
    assert (planned.objects, planned.bytes) == (done.objects, done.bytes)
    assert (done.objects, done.bytes) == (6, sum(sizes[digest] for digest in gone))


def test_a_published_run_and_its_objects_are_never_removed(
    store: Store, tmp_path: Path, seed_run
) -> None:
    notebook = write_notebook(tmp_path / "train.ipynb", "epochs = 3", "print(epochs)")
    first = seed_run(store, notebook, metrics={"score": 1.0})
    version = publish(store, first.id, "model")
    failed = seed_run(store, notebook, status=RunStatus.FAILED)
    seed_run(store, notebook)
    seed_run(store, notebook)
    with sqlite3.connect(store.root / "index.sqlite") as db:
        db.execute("UPDATE runs SET created_at = ? WHERE id = ?", (days_ago(40), first.id))
        db.execute("UPDATE runs SET created_at = ? WHERE id = ?", (days_ago(40), failed.id))

    removal = collect_garbage(store, Policy(keep_last=1, failed_older_than_s=DAY_S, grace_s=1))

    assert removal.kept_published == [first.id]
    assert first.id in stored_ids(store)
    assert failed.id not in stored_ids(store)
    assert verify(store, version.ref).ok


def test_objects_nothing_names_go_once_past_the_grace(store: Store) -> None:
    seed(store, "kept")
    old = store.put_object(b"left by a killed writer")
    new = store.put_object(b"written for a record not stored yet")
    age(object_files(store)[old], 2 * 3600)
    leftover = store.root / "objects" / "tmp" / "0123abcd"
    leftover.write_bytes(b"half")
    age(leftover, 2 * 3600)

    stray_bytes = object_files(store)[old].stat().st_size + len(b"half")

    removal = collect_garbage(store, Policy())

    assert removal.runs == [] and (removal.objects, removal.bytes) == (2, stray_bytes)
    assert not store.has_object(old) and not leftover.exists()
    assert store.has_object(new)
    assert stored_ids(store) == {"kept"}


def test_an_object_written_again_is_spared_as_new(store: Store) -> None:
    digest = store.put_object(b"an old output")
    age(object_files(store)[digest], 2 * 3600)
    assert store.put_object(b"an old output") == digest

    assert collect_garbage(store, Policy()).objects == 0
    assert store.has_object(digest)


def test_a_part_shared_with_a_kept_object_stays(store: Store) -> None:
    shared = b'{"image": "' + IMAGE + b'"}'
    seed(store, "first", output=shared + b" first", age_days=3)
    seed(store, "second", output=shared + b" second", age_days=2)
    part = sha256_bytes(IMAGE)
    assert store.has_object(part), "the image was not kept apart: the test proves nothing"

    delete_run(store, "first")
    assert store.has_object(part)
    assert store.get_object(store.get_run("second").output_object or "") == shared + b" second"

    removal = delete_run(store, "second")
    assert not store.has_object(part)
    assert removal.objects == 3, "its output, the image kept apart, and the source no run names"


def test_a_damaged_object_stops_the_removal_of_objects(store: Store) -> None:
    seed(store, "r0", age_days=3)
    seed(store, "r1", age_days=2)
    kept = store.get_run("r1")
    path = object_files(store)[kept.output_object or ""]
    path.write_bytes(b"GHOBJ1sn not json")
    stray = store.put_object(b"stray")
    age(object_files(store)[stray], 2 * 3600)

    with pytest.raises(Conflict, match="no object was removed"):
        collect_garbage(store, Policy())
    assert store.has_object(stray)


def test_delete_refuses_published_and_unfinished_runs(
    store: Store, tmp_path: Path, seed_run
) -> None:
    notebook = write_notebook(tmp_path / "train.ipynb", "epochs = 3", "print(epochs)")
    published = seed_run(store, notebook)
    publish(store, published.id, "model")
    publish(store, published.id, "model")
    store.save_run(Run("queued0000", "train.ipynb", RunStatus.QUEUED, {}, days_ago(1)))

    with pytest.raises(Conflict, match=r"published as model@1, model@2: .* never deleted"):
        delete_run(store, published.id)
    with pytest.raises(Conflict, match="queued: only a finished run is deleted"):
        delete_run(store, "queued0000")
    with pytest.raises(NotFound):
        delete_run(store, "feedfeedfeed")
    assert stored_ids(store) == {published.id, "queued0000"}
    assert verify(store, "model@2").ok


def test_delete_removes_the_run_its_log_and_only_its_own_objects(store: Store) -> None:
    stray = store.put_object(b"stray")
    age(object_files(store)[stray], 2 * 3600)
    run = seed(store, "doomed", files={"data.csv": b"1,2"})
    seed(store, "neighbour")
    store.log_path(run.id).write_text("log")

    removal = delete_run(store, "doom")

    assert [r.id for r, _ in removal.runs] == ["doomed"]
    assert removal.objects == 2
    assert stored_ids(store) == {"neighbour"}
    assert not store.log_path("doomed").exists()
    assert store.has_object(stray), "delete removes only what the run named"
    assert store.has_object(store.get_run("neighbour").source_object or "")


def test_gc_on_a_team_store_postgresql_and_s3(tmp_path: Path, team: StoreConfig) -> None:
    store = Store.open(team_project(tmp_path / "project", team) / ".greenhouse")
    assert store.index_url.startswith("postgresql") and store.objects_url.startswith("s3://")
    for index in range(3):
        seed(store, f"r{index}", age_days=5 - index, output=f"out {index}".encode())
    stray = store.put_object(b"left by a killed writer")
    store.put_object(b"another leftover")
    # S3 keeps whole seconds: the grace leaves a margin on both sides.
    time.sleep(10)
    fresh = store.put_object(b"written for a record not stored yet")

    planned = collect_garbage(store, Policy(keep_last=1, grace_s=7), dry_run=True)
    removal = collect_garbage(store, Policy(keep_last=1, grace_s=7))

    assert [r.id for r, _ in removal.runs] == [r.id for r, _ in planned.runs] == ["r0", "r1"]
    assert (removal.objects, removal.bytes) == (planned.objects, planned.bytes)
    assert removal.objects == 4, "two outputs and two strays past the grace"
    assert stored_ids(store) == {"r2"}
    assert not store.has_object(stray) and store.has_object(fresh)
    kept = store.get_run("r2")
    assert store.get_object(kept.output_object or "") == b"out 2"
    assert store.get_object(kept.source_object or "") == b"source of a.ipynb"
    store.close()
