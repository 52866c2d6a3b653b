"""Throw-away git repositories for the tests, isolated from the machine's git configuration."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def isolate_git(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point git's global configuration (and pre-commit's cache) into ``home``.

    The system configuration is ignored, so that nbdime or nbstripout enabled for the
    machine can neither help nor hinder a test, and ``--global`` writes land in ``home``.
    """
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home / "pre-commit"))
    monkeypatch.delenv("GREENHOUSE_STORE", raising=False)
    (home / "gitconfig").write_text(
        "[user]\n\tname = Greenhouse Tests\n\temail = tests@example.org\n"
        "[init]\n\tdefaultBranch = main\n"
    )


def git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in ``cwd``; ``check`` asserts that it exits 0 (showing its output when not)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check:
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def new_repo(path: Path) -> Path:
    """An empty git repository (a work tree) at ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    git("init", "-q", cwd=path)
    return path
