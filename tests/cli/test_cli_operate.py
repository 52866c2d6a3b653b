"""`greenhouse reproduce`, `check` and `history` end to end, in real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from notebooks import write_notebook

from greenhouse_ext.models import Version
from greenhouse_ext.store import Store

DETERMINISTIC = (
    "from greenhouse_ext import record\nclass Model: pass\nprint(Model())\nrecord('score', n / 10)"
)


def run_json(*args: str, cwd: Path) -> dict[str, Any]:
    done = greenhouse("run", *args, "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    record: dict[str, Any] = json.loads(done.stdout)
    return record


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Runs of det.ipynb with n=9 and n=8, published as det@1 (production) and det@2."""
    root = tmp_path_factory.mktemp("operate")
    (root / ".greenhouse").mkdir()
    write_notebook(root / "det.ipynb", "n = 3", DETERMINISTIC)
    ids = {n: run_json("det.ipynb", "-p", "n", n, cwd=root)["id"] for n in ("9", "8")}
    store = Store(root / ".greenhouse")
    for n in ("9", "8"):
        run = store.get_run(ids[n])
        store.add_version(
            Version("det", 0, run.id, run.created_at, run.source_object or "", metrics=run.metrics)
        )
    store.set_alias("det", "production", 1)
    store.close()
    return root, ids


def test_reproduce_answers_reproducible_and_stores_the_rerun(
    project: tuple[Path, dict[str, str]],
) -> None:
    root, ids = project
    done = greenhouse("reproduce", "det@production", "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["verdict"] == "reproducible" and answer["run_id"] == ids["9"]
    assert answer["cells"] == [] and answer["diff"] == []
    listed = json.loads(greenhouse("runs", "--json", cwd=root).stdout)
    [rerun] = [r for r in listed if r["id"] == answer["rerun_id"]]
    assert rerun["parameters"] == {"n": 9} and rerun["metrics"] == {"score": 0.9}
    assert "re-running cell" in done.stderr

    text = greenhouse("reproduce", ids["8"], cwd=root)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"reproducible: run {ids['8']}, re-run as run ")
    assert "all 2 code cells match" in text.stdout


def test_reproduce_answers_differs_naming_the_cell(tmp_path: Path) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "rnd.ipynb", None, "print('same')", "import random\nrandom.random()")
    run = run_json("rnd.ipynb", cwd=tmp_path)

    done = greenhouse("reproduce", run["id"], cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"differs: run {run['id']}, re-run as run ")
    assert lines[0].endswith("1 of 2 code cells differ")
    assert lines[1] == "  cell 2  text/plain  import random"
    assert lines[2].startswith("    before  0.") and lines[3].startswith("    after   0.")

    answer = json.loads(greenhouse("reproduce", run["id"], "--json", cwd=tmp_path).stdout)
    assert answer["verdict"] == "differs" and answer["cells"][0]["index"] == 1
    assert answer["diff"][0]["key"] == "cells"


