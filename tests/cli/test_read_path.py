"""The read commands answer the same on the fast read path (the standard library's sqlite3)
as through SQLAlchemy and fsspec, and the fast path imports neither."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from notebooks import write_notebook

from greenhouse_ext.artefacts import publish
from greenhouse_ext.cli import cli
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store

IMAGE = "iVBORw0KGgo" * 9000
"""An output long enough to be kept apart when packed: `open` must put it back."""


@pytest.fixture
def project(tmp_path: Path, seed_run: Callable[..., Run]) -> tuple[Path, dict[str, Run]]:
    store = Store(tmp_path / ".greenhouse")
    train = write_notebook(tmp_path / "train.ipynb", "epochs = 3", f"print('{IMAGE}')")
    other = write_notebook(tmp_path / "other.ipynb", "rate = 0.1", "print(rate)")
    runs = {
        "first": seed_run(store, train, metrics={"score": 0.5, "table": {"a": [1, 2]}}),
        "failed": seed_run(store, other, RunStatus.FAILED),
        "swept": seed_run(store, train, parameters={"epochs": 4}, sweep_id="sweep0000001"),
        "last": seed_run(store, train, parameters={"epochs": 5}, metrics={"score": 0.9}),
    }
    publish(store, runs["first"].id, "model", aliases=["production"])
    publish(store, runs["last"].id, "model")
    store.close()
    return tmp_path, runs


def commands(folder: Path, runs: dict[str, Run]) -> list[list[str]]:
    first, last = runs["first"].id, runs["last"].id
    return [
        ["runs"],
        ["runs", "--json"],
        ["runs", "--limit", "2"],
        ["runs", "--status", "failed"],
        ["runs", "--user", "tester", "--json"],
        ["runs", "--notebook", str(folder / "train.ipynb")],
        ["runs", "--from", "model@production", "--json"],
        ["runs", "--sweep", "sweep0000001"],
        ["runs", "--check-orphans"],
        ["show", first],
        ["show", last[:6], "--json"],
        ["show", "zzzz"],
        ["show", "abc"],
        ["open", last],
        ["open", first, "--source"],
        ["versions", "model"],
        ["versions", "model", "--json"],
        ["versions", "nothing"],
    ]


def answer(folder: Path, arguments: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--store", str(folder / ".greenhouse"), *arguments], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_read_commands_answer_alike_on_both_paths(
    project: tuple[Path, dict[str, Run]],
) -> None:
    folder, runs = project
    full = {"GREENHOUSE_INDEX_URL": f"sqlite:///{folder / '.greenhouse' / 'index.sqlite'}"}
    for arguments in commands(folder, runs):
        fast = answer(folder, arguments, {"GREENHOUSE_INDEX_URL": ""})
        assert fast == answer(folder, arguments, full), arguments
        assert fast[1] or fast[2], f"{arguments} printed nothing: the comparison proves nothing"
    code, out, _ = answer(folder, ["open", runs["last"].id], {})
    assert code == 0
    assert IMAGE in Path(out.strip()).read_text()


def imported(folder: Path, *arguments: str, **env: str) -> set[str]:
    """The modules a greenhouse command imports, as ``-X importtime`` names them."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "greenhouse_ext", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if "|" in line}


def test_the_fast_path_imports_neither_sqlalchemy_nor_fsspec(
    project: tuple[Path, dict[str, Run]],
) -> None:
    folder, runs = project
    for arguments in (["runs"], ["show", runs["first"].id], ["open", runs["last"].id]):
        assert not {"sqlalchemy", "fsspec"} & imported(folder, *arguments), arguments
    assert "greenhouse_ext.models" not in imported(folder, "--help")
    index = f"sqlite:///{folder / '.greenhouse' / 'index.sqlite'}"
    assert "sqlalchemy" in imported(folder, "runs", GREENHOUSE_INDEX_URL=index)
