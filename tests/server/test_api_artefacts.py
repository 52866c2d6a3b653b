"""The REST API of comparing and publishing: diff, publish, versions, aliases, verify, reproduce."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_for_run
from notebooks import png, write_notebook

from greenhouse_ext.artefacts.diff import PAYLOAD_SEND_CAP
from greenhouse_ext.artefacts.normalise import parse_stand_in
from greenhouse_ext.models import Run, RunStatus

PARAMETERS = 'rate = 0.1\napi_token = ""  # | secret'
REPORT_CELL = "from greenhouse_ext import record\nprint('rate', rate)\nrecord('rate', rate)"


@pytest.fixture
def runs(greenhouse, jp_root_dir, seed_run) -> dict[str, Run]:
    """Two succeeded runs of different notebooks and values, and a failed one."""
    a = write_notebook(jp_root_dir / "a.ipynb", PARAMETERS, "print('a')")
    b = write_notebook(jp_root_dir / "b.ipynb", PARAMETERS, "print('b')")
    store = greenhouse.store
    return {
        "a": seed_run(store, a, parameters={"rate": 0.1}, metrics={"score": 0.5}),
        "b": seed_run(store, b, parameters={"rate": 0.2}, metrics={"score": 0.75}),
        "failed": seed_run(store, a, RunStatus.FAILED),
    }


@pytest.fixture
def outside(jp_root_dir: Path) -> Path:
    """A notebook next to the server's root, with a symlink to it inside."""
    notebook = write_notebook(jp_root_dir.parent / "outside" / "nb.ipynb", None, "print('x')")
    (jp_root_dir / "out-link.ipynb").symlink_to(notebook)
    return notebook


async def _publish(api, run: Run, name: str = "model", aliases: list[str] | None = None):
    return await api("POST", "publish", body={"run": run.id, "name": name, "aliases": aliases})


# Diff ------------------------------------------------------------------------------------


async def test_diff_of_two_runs_has_the_records_diff_and_nbdimes_base(api, runs):
    reply = await api("GET", "diff", params={"a": runs["a"].id, "b": runs["b"].id})

    assert reply.code == 200, reply.body
    diff = reply.json
    assert diff["a"] == f"run {runs['a'].id}"
    assert [(p["name"], p["a"], p["b"]) for p in diff["parameters"]] == [("rate", 0.1, 0.2)]
    assert [(m["name"], m["delta"]) for m in diff["metrics"]] == [("score", 0.25)]
    assert diff["notebook"]["nbdime"], "the notebooks differ"
    base_sources = [cell["source"] for cell in diff["base"]["cells"]]
    assert base_sources[1] == "print('a')"


async def test_diff_of_notebook_files_under_the_root(api, runs):
    reply = await api("GET", "diff", params={"a": "a.ipynb", "b": runs["b"].id})

    assert reply.code == 200
    assert reply.json["a"] == "a.ipynb"


def _image_notebook(path: Path, *images: str) -> None:
    outputs = [
        {"output_type": "display_data", "data": {"image/png": data}, "metadata": {}}
        for data in images
    ]
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "id": "plot",
        "metadata": {},
        "outputs": outputs,
        "source": "plot()",
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


async def test_diff_sends_the_images_a_browser_shows_and_stands_in_the_huge_ones(api, jp_root_dir):
    old, new, huge = png(26_000, 1), png(26_000, 2), png(PAYLOAD_SEND_CAP + 1, 3)
    _image_notebook(jp_root_dir / "a.ipynb", old, png(100_000, 4))
    _image_notebook(jp_root_dir / "b.ipynb", new, huge)

    reply = await api("GET", "diff", params={"a": "a.ipynb", "b": "b.ipynb"})

    assert reply.code == 200, reply.body
    texts = _strings(reply.json["notebook"]["nbdime"]) + _strings(reply.json["base"])
    assert old in texts and new in texts
    assert [parse_stand_in(text) for text in texts if parse_stand_in(text)] == [
        (len(huge), hashlib.sha256(huge.encode()).hexdigest())
    ]


