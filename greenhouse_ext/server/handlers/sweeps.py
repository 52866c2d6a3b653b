"""REST handlers about sweeps: starting one, its runs and results table, cancelling it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ...errors import InvalidInput
from ...execution import RunLauncher, check_retries, plan_sweep, results_table, sweep_runs
from ...parameters import ParameterPoint, product_of_values, read_grid
from ...store import Store
from .base import GreenhouseHandler

CREATE_SWEEP_OPTIONS = {
    "parameters": "object",
    "runs": "objects",
    "timeout": "number",
    "timeout_run": "number",
    "kernel": "string",
    "workers": "integer",
    "retries": "integer",
}
WORKERS_DEFAULT = 2
WORKERS_MAX = 64


class SweepsHandler(GreenhouseHandler):
    """``POST sweeps``: validate every parameter set, then start the sweep."""

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self) -> None:
        """Answer the new sweep (201); its runs appear in the store as they finish."""
        request = self.body(required={"notebook": "string"}, optional=CREATE_SWEEP_OPTIONS)
        notebook = self.confined(request["notebook"], "notebook")
        sweep = await self.off_loop(_start, self.store, self.launcher, notebook, request)
        location = url_path_join(self.base_url, "greenhouse/api/sweeps", sweep["id"])
        self.set_header("Location", location)
        self.reply({**sweep, "notebook": request["notebook"]}, 201)


class SweepHandler(GreenhouseHandler):
    """``GET sweeps/{id}``: a sweep's runs so far and its results table."""

    @tornado.web.authenticated
    @authorized
    async def get(self, sweep_id: str) -> None:
        """Answer ``{id, active, runs, columns, rows}``; 404 for a sweep with no runs."""
        active = self.launcher.sweep_active(sweep_id)
        if active:
            runs = self.store.list_runs(sweep=sweep_id)[::-1]
        else:
            runs = sweep_runs(self.store, sweep_id)
        columns, rows = results_table(runs)
        self.reply(
            {
                "id": sweep_id,
                "active": active,
                "runs": [run.to_dict() for run in runs],
                "columns": columns,
                "rows": rows,
            }
        )


class SweepCancelHandler(GreenhouseHandler):
    """``POST sweeps/{id}/cancel``: cancel a running sweep this server started."""

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self, sweep_id: str) -> None:
        """Ask the sweep's process to stop (202): its runs end ``cancelled`` or not started."""
        self.launcher.cancel_sweep(sweep_id)
        self.reply({"id": sweep_id, "active": True}, 202)


def _points(request: dict[str, Any]) -> list[ParameterPoint]:
    """The parameter sets of a request: a product of ``parameters`` or a list of ``runs``."""
    if (request["parameters"] is None) == (request["runs"] is None):
        raise InvalidInput(
            "Give the sweep's values either as parameters (each name with a list of values, "
            "run as every combination) or as runs (a list of parameter sets)"
        )
    if request["parameters"] is not None:
        return product_of_values(request["parameters"])
    return read_grid({"runs": request["runs"]}, "runs")


def _start(
    store: Store, launcher: RunLauncher, notebook: Path, request: dict[str, Any]
) -> dict[str, Any]:
    workers = WORKERS_DEFAULT if request["workers"] is None else request["workers"]
    retries = 0 if request["retries"] is None else request["retries"]
    if not 1 <= workers <= WORKERS_MAX:
        raise InvalidInput(f"workers must be between 1 and {WORKERS_MAX}, got {workers}")
    check_retries(retries)
    plan = plan_sweep(
        notebook,
        _points(request),
        kernel=request["kernel"],
        timeout=request["timeout"],
        timeout_run=request["timeout_run"],
        project_root=store.root.parent,
    )
    launcher.launch_sweep(plan, workers, retries)
    return {"id": plan.id, "active": True, "size": len(plan.tasks)}
