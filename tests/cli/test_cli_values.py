"""Every table and summary shows values one way: a dict metric, a tiny base, text and numbers.

A real sweep of two runs records a structured metric and a loss whose first value is
near zero; the commands under test run in this process (click's runner).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from notebooks import write_notebook

from greenhouse_ext.cli import cli
from greenhouse_ext.display import CELL_CHARS

SWEEP = "ab5eed000001"
INFO = {"layers": [64, 32, 16, 8, 4, 2], "lr": 0.1 + 0.2, "optimizer": "adam with warm restarts"}
SHOWN = json.dumps({**INFO, "lr": 0.3})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("values")
    (folder / ".greenhouse").mkdir()
    write_notebook(
        folder / "fit.ipynb",
        "scale = 1e-30",
        "from greenhouse_ext import record",
        f"record('loss', scale)\nrecord('info', {INFO!r})\nrecord('label', 'fit \"quoted\"')",
    )
    with working_in(folder) as run:
        done = run("sweep", "fit.ipynb", "-p", "scale", "1e-30,2.2e24", "--sweep-id", SWEEP)
        assert done.exit_code == 0, done.output
    return folder


@contextmanager
def working_in(folder: Path) -> Iterator[Callable[..., Result]]:
    """Run greenhouse commands in this process, in ``folder``."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        yield lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)


@pytest.fixture
def run(project: Path) -> Iterator[Callable[..., str]]:
    with working_in(project) as invoke:

        def stdout(*args: str) -> str:
            done = invoke(*args)
            assert done.exit_code == 0, done.output
            return done.stdout

        yield stdout


@pytest.fixture
def ids(run: Callable[..., str]) -> list[str]:
    """The runs of the sweep, the one with the scale near zero first."""
    runs = json.loads(run("runs", "--sweep", SWEEP, "--json", "--sort", "scale"))
    return [r["id"] for r in runs]


def test_show_gives_structured_values_as_json(run: Callable[..., str], ids: list[str]) -> None:
    metrics = next(line for line in run("show", ids[0]).splitlines() if "metrics" in line)
    assert f"info={SHOWN}" in metrics
    assert "loss=1e-30" in metrics and 'label="fit \\"quoted\\""' in metrics


def test_runs_table_elides_to_its_column(run: Callable[..., str], ids: list[str]) -> None:
    row = next(line for line in run("runs").splitlines() if line.startswith(ids[0]))
    shown = row.split("info=", 1)[1].split(" label=")[0]
    assert shown.endswith("…") and SHOWN.startswith(shown[:-1])
    assert len(shown) <= 40
    assert '\\"' not in shown, "a structured value is JSON, not an escaped string"


@pytest.mark.parametrize("command", [("runs", "--sweep"), ("diff", "--sweep")])
def test_sweep_tables_show_json_not_python(
    run: Callable[..., str], command: tuple[str, str]
) -> None:
    table = run(*command, SWEEP)
    assert "'layers'" not in table, "no Python repr"
    assert SHOWN[: CELL_CHARS - 1] + "…" in table
    assert "2.2e+24" in table and "1e-30" in table


def test_full_values_are_in_json(run: Callable[..., str], ids: list[str]) -> None:
    assert json.loads(run("show", ids[0], "--json"))["metrics"]["info"] == INFO
    listed = json.loads(run("runs", "--sweep", SWEEP, "--json"))
    assert [r["metrics"]["info"] for r in listed] == [INFO, INFO]


def test_diff_gives_no_percentage_of_a_base_near_zero(
    run: Callable[..., str], ids: list[str]
) -> None:
    compared = json.loads(run("diff", ids[0], ids[1], "--json"))
    loss = next(m for m in compared["metrics"] if m["name"] == "loss")
    assert loss["percent"] is None and loss["delta"] == pytest.approx(2.2e24)
    row = next(line for line in run("diff", ids[0], ids[1]).splitlines() if line.startswith("loss"))
    assert row.split() == ["loss", "1e-30", "2.2e+24", "+2.2e+24", "-"]
    parameter = next(
        line for line in run("diff", ids[0], ids[1]).splitlines() if line.startswith("scale")
    )
    assert parameter.split() == ["scale", "1e-30", "2.2e+24"]
