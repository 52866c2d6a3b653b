"""The sweeps API: a real server starting a real `greenhouse sweep` process with real kernels."""

from __future__ import annotations

from pathlib import Path

from conftest import Api, wait_for_sweep
from notebooks import write_notebook

from greenhouse_ext.server.app import GreenhouseApp

PARAMETERS = 'rate = 0.1  # | min=0, max=1\nregion = "eu"'
CELL = "from greenhouse_ext import record\nrecord('score', rate * 10)"


async def test_a_sweep_runs_every_combination_and_shows_its_table(
    api: Api, jp_root_dir: Path, greenhouse: GreenhouseApp
) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", PARAMETERS, CELL)
    body = {"notebook": "nb.ipynb", "parameters": {"rate": [0.2, 0.5], "region": ["eu", "us"]}}
    started = await api("POST", "sweeps", body=body)
    assert started.code == 201, started.body
    assert started.json["size"] == 4 and started.json["active"] is True
    assert started.headers["Location"].endswith(f"/greenhouse/api/sweeps/{started.json['id']}")

    sweep = await wait_for_sweep(api, started.json["id"])
    assert sorted((r["parameters"]["rate"], r["parameters"]["region"]) for r in sweep["runs"]) == [
        (0.2, "eu"), (0.2, "us"), (0.5, "eu"), (0.5, "us"),
    ]  # fmt: skip
    assert {r["status"] for r in sweep["runs"]} == {"succeeded"}
    assert sweep["columns"] == ["RUN", "STATUS", "rate", "region", "score"]
    assert sorted(row[4] for row in sweep["rows"]) == ["2", "2", "5", "5"]
    listed = await api("GET", "runs")
    assert {r["sweep_id"] for r in listed.json["runs"]} == {started.json["id"]}
    assert len(greenhouse.store.list_runs(sweep=started.json["id"])) == 4


async def test_one_bad_set_starts_nothing(
    api: Api, jp_root_dir: Path, greenhouse: GreenhouseApp
) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", PARAMETERS, CELL)
    bad = await api(
        "POST", "sweeps", body={"notebook": "nb.ipynb", "runs": [{"rate": 0.5}, {"rate": 3}]}
    )
    assert bad.code == 400
    assert bad.json["message"].startswith("Set 2 of 2 (rate=3) is invalid")
    both = await api(
        "POST",
        "sweeps",
        body={"notebook": "nb.ipynb", "runs": [{"rate": 0.5}], "parameters": {"rate": [0.1]}},
    )
    assert both.code == 400 and "either as parameters" in both.json["message"]
    workers = await api("POST", "sweeps", body={"notebook": "nb.ipynb", "runs": [{}], "workers": 0})
    assert workers.code == 400 and "workers must be between 1 and 64" in workers.json["message"]
    assert greenhouse.store.list_runs() == []


async def test_each_run_of_a_sweep_gets_the_whole_run_timeout(api: Api, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "nap.ipynb", "nap = 0.0", "import time\ntime.sleep(nap)")
    body = {"notebook": "nap.ipynb", "runs": [{"nap": 0.0}, {"nap": 60.0}], "timeout_run": 6}
    started = await api("POST", "sweeps", body=body)
    assert started.code == 201, started.body

    sweep = await wait_for_sweep(api, started.json["id"])
    outcome = {r["parameters"]["nap"]: r for r in sweep["runs"]}
    assert outcome[0.0]["status"] == "succeeded"
    assert outcome[60.0]["status"] == "failed"
    assert outcome[60.0]["error"]["reason"] == "whole-run timeout"
    assert outcome[60.0]["duration_s"] < 30
    assert {r["timeout_run"] for r in sweep["runs"]} == {6}
