"""`greenhouse run NAME@ALIAS|NAME@N|NAME`, `show` and `runs --from`, in real processes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from notebooks import write_notebook

PARAMETERS = 'epochs = 3  # int\ntoken = ""  # str | secret'
BODY = (
    "from pathlib import Path\n"
    "from greenhouse_ext import record\n"
    "record('score', epochs * 0.5)\n"
    "record('rows', len(Path('data.csv').read_text().splitlines()))"
)


def ok(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = greenhouse(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


def as_json(*args: str, cwd: Path) -> Any:
    return json.loads(ok(*args, "--json", cwd=cwd).stdout)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose train.ipynb ran with epochs=4, published as train@1 (production)."""
    folder = tmp_path_factory.mktemp("template")
    (folder / ".greenhouse").mkdir()
    write_notebook(folder / "train.ipynb", PARAMETERS, BODY)
    (folder / "data.csv").write_text("a\n1\n")
    run = as_json(
        "run", "train.ipynb", "-p", "epochs", "4", "-p", "token", "t", "--input", "data.csv",
        cwd=folder,
    )  # fmt: skip
    ok("publish", run["id"], "--name", "train", "--alias", "production", cwd=folder)
    return folder


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    """A copy whose working notebook has changed (other parameters, and it fails)."""
    target = tmp_path / "project"
    shutil.copytree(template, target)
    write_notebook(target / "train.ipynb", "rate = 0.1  # float", "raise SystemExit(3)")
    return target


@pytest.mark.parametrize("ref", ["train@production", "train@1", "train"])
def test_run_a_version_records_where_it_came_from(project: Path, ref: str) -> None:
    (project / "data.csv").write_text("a\n1\n2\n")

    run = as_json("run", ref, "-p", "token", "again", cwd=project)

    assert run["status"] == "succeeded", run["error"]
    assert run["from_version"] == {"name": "train", "number": 1}
    assert run["parameters"] == {"epochs": 4, "token": "***"}
    assert run["metrics"] == {"score": 2.0, "rows": 3}
    assert run["provenance"]["inputs"][0]["path"] == "data.csv"
    shown = ok("show", run["id"], cwd=project).stdout
    assert "version     train@1" in shown


def test_parameters_override_and_runs_filter_by_version(project: Path, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("epochs: 10\ntoken: from-file\n")
    run = as_json("run", "train@production", "-f", str(values), "-p", "epochs", "6", cwd=project)
    plain = greenhouse("run", "train.ipynb", "--json", cwd=project)

    assert run["parameters"] == {"epochs": 6, "token": "***"}
    assert plain.returncode == 1 and json.loads(plain.stdout)["from_version"] is None
    for ref in ("train", "train@1", "train@production"):
        listed = as_json("runs", "--from", ref, cwd=project)
        assert [r["id"] for r in listed] == [run["id"]], ref
        assert listed[0]["from_version"] == {"name": "train", "number": 1}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "train@1"], "secret parameter(s) token, whose values are never stored"),
        (["run", "train@1"], "-p token VALUE"),
        (["run", "train@1", "-p", "token", "t", "-p", "rate", "1"], "rate"),
        (["run", "train@1", "-p", "token", "t", "-p", "epochs", "x"], "epochs"),
        (["run", "train@staging", "-p", "token", "t"], "has no alias 'staging'"),
        (["run", "train@9", "-p", "token", "t"], "'train' has no version 9"),
        (["run", "trian@production"], "did you mean train?"),
        (["run", "data.csv"], "Nothing is published as 'data.csv'"),
        (["run", "notes"], "to run the file 'notes', write ./notes"),
        (["runs", "--from", "train@staging"], "has no alias 'staging'"),
        (["runs", "--from", "trian"], "did you mean train?"),
    ],
    ids=[
        "secret",
        "secret-how",
        "unknown-parameter",
        "bad-value",
        "alias",
        "number",
        "name",
        "not-published",
        "file-hint",
        "runs-from",
        "runs-from-name",
    ],
)
def test_bad_references_exit_2_and_record_nothing(
    project: Path, ledger, args: list[str], words: str
) -> None:
    (project / "notes").write_text("not a published name")
    done = greenhouse(*args, cwd=project)
    runs = as_json("runs", cwd=project)

    held = done.returncode == 2 and words in done.stderr and len(runs) == 1
    ledger.add("run a version", "bad reference (CLI)", held)
    assert held, (done.returncode, done.stderr, len(runs))


def test_help_says_how_a_reference_is_resolved(tmp_path: Path) -> None:
    text = ok("run", "--help", cwd=tmp_path).stdout

    assert "NOTEBOOK|NAME[@N|@ALIAS]" in text
    assert "ends in .ipynb or holds a path separator" in text
    assert "write ./NAME to run the file" in text
