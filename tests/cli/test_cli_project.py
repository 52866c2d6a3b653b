"""`greenhouse init`: what it sets up, `--check`, running it twice, and outside git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faults import greenhouse
from repos import git, isolate_git, new_repo

PRE_COMMIT = "repos:\n  - repo: local\n    hooks:\n      - id: no-op\n        name: no-op\n"
PRE_COMMIT += "        entry: 'true'\n        language: system\n"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return tmp_path / "home"


def snapshot(repo: Path) -> dict[str, bytes | None]:
    """The files `greenhouse init` may change, and the store's index."""
    names = [".gitattributes", ".gitignore", ".pre-commit-config.yaml", ".git/config"]
    names.append(".greenhouse/index.sqlite")
    return {n: (repo / n).read_bytes() if (repo / n).is_file() else None for n in names}


def test_init_twice_changes_nothing_the_second_time(tmp_path: Path, home: Path, ledger) -> None:
    """Run from a subfolder: the store is made at the root of the work tree."""
    repo = new_repo(tmp_path / "project")
    (repo / ".pre-commit-config.yaml").write_text(PRE_COMMIT)
    (repo / "analyses").mkdir()
    first = greenhouse("init", cwd=repo / "analyses", check=True)
    after_first = snapshot(repo)
    second = greenhouse("init", cwd=repo / "analyses", check=True)
    held = (
        first.stdout.startswith(f"Set up {repo} for notebooks:")
        and first.stdout.count("  set up  ") == 5
        and not (repo / "analyses" / ".greenhouse").exists()
        and all(value is not None for value in after_first.values())
        and second.stdout.startswith(f"Nothing to change: {repo} is set up")
        and "set up  " not in second.stdout
        and snapshot(repo) == after_first
    )
    ledger.add("init", "a second run changes nothing and says so", held)
    assert held, (first.stdout, second.stdout)


def test_check_exits_1_in_a_bare_project_changing_nothing_and_0_after_init(
    tmp_path: Path, home: Path, ledger
) -> None:
    repo = new_repo(tmp_path / "project")
    before = snapshot(repo)
    bare = greenhouse("init", "--check", cwd=repo)
    bare_json = greenhouse("init", "--check", "--json", cwd=repo)
    unchanged = snapshot(repo) == before and not (repo / ".greenhouse").exists()
    greenhouse("init", cwd=repo, check=True)
    ready = greenhouse("init", "--check", cwd=repo)
    missing = json.loads(bare_json.stdout)["missing"]
    held = (
        bare.returncode == 1
        and bare.stdout.count("  missing ") == 4
        and "4 missing" in bare.stdout
        and bare_json.returncode == 1
        and missing == ["store", "diff driver", "merge driver", "gitignore"]
        and unchanged
        and ready.returncode == 0
        and "missing" not in ready.stdout
    )
    ledger.add("init", "--check: exit 1 when something is missing, nothing changed", held)
    assert held, (bare.stdout, bare_json.stdout, ready.stdout)


@pytest.mark.parametrize("options", [(), ("--check",)], ids=["init", "check"])
def test_outside_a_git_work_tree_exits_2_with_a_message(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], ledger
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    done = greenhouse("init", *options, cwd=folder)
    held = (
        done.returncode == 2
        and f"{folder} is not in a git work tree: run `git init`" in done.stderr
        and "Traceback" not in done.stderr
        and list(folder.iterdir()) == []
    )
    ledger.add("init", "outside a git work tree: exit 2", held)
    assert held, done.stderr


def test_global_configures_the_drivers_for_the_user_not_the_repository(
    tmp_path: Path, home: Path, ledger
) -> None:
    repo = new_repo(tmp_path / "project")
    done = greenhouse("init", "--global", "--json", cwd=repo, check=True)
    local = git("config", "--local", "--list", cwd=repo).stdout
    user = (home / "gitconfig").read_text()
    attributes = git("check-attr", "diff", "merge", "--", "x.ipynb", cwd=repo).stdout
    held = (
        json.loads(done.stdout)["changed"] == ["store", "diff driver", "merge driver", "gitignore"]
        and "jupyternotebook" not in local
        and "nbdime.vcs.git.mergedriver merge --output-strategy remove" in user
        and "merge=jupyternotebook" in (home / "config" / "git" / "attributes").read_text()
        and not (repo / ".gitattributes").exists()
        and attributes == "x.ipynb: diff: jupyternotebook\nx.ipynb: merge: jupyternotebook\n"
        and greenhouse("init", "--check", "--global", cwd=repo).returncode == 0
    )
    ledger.add("init", "--global: the user's git configuration only", held)
    assert held, (local, user)


def test_a_pre_commit_config_whose_repos_are_not_last_is_refused_before_any_change(
    tmp_path: Path, home: Path, ledger
) -> None:
    repo = new_repo(tmp_path / "project")
    (repo / ".pre-commit-config.yaml").write_text(PRE_COMMIT + "default_stages: [pre-commit]\n")
    before = snapshot(repo)
    done = greenhouse("init", cwd=repo)
    held = (
        done.returncode == 2
        and "Cannot add the greenhouse-params hook" in done.stderr
        and "entry: greenhouse params --check" in done.stderr
        and snapshot(repo) == before
    )
    ledger.add("init", "a pre-commit config it cannot extend: exit 2, nothing changed", held)
    assert held, done.stderr
