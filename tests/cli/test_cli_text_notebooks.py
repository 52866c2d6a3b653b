"""Text notebooks through Jupytext: params, run -p, sweep, publish, diff, reproduce, pairs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jupytext
import pytest
from faults import greenhouse
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PERCENT = """# %% [markdown]
# # Training

# %% tags=["parameters"]
epochs = 3  # passes over the data

# %%
from greenhouse_ext import record
record("score", epochs * 2)
"""
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def myst(formats: str | None = None) -> Any:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Notes"),
            new_code_cell("rate = 0.5  # learning rate", metadata={"tags": ["parameters"]}),
            new_code_cell("from greenhouse_ext import record\nrecord('rate', rate)"),
        ],
        metadata={"kernelspec": KERNELSPEC},
    )
    if formats:
        nb.metadata["jupytext"] = {"formats": formats}
    return nb


def run_json(folder: Path, *args: str) -> dict[str, Any]:
    done = greenhouse("run", *args, "--json", cwd=folder)
    assert done.returncode == 0, done.stderr
    record: dict[str, Any] = json.loads(done.stdout)
    assert record["status"] == "succeeded", record["error"]
    return record


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A percent script run twice (edited between), a MyST notebook and a pair, run once each."""
    folder = tmp_path_factory.mktemp("text")
    (folder / ".greenhouse").mkdir()
    script = folder / "train.py"
    script.write_text(PERCENT)
    first = run_json(folder, "train.py", "-p", "epochs", "5")
    first_text = script.read_bytes()
    script.write_text(PERCENT.replace("epochs * 2", "epochs * 3"))
    second = run_json(folder, "train.py")
    jupytext.write(myst(), folder / "notes.md", fmt="md:myst")
    paired = myst("ipynb,py:percent")
    jupytext.write(paired, folder / "pair.ipynb")
    jupytext.write(paired, folder / "pair.py", fmt="py:percent")
    runs = {
        "first": first,
        "first_text": first_text,
        "second": second,
        "pair.ipynb": run_json(folder, "pair.ipynb"),
        "pair.py": run_json(folder, "pair.py"),
    }
    return folder, runs


def test_run_p_records_the_text_as_source(project):
    folder, runs = project
    first = runs["first"]
    assert first["metrics"] == {"score": 10} and first["parameters"] == {"epochs": 5}
    assert first["provenance"]["notebook_format"]["format"] == "py:percent"
    assert first["provenance"]["kernel"] == "python3"
    source = greenhouse("open", first["id"], "--source", cwd=folder, check=True).stdout.strip()
    assert source.endswith(".py") and Path(source).read_bytes() == runs["first_text"]
    output = greenhouse("open", first["id"], cwd=folder, check=True).stdout.strip()
    assert json.loads(Path(output).read_text())["nbformat"] == 4


@pytest.mark.parametrize(
    ("notebook", "line"),
    [("train.py", "epochs  int   3        passes over the data"), ("notes.md", "learning rate")],
)
def test_params_reads_a_text_notebooks_parameters_cell(project, notebook, line):
    folder, _ = project
    assert line in greenhouse("params", notebook, cwd=folder, check=True).stdout


def test_diff_shows_the_source_change_as_text_lines(project):
    folder, runs = project
    done = greenhouse("diff", runs["first"]["id"], runs["second"]["id"], cwd=folder, check=True)
    assert "modified: source" in done.stdout
    lines = [line.strip() for line in done.stdout.splitlines()]
    assert '-  record("score", epochs * 2)' in done.stdout
    assert '+  record("score", epochs * 3)' in done.stdout
    assert "from greenhouse_ext import record" in lines


def test_publish_and_reproduce_a_text_notebook(project):
    folder, runs = project
    run_id = runs["second"]["id"]
    published = greenhouse("publish", run_id, "--name", "train", cwd=folder, check=True)
    assert "published train@1" in published.stdout
    again = greenhouse("reproduce", run_id, cwd=folder, check=True)
    assert "reproducible" in again.stdout


def test_sweep_over_a_myst_notebook(project):
    folder, _ = project
    done = greenhouse("sweep", "notes.md", "-p", "rate", "0.1,0.2", cwd=folder, check=True)
    assert "2 succeeded, 0 failed" in done.stderr
    assert [line.split()[1] for line in done.stdout.splitlines()[1:]] == ["succeeded"] * 2


def test_a_pair_records_one_source_hash_and_both_files(project):
    _, runs = project
    as_json, as_text = runs["pair.ipynb"]["provenance"], runs["pair.py"]["provenance"]
    assert as_json["source_sha256"] == as_text["source_sha256"]
    assert as_json["notebook_format"]["paired"] == ["pair.ipynb", "pair.py"]
    assert as_text["notebook_format"]["paired"] == ["pair.ipynb", "pair.py"]
    assert (as_json["notebook_format"]["format"], as_text["notebook_format"]["format"]) == (
        "ipynb",
        "py:percent",
    )
