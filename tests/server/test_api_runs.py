"""The REST API of runs: parameters, starting, listing, cancelling, logs, notebooks, reports."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import RUN_DEADLINE_S, wait_for_run
from notebooks import write_notebook

from greenhouse_ext.models import Run, RunStatus, now
from greenhouse_ext.store import Store

PARAMETERS = (
    "sizes: list[int] = [1]  # sizes to add up\n"
    'label = "a"  # | choices=a,b\n'
    'api_token = "t0"  # | secret'
)
ADD_UP = (
    "from greenhouse_ext import record\nprint('total', sum(sizes))\nrecord('total', sum(sizes))"
)
SLEEP = "import time\ntime.sleep(600)"


@pytest.fixture
def notebook(jp_root_dir: Path) -> Path:
    return write_notebook(jp_root_dir / "work" / "nb.ipynb", PARAMETERS, ADD_UP)


@pytest.fixture
def outside(jp_root_dir: Path) -> Path:
    """A notebook and a data file next to the server's root, and symlinks to them inside."""
    folder = jp_root_dir.parent / "outside"
    write_notebook(folder / "nb.ipynb", PARAMETERS, ADD_UP)
    (folder / "data.csv").write_text("secret\n")
    (jp_root_dir / "work").mkdir(exist_ok=True)
    (jp_root_dir / "work" / "out-link.ipynb").symlink_to(folder / "nb.ipynb")
    (jp_root_dir / "work" / "out-data.csv").symlink_to(folder / "data.csv")
    return folder


def _no_run_started(store: Store) -> bool:
    logs = store.root / "logs"
    return store.list_runs() == [] and not (logs.is_dir() and any(logs.iterdir()))


# Parameters ------------------------------------------------------------------------------


async def test_parameters_of_a_notebook(api, notebook):
    reply = await api("GET", "parameters", params={"path": "work/nb.ipynb"})

    assert reply.code == 200
    body = reply.json
    assert body["notebook"] == "work/nb.ipynb"
    assert [(p["name"], p["type"]) for p in body["parameters"]] == [
        ("sizes", "list[int]"),
        ("label", "str"),
        ("api_token", "str"),
    ]
    assert body["parameters"][0]["help"] == "sizes to add up"
    assert body["parameters"][2]["default"] == "***"
    plain = {"nullable": False, "item": None, "choices": None, "minimum": None, "maximum": None}
    integer = {"kind": "integer", "nullable": False, "item": None}
    assert [p["field"] for p in body["parameters"]] == [
        {**plain, "kind": "list", "item": integer, "secret": False},
        {**plain, "kind": "text", "choices": ["a", "b"], "secret": False},
        {**plain, "kind": "text", "secret": True},
    ]


async def test_parameters_of_an_edited_parameters_cell(api, notebook):
    source = 'epochs = 5  # | min=1, max=9\nmodel = "tree"  # | choices=tree,forest'
    body = {"notebook": "work/nb.ipynb", "source": source}

    reply = await api("POST", "parameters", body=body)

    assert reply.code == 200, reply.body
    assert reply.json["notebook"] == "work/nb.ipynb"
    fields = {p["name"]: p["field"] for p in reply.json["parameters"]}
    assert (fields["epochs"]["maximum"], fields["model"]["choices"]) == (9, ["tree", "forest"])
    outside = await api("POST", "parameters", body={**body, "notebook": "../x.ipynb"})
    assert outside.code == 400
    missing = await api("POST", "parameters", body={"notebook": "work/nb.ipynb"})
    assert missing.code == 400
    assert "source" in missing.json["message"]


async def test_parameters_through_a_symlink_that_stays_in_the_root(api, notebook, jp_root_dir):
    (jp_root_dir / "link.ipynb").symlink_to(notebook)

    reply = await api("GET", "parameters", params={"path": "link.ipynb"})

    assert reply.code == 200
    assert reply.json["notebook"] == "link.ipynb"


