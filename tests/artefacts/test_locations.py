"""Copies of versions at fsspec locations: layout, index, verification, never overwriting."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import fsspec
import pytest
from published import PATHS, flip_byte, location_url

from greenhouse_ext.artefacts.aliases import set_alias
from greenhouse_ext.artefacts.locations import verify_at, write_to
from greenhouse_ext.artefacts.publish import publish
from greenhouse_ext.errors import Conflict, InvalidInput, NotFound
from greenhouse_ext.models import Execution, Version
from greenhouse_ext.store import Store


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_publish_to_a_location_writes_versions_and_index(
    store: Store, run_id: str, tmp_path: Path, kind: str
) -> None:
    url = location_url(kind, tmp_path)
    first = publish(store, run_id, "model", aliases=["production"], to=url)
    second = publish(store, run_id, "model", to=url)
    fs, root = fsspec.core.url_to_fs(url)
    listed = sorted(p[len(root) + 1 :] for p in fs.find(root))
    expected = [f"model/{n}/{p}" for n in (1, 2) for p in [*PATHS, "manifest.json", "version.json"]]
    assert listed == sorted([*expected, "model/index.json"])
    for version in (first, second):
        for entry in version.files:
            assert fs.cat_file(f"{root}/model/{version.number}/{entry.path}") == store.get_object(
                entry.sha256
            )
        record = json.loads(fs.cat_file(f"{root}/model/{version.number}/version.json"))
        assert Version.from_dict(record).manifest_sha256 == version.manifest_sha256
    index = json.loads(fs.cat_file(f"{root}/model/index.json"))
    assert index["name"] == "model" and index["aliases"] == {"production": 1}
    assert [(v["number"], v["manifest_sha256"]) for v in index["versions"]] == [
        (1, first.manifest_sha256),
        (2, second.manifest_sha256),
    ]
    latest = verify_at(url, "model")
    assert latest.ok and latest.ref == "model@2" and latest.checked == 5
    assert verify_at(url, "model@production").ref == "model@1"
    set_alias(store, "model@2", "production", to=url)
    assert json.loads(fs.cat_file(f"{root}/model/index.json"))["aliases"] == {"production": 2}
    elsewhere = location_url("memory", tmp_path)
    set_alias(store, "model@1", "archive", to=elsewhere)
    assert verify_at(elsewhere, "model@archive").ref == "model@1"
    with pytest.raises(NotFound):
        verify_at(elsewhere, "model@2")


@pytest.mark.parametrize(
    ("path", "damage", "problem"),
    [
        ("report.html", "flip", "changed"),
        ("files/tables/report.csv", "flip", "changed"),
        ("metrics.json", "delete", "missing"),
        ("manifest.json", "flip", "changed"),
        ("manifest.json", "delete", "missing"),
    ],
)
def test_verify_at_catches_changes_to_the_copy(
    store: Store, run_id: str, tmp_path: Path, path: str, damage: str, problem: str
) -> None:
    url = location_url("file", tmp_path)
    publish(store, run_id, "model", to=url)
    target = tmp_path / "shared" / "model" / "1" / path
    if damage == "flip":
        flip_byte(target)
    else:
        target.unlink()
    result = verify_at(url, "model@1")
    assert [(p.path, p.problem) for p in result.problems] == [(path, problem)]


def test_verify_at_refuses_unknown_references(store: Store, run_id: str, tmp_path: Path) -> None:
    url = location_url("file", tmp_path)
    publish(store, run_id, "model", aliases=["production"], to=url)
    for ref in ["other", "model@2", "model@staging"]:
        with pytest.raises(NotFound):
            verify_at(url, ref)
    with pytest.raises(InvalidInput):
        verify_at(url, "bad name")


def test_a_damaged_index_is_reported_and_rewritten_by_a_push(
    store: Store, run_id: str, tmp_path: Path
) -> None:
    url = location_url("file", tmp_path)
    version = publish(store, run_id, "model", aliases=["production"], to=url)
    index = tmp_path / "shared" / "model" / "index.json"
    index.write_text("{not json")
    with pytest.raises(Conflict, match=r"index\.json is damaged"):
        verify_at(url, "model")
    write_to(store, version, url)
    assert verify_at(url, "model@production").ok


def test_a_location_never_overwrites_another_version(
    store: Store, run_id: str, executions: dict[str, Execution], tmp_path: Path
) -> None:
    url = location_url("file", tmp_path)
    ours = publish(store, run_id, "model", to=url)
    other = Store(tmp_path / "other" / ".greenhouse")
    other.save_execution(copy.deepcopy(executions["succeeded"]))
    with pytest.raises(Conflict, match="already holds a different version"):
        publish(other, run_id, "model", to=url)
    assert verify_at(url, "model@1").ok
    assert write_to(store, ours, url) == f"{url}/model/1"
