"""A scheduler's runs in real processes: kill -9 and take-over, retries, invalid input,
and alerts delivered to a real webhook (and a dead one) while the scheduler goes on."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from notebooks import write_notebook
from schedulers import greenhouse, logs, occurrences, project, schedulers

from greenhouse_ext.models import RunStatus
from greenhouse_ext.store import Store

DEADLINE_S = 150.0


@pytest.fixture
def webhook() -> Iterator[tuple[int, list[Any]]]:
    """A real HTTP server on localhost: its port and the JSON bodies it received."""
    received: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], received
    server.shutdown()
    server.server_close()


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(folder: Path, condition: Any, what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        found = [o for o in occurrences(folder) if condition(o)]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no occurrence {what} within {DEADLINE_S} s\n{logs(folder)}")


def test_a_killed_schedulers_occurrence_is_taken_over_and_retried(tmp_path: Path) -> None:
    folder = project(tmp_path, "import time\ntime.sleep(8)")
    greenhouse(
        folder, "schedule", "add", "nb.ipynb", "--every", "1d", "--retries", "1",
        "--retry-delay", "0", "--name", "slow",
    )  # fmt: skip
    greenhouse(folder, "schedule", "trigger", "slow")
    with schedulers(folder, 1, "--lease", "3") as (first,):
        wait_for(folder, lambda o: o.status == "running", "running")
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        with schedulers(folder, 1, "--lease", "3"):
            done = wait_for(folder, lambda o: o.status == "succeeded", "succeeded")
    store = Store(folder / ".greenhouse")
    try:
        attempts = store.attempts_of([done.id])[done.id]
        statuses = [store.get_run(a.run_id).status for a in attempts]
    finally:
        store.close()
    assert [a.number for a in attempts] == [1, 2]
    assert statuses == [RunStatus.INTERRUPTED, RunStatus.SUCCEEDED]
    assert attempts[0].scheduler_id != attempts[1].scheduler_id
    assert "took over" in logs(folder)


def test_retries_invalid_input_and_alerts(tmp_path: Path, webhook: tuple[int, list[Any]]) -> None:
    port, received = webhook
    folder = project(
        tmp_path,
        "from pathlib import Path\n"
        f"marker = Path({str(tmp_path / 'tries')!r})\n"
        "marker.write_text(marker.read_text() + 'x' if marker.exists() else 'x')\n"
        "assert len(marker.read_text()) >= 3, 'not yet'",
    )
    hook = f"json://127.0.0.1:{port}/hook"
    write_notebook(folder / "other.ipynb", "x = 1  # int", "y = x + 1")
    greenhouse(
        folder, "schedule", "add", "nb.ipynb", "--every", "1d", "--name", "flaky",
        "--retries", "3", "--retry-delay", "0.5", "--notify", hook, "--notify-on", "success",
    )  # fmt: skip
    greenhouse(
        folder, "schedule", "add", "other.ipynb", "--every", "1d", "--name", "broken",
        "-p", "x", "5", "--retries", "3", "--notify", hook,
        "--notify", f"json://127.0.0.1:{dead_port()}/gone",
    )  # fmt: skip
    # The notebook changes so that the stored value no longer fits: invalid input.
    write_notebook(folder / "other.ipynb", "z = 1  # int", "y = z + 1")
    for name in ("flaky", "broken"):
        greenhouse(folder, "schedule", "trigger", name)
    greenhouse(folder, "scheduler", "--once", "--tick", "0.3")
    flaky = json.loads(greenhouse(folder, "schedule", "show", "flaky", "--json"))
    broken = json.loads(greenhouse(folder, "schedule", "show", "broken", "--json"))
    (occurrence,) = flaky["occurrences"]
    assert occurrence["status"] == "succeeded"
    assert [a["number"] for a in occurrence["attempts"]] == [1, 2, 3]
    (failed,) = broken["occurrences"]
    assert failed["status"] == "failed" and failed["attempts"] == []
    assert "could not start" in failed["reason"] and "'x' is not a parameter" in failed["reason"]
    deliveries = {d["channel"]: d for d in failed["deliveries"]}
    assert deliveries[hook]["delivered"] is True
    assert [d["delivered"] for c, d in deliveries.items() if c != hook] == [False]
    assert occurrence["deliveries"][0]["event"] == "success"
    alerts = {body["alert"]["schedule"]: body["alert"] for body in received}
    assert alerts["flaky"]["outcome"] == "succeeded" and alerts["flaky"]["attempt"] == 3
    assert alerts["flaky"]["run_id"] == occurrence["attempts"][-1]["run_id"]
    assert alerts["broken"]["event"] == "failure"
    assert "'x' is not a parameter" in alerts["broken"]["reason"]