@pytest.mark.usefixtures("notebook", "outside")
@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        (None, 400, "Give either 'path'"),
        ("missing.ipynb", 404, "does not exist"),
        ("work", 400, "not a notebook"),
        ("../outside/nb.ipynb", 400, "leads out of the server's root"),
        ("work/../../outside/nb.ipynb", 400, "leads out of the server's root"),
        ("ABSOLUTE", 400, "must be a path relative to the server's root"),
        ("work/out-link.ipynb", 404, "not under the server's root"),
    ],
    ids=["missing-argument", "no-such-file", "a-folder", "dotdot", "inner-dotdot", "absolute",
         "symlink-out"],
)  # fmt: skip
async def test_parameters_refuse_bad_and_outside_paths(api, jp_root_dir, path, status, words):
    if path == "ABSOLUTE":
        path = str(jp_root_dir.parent / "outside" / "nb.ipynb")
    reply = await api("GET", "parameters", params={"path": path} if path else None)

    assert reply.code == status
    assert words in reply.json["message"]
    assert "sizes" not in reply.body.decode()


# Starting a run --------------------------------------------------------------------------


async def test_a_real_run_through_the_api(api, notebook, greenhouse):
    reply = await api(
        "POST",
        "runs",
        body={
            "notebook": "work/nb.ipynb",
            "parameters": {"sizes": [2, 3, 4], "label": "b"},
            "timeout": 300,
            "timeout_run": 600,
        },
    )

    assert reply.code == 201, reply.body
    queued = reply.json
    assert queued["status"] == "queued"
    assert (queued["timeout"], queued["timeout_run"]) == (300, 600)
    assert queued["notebook"] == "work/nb.ipynb"
    assert queued["parameters"] == {"sizes": [2, 3, 4], "label": "b"}
    assert reply.headers["Location"].endswith(f"/greenhouse/api/runs/{queued['id']}")
    run = await wait_for_run(api, queued["id"])
    assert run["status"] == "succeeded", run["error"]
    assert run["metrics"] == {"total": 9}
    assert run["progress"]["done"] == run["progress"]["total"]
    assert run["provenance"]["kernel"] == "python3"
    assert (run["timeout"], run["timeout_run"]) == (300, 600)

    log = await api("GET", f"runs/{run['id']}/log", params={"offset": 0})
    assert f"run {run['id']} succeeded" in log.json["text"]
    assert log.json["offset"] == greenhouse.store.log_path(run["id"]).stat().st_size
    executed = await api("GET", f"runs/{run['id']}/notebook")
    assert executed.headers["Content-Type"].startswith("application/json")
    outputs = [o for cell in executed.json["cells"] for o in cell.get("outputs", [])]
    assert any("total 9" in "".join(o.get("text", "")) for o in outputs)
    report = await api("GET", f"runs/{run['id']}/html")
    assert report.code == 200
    assert report.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert report.headers["Content-Security-Policy"].startswith("sandbox;")
    assert b"total 9" in report.body
    listed = await api("GET", "runs", params={"notebook": "work/nb.ipynb", "status": "succeeded"})
    assert [r["id"] for r in listed.json["runs"]] == [run["id"]]


