"""The REST API on notebooks of other formats: text notebooks, format 3, malformed metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import wait_for_run
from nbformat import v3

PERCENT = """# %% tags=["parameters"]
epochs = 3  # passes over the data

# %%
from greenhouse_ext import record
record("score", epochs * 2)
"""


@pytest.fixture
def notebooks(jp_root_dir: Path) -> Path:
    folder = jp_root_dir / "work"
    folder.mkdir()
    (folder / "train.py").write_text(PERCENT)
    cells = [v3.new_code_cell(input="rate = 0.5  # step", metadata={"tags": ["parameters"]})]
    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=cells)])
    (folder / "old.ipynb").write_text(v3.writes_json(old))
    odd = {"cells": [], "metadata": {"kernelspec": "python3"}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "odd.ipynb").write_text(json.dumps(odd))
    return folder


@pytest.mark.usefixtures("notebooks")
@pytest.mark.parametrize(
    ("path", "name", "help"),
    [("work/train.py", "epochs", "passes over the data"), ("work/old.ipynb", "rate", "step")],
)
async def test_parameters_of_a_text_or_older_notebook(api, path, name, help):
    reply = await api("GET", "parameters", params={"path": path})
    assert reply.code == 200, reply.body
    [parameter] = reply.json["parameters"]
    assert (parameter["name"], parameter["help"]) == (name, help)


@pytest.mark.usefixtures("notebooks")
async def test_malformed_metadata_is_400_naming_the_field(api):
    reply = await api("GET", "parameters", params={"path": "work/odd.ipynb"})
    assert reply.code == 400
    assert "at $.metadata.kernelspec expected object" in reply.json["message"]
    started = await api("POST", "runs", body={"notebook": "work/odd.ipynb"})
    assert started.code == 400 and "$.metadata.kernelspec" in started.json["message"]


@pytest.mark.usefixtures("notebooks")
async def test_a_text_notebook_runs_through_the_api(api):
    reply = await api(
        "POST", "runs", body={"notebook": "work/train.py", "parameters": {"epochs": 4}}
    )
    assert reply.code == 201, reply.body
    run = await wait_for_run(api, reply.json["id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["metrics"] == {"score": 8}
    assert run["provenance"]["notebook_format"]["format"] == "py:percent"
    executed = await api("GET", f"runs/{run['id']}/notebook")
    assert executed.json["nbformat"] == 4