@pytest.mark.usefixtures("runs", "outside")
@pytest.mark.parametrize(
    ("a", "status", "words"),
    [
        (None, 400, "'a' is required"),
        ("nothing-like-this", 404, "is not a run, a published name or a notebook file"),
        ("missing.ipynb", 404, "does not exist"),
        ("../outside/nb.ipynb", 400, "leads out of the server's root"),
        ("ABSOLUTE", 400, "must be a path relative to the server's root"),
        ("/etc/passwd", 400, "must be a path relative to the server's root"),
        ("out-link.ipynb", 404, "not under the server's root"),
    ],
)
async def test_diff_refuses_unknown_references_and_files_outside_the_root(
    api, jp_root_dir, a, status, words
):
    if a == "ABSOLUTE":
        a = str(jp_root_dir.parent / "outside" / "nb.ipynb")
    params = {"b": "a.ipynb", **({"a": a} if a else {})}

    reply = await api("GET", "diff", params=params)

    assert reply.code == status, reply.body
    assert words in reply.json["message"]
    assert "print('x')" not in reply.body.decode()


# Publish, versions and aliases -----------------------------------------------------------


async def test_publish_numbers_versions_and_lists_them(api, runs):
    first = await _publish(api, runs["a"], aliases=["staging"])
    second = await _publish(api, runs["b"])

    assert (first.code, second.code) == (201, 201)
    assert (first.json["number"], second.json["number"]) == (1, 2)
    assert first.json["aliases"] == ["staging"]
    assert {f["path"] for f in first.json["files"]} >= {"notebook.ipynb", "report.html"}
    names = await api("GET", "artefacts")
    assert (names.code, names.json) == (200, {"names": ["model"]})
    listed = await api("GET", "artefacts/model/versions")
    assert listed.code == 200
    assert listed.json["name"] == "model"
    assert [(v["number"], v["run_id"], v["aliases"]) for v in listed.json["versions"]] == [
        (1, runs["a"].id, ["staging"]),
        (2, runs["b"].id, []),
    ]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"run": "failed", "name": "model"}, 409, "only a succeeded run can be published"),
        ({"run": "0123456789ab", "name": "model"}, 404, "0123456789ab"),
        ({"run": "a", "name": "bad name"}, 400, "is not a valid name"),
        ({"run": "a", "name": "model", "aliases": ["7"]}, 400, "is not a valid alias"),
        ({"run": "a"}, 400, "'name' is required"),
        ({"run": "a", "name": "model", "to": "s3://bucket"}, 400, "'to' is unknown"),
    ],
)
async def test_publish_refuses_bad_requests(api, runs, body, status, words):
    if body.get("run") in runs:
        body = {**body, "run": runs[body["run"]].id}

    reply = await api("POST", "publish", body=body)

    assert reply.code == status, reply.body
    assert words in reply.json["message"]


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [("unknown", 404, "Nothing is published as 'unknown'"), ("bad name", 400, "not a valid")],
)
async def test_versions_of_unknown_or_bad_names(api, name, status, words):
    reply = await api("GET", f"artefacts/{name}/versions")

    assert reply.code == status
    assert words in reply.json["message"]


async def test_alias_moves_to_the_version_given(api, runs):
    await _publish(api, runs["a"], aliases=["production"])
    await _publish(api, runs["b"])

    reply = await api("PUT", "artefacts/model/aliases/production", body={"version": 2})

    assert reply.code == 200
    assert (reply.json["number"], reply.json["aliases"]) == (2, ["production"])
    listed = (await api("GET", "artefacts/model/versions")).json["versions"]
    assert [v["aliases"] for v in listed] == [[], ["production"]]


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("model/aliases/production", {"version": 9}, 404, "'model' has no version 9"),
        ("other/aliases/production", {"version": 1}, 404, "Nothing is published as 'other'"),
        ("model/aliases/production", {"version": "1"}, 400, "'version' must be an integer"),
        ("model/aliases/production", {"version": 0}, 400, "'version' must be 1 or more"),
        ("model/aliases/production", {}, 400, "'version' is required"),
        ("model/aliases/7", {"version": 1}, 400, "is not a valid alias"),
        ("model/aliases/bad alias", {"version": 1}, 400, "is not a valid alias"),
    ],
)
async def test_alias_refuses_bad_requests(api, runs, path, body, status, words):
    await _publish(api, runs["a"])

    reply = await api("PUT", f"artefacts/{path}", body=body)

    assert reply.code == status, reply.body
    assert words in reply.json["message"]