async def test_cancel_a_running_run_through_the_api(api, jp_root_dir):
    write_notebook(jp_root_dir / "sleep.ipynb", PARAMETERS, SLEEP)
    started = (await api("POST", "runs", body={"notebook": "sleep.ipynb"})).json
    await wait_for_run(api, started["id"], lambda run: run["status"] == "running")

    reply = await api("POST", f"runs/{started['id']}/cancel")

    assert reply.code == 202
    assert reply.json["id"] == started["id"]
    run = await wait_for_run(api, started["id"])
    assert run["status"] == "cancelled"
    again = await api("POST", f"runs/{started['id']}/cancel")
    assert again.code == 409
    assert "only a queued or running run can be cancelled" in again.json["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"notebook": "work/nb.ipynb", "parameters": {"sizes": "many"}}, "sizes"),
        ({"notebook": "work/nb.ipynb", "parameters": {"label": "c"}}, "label"),
        ({"notebook": "work/nb.ipynb", "parameters": {"size": [1]}}, "size"),
        ({"notebook": "work/nb.ipynb", "timeout": 0}, "timeout"),
        ({"notebook": "work/nb.ipynb", "timeout": "10"}, "'timeout' must be a number"),
        ({"notebook": "work/nb.ipynb", "timeout_run": -5}, "timeout_run must be a positive"),
        ({"notebook": "work/nb.ipynb", "kernel": "no-such-kernel"}, "No kernel named"),
        ({"notebook": "work/nb.ipynb", "kernel": 3}, "'kernel' must be a non-empty string"),
        ({"notebook": "work/nb.ipynb", "inputs": "data.csv"}, "'inputs' must be a list"),
        ({"notebook": "work/nb.ipynb", "inputs": ["absent.csv"]}, "absent.csv"),
        ({"notebook": "work/nb.ipynb", "parameters": [1]}, "'parameters' must be an object"),
        ({"notebook": "work/nb.ipynb", "paramters": {}}, "'paramters' is unknown"),
        ({"parameters": {}}, "'notebook' is required"),
        ([], "must be a JSON object"),
        (b"{not json", "not valid JSON"),
    ],
    ids=lambda value: None,
)
async def test_bad_run_requests_are_400_and_start_nothing(api, notebook, greenhouse, body, words):
    reply = await api("POST", "runs", body=body)

    assert reply.code == 400, reply.body
    error = reply.json
    assert words in error["message"] + " ".join(error["problems"])
    assert _no_run_started(greenhouse.store)


async def test_every_invalid_value_is_named_at_once(api, notebook):
    reply = await api(
        "POST",
        "runs",
        body={"notebook": "work/nb.ipynb", "parameters": {"sizes": ["x"], "label": 5}},
    )

    assert reply.code == 400
    problems = reply.json["problems"]
    assert [p.split(":")[0].split("[")[0] for p in problems] == ["sizes", "label"]


@pytest.mark.usefixtures("outside")
@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"notebook": "missing.ipynb"}, 404, "does not exist"),
        ({"notebook": "../outside/nb.ipynb"}, 400, "leads out of the server's root"),
        ({"notebook": "ABSOLUTE"}, 400, "must be a path relative"),
        ({"notebook": "work/out-link.ipynb"}, 404, "not under the server's root"),
        ({"notebook": "work/nb.ipynb", "inputs": ["../../outside/data.csv"]}, 400, "leads out"),
        ({"notebook": "work/nb.ipynb", "inputs": ["/etc/passwd"]}, 400, "must be a path relative"),
        ({"notebook": "work/nb.ipynb", "inputs": ["out-data.csv"]}, 404, "not under the server"),
    ],
    ids=["missing", "dotdot", "absolute", "symlink-out", "input-dotdot", "input-absolute",
         "input-symlink-out"],
)  # fmt: skip
async def test_runs_of_paths_outside_the_root_are_refused(
    api, notebook, greenhouse, jp_root_dir, body, status, words
):
    if body["notebook"] == "ABSOLUTE":
        body = {"notebook": str(jp_root_dir.parent / "outside" / "nb.ipynb")}

    reply = await api("POST", "runs", body=body)

    assert reply.code == status, reply.body
    assert words in reply.json["message"]
    assert _no_run_started(greenhouse.store)


# Listing and describing ------------------------------------------------------------------


