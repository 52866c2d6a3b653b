"""`greenhouse gc` and `greenhouse delete` in real processes: what they print and change."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from faults import greenhouse
from notebooks import write_notebook

from greenhouse_ext.artefacts import publish
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store


@pytest.fixture
def project(tmp_path: Path, seed_run: Callable[..., Run]) -> tuple[Path, list[Run]]:
    """A store with five runs of one notebook, the first published, two failed 40 days ago."""
    store = Store(tmp_path / ".greenhouse")
    runs = []
    for index in range(5):
        notebook = write_notebook(tmp_path / "train.ipynb", f"epochs = {index}", "print(1)")
        failed = index in (1, 2)
        runs.append(seed_run(store, notebook, RunStatus.FAILED if failed else RunStatus.SUCCEEDED))
    publish(store, runs[0].id, "model")
    long_ago = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat()
    with sqlite3.connect(store.root / "index.sqlite") as db:
        for run in runs[:3]:
            db.execute("UPDATE runs SET created_at = ? WHERE id = ?", (long_ago, run.id))
    store.close()
    return tmp_path, runs


def listed(folder: Path) -> set[str]:
    done = greenhouse("runs", "--json", "--limit", "100", cwd=folder, check=True)
    return {run["id"] for run in json.loads(done.stdout)}


def test_dry_run_shows_what_would_go_then_gc_removes_it(project: tuple[Path, list[Run]]) -> None:
    folder, runs = project
    before = listed(folder)

    dry = greenhouse(
        "gc", "--failed-older-than", "30d", "--keep-last", "1", "--dry-run", cwd=folder
    )

    assert dry.returncode == 0, dry.stderr
    assert listed(folder) == before
    lines = dry.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "CREATED", "(UTC)", "NOTEBOOK", "WHY"]
    shown = [line.split()[0] for line in lines[1:4]]
    assert sorted(shown) == sorted(r.id for r in runs[1:4])
    assert "failed before the cut-off" in dry.stdout
    summary = re.search(r"would remove 3 runs and (\d+) objects? \((.+?)\)", dry.stdout)
    assert summary, dry.stdout
    assert "nothing was changed (--dry-run)" in dry.stdout
    assert "kept 1 published run(s) the policy chose" in dry.stdout and runs[0].id in dry.stdout

    done = greenhouse("gc", "--failed-older-than", "30d", "--keep-last", "1", cwd=folder)

    assert done.returncode == 0, done.stderr
    assert f"removed 3 runs and {summary.group(1)} " in done.stdout
    assert f"({summary.group(2)})" in done.stdout
    assert listed(folder) == {runs[0].id, runs[4].id}
    assert greenhouse("verify", "model@1", cwd=folder).returncode == 0


def test_gc_json_names_every_removed_run_with_why(project: tuple[Path, list[Run]]) -> None:
    folder, runs = project
    done = greenhouse("gc", "--failed-older-than", "30d", "--json", cwd=folder, check=True)
    report = json.loads(done.stdout)
    assert report["dry_run"] is False
    assert sorted(r["id"] for r in report["runs"]) == sorted([runs[1].id, runs[2].id])
    assert all(r["status"] == "failed" and r["why"] for r in report["runs"])
    assert report["objects"] >= 2 and report["bytes"] > 0
    assert report["kept_published"] == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--failed-older-than", "30 days"), "--failed-older-than '30 days' is not a duration"),
        (("--failed-older-than", "0d"), "is zero"),
        (("--grace", "soon"), "--grace 'soon' is not a duration: write a whole number"),
        (("--keep-last", "0"), "0 is not in the range x>=1"),
    ],
)
def test_gc_bad_options_exit_2_and_remove_nothing(
    project: tuple[Path, list[Run]], arguments: tuple[str, ...], message: str
) -> None:
    folder, _ = project
    before = listed(folder)
    done = greenhouse("gc", *arguments, cwd=folder)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert listed(folder) == before


def test_delete_a_published_run_is_refused(project: tuple[Path, list[Run]]) -> None:
    folder, runs = project
    done = greenhouse("delete", runs[0].id, cwd=folder)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: Run {runs[0].id} is published as model@1: a published version's run is "
        "never deleted"
    )
    assert runs[0].id in listed(folder)


def test_delete_one_run_by_prefix(project: tuple[Path, list[Run]]) -> None:
    folder, runs = project
    done = greenhouse("delete", runs[3].id[:8], cwd=folder)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(rf"deleted run {runs[3].id} and \d+ objects? \(\d+ B\)\n", done.stdout)
    assert listed(folder) == {r.id for r in runs} - {runs[3].id}
    again = greenhouse("delete", runs[3].id, cwd=folder)
    assert again.returncode == 2
    assert f"No run {runs[3].id!r}" in again.stderr
