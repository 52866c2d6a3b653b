"""REST handlers about sweeps: starting one, its runs and results table, cancelling it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ...errors import InvalidInput
from ...execution import (
    RunLauncher,
    check_retries,
    declared_parameters,
    plan_sweep,
    results_table,
    sweep_page,
)
from ...parameters import GridLimit, ParameterPoint, product_of_values, read_grid
from ...store import Store, find_sweep
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
PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 1000


class SweepsHandler(GreenhouseHandler):
    """``POST sweeps``: validate every parameter set, then start the sweep."""

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self) -> None:
        """Answer the new sweep (201); its runs appear in the store as they finish."""
        request = self.body(required={"notebook": "string"}, optional=CREATE_SWEEP_OPTIONS)
        notebook = self.confined(request["notebook"], "notebook")
        limit = self.greenhouse.grid_limit
        sweep = await self.off_loop(_start, self.store, self.launcher, notebook, request, limit)
        location = url_path_join(self.base_url, "greenhouse/api/sweeps", sweep["id"])
        self.set_header("Location", location)
        self.reply({**sweep, "notebook": request["notebook"]}, 201)


class SweepHandler(GreenhouseHandler):
    """``GET sweeps/{id}?offset=N&limit=M``: a page of a sweep's runs and its results table."""

    @tornado.web.authenticated
    @authorized
    async def get(self, sweep_id: str) -> None:
        """Answer ``{id, active, total, offset, runs, columns, rows}`` for one page of runs.

        The runs (summaries, as ``GET runs`` lists them) are oldest first, ``limit`` of them
        (default 50, at most 1000) from ``offset``; ``total`` counts them all. 404 for a
        sweep with no runs that is not running.
        """
        offset = self.int_query("offset", 0, 0)
        limit = self.int_query("limit", PAGE_LIMIT_DEFAULT, 1, PAGE_LIMIT_MAX)
        active = self.launcher.sweep_active(sweep_id)
        self.reply(await self.with_store(_page, sweep_id, offset, limit, active))


class SweepCancelHandler(GreenhouseHandler):
    """``POST sweeps/{id}/cancel``: cancel a running sweep this server started."""

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self, sweep_id: str) -> None:
        """Ask the sweep's process to stop (202): its runs end ``cancelled`` or not started."""
        self.launcher.cancel_sweep(sweep_id)
        self.reply({"id": sweep_id, "active": True}, 202)


def _page(store: Store, sweep_id: str, offset: int, limit: int, active: bool) -> dict[str, Any]:
    """One page of a sweep's runs, with its results table and the count of all its runs."""
    if not active:
        sweep_id = find_sweep(store, sweep_id)
    total, runs = sweep_page(store, sweep_id, offset, limit, active=active)
    columns, rows = results_table(runs)
    return {
        "id": sweep_id,
        "active": active,
        "total": total,
        "offset": offset,
        "runs": [run.to_summary() for run in runs],
        "columns": columns,
        "rows": rows,
    }


def _points(notebook: Path, request: dict[str, Any], limit: GridLimit) -> list[ParameterPoint]:
    """The parameter sets of a request: a product of ``parameters`` or a list of ``runs``.

    The sets are counted against ``limit`` before any is built, and the notebook's
    parameters say which values the messages about them must not show.
    """
    if (request["parameters"] is None) == (request["runs"] is None):
        raise InvalidInput(
            "Give the sweep's values either as parameters (each name with a list of values, "
            "run as every combination) or as runs (a list of parameter sets)"
        )
    spec = declared_parameters(notebook)
    if request["parameters"] is not None:
        return product_of_values(request["parameters"], spec, limit)
    return read_grid({"runs": request["runs"]}, "runs", spec, limit)


def _start(
    store: Store,
    launcher: RunLauncher,
    notebook: Path,
    request: dict[str, Any],
    limit: GridLimit,
) -> dict[str, Any]:
    workers = WORKERS_DEFAULT if request["workers"] is None else request["workers"]
    retries = 0 if request["retries"] is None else request["retries"]
    if not 1 <= workers <= WORKERS_MAX:
        raise InvalidInput(f"workers must be between 1 and {WORKERS_MAX}, got {workers}")
    check_retries(retries)
    plan = plan_sweep(
        notebook,
        _points(notebook, request, limit),
        kernel=request["kernel"],
        timeout=request["timeout"],
        timeout_run=request["timeout_run"],
        project_root=store.root.parent,
    )
    launcher.launch_sweep(plan, workers, retries)
    return {"id": plan.id, "active": True, "size": len(plan.tasks)}
