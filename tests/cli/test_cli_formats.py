"""`greenhouse params / run / publish` on notebooks of older formats, odd metadata and ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from nbformat import v2, v3

BODY = "from greenhouse_ext import record\nrecord('score', epochs * 2)\nprint('epochs', epochs)"


def write_v3(path: Path) -> Path:
    """A format 3 notebook, with a cell tagged ``parameters``, written by nbformat.v3."""
    cells = [
        v3.new_code_cell(input="epochs = 3  # how many passes", metadata={"tags": ["parameters"]}),
        v3.new_code_cell(input=BODY),
    ]
    notebook = v3.new_notebook(worksheets=[v3.new_worksheet(cells=cells)])
    path.write_text(v3.writes_json(notebook))
    return path


def write_v2(path: Path) -> Path:
    """A format 2 notebook (no cell metadata, so no parameters cell), written by nbformat.v2."""
    cells = [v2.new_code_cell(input="epochs = 4"), v2.new_code_cell(input=BODY)]
    notebook = v2.new_notebook(worksheets=[v2.new_worksheet(cells=cells)])
    path.write_text(v2.writes_json(notebook))
    return path


def write_v4(path: Path, metadata: Any, ids: list[str]) -> Path:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": cell_id,
            "metadata": {"tags": ["parameters"] if index == 0 else []},
            "outputs": [],
            "source": "epochs = 5" if index == 0 else BODY,
        }
        for index, cell_id in enumerate(ids)
    ]
    nb = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1))
    return path


KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def run_json(folder: Path, *args: str) -> dict[str, Any]:
    done = greenhouse("run", *args, "--json", cwd=folder)
    assert done.returncode == 0, done.stderr
    record: dict[str, Any] = json.loads(done.stdout)
    return record


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """Three notebooks read only after repair or upgrade, each run once with a real kernel."""
    folder = tmp_path_factory.mktemp("formats")
    (folder / ".greenhouse").mkdir()
    write_v3(folder / "three.ipynb")
    write_v2(folder / "two.ipynb")
    write_v4(folder / "ids.ipynb", {"kernelspec": KERNELSPEC}, ["$illegal_chars", "$illegal_chars"])
    runs = {
        "three": run_json(folder, "three.ipynb", "-p", "epochs", "6"),
        "two": run_json(folder, "two.ipynb"),
        "ids": run_json(folder, "ids.ipynb"),
    }
    return folder, runs


@pytest.mark.parametrize(
    ("name", "version", "score"), [("three", 3, 12), ("two", 2, 8)], ids=["v3", "v2"]
)
def test_an_older_format_runs_upgraded_and_publishes(project, name, version, score):
    folder, runs = project
    run = runs[name]
    assert run["status"] == "succeeded"
    assert run["metrics"] == {"score": score}
    assert run["provenance"]["notebook_format"] == {
        "format": "ipynb",
        "nbformat": version,
        "nbformat_minor": 0,
        "upgraded": True,
        "ids_normalised": False,
        "paired": [],
    }
    source = greenhouse("open", run["id"], "--source", cwd=folder, check=True).stdout.strip()
    assert Path(source).read_bytes() == (folder / f"{name}.ipynb").read_bytes()
    output = greenhouse("open", run["id"], cwd=folder, check=True).stdout.strip()
    executed = json.loads(Path(output).read_text())
    assert executed["nbformat"] == 4
    published = greenhouse("publish", run["id"], "--name", name, "--json", cwd=folder)
    assert published.returncode == 0, published.stderr
    assert json.loads(published.stdout)["number"] == 1


def test_params_reads_a_format_3_parameters_cell(project):
    folder, _ = project
    done = greenhouse("params", "three.ipynb", "--json", cwd=folder, check=True)
    [parameter] = json.loads(done.stdout)["parameters"]
    assert (parameter["name"], parameter["default"], parameter["help"]) == (
        "epochs",
        3,
        "how many passes",
    )


def test_illegal_cell_ids_are_normalised_and_publish(project):
    folder, runs = project
    run = runs["ids"]
    assert run["status"] == "succeeded"
    assert run["provenance"]["notebook_format"]["ids_normalised"] is True
    published = greenhouse("publish", run["id"], "--name", "ids", cwd=folder)
    assert published.returncode == 0, published.stderr
    output = greenhouse("open", run["id"], cwd=folder, check=True).stdout.strip()
    ids = [cell["id"] for cell in json.loads(Path(output).read_text())["cells"]]
    assert len(set(ids)) == 2 and "$illegal_chars" not in ids
    source = greenhouse("open", run["id"], "--source", cwd=folder, check=True).stdout.strip()
    assert "$illegal_chars" in Path(source).read_text()


@pytest.mark.parametrize("command", ["run", "params"])
def test_malformed_metadata_exits_2_naming_the_field(project, tmp_path, command):
    folder, _ = project
    path = write_v4(tmp_path / "odd.ipynb", {"kernelspec": "python3"}, ["a", "b"])
    done = greenhouse(command, str(path), cwd=folder)
    assert done.returncode == 2, done.stderr
    assert "odd.ipynb" in done.stderr
    assert "at $.metadata.kernelspec expected object, found 'python3'" in done.stderr
    assert "Traceback" not in done.stderr
