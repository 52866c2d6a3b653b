"""push and pull between a project's own store and a team store (real PostgreSQL and S3):
idempotent, objects copied once, versions renumbered by the destination."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from faults import greenhouse
from notebooks import write_notebook
from services import team_project

from greenhouse_ext.artefacts.publish import publish
from greenhouse_ext.errors import NotFound
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store
from greenhouse_ext.store.config import StoreConfig
from greenhouse_ext.store.transfer import transfer


def _published(store: Store, notebook: Path, seed: Callable[..., Run], count: int) -> list[Run]:
    runs = [seed(store, notebook, metrics={"score": i}) for i in range(count)]
    for run in runs:
        publish(store, run.id, "model")
    return runs


def _pushed(project: Path, *args: str) -> dict[str, object]:
    done = greenhouse("push", "--json", *args, cwd=project)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_push_renumbers_says_so_and_is_idempotent_and_pull_comes_back(
    team: StoreConfig, tmp_path: Path, seed_run: Callable[..., Run]
) -> None:
    mine = team_project(tmp_path / "mine", team)
    notebook = write_notebook(mine / "train.ipynb", "a = 1", "a")
    local = Store.open(mine / ".greenhouse", local=True)
    local_runs = _published(local, notebook, seed_run, 3)
    unfinished = seed_run(local, notebook, status=RunStatus.RUNNING)
    theirs = team_project(tmp_path / "theirs", team)
    shared = Store.open(theirs / ".greenhouse")
    _published(shared, write_notebook(theirs / "train.ipynb", "a = 2", "a"), seed_run, 5)

    first = greenhouse("push", cwd=mine)
    assert first.returncode == 0, first.stderr
    for number in (1, 2, 3):
        assert f"model@{number} → model@{number + 5}" in first.stdout
    assert f"run {unfinished.id} not copied: it has not finished" in first.stderr
    assert "3 run(s) copied (0 already there), 3 version(s) copied" in first.stdout
    versions = shared.list_versions("model")
    assert [v.number for v in versions] == list(range(1, 9))
    assert [v.run_id for v in versions[5:]] == [r.id for r in local_runs]
    assert [v.manifest_sha256 for v in versions[5:]] == [
        v.manifest_sha256 for v in local.list_versions("model")
    ]
    assert all(shared.has_object(f.sha256) for v in versions for f in v.files)
    assert shared.get_run(local_runs[0].id).metrics == {"score": 0}
    with pytest.raises(NotFound):
        shared.get_run(unfinished.id)

    again = _pushed(mine)
    assert (again["runs_copied"], again["runs_present"], again["objects_copied"]) == ([], 3, 0)
    assert [(v["source"], v["destination"], v["new"]) for v in again["versions"]] == [  # type: ignore[attr-defined]
        (f"model@{n}", f"model@{n + 5}", False) for n in (1, 2, 3)
    ]
    assert len(shared.list_versions("model")) == 8

    # Pulling into the project that pushed: its own three are recognised, the team's five
    # come after them.
    pulled = greenhouse("pull", "--json", cwd=mine)
    assert pulled.returncode == 0, pulled.stderr
    moves = [
        (v["source"], v["destination"], v["new"]) for v in json.loads(pulled.stdout)["versions"]
    ]
    assert moves == [(f"model@{n}", f"model@{n + 3}", True) for n in range(1, 6)] + [
        (f"model@{n + 5}", f"model@{n}", False) for n in (1, 2, 3)
    ]
    assert len(local.list_versions("model")) == 8
    assert json.loads(greenhouse("pull", "--json", cwd=mine).stdout)["objects_copied"] == 0
    assert len(local.list_versions("model")) == 8
    listed = greenhouse("--local", "versions", "model", "--json", cwd=mine)
    assert [v["number"] for v in json.loads(listed.stdout)] == list(range(1, 9))


def test_push_copies_what_is_named_and_objects_once(
    team: StoreConfig, tmp_path: Path, seed_run: Callable[..., Run]
) -> None:
    project = team_project(tmp_path / "project", team)
    notebook = write_notebook(project / "train.ipynb", "a = 1", "a")
    local = Store.open(project / ".greenhouse", local=True)
    runs = _published(local, notebook, seed_run, 2)
    lone = seed_run(local, notebook)
    team_store = Store.open(project / ".greenhouse")

    report = transfer(local, team_store, ["model@2", lone.id[:8]])
    assert report.runs_copied == [lone.id, runs[1].id]
    assert [(v.source, v.destination) for v in report.versions] == [("model@2", "model@1")]
    # Every run of one notebook shares its source and output: each object goes once.
    assert report.objects_present == 0
    copied_first = report.objects_copied
    report = transfer(local, team_store, ["model"])
    assert report.runs_copied == [runs[0].id]
    assert [(v.source, v.destination, v.new) for v in report.versions] == [
        ("model@1", "model@2", True),
        ("model@2", "model@1", False),
    ]
    assert report.objects_copied < copied_first
    with pytest.raises(NotFound, match="neither a run nor a published name"):
        transfer(local, team_store, ["nothing-like-this"])


def test_push_without_a_team_store_says_how_to_make_one(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    done = greenhouse("push", cwd=tmp_path)
    assert done.returncode == 2
    assert "greenhouse store init --index URL --objects URL" in done.stderr
    done = greenhouse("push", "a@1", "b@1", "--to", "memory://x", cwd=tmp_path)
    assert done.returncode == 2
    assert "give one NAME@N" in done.stderr