@pytest.fixture
def seeded(greenhouse, notebook, jp_root_dir, seed_run) -> dict[str, Run]:
    other = write_notebook(jp_root_dir / "other.ipynb", None, "pass")
    store = greenhouse.store
    return {
        "ok": seed_run(store, notebook),
        "failed": seed_run(store, notebook, RunStatus.FAILED, executed=False),
        "other": seed_run(store, other),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["other", "failed", "ok"]),
        ({"notebook": "work/nb.ipynb"}, ["failed", "ok"]),
        ({"notebook": "work/../work/nb.ipynb"}, ["failed", "ok"]),
        ({"status": "failed"}, ["failed"]),
        ({"notebook": "other.ipynb", "status": "failed"}, []),
        ({"limit": 2}, ["other", "failed"]),
    ],
)
async def test_list_runs_newest_first_with_filters(api, seeded, params, expected):
    reply = await api("GET", "runs", params=params)

    assert reply.code == 200
    assert [r["id"] for r in reply.json["runs"]] == [seeded[name].id for name in expected]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"status": "done"}, 400, "status must be one of queued, running"),
        ({"limit": "0"}, 400, "limit must be between 1 and 1000"),
        ({"limit": "ten"}, 400, "limit must be an integer"),
        ({"notebook": "../outside/nb.ipynb"}, 400, "leads out of the server's root"),
    ],
)
async def test_list_runs_refuses_bad_filters(api, params, status, words):
    reply = await api("GET", "runs", params=params)

    assert reply.code == status
    assert words in reply.json["message"]


async def test_describe_a_run_by_id_or_prefix(api, seeded):
    run = seeded["ok"]

    full = await api("GET", f"runs/{run.id}")
    prefix = await api("GET", f"runs/{run.id[:8]}")

    assert full.code == prefix.code == 200
    assert full.json == prefix.json == run.to_dict()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "runs/0123456789ab"),
        ("POST", "runs/0123456789ab/cancel"),
        ("GET", "runs/0123456789ab/log"),
        ("GET", "runs/0123456789ab/notebook"),
        ("GET", "runs/0123456789ab/html"),
    ],
)
async def test_unknown_runs_are_404(api, method, path):
    reply = await api(method, path)

    assert reply.code == 404
    assert "0123456789ab" in reply.json["message"]


@pytest.mark.parametrize("what", ["notebook", "html"])
async def test_a_run_without_an_executed_notebook_has_none_to_show(api, seeded, what):
    reply = await api("GET", f"runs/{seeded['failed'].id}/{what}")

    assert reply.code == 404
    assert "has no executed notebook (it is failed)" in reply.json["message"]


async def test_log_is_read_in_chunks_from_an_offset(api, seeded, greenhouse):
    run = seeded["ok"]
    greenhouse.store.log_path(run.id).write_text("first line\nsecond line\n")

    whole = await api("GET", f"runs/{run.id}/log")
    tail = await api("GET", f"runs/{run.id}/log", params={"offset": 11})
    end = await api("GET", f"runs/{run.id}/log", params={"offset": whole.json["offset"]})
    bad = await api("GET", f"runs/{run.id}/log", params={"offset": "-1"})

    assert whole.json == {"text": "first line\nsecond line\n", "offset": 23}
    assert tail.json == {"text": "second line\n", "offset": 23}
    assert end.json == {"text": "", "offset": 23}
    assert bad.code == 400
    assert "offset must be >= 0" in bad.json["message"]


async def test_cancel_of_a_finished_run_is_a_conflict(api, seeded):
    reply = await api("POST", f"runs/{seeded['ok'].id}/cancel")

    assert reply.code == 409
    assert "is succeeded" in reply.json["message"]


# Start-up --------------------------------------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