async def test_alias_changes_are_recorded_with_their_reasons(api, runs):
    await _publish(api, runs["a"], aliases=["production"])
    await _publish(api, runs["b"])

    moved = await api(
        "PUT", "artefacts/model/aliases/production", body={"version": 2, "reason": "higher score"}
    )
    assert moved.code == 200, moved.body
    assert (moved.json["change"]["from_number"], moved.json["change"]["to_number"]) == (1, 2)
    again = await api("PUT", "artefacts/model/aliases/production", body={"version": 2})
    assert again.code == 200 and again.json["change"] is None
    removed = await api(
        "DELETE", "artefacts/model/aliases/production", params={"reason": "incident 42"}
    )
    assert removed.code == 200, removed.body
    assert (removed.json["action"], removed.json["from_number"]) == ("removed", 2)

    history = await api("GET", "artefacts/model/alias-history")
    assert history.code == 200
    assert [
        (e["action"], e["from_number"], e["to_number"], e["reason"]) for e in history.json["events"]
    ] == [
        ("set", None, 1, None),
        ("moved", 1, 2, "higher score"),
        ("removed", 2, None, "incident 42"),
    ]
    assert history.json["current"] == {}


@pytest.mark.parametrize(
    ("method", "path", "extra", "status", "words"),
    [
        ("DELETE", "model/aliases/canary", {}, 404, "has no alias 'canary' to remove"),
        ("DELETE", "model/aliases/production", {"params": {"reason": " "}}, 400, "reason is empty"),
        ("PUT", "model/aliases/production", {"body": {"version": 1, "reason": 3}}, 400, "'reason'"),
        ("GET", "other/alias-history", {}, 404, "Nothing is published as 'other'"),
    ],
    ids=["remove-unknown", "empty-reason", "reason-not-text", "history-unknown"],
)
async def test_alias_changes_refuse_bad_requests(api, runs, method, path, extra, status, words):
    await _publish(api, runs["a"], aliases=["production"])

    reply = await api(method, f"artefacts/{path}", **extra)

    assert reply.code == status, reply.body
    assert words in reply.json["message"]
    history = (await api("GET", "artefacts/model/alias-history")).json
    assert len(history["events"]) == 1


# Verify ----------------------------------------------------------------------------------


async def test_verify_finds_a_version_intact_then_a_changed_file(api, runs, greenhouse):
    version = (await _publish(api, runs["a"])).json

    intact = await api("POST", "verify", body={"ref": "model@1"})
    report = next(f for f in version["files"] if f["path"] == "report.html")
    digest = report["sha256"]
    (greenhouse.store.root / "objects" / digest[:2] / digest[2:]).write_bytes(b"<p>forged</p>")
    damaged = await api("POST", "verify", body={"ref": "model"})

    assert intact.code == damaged.code == 200
    assert intact.json["ok"] is True
    assert intact.json["checked"] == len(version["files"]) + 1
    assert damaged.json["ok"] is False
    assert [(p["path"], p["problem"]) for p in damaged.json["problems"]] == [
        ("report.html", "changed")
    ]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"ref": "model@4"}, 404, "'model' has no version 4"),
        ({"ref": "nothing"}, 404, "Nothing is published as 'nothing'"),
        ({"ref": 4}, 400, "'ref' must be a non-empty string"),
    ],
)
async def test_verify_refuses_unknown_versions(api, runs, body, status, words):
    await _publish(api, runs["a"])

    reply = await api("POST", "verify", body=body)

    assert reply.code == status
    assert words in reply.json["message"]


# Reproduce -------------------------------------------------------------------------------


