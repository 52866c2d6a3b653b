"""A secret parameter's bytes appear nowhere greenhouse writes: not under the store, not in
published copies, not in the server's log; after cells that print, log, display and raise it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from faults import request
from notebooks import write_notebook

from greenhouse_ext.store import Store

SECRET = "s3cr3t-ZX81-tok"
PARAMETERS = 'api_token = ""  # | secret\nfail = False'
LEAKS = (
    "import logging, sys\n"
    "from IPython.display import display\n"
    "print('token', api_token)\n"
    "sys.stderr.write(api_token + '\\n')\n"
    "logging.getLogger('leak').warning('logged %s', api_token)\n"
    "display({'token': api_token})\n"
    "display(api_token)\n"
    "from greenhouse_ext import record\n"
    "record('echo', api_token)\n"
    "if fail:\n"
    "    raise ValueError(f'bad token {api_token}')"
)


def greenhouse(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", *args],
        cwd=cwd,
        capture_output=True,
        timeout=180,
        env=env,
        check=False,
    )


def holding(folder: Path, needle: bytes) -> list[str]:
    """The files under ``folder`` whose bytes hold ``needle``."""
    return [
        str(path.relative_to(folder))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and needle in path.read_bytes()
    ]


def stored_objects_holding(store: Store, needle: bytes) -> list[str]:
    """The store's objects whose content, as the store reads it back, holds ``needle``."""
    digests = [p.parent.name + p.name for p in (store.root / "objects").glob("??/*")]
    return [d for d in digests if needle in store.get_object(d)]


def test_a_secret_appears_nowhere_greenhouse_writes(tmp_path, servers, ledger):
    write_notebook(tmp_path / "leaky.ipynb", PARAMETERS, LEAKS)
    cli_runs = [
        greenhouse(
            "run",
            "leaky.ipynb",
            "-p",
            "api_token",
            SECRET,
            "-p",
            "fail",
            fail,
            "--log-output",
            cwd=tmp_path,
        )
        for fail in ("false", "true")
    ]
    assert [done.returncode for done in cli_runs] == [0, 1]
    server = servers(tmp_path)
    body = json.dumps({"notebook": "leaky.ipynb", "parameters": {"api_token": SECRET}})
    status, reply = request(server, "POST", "runs", body.encode())
    assert status == 201, reply
    run_id = json.loads(reply)["id"]
    deadline = time.monotonic() + 120
    while json.loads(request(server, "GET", f"runs/{run_id}")[1])["status"] != "succeeded":
        assert time.monotonic() < deadline, "the server's run did not succeed"
        time.sleep(0.3)
    for path in (f"runs/{run_id}", f"runs/{run_id}/log", f"runs/{run_id}/notebook", "runs"):
        assert SECRET.encode() not in request(server, "GET", path)[1], path
    assert greenhouse("publish", run_id, "--name", "leaky", cwd=tmp_path).returncode == 0
    copy = tmp_path / "copy"
    assert greenhouse("get", "leaky@1", "--out", str(copy), cwd=tmp_path).returncode == 0
    shared = tmp_path / "shared"
    pushed = greenhouse("push", "leaky@1", "--to", shared.as_uri(), cwd=tmp_path)
    assert pushed.returncode == 0, pushed.stderr
    server.stop()

    needle = SECRET.encode()
    places = {
        "store files": holding(tmp_path / ".greenhouse", needle),
        "stored objects, read back": stored_objects_holding(
            Store(tmp_path / ".greenhouse"), needle
        ),
        "published copy (get)": holding(copy, needle),
        "published copy (push)": holding(shared, needle),
        "server log": holding(server.log.parent, needle),
        "terminal (--log-output)": [
            str(i) for i, done in enumerate(cli_runs) if needle in done.stdout + done.stderr
        ],
    }
    for place, found in places.items():
        ledger.add("secrets", place, not found)
    assert not any(places.values()), places
    executed = json.loads((copy / "notebook.ipynb").read_text())
    shown = json.dumps(executed)
    assert "token ***" in shown and "logged ***" in shown
