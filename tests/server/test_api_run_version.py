"""The REST API runs a published version: ``POST runs {version}`` and ``GET runs?from=``."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_for_run
from notebooks import write_notebook

from greenhouse_ext.artefacts import publish
from greenhouse_ext.execution import execute, prepare
from greenhouse_ext.models import RunStatus
from greenhouse_ext.server.app import GreenhouseApp

PARAMETERS = 'epochs = 3  # int\napi_token = ""  # str | secret'
BODY = (
    "from pathlib import Path\n"
    "from greenhouse_ext import record\n"
    "record('score', epochs * 0.5)\n"
    "record('rows', len(Path('data.csv').read_text().splitlines()))"
)


@pytest.fixture
def published(jp_root_dir: Path, greenhouse: GreenhouseApp) -> str:
    """work/train.ipynb ran with epochs=4 and is published as train@1 (production); the
    working copy has changed since (it fails now). Answers the published run's id."""
    notebook = write_notebook(jp_root_dir / "work" / "train.ipynb", PARAMETERS, BODY)
    (jp_root_dir / "work" / "data.csv").write_text("a\n1\n")
    store = greenhouse.store
    job = prepare(
        notebook,
        {"epochs": 4, "api_token": "t"},
        inputs=["data.csv"],
        project_root=store.root.parent,
    )
    run = store.save_execution(execute(job))
    assert run.status is RunStatus.SUCCEEDED, run.error
    publish(store, run.id, "train", aliases=["production"])
    write_notebook(notebook, "rate = 0.1  # float", "raise SystemExit(3)")
    return run.id


async def test_post_a_version_runs_its_stored_notebook(api, published, jp_root_dir):
    (jp_root_dir / "work" / "data.csv").write_text("a\n1\n2\n")
    body = {
        "version": "train@production",
        "parameters": {"epochs": 6},
        "secrets": {"api_token": "x"},
    }

    reply = await api("POST", "runs", body=body)

    assert reply.code == 201, reply.body
    queued = reply.json
    assert queued["from_version"] == {"name": "train", "number": 1}
    assert queued["notebook"] == "work/train.ipynb"
    assert queued["parameters"] == {"epochs": 6, "api_token": "***"}
    done = await wait_for_run(api, queued["id"])
    assert done["status"] == "succeeded", done["error"]
    assert done["from_version"] == {"name": "train", "number": 1}
    assert done["metrics"] == {"score": 3.0, "rows": 3}
    listed = await api("GET", "runs", params={"from": "train@1"})
    assert [r["id"] for r in listed.json["runs"]] == [queued["id"]]
    assert (await api("GET", "runs", params={"from": "train"})).json["runs"][0]["id"] == done["id"]
    everything = (await api("GET", "runs")).json["runs"]
    assert sorted(r["id"] for r in everything) == sorted([published, done["id"]])


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"version": "train@1"}, 400, "secret parameter(s) api_token"),
        ({"version": "train@1", "parameters": {"epochs": 2}}, 400, "under 'secrets'"),
        ({"version": "train@1", "secrets": {"api_token": 3}}, 400, "'secrets' must be"),
        ({"version": "train@1", "parameters": {"api_token": "x", "rate": 1}}, 400, "rate"),
        (
            {"version": "train@staging", "parameters": {"api_token": "x"}},
            404,
            "(aliases: production)",
        ),
        ({"version": "train@7", "parameters": {"api_token": "x"}}, 404, "has no version 7"),
        ({"version": "trian", "parameters": {"api_token": "x"}}, 404, "did you mean train?"),
        ({"version": "train", "notebook": "work/train.ipynb"}, 400, "exclude each other"),
        ({"parameters": {}}, 400, "'notebook' is required"),
        ({"version": 3}, 400, "'version' must be"),
        (
            {"version": "train", "parameters": {"api_token": "x"}, "inputs": ["../x"]},
            400,
            "leads out",
        ),
    ],
    ids=[
        "secret",
        "secret-how",
        "secret-text",
        "unknown",
        "alias",
        "number",
        "name",
        "both",
        "neither",
        "type",
        "escape",
    ],
)
async def test_bad_version_requests_start_nothing(
    api, published, greenhouse, ledger, body, code, words
):
    reply = await api("POST", "runs", body=body)
    runs = greenhouse.store.list_runs()

    held = reply.code == code and words in reply.json["message"] and len(runs) == 1
    ledger.add("run a version", "bad request (API)", held)
    assert held, (reply.code, reply.body)


async def test_runs_from_an_unknown_alias_is_404(api, published):
    reply = await api("GET", "runs", params={"from": "train@staging"})

    assert reply.code == 404
    assert "has no alias 'staging'" in reply.json["message"]


async def test_a_versions_parameters_default_to_its_recorded_values(api, published):
    reply = await api("GET", "parameters", params={"version": "train@production"})

    assert reply.code == 200, reply.body
    assert reply.json["notebook"] == "train@1"
    shown = {p["name"]: (p["default"], p["field"]["secret"]) for p in reply.json["parameters"]}
    # The working copy now declares only `rate`: the version's own notebook is read.
    assert shown == {"epochs": (4, False), "api_token": (None, True)}


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"version": "train@staging"}, 404, "(aliases: production)"),
        ({"version": "train", "path": "work/train.ipynb"}, 400, "not both"),
    ],
    ids=["alias", "both"],
)
async def test_bad_parameters_queries(api, published, params, code, words):
    reply = await api("GET", "parameters", params=params)

    assert (reply.code, words in reply.json["message"]) == (code, True), reply.body
