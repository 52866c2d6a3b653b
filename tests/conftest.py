"""Shared pytest set-up: pytest-jupyter's Jupyter Server fixtures (jp_fetch, jp_serverapp)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext import __version__
from greenhouse_ext.models import Execution, Provenance, Run, RunStatus, new_run_id, now
from greenhouse_ext.server.app import GreenhouseApp
from greenhouse_ext.store import Store, host

pytest_plugins = ["pytest_jupyter.jupyter_server", "published", "faults", "services"]

RUN_DEADLINE_S = 120.0
"""How long a test waits for a real run: the machine is small and shared."""


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}}}


@pytest.fixture
def greenhouse(jp_serverapp: Any) -> GreenhouseApp:
    """The running server's greenhouse extension."""
    (app,) = jp_serverapp.extension_manager.extension_apps["greenhouse_ext"]
    assert isinstance(app, GreenhouseApp)
    return app


@dataclass
class Reply:
    """One answer of the API."""

    code: int
    body: bytes
    headers: Any

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Api = Callable[..., Awaitable[Reply]]


@pytest.fixture
def api(jp_fetch: Any, greenhouse: GreenhouseApp) -> Iterator[Api]:
    """Call ``/greenhouse/api/PATH``; answers are returned whatever their status.

    Run processes the test left going are killed when it ends.
    """

    async def call(
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if isinstance(body, bytes):
            payload: bytes | None = body
        elif body is not None:
            payload = json.dumps(body).encode()
        else:
            payload = b"" if method in {"POST", "PUT"} else None
        response = await jp_fetch(
            "greenhouse",
            "api",
            *path.split("/"),
            method=method,
            body=payload,
            params=params,
            headers=headers,
            raise_error=False,
            request_timeout=RUN_DEADLINE_S,
        )
        return Reply(response.code, response.body, response.headers)

    yield call
    stop_runs(greenhouse)


def stop_runs(app: GreenhouseApp) -> None:
    """Kill the process groups of the unfinished runs the server started."""
    if not os.path.isdir(app.store_path):
        return
    for run in app.store.list_runs():
        if run.status.finished or run.pid is None:
            continue
        with contextlib.suppress(OSError):
            arguments = Path(f"/proc/{run.pid}/cmdline").read_bytes().split(b"\0")
            if f"--run-id={run.id}".encode() in arguments:
                os.killpg(run.pid, signal.SIGKILL)


async def wait_for_run(
    api: Api, run_id: str, until: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """Poll ``GET runs/{id}`` until ``until(record)`` holds (default: the run has finished)."""
    done = until or (lambda record: record["status"] not in {"queued", "running"})
    deadline = time.monotonic() + RUN_DEADLINE_S
    while True:
        reply = await api("GET", f"runs/{run_id}")
        assert reply.code == 200, reply.body
        if done(reply.json):
            return dict(reply.json)
        assert time.monotonic() < deadline, f"run {run_id} is still {reply.json['status']}"
        await asyncio.sleep(0.3)


async def wait_for_sweep(api: Api, sweep_id: str) -> dict[str, Any]:
    """Poll ``GET sweeps/{id}`` until the sweep's process has ended."""
    deadline = time.monotonic() + RUN_DEADLINE_S
    while True:
        reply = await api("GET", f"sweeps/{sweep_id}")
        if reply.code == 200 and not reply.json["active"]:
            return dict(reply.json)
        assert reply.code in {200, 404}, reply.body
        assert time.monotonic() < deadline, f"sweep {sweep_id} is still running"
        await asyncio.sleep(0.3)


@pytest.fixture
def seed_run() -> Callable[..., Run]:
    """Store a finished run of a notebook file without executing it (fast and exact).

    The "executed" notebook is the file itself (none when ``executed`` is false);
    provenance is filled in as a real run's. Runs seeded one after another get strictly
    increasing creation times (timestamps have millisecond resolution), so their order is
    the order of the calls.
    """
    latest = [""]

    def seed(
        store: Store,
        notebook: Path,
        status: RunStatus = RunStatus.SUCCEEDED,
        parameters: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        executed: bool = True,
        sweep_id: str | None = None,
    ) -> Run:
        source = notebook.read_bytes()
        packages = {"greenhouse-ext": __version__}
        while (created_at := now()) <= latest[0]:
            time.sleep(0.001)
        latest[0] = created_at
        run = Run(
            id=new_run_id(),
            notebook=notebook.resolve().relative_to(store.root.parent).as_posix(),
            status=status,
            parameters=parameters or {},
            created_at=created_at,
            metrics=metrics or {},
            started_at=now(),
            finished_at=now(),
            duration_s=0.5,
            sweep_id=sweep_id,
            provenance=Provenance(
                source_sha256=hashlib.sha256(source).hexdigest(),
                kernel="python3",
                python="3.11.9",
                packages=packages,
                packages_sha256=hashlib.sha256(json.dumps(packages).encode()).hexdigest(),
                git=None,
                inputs=[],
                host=host(),
                user="tester",
                greenhouse_version=__version__,
                papermill_version="2.7.0",
            ),
        )
        output = source if executed else None
        return store.save_execution(Execution(run=run, source=source, output=output))

    return seed
