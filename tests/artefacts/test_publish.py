"""Publishing real runs: numbered versions, manifests, aliases, verification, export."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from published import PATHS, flip_byte, location_url

from greenhouse_ext.artefacts.aliases import set_alias
from greenhouse_ext.artefacts.locations import verify_at, write_to
from greenhouse_ext.artefacts.publish import captured_path, export, publish, verify
from greenhouse_ext.artefacts.report import network_references
from greenhouse_ext.errors import Conflict, GreenhouseError, InvalidInput, NotFound
from greenhouse_ext.models import Execution, Run, RunStatus
from greenhouse_ext.store import Store, sha256_bytes
from greenhouse_ext.store.refs import resolve_version

CSV = b"epoch,score\n1,0.5\n"


def object_path(store: Store, digest: str) -> Path:
    return store.root / "objects" / digest[:2] / digest[2:]


def snapshot(store: Store) -> tuple[list[str], list[Any], list[Any]]:
    """Every object file and every version and alias row: what a refused request must not touch."""
    objects = sorted(str(p) for p in (store.root / "objects").rglob("*") if p.is_file())
    with sqlite3.connect(store.root / "index.sqlite") as db:
        versions = db.execute("SELECT name, number, record FROM versions").fetchall()
        aliases = db.execute("SELECT name, alias, number FROM aliases").fetchall()
    return objects, versions, aliases


def object_digests(store: Store) -> set[str]:
    folder = store.root / "objects"
    return {p.parent.name + p.name for p in folder.glob("??/*") if p.is_file()}


def test_publish_numbers_versions_and_stores_each_object_once(store: Store, run_id: str) -> None:
    first = publish(store, run_id, "model")
    before = object_digests(store)
    second = publish(store, run_id[:6], "model")
    assert (first.number, second.number) == (1, 2)
    assert object_digests(store) - before == {second.manifest_sha256}
    assert [f.path for f in second.files] == PATHS
    assert second.files[0].sha256 == store.get_run(run_id).output_object
    assert second.metrics == {"score": 1.5}
    assert store.get_version("model").to_dict() == second.to_dict()
    assert [v.number for v in store.list_versions("model")] == [1, 2]


def test_manifest_holds_the_run_record_and_every_file(store: Store, run_id: str) -> None:
    version = publish(store, run_id, "model")
    manifest = json.loads(store.get_object(version.manifest_sha256))
    assert manifest["format"] == "greenhouse.manifest/1"
    assert manifest["name"] == "model" and manifest["created_at"] == version.created_at
    assert manifest["run"] == store.get_run(run_id).to_dict()
    assert manifest["run"]["provenance"]["packages"]
    assert manifest["files"] == [dataclasses.asdict(f) for f in version.files]
    contents = {f.path: store.get_object(f.sha256) for f in version.files}
    for entry in version.files:
        assert sha256_bytes(contents[entry.path]) == entry.sha256
        assert len(contents[entry.path]) == entry.size
    assert json.loads(contents["metrics.json"]) == {"score": 1.5}
    assert contents["files/tables/report.csv"] == CSV
    assert json.loads(contents["notebook.ipynb"])["metadata"]["papermill"]["parameters"] == {}
    report = contents["report.html"].decode()
    assert network_references(report) == []
    assert "<h1>model</h1>" in report and run_id in report


@pytest.mark.parametrize("status", ["failed", "cancelled", "interrupted", "running", "queued"])
def test_only_succeeded_runs_are_published(
    store: Store, executions: dict[str, Execution], status: str
) -> None:
    run = copy.deepcopy(store.get_run(executions["succeeded"].run.id))
    if status == "failed":
        run = executions["failed"].run
    else:
        run.id, run.status = f"{status}0000", RunStatus(status)
        store.save_run(run)
    before = snapshot(store)
    with pytest.raises(Conflict, match=f"is {status}: only a succeeded run"):
        publish(store, run.id, "model")
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": "bad name"}, InvalidInput, "not a valid name"),
        ({"name": ""}, InvalidInput, "not a valid name"),
        ({"name": "-model"}, InvalidInput, "not a valid name"),
        ({"name": "model@2"}, InvalidInput, "not a valid name"),
        ({"aliases": ["ok", "no/slash"]}, InvalidInput, "not a valid alias"),
        ({"aliases": ["3"]}, InvalidInput, "means version 3"),
        ({"run_ref": "nosuchrun"}, NotFound, "nosuchrun"),
        ({"to": "nosuch://bucket"}, InvalidInput, "nosuch"),
    ],
    ids=[
        "space",
        "empty",
        "leading-dash",
        "at-sign",
        "bad-alias",
        "number-alias",
        "no-run",
        "url",
    ],
)
def test_bad_requests_change_nothing(
    store: Store,
    run_id: str,
    kwargs: dict[str, Any],
    error: type[GreenhouseError],
    message: str,
) -> None:
    before = snapshot(store)
    arguments: dict[str, Any] = {"run_ref": run_id, "name": "model", **kwargs}
    with pytest.raises(error, match=message):
        publish(store, **arguments)
    assert snapshot(store) == before


def test_aliases_point_at_one_version_and_move(store: Store, run_id: str) -> None:
    first = publish(store, run_id, "model", aliases=["staging", "production"])
    assert first.aliases == ["production", "staging"]
    publish(store, run_id, "model", aliases=["staging"])
    assert store.aliases("model") == {"production": 1, "staging": 2}
    moved, _ = set_alias(store, "model@2", "production")
    assert moved.ref == "model@2" and moved.aliases == ["production", "staging"]
    assert set_alias(store, "model@staging", "canary")[0].number == 2
    assert store.aliases("model") == {"canary": 2, "production": 2, "staging": 2}
    assert resolve_version(store, "model@production").number == 2
    assert store.get_version("model", 1).aliases == []
    before = snapshot(store)
    for ref, alias, error in [
        ("model@9", "x", NotFound),
        ("model@1", "9", InvalidInput),
        ("model@1", "a b", InvalidInput),
    ]:
        with pytest.raises(error):
            set_alias(store, ref, alias)
    assert snapshot(store) == before


@pytest.mark.parametrize("damage", ["flip", "delete"])
@pytest.mark.parametrize("path", [*PATHS, "manifest.json"])
def test_verify_names_each_changed_or_missing_file(
    store: Store, run_id: str, path: str, damage: str
) -> None:
    version = publish(store, run_id, "model")
    intact = verify(store, "model")
    assert intact.ok and intact.checked == 5 and intact.ref == "model@1"
    digest = version.manifest_sha256
    if path != "manifest.json":
        digest = next(f.sha256 for f in version.files if f.path == path)
    target = object_path(store, digest)
    if damage == "flip":
        flip_byte(target)
    else:
        target.unlink()
    result = verify(store, "model@1")
    assert not result.ok
    [problem] = result.problems
    problem_name = "changed" if damage == "flip" else "missing"
    assert (problem.path, problem.problem, problem.expected_sha256) == (path, problem_name, digest)
    assert problem.actual_sha256 != digest
    assert result.to_dict()["ok"] is False


def test_damaged_objects_are_neither_published_nor_exported(
    store: Store, run_id: str, tmp_path: Path
) -> None:
    version = publish(store, run_id, "model")
    flip_byte(object_path(store, version.files[0].sha256))
    with pytest.raises(Conflict, match="damaged"):
        publish(store, run_id, "model")
    with pytest.raises(Conflict, match="damaged"):
        export(store, "model", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_failed_copy_says_the_version_exists_and_push_retries(
    store: Store, run_id: str, tmp_path: Path
) -> None:
    (tmp_path / "blocked").write_text("a file where the location's folder must go")
    url = (tmp_path / "blocked" / "shared").as_uri()
    with pytest.raises(GreenhouseError, match="model@1 is published in the store, but copying"):
        publish(store, run_id, "model", to=url)
    version = store.get_version("model")
    assert version.number == 1 and verify(store, "model@1").ok
    good = location_url("file", tmp_path)
    assert write_to(store, version, good) == f"{good}/model/1"
    assert verify_at(good, "model@1").ok


def test_export_writes_every_file_or_none(store: Store, run_id: str, tmp_path: Path) -> None:
    version = publish(store, run_id, "model")
    out = tmp_path / "out"
    written = export(store, "model@1", out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(
        [*PATHS, "manifest.json"]
    )
    manifest = json.loads((out / "manifest.json").read_bytes())
    assert sha256_bytes((out / "manifest.json").read_bytes()) == version.manifest_sha256
    for entry in manifest["files"]:
        assert sha256_bytes((out / entry["path"]).read_bytes()) == entry["sha256"]
    assert export(store, "model", out) == written

    busy = tmp_path / "busy"
    (busy / "files").mkdir(parents=True)
    (busy / "metrics.json").write_text("{}")
    (busy / "files" / "tables").write_text("a file where a folder must go")
    with pytest.raises(Conflict, match="nothing was written") as caught:
        export(store, "model", busy)
    assert len(caught.value.problems) == 2
    assert sorted(p.relative_to(busy).as_posix() for p in busy.rglob("*")) == [
        "files",
        "files/tables",
        "metrics.json",
    ]
    (tmp_path / "plain").write_text("x")
    with pytest.raises(Conflict):
        export(store, "model", tmp_path / "plain")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("report.csv", "files/report.csv"),
        ("tables/a.csv", "files/tables/a.csv"),
        ("/tmp/abs.csv", "files/tmp/abs.csv"),
        ("../../etc/passwd", "files/etc/passwd"),
        ("./a/./b", "files/a/b"),
        ("win\\dir\\c.txt", "files/win/dir/c.txt"),
        ("..", "files/unnamed"),
    ],
)
def test_captured_files_publish_under_safe_relative_paths(name: str, path: str) -> None:
    assert captured_path(name) == path


def notebook_with_image(image: str, score: float) -> bytes:
    outputs = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": image}}]
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "id": "plot",
        "metadata": {},
        "outputs": outputs,
        "source": f"plot()  # score {score}",
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1).encode()


def stored_bytes(store: Store) -> int:
    return sum(p.stat().st_size for p in (store.root / "objects").glob("??/*"))


def test_a_large_output_is_kept_once_across_runs_reports_and_versions(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / ".greenhouse")
    image = base64.b64encode(os.urandom(300_000)).decode()
    growth = []
    for index in (1, 2):
        before = stored_bytes(store)
        run = Run(
            id=f"large{index}",
            notebook="plot.ipynb",
            status=RunStatus.SUCCEEDED,
            parameters={},
            created_at=f"2026-01-01T00:00:0{index}",
        )
        output = notebook_with_image(image, index / 10)
        store.save_execution(Execution(run=run, source=b"{}", output=output))
        publish(store, run.id, "plots")
        growth.append(stored_bytes(store) - before)
    # The first version holds the image once (base64 of random bytes packs to about 3/4);
    # the second adds only its own small notebook, report page and manifest.
    assert growth[0] < len(image)
    assert growth[1] < len(image) // 10

    out = export(store, "plots@2", tmp_path / "out")
    files = {p.name: p.read_bytes() for p in out}
    assert files["notebook.ipynb"] == notebook_with_image(image, 0.2)
    assert f"data:image/png;base64,{image}".encode() in files["report.html"]
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        assert sha256_bytes((tmp_path / "out" / entry["path"]).read_bytes()) == entry["sha256"]
    assert verify(store, "plots@2").ok