class TestStartUp:
    STALE = "stale0000001"

    @pytest.fixture
    def values_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        """The values file an earlier server left for the stale run."""
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        folder = tmp_path / f"greenhouse-values-{self.STALE}-abc"
        folder.mkdir()
        (folder / "values.json").write_text('{"api_token": "secret"}')
        return folder / "values.json"

    @pytest.fixture
    def jp_server_config(self, jp_root_dir: Path, values_file: Path) -> dict[str, Any]:
        """A store left by an earlier server, with a run whose process has gone."""
        store = Store(jp_root_dir / ".greenhouse")
        store.save_run(
            Run(
                id=self.STALE,
                notebook="nb.ipynb",
                status=RunStatus.RUNNING,
                parameters={},
                created_at=now(),
                pid=_dead_pid(),
            )
        )
        store.close()
        return {"ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}}}

    async def test_runs_whose_process_has_gone_are_marked_interrupted(self, greenhouse):
        run = greenhouse.store.get_run(self.STALE)

        assert run.status is RunStatus.INTERRUPTED
        assert run.error is not None and "process" in run.error.reason

    async def test_values_left_for_runs_no_longer_queued_are_deleted(self, greenhouse, values_file):
        assert greenhouse.store.get_run(self.STALE).status is RunStatus.INTERRUPTED
        assert not values_file.parent.exists()


async def test_the_store_is_created_on_first_use_only(api, jp_root_dir):
    await api("GET", "version")
    assert not os.path.exists(jp_root_dir / ".greenhouse")

    await api("GET", "runs")

    assert (jp_root_dir / ".greenhouse" / "index.sqlite").is_file()


# Orphaned runs ---------------------------------------------------------------------------


def _orphan(store: Store) -> Run:
    """Record a running run whose process has gone, as a killed run leaves it."""
    run = Run(
        id=f"orphan{os.urandom(3).hex()}",
        notebook="nb.ipynb",
        status=RunStatus.RUNNING,
        parameters={},
        created_at=now(),
        pid=_dead_pid(),
    )
    store.save_run(run)
    return run


class TestReadsNeverWrite:
    @pytest.fixture
    def jp_server_config(self) -> dict[str, Any]:
        return {
            "ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}},
            "GreenhouseApp": {"orphan_check_interval": 600.0},
        }

    async def test_reading_runs_leaves_an_orphan_as_recorded(self, api, greenhouse):
        orphan = _orphan(greenhouse.store)

        listed = await api("GET", "runs")
        one = await api("GET", f"runs/{orphan.id}")

        assert [run["status"] for run in listed.json["runs"]] == ["running"]
        assert one.json["status"] == "running"
        assert greenhouse.store.get_run(orphan.id).status is RunStatus.RUNNING


class TestPeriodicOrphanCheck:
    @pytest.fixture
    def jp_server_config(self) -> dict[str, Any]:
        return {
            "ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}},
            "GreenhouseApp": {"orphan_check_interval": 0.2},
        }

    async def test_the_server_marks_orphans_interrupted_on_its_own(self, greenhouse):
        orphan = _orphan(greenhouse.store)
        deadline = time.monotonic() + 30

        while greenhouse.store.get_run(orphan.id).status is RunStatus.RUNNING:
            assert time.monotonic() < deadline, "no check marked the orphan"
            await asyncio.sleep(0.1)

        run = greenhouse.store.get_run(orphan.id)
        assert run.status is RunStatus.INTERRUPTED
        assert run.error is not None and "process" in run.error.reason

    async def test_many_short_runs_read_in_a_tight_loop_all_end_as_they_did(self, api, jp_root_dir):
        count = 6
        write_notebook(jp_root_dir / "quick.ipynb", "n = 0", "print(n)")
        started = [
            await api("POST", "runs", body={"notebook": "quick.ipynb", "parameters": {"n": i}})
            for i in range(count)
        ]
        assert [reply.code for reply in started] == [201] * count
        ids = {reply.json["id"] for reply in started}
        seen: dict[str, list[str]] = {run_id: [] for run_id in ids}
        deadline = time.monotonic() + RUN_DEADLINE_S

        while True:
            listed = (await api("GET", "runs")).json["runs"]
            for run in listed:
                if not seen[run["id"]] or seen[run["id"]][-1] != run["status"]:
                    seen[run["id"]].append(run["status"])
            if all(run["status"] not in {"queued", "running"} for run in listed):
                break
            assert time.monotonic() < deadline, seen
            await asyncio.sleep(0)

        for history in seen.values():
            assert history[-1] == "succeeded", seen
            assert set(history) <= {"queued", "running", "succeeded"}, seen
