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


def test_publish_keeps_the_lock_verify_covers_it_and_env_prints_it(project: Path) -> None:
    record = run(project, "nb.ipynb")
    done = greenhouse("publish", record["id"], "--name", "m", "--json", cwd=project, check=True)
    version = json.loads(done.stdout)
    files = {f["path"]: f["sha256"] for f in version["files"]}
    lock = "environment/requirements.txt"
    assert {lock, "environment/python_env.yaml", "environment/platform.json"} <= set(files)
    printed = greenhouse("env", "m@1", "--requirements", cwd=project, check=True).stdout
    stored = Store(project / ".greenhouse").get_object(files[lock]).decode()
    assert printed == stored
    assert f"papermill=={record['provenance']['packages']['papermill']}" in printed.splitlines()
    shown = greenhouse("env", "m@1", cwd=project, check=True).stdout
    assert "index (" in shown and "platform   Linux" in shown
    # `env` is a group (`env cache ...`) that still reads `env [OPTIONS] REF` as before.
    as_json = json.loads(greenhouse("env", "--json", "m@1", cwd=project, check=True).stdout)
    assert as_json["status"] == "recorded" and as_json["executable"]
    missing = greenhouse("env", cwd=project)
    assert missing.returncode == 2
    assert missing.stderr.startswith("Usage: greenhouse env [OPTIONS] REF\n")
    assert "Error: Missing argument 'REF'." in missing.stderr
    helped = greenhouse("env", "--help", cwd=project, check=True).stdout
    assert "--requirements" in helped and "  cache  " in helped
    assert greenhouse("verify", "m@1", cwd=project).returncode == 0
    path = project / ".greenhouse" / "objects" / files[lock][:2] / files[lock][2:]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    done = greenhouse("verify", "m@1", cwd=project)
    assert done.returncode == 1 and f"changed  {lock}" in done.stdout


def test_check_same_env_passes_on_the_same_environment_and_fails_with_the_table(
    project: Path, seed_run: Callable[..., Run]
) -> None:
    first, second = run(project, "nb.ipynb"), run(project, "nb.ipynb")
    same = greenhouse("check", second["id"], "--same-env", first["id"], cwd=project)
    assert same.returncode == 0, same.stdout
    old = seed_run(Store(project / ".greenhouse"), project / "nb.ipynb")
    other = greenhouse("check", second["id"], "--same-env", old.id, cwd=project)
    assert other.returncode == 1
    rows = [line.split() for line in other.stdout.splitlines()]
    papermill = second["provenance"]["packages"]["papermill"]
    assert ["papermill", "(none)", papermill] in rows
    assert ["greenhouse-ext", *[second["provenance"]["packages"]["greenhouse-ext"]] * 2] not in rows