async def test_reproduce_runs_like_any_run_and_records_its_comparison(api, jp_root_dir):
    write_notebook(jp_root_dir / "model.ipynb", PARAMETERS, REPORT_CELL)
    started = await api(
        "POST",
        "runs",
        body={"notebook": "model.ipynb", "parameters": {"rate": 0.3, "api_token": "s3cr3t-t0ken"}},
    )
    run = await wait_for_run(api, started.json["id"])
    assert run["status"] == "succeeded", run["error"]
    await api("POST", "publish", body={"run": run["id"], "name": "model"})

    without = await api("POST", "reproduce", body={"ref": "model@1"})
    secrets = {"api_token": "an0ther-s3cret"}
    reply = await api("POST", "reproduce", body={"ref": "model@1", "secrets": secrets})
    early = await api("GET", f"runs/{reply.json['id']}/reproduction")

    assert without.code == 400
    assert "api_token" in without.json["message"]
    assert reply.code == 202, reply.body
    queued = reply.json
    assert (queued["status"], queued["reproduces"]) == ("queued", run["id"])
    assert queued["parameters"] == {"rate": 0.3, "api_token": "***"}
    assert reply.headers["Location"].endswith(f"/greenhouse/api/runs/{queued['id']}")
    assert early.code == 409 and "its comparison is there once it finishes" in early.json["message"]
    rerun = await wait_for_run(api, queued["id"])
    assert rerun["status"] == "succeeded", rerun["error"]
    assert rerun["metrics"] == {"rate": 0.3} and rerun["reproduces"] == run["id"]
    assert rerun["progress"]["done"] == rerun["progress"]["total"]
    log = (await api("GET", f"runs/{rerun['id']}/log")).json["text"]
    assert "rate 0.3" in log and "an0ther-s3cret" not in log
    comparison = await api("GET", f"runs/{rerun['id']}/reproduction")
    assert comparison.code == 200, comparison.body
    result = comparison.json
    assert (result["verdict"], result["reason"]) == ("reproducible", None), [
        (c["before"], c["after"]) for c in result["cells"]
    ]
    assert (result["run_id"], result["rerun_id"]) == (run["id"], rerun["id"])


async def test_a_reproduction_can_be_cancelled_and_says_so(api, greenhouse, jp_root_dir, seed_run):
    notebook = write_notebook(
        jp_root_dir / "slow.ipynb",
        "a = 1",
        "import pathlib, time\nif pathlib.Path('slow').exists():\n    time.sleep(600)",
    )
    run = seed_run(greenhouse.store, notebook)
    (jp_root_dir / "slow").write_text("")
    queued = (await api("POST", "reproduce", body={"ref": run.id})).json
    await wait_for_run(api, queued["id"], lambda r: (r["progress"] or {}).get("current") == 1)

    cancel = await api("POST", f"runs/{queued['id']}/cancel")
    rerun = await wait_for_run(api, queued["id"])
    comparison = await api("GET", f"runs/{queued['id']}/reproduction")

    assert cancel.code == 202
    assert rerun["status"] == "cancelled"
    assert comparison.code == 200
    assert comparison.json["verdict"] == "differs"
    assert "the re-run cancelled" in comparison.json["reason"]


async def test_the_reproduction_of_a_run_that_re_runs_nothing_is_not_found(api, runs):
    reply = await api("GET", f"runs/{runs['a'].id}/reproduction")

    assert reply.code == 404
    assert "is not a re-run" in reply.json["message"]


@pytest.mark.usefixtures("outside")
@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"ref": "failed"}, 409, "only a succeeded run can be reproduced"),
        ({"ref": "0123456789ab"}, 404, "0123456789ab"),
        ({"ref": "a.ipynb"}, 400, "is a notebook file"),
        ({"ref": "../outside/nb.ipynb"}, 400, "leads out of the server's root"),
        ({"ref": "out-link.ipynb"}, 404, "not under the server's root"),
        ({"ref": "a", "secrets": {"api_token": 5}}, 400, "'secrets' must be an object"),
        ({"ref": "a", "secrets": {"rate": "0.5"}}, 400, "rate"),
        ({"ref": "a", "env": "docker"}, 400, "give current or recorded"),
        ({"ref": "a", "inputs": "yesterday"}, 400, "give stored or current"),
        ({"ref": "a", "allow_partial": "yes"}, 400, "allow_partial"),
        ({"ref": "a", "allow_partial": True}, 400, "allow_partial applies to env recorded only"),
        ({"ref": "a", "env": "recorded"}, 400, "has no lock to rebuild"),
    ],
)
async def test_reproduce_refuses_bad_requests(api, runs, body, status, words):
    if body["ref"] in runs:
        body = {**body, "ref": runs[body["ref"]].id}

    reply = await api("POST", "reproduce", body=body)

    assert reply.code == status, reply.body
    assert words in reply.json["message"]
