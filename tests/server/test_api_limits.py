"""Hostile input at the REST API's edge: size and depth limits, lean listings, control
characters, secrets in the live log and server paths in messages, against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import wait_for_run
from notebooks import write_notebook

from greenhouse_ext.models import TRUNCATION_MARK

PARAMETERS = 'text = "short"  # any text\napi_token = "t0"  # | secret'
ECHO_LENGTH = "from greenhouse_ext import record\nrecord('length', len(text))"
# Writes the secret one character at a time, flushing each, as a progress printer might.
DRIP = (
    "import sys, time\n"
    "for char in api_token:\n"
    "    sys.stdout.write(char)\n"
    "    sys.stdout.flush()\n"
    "    time.sleep(0.02)\n"
    "print(' <- was the token')\n"
    "print('token ends with', api_token[-3:])"
)


@pytest.fixture
def notebook(jp_root_dir: Path) -> Path:
    return write_notebook(jp_root_dir / "work" / "nb.ipynb", PARAMETERS, ECHO_LENGTH)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "runs"), ("POST", "publish"), ("PUT", "artefacts/model/aliases/production")],
)
async def test_deeply_nested_body_is_refused_before_decoding(api, notebook, method, path):
    reply = await api(method, path, body=b"[" * 100_000 + b"]" * 100_000)

    assert reply.code == 400
    assert "32 levels" in reply.json["message"]
    assert "GreenhouseApp.max_json_depth" in reply.json["message"]


async def test_brackets_in_strings_do_not_count_and_messages_name_api_fields(api, notebook):
    brackets = "[" * 100 + "{" * 100
    reply = await api(
        "POST",
        "runs",
        body={"notebook": "work/nb.ipynb", "parameters": {"text": brackets}, "timeout": -1},
    )

    assert reply.code == 400
    assert reply.json["message"] == "timeout must be a positive number of seconds, got -1"


async def test_oversized_body_is_refused_with_413(api, notebook, greenhouse):
    greenhouse.max_body_bytes = 10_000
    padding = "x" * 20_000
    reply = await api(
        "POST", "runs", body={"notebook": "work/nb.ipynb", "parameters": {"text": padding}}
    )

    assert reply.code == 413
    assert "10,000 bytes" in reply.json["message"]
    assert "GreenhouseApp.max_body_bytes" in reply.json["message"]
    assert greenhouse.store.list_runs() == []


async def test_oversized_value_is_refused_then_taken_under_a_raised_limit(
    api, notebook, greenhouse
):
    long_text = "é" * 40_000  # 80,000 bytes of UTF-8, over the default 65,536
    body = {"notebook": "work/nb.ipynb", "parameters": {"text": long_text}}

    refused = await api("POST", "runs", body=body)
    assert refused.code == 400
    assert "text: the value is 80,002 bytes" in refused.json["message"]
    assert "GreenhouseApp.max_value_bytes" in refused.json["message"]
    assert greenhouse.store.list_runs() == []

    greenhouse.max_value_bytes = 100_000
    greenhouse.launcher.max_value_bytes = 100_000
    started = await api("POST", "runs", body=body)
    assert started.code == 201, started.body
    run = await wait_for_run(api, started.json["id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["metrics"] == {"length": 40_000}
    assert run["parameters"]["text"] == long_text

    listing = (await api("GET", "runs")).json["runs"]
    (summary,) = listing
    assert summary["truncated"] == ["parameters.text"]
    assert summary["parameters"]["text"] == "é" * 200 + TRUNCATION_MARK
    assert "provenance" not in summary and "timings" not in summary
    assert summary["metrics"] == {"length": 40_000}


async def test_secret_written_a_character_at_a_time_never_reaches_the_live_log(
    api, jp_root_dir, greenhouse
):
    token = "hunter2-SECRET-value"
    write_notebook(jp_root_dir / "drip.ipynb", PARAMETERS, DRIP)

    started = await api(
        "POST", "runs", body={"notebook": "drip.ipynb", "parameters": {"api_token": token}}
    )
    assert started.code == 201, started.body
    run = await wait_for_run(api, started.json["id"])
    assert run["status"] == "succeeded", run["error"]

    log = (await api("GET", f"runs/{run['id']}/log")).json["text"]
    assert "*** <- was the token" in log
    assert token not in log
    assert "SECRET" not in log
    assert "token ends with lue" in log  # a transformed value is not caught: see the docs
    assert token.encode() not in greenhouse.store.log_path(run["id"]).read_bytes()


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "status", "named"),
    [
        ("GET", "parameters", {"path": "work/missing.ipynb"}, None, 404, "work/missing.ipynb"),
        ("POST", "runs", None, {"notebook": "work/missing.ipynb"}, 404, "work/missing.ipynb"),
        ("POST", "runs", None, {"notebook": "work/nb.ipynb", "inputs": ["no.csv"]}, 400, "no.csv"),
        ("GET", "diff", {"a": "work/nb.ipynb", "b": "work/gone.ipynb"}, None, 404, "gone"),
    ],
    ids=["parameters", "run", "input", "diff"],
)
async def test_messages_name_paths_relative_to_the_root(
    api, notebook, jp_root_dir, method, path, params, body, status, named
):
    reply = await api(method, path, body=body, params=params)

    assert reply.code == status
    assert named in reply.json["message"]
    for spelling in {str(jp_root_dir), str(jp_root_dir.resolve())}:
        assert spelling not in reply.body.decode()


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "parameters", {"path": "work/nb.ipynb\0.txt"}),
        ("GET", "runs", {"notebook": "work/nb\0.ipynb"}),
        ("GET", "runs/abc\0def", None),
        ("GET", "runs/abc\0def/log", None),
    ],
    ids=["query-path", "query-filter", "url-id", "url-log"],
)
async def test_nul_byte_in_a_path_is_a_bad_request(api, notebook, method, path, params):
    reply = await api(method, path, params=params)

    assert reply.code == 400
    assert "U+0000" in reply.json["message"]