def test_reproduce_secrets_and_bad_references(tmp_path: Path) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "s.ipynb", 'token = ""  # API token | secret', "print(len(token))")
    run = run_json("s.ipynb", "-p", "token", "s3cret", cwd=tmp_path)

    missing = greenhouse("reproduce", run["id"], cwd=tmp_path)
    assert missing.returncode == 2 and "-p token VALUE" in missing.stderr
    supplied = greenhouse("reproduce", run["id"], "-p", "token", "s3cret", cwd=tmp_path)
    assert supplied.returncode == 0, supplied.stderr
    for ref, message in (("feedfacecafe", "feedfacecafe"), ("s.ipynb", "is a notebook file")):
        done = greenhouse("reproduce", ref, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["det@1", "--metric", "score>=0.9"], 0, ["ok: all 1 conditions hold for det@1"]),
        (
            ["det@2", "--metric", "score>=0.75", "--metric", "score < 0.5"],
            1,
            ["1 of 2 conditions do not hold for det@2", "METRIC", "score < 0.5", "0.8"],
        ),
        (
            ["det@2", "--against", "det@production", "--max-drop", "score=0.05"],
            1,
            ["score drop <= 0.05", "0.8 (was 0.9)"],
        ),
        (["det@2", "--against", "det@1", "--max-drop", "score=20%"], 0, ["ok: all 1"]),
        (["det", "--against", "det@1", "--max-rise", "score=0"], 0, ["ok: all 1"]),
    ],
    ids=["pass", "fail-table", "drop-fail", "drop-percent-pass", "rise-pass"],
)
def test_check_exit_codes_and_table(
    project: tuple[Path, dict[str, str]], args: list[str], code: int, expected: list[str]
) -> None:
    root, _ = project
    done = greenhouse("check", *args, cwd=root)
    assert done.returncode == code, done.stderr
    for text in expected:
        assert text in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["det@1", "--metric", "accuracy>=0.9"], "'accuracy' was not recorded by det@1"),
        (["det@1", "--metric", "score=>0.9"], "NAME OP NUMBER with OP one of >=, <=, >, <, =="),
        (["det@1", "--max-drop", "score=0.1"], "give --against"),
        (["det@1", "--against", "det@2", "--max-drop", "score"], "NAME=AMOUNT"),
        (["nothing@1", "--metric", "score>0"], "nothing"),
    ],
    ids=["missing-metric", "malformed", "no-against", "bad-tolerance", "unknown-ref"],
)
def test_check_bad_requests_exit_2(
    project: tuple[Path, dict[str, str]], args: list[str], message: str
) -> None:
    root, _ = project
    done = greenhouse("check", *args, cwd=root)
    assert done.returncode == 2
    assert message in done.stderr


def test_check_json(project: tuple[Path, dict[str, str]]) -> None:
    root, ids = project
    done = greenhouse("check", ids["8"], "--metric", "score>0.85", "--json", cwd=root)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["passed"] is False and report["subject"] == f"run {ids['8']}"
    assert report["outcomes"] == [
        {
            "metric": "score",
            "condition": "score > 0.85",
            "actual": 0.8,
            "passed": False,
            "baseline": None,
            "change": None,
        }
    ]


def test_history_json_table_and_plot(project: tuple[Path, dict[str, str]]) -> None:
    root, ids = project
    done = greenhouse("history", "det", "--json", "--plot", "drift.png", cwd=root)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["metrics"] == ["score"]
    assert [(v["number"], v["run_id"], v["aliases"], v["metrics"]) for v in found["versions"]] == [
        (1, ids["9"], ["production"], {"score": 0.9}),
        (2, ids["8"], [], {"score": 0.8}),
    ]
    png = (root / "drift.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert "plot written to drift.png" in done.stderr

    table = greenhouse("history", "det", "--metric", "score", cwd=root).stdout.splitlines()
    assert table[0].split() == ["VERSION", "CREATED", "(UTC)", "RUN", "ALIASES", "score"]
    assert table[1].split()[0] == "1" and table[1].split()[-2:] == ["production", "0.9"]
    assert table[2].split()[-2:] == ["-", "0.8"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "Nothing is published as 'nope'"),
        (["det", "--metric", "accuracy"], "recorded: score"),
        (["det", "--plot", "chart.svg"], "ending in .png"),
    ],
)
def test_history_bad_requests_exit_2(
    project: tuple[Path, dict[str, str]], args: list[str], message: str
) -> None:
    root, _ = project
    done = greenhouse("history", *args, cwd=root)
    assert done.returncode == 2
    assert message in done.stderr


def test_commands_are_listed_and_import_nothing_heavy() -> None:
    heavy = ["nbformat", "papermill", "nbdime", "matplotlib", "sqlalchemy"]
    mine = [
        "greenhouse_ext.artefacts.reproduce",
        "greenhouse_ext.artefacts.gate",
        "greenhouse_ext.artefacts.history",
    ]
    probe = (
        f"import sys, greenhouse_ext.cli\nprint([m for m in {heavy + mine!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    listing = greenhouse("--help", cwd=Path.cwd())
    for command in ("reproduce", "check", "history"):
        assert f"  {command} " in listing.stdout
