"""The environment from the CLI: git per file and ``check --clean-git``, ``show`` of old
records, the lock at publish (``verify``, ``env``), ``check --same-env`` and ``diff``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from kernel_envs import git
from notebooks import write_notebook

from greenhouse_ext.models import Run
from greenhouse_ext.store import Store

METRIC = "from greenhouse_ext import record\nrecord('m', 1)"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository holding a committed notebook and input, with a store."""
    write_notebook(tmp_path / "nb.ipynb", None, METRIC)
    (tmp_path / "data.csv").write_text("a\n1\n")
    (tmp_path / ".gitignore").write_text(".greenhouse/\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "first")
    (tmp_path / ".greenhouse").mkdir()
    return tmp_path


def run(project: Path, *args: str) -> dict[str, Any]:
    done = greenhouse("run", *args, "--json", cwd=project, check=True)
    return dict(json.loads(done.stdout))


def test_clean_modified_and_untracked_files_are_recorded_and_gated(project: Path) -> None:
    clean = run(project, "nb.ipynb", "--input", "data.csv")
    git_state = clean["provenance"]["git"]
    assert (git_state["notebook"], git_state["inputs"]) == ("clean", {"data.csv": "clean"})
    assert greenhouse("check", clean["id"], "--clean-git", cwd=project).returncode == 0

    write_notebook(project / "nb.ipynb", None, METRIC, "print('changed')")
    (project / "extra.csv").write_text("b\n2\n")
    modified = run(project, "nb.ipynb", "--input", "data.csv", "--input", "extra.csv")
    git_state = modified["provenance"]["git"]
    assert git_state["notebook"] == "modified" and git_state["dirty"] is True
    assert git_state["inputs"] == {"data.csv": "clean", "extra.csv": "untracked"}
    gate = greenhouse("check", modified["id"], "--clean-git", cwd=project)
    assert gate.returncode == 1
    rows = [line.split() for line in gate.stdout.splitlines()]
    assert ["notebook", "clean", "modified"] in rows and ["extra.csv", "clean", "untracked"] in rows
    assert ["data.csv", "clean", "clean"] not in rows

    write_notebook(project / "new.ipynb", None, METRIC)
    untracked = run(project, "new.ipynb")
    assert untracked["provenance"]["git"]["notebook"] == "untracked"
    assert greenhouse("check", untracked["id"], "--clean-git", cwd=project).returncode == 1
    shown = greenhouse("show", untracked["id"], cwd=project, check=True).stdout
    assert "notebook: not in git (untracked)" in shown


def test_a_notebook_outside_any_repository_is_not_in_git(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", None, METRIC)
    (tmp_path / ".greenhouse").mkdir()
    record = run(tmp_path, "nb.ipynb")
    assert record["provenance"]["git"] is None
    shown = greenhouse("show", record["id"], cwd=tmp_path, check=True).stdout
    assert "git         not in git (no repository)" in shown
    gate = greenhouse("check", record["id"], "--clean-git", "--json", cwd=tmp_path)
    assert gate.returncode == 1
    [guard] = json.loads(gate.stdout)["guards"]
    assert guard["differences"] == [
        {"what": "git", "expected": "a repository", "actual": "not in git"}
    ]


def test_show_says_an_old_records_environment_came_from_greenhouse(
    project: Path, seed_run: Callable[..., Run]
) -> None:
    old = seed_run(Store(project / ".greenhouse"), project / "nb.ipynb")
    shown = greenhouse("show", old.id, cwd=project, check=True).stdout
    assert "environment taken from the greenhouse process, not the kernel" in shown
    new = run(project, "nb.ipynb")
    shown = greenhouse("show", new["id"], cwd=project, check=True).stdout
    assert "environment from the kernel: " in shown
    assert "platform    Linux" in shown


def test_clean_git_on_a_notebook_file_is_bad_input(project: Path) -> None:
    done = greenhouse("check", "nb.ipynb", "--clean-git", cwd=project)
    assert done.returncode == 2
    assert "--clean-git needs a run or a published version" in done.stderr
