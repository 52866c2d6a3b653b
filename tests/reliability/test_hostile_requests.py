"""Requests a careless or hostile client sends a real server: secrets in bad input, secrets in
widgets, a sweep grid of millions of points, a sweep of many runs read at once."""

from __future__ import annotations

import json
import time
from pathlib import Path

from faults import Server, greenhouse, request
from notebooks import write_notebook

from greenhouse_ext.models import Provenance, Run, RunStatus
from greenhouse_ext.store import Store

SECRET = "sk-hostile-7f3a9c21"
SECRET_PARAMETERS = 'api_token = ""  # | secret\nepochs = 1  # | min=1'
AXIS = list(range(210))
HUGE_GRID_RUNS = 210**3
MEMORY_CEILING_KB = 1024 * 1024


def _message(reply: bytes) -> str:
    message: str = json.loads(reply)["message"]
    return message


def _peak_memory_kb(server: Server) -> int:
    """The server process's peak resident memory, from Linux's /proc."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1])


def _wait_until_succeeded(server: Server, run_id: str) -> None:
    deadline = time.monotonic() + 180
    while json.loads(request(server, "GET", f"runs/{run_id}")[1])["status"] != "succeeded":
        assert time.monotonic() < deadline, request(server, "GET", f"runs/{run_id}")[1]
        time.sleep(0.3)


def test_no_400_message_nor_the_server_log_shows_a_secret(tmp_path, servers, ledger):
    """Every message about a bad value describes a secret by its kind, never by its value."""
    write_notebook(tmp_path / "nb.ipynb", SECRET_PARAMETERS, "print(epochs)")
    server = servers(tmp_path)
    cases = {
        "sweep set with an invalid value": (
            "sweeps",
            {"notebook": "nb.ipynb", "runs": [{"api_token": SECRET, "epochs": 0}]},
        ),
        "secret as a scalar where a list is expected": (
            "sweeps",
            {"notebook": "nb.ipynb", "parameters": {"api_token": SECRET, "epochs": [1]}},
        ),
        "reproduce with a non-string secret": (
            "reproduce",
            {"ref": "nb.ipynb", "secrets": {"api_token": SECRET, "epochs": 3}},
        ),
        "parameters that are not an object": (
            "runs",
            {"notebook": "nb.ipynb", "parameters": SECRET},
        ),
    }
    answers = {}
    for kind, (path, body) in cases.items():
        status, reply = request(server, "POST", path, json.dumps(body).encode())
        held = status == 400 and SECRET not in reply.decode()
        ledger.add("secrets", f"400 message: {kind}", held)
        answers[kind] = (status, reply.decode())
    server.stop()
    in_log = SECRET in server.log.read_text(errors="replace")
    ledger.add("secrets", "server log after 400s", not in_log)

    assert all(status == 400 for status, _ in answers.values()), answers
    assert not [kind for kind, (_, reply) in answers.items() if SECRET in reply], answers
    assert not in_log
    set_message = _message(answers["sweep set with an invalid value"][1].encode())
    assert set_message.startswith("Set 1 of 1 (api_token=***, epochs=0) is invalid")
    scalar = _message(answers["secret as a scalar where a list is expected"][1].encode())
    assert "'api_token' must be a non-empty list" in scalar and "secret, not shown" in scalar
    reproduce = _message(answers["reproduce with a non-string secret"][1].encode())
    assert "entry 'epochs' is an integer" in reproduce


def test_a_secret_in_a_widget_is_masked_in_everything_stored(tmp_path, servers, ledger):
    """A real kernel displays a Password widget holding the secret; its state is kept masked."""
    write_notebook(
        tmp_path / "widget.ipynb",
        'api_token = ""  # | secret',
        "import ipywidgets\nipywidgets.Password(value=api_token)",
    )
    server = servers(tmp_path)
    body = json.dumps({"notebook": "widget.ipynb", "parameters": {"api_token": SECRET}})
    status, reply = request(server, "POST", "runs", body.encode())
    assert status == 201, reply
    run_id = json.loads(reply)["id"]
    _wait_until_succeeded(server, run_id)
    executed = request(server, "GET", f"runs/{run_id}/notebook")[1]
    report = request(server, "GET", f"runs/{run_id}/html")[1]
    opened = greenhouse("open", run_id, cwd=tmp_path, check=True).stdout.strip()
    server.stop()
    store = Store(tmp_path / ".greenhouse")
    objects = [p.parent.name + p.name for p in (store.root / "objects").glob("??/*")]
    places = {
        "GET runs/{id}/notebook": SECRET.encode() in executed,
        "GET runs/{id}/html": SECRET.encode() in report,
        "checkout (greenhouse open)": SECRET in Path(opened).read_text(),
        "stored objects": any(SECRET.encode() in store.get_object(d) for d in objects),
    }
    for place, leaked in places.items():
        ledger.add("secrets", f"widget state: {place}", not leaked)
    assert not any(places.values()), places
    state = json.loads(executed)["metadata"]["widgets"]
    assert "***" in json.dumps(state), state


def test_a_sweep_grid_over_the_limit_is_refused_before_it_is_built(tmp_path, servers, ledger):
    """Three axes of 210 values (9,261,000 runs, a 2.9 kB body) answer 400 at once."""
    write_notebook(tmp_path / "nb.ipynb", "a = 0\nb = 0\nc = 0", "print(a + b + c)")
    server = servers(tmp_path)
    grid = {"notebook": "nb.ipynb", "parameters": {"a": AXIS, "b": AXIS, "c": AXIS}}
    started = time.monotonic()
    status, reply = request(server, "POST", "sweeps", json.dumps(grid).encode())
    elapsed = time.monotonic() - started
    peak_kb = _peak_memory_kb(server)
    refused = status == 400 and "GreenhouseApp.max_sweep_runs" in _message(reply)
    ledger.add("sweep limit", "server: 3 x 210 grid refused", refused and elapsed < 10)
    ledger.add("sweep limit", "server: memory under 1 GiB", peak_kb < MEMORY_CEILING_KB)
    assert status == 400, reply
    assert f"{HUGE_GRID_RUNS:,} runs" in _message(reply) and "5,000" in _message(reply)
    assert refused and elapsed < 10, (elapsed, reply)
    assert peak_kb < MEMORY_CEILING_KB, peak_kb
    assert request(server, "GET", "runs")[1] == b'{"runs": []}'

    values = ",".join(map(str, AXIS))
    cli = ["sweep", "nb.ipynb", "-p", "a", values, "-p", "b", values, "-p", "c", values]
    started = time.monotonic()
    done = greenhouse(*cli, cwd=tmp_path, timeout=60)
    cli_elapsed = time.monotonic() - started
    small = greenhouse("sweep", "nb.ipynb", "-p", "a", "1,2,3", "--max-runs", "2", cwd=tmp_path)
    ledger.add("sweep limit", "CLI: 3 x 210 grid exits 2", done.returncode == 2)
    ledger.add("sweep limit", "CLI: --max-runs", small.returncode == 2)
    assert done.returncode == 2 and "--max-runs" in done.stderr, done.stderr
    assert "GREENHOUSE_MAX_SWEEP_RUNS" in done.stderr and cli_elapsed < 30
    assert small.returncode == 2 and "3 runs" in small.stderr and "limit of 2" in small.stderr


def _seed_sweep(store: Store, sweep_id: str, runs: int) -> list[str]:
    """Store ``runs`` finished runs of one sweep directly, each with its provenance."""
    ids = []
    for index in range(runs):
        run = Run(
            id=f"{index:06d}{sweep_id[:6]}",
            notebook="nb.ipynb",
            status=RunStatus.SUCCEEDED,
            parameters={"seed": index},
            created_at=f"2026-01-01T{index // 3600:02d}:{index // 60 % 60:02d}:{index % 60:02d}",
            metrics={"score": index / runs},
            sweep_id=sweep_id,
            provenance=Provenance(
                source_sha256="0" * 64,
                kernel="python3",
                python="3.12",
                packages={f"package-{n}": "1.0" for n in range(50)},
                packages_sha256="1" * 64,
                git=None,
                inputs=[],
                host="here",
                user="tester",
                greenhouse_version="0",
                papermill_version="2.7.0",
            ),
        )
        store.save_run(run)
        ids.append(run.id)
    return ids


def test_a_big_sweep_is_answered_a_page_at_a_time(tmp_path, servers, ledger):
    """``GET sweeps/{id}`` answers pages of summaries with the sweep's total; bad pages 400."""
    store = Store(tmp_path / ".greenhouse")
    ids = _seed_sweep(store, "abcdef012345", 130)
    _seed_sweep(store, "fedcba543210", 3)
    store.close()
    server = servers(tmp_path)

    def page(query: str) -> dict:
        status, reply = request(server, "GET", f"sweeps/abcdef012345{query}")
        assert status == 200, reply
        answer: dict = json.loads(reply)
        return answer

    first, last, whole = page(""), page("?offset=120&limit=50"), page("?limit=1000")
    checks = {
        "default page of 50": [r["id"] for r in first["runs"]] == ids[:50],
        "total and offset": (first["total"], first["offset"], last["offset"]) == (130, 0, 120),
        "last page": [r["id"] for r in last["runs"]] == ids[120:],
        "limit up to 1000": [r["id"] for r in whole["runs"]] == ids,
        "summaries": all("provenance" not in r for r in whole["runs"]),
        "table of the page": len(first["rows"]) == 50 and first["rows"][0][0] == ids[0],
    }
    bad = ["?limit=0", "?limit=1001", "?offset=-1", "?offset=x", "?limit=2.5"]
    answers = {query: request(server, "GET", f"sweeps/abcdef012345{query}") for query in bad}
    for name, held in checks.items():
        ledger.add("sweep pages", name, held)
    for status, _ in answers.values():
        ledger.add("sweep pages", "bad offset/limit answers 400", status == 400)
    assert checks == dict.fromkeys(checks, True), checks
    assert {query: status for query, (status, _) in answers.items()} == dict.fromkeys(bad, 400)
    assert "limit must be between 1 and 1000" in _message(answers["?limit=1001"][1])
