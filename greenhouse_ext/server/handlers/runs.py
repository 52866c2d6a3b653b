"""REST handlers about runs: parameters, starting, listing, cancelling, logs and outputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ...artefacts import render_html
from ...artefacts.gate import Condition
from ...artefacts.listing import RunFilter, list_runs, parse_since, parse_where
from ...errors import InvalidInput, NotFound
from ...execution import (
    RunLauncher,
    notebook_label,
    prepare,
    prepare_version,
    read_log,
    version_filter,
    version_parameters,
)
from ...models import Run, RunStatus
from ...parameters import ValueLimit, discover, parameter_set_with_fields, read_parameters
from ...store import Store, find_run
from .base import GreenhouseHandler
from .checks import check_text

LIST_LIMIT_DEFAULT = 50
LIST_LIMIT_MAX = 1000
CREATE_RUN_OPTIONS = {
    "parameters": "object",
    "timeout": "number",
    "timeout_run": "number",
    "kernel": "string",
    "inputs": "strings",
    "secrets": "string map",
}
# An offline report has no script to run and nothing to fetch: a sandbox with inline
# styles and embedded images is all it needs, and keeps its HTML away from the server.
REPORT_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline' data:; img-src data:; "
    "font-src data:; frame-ancestors 'self'"
)


class ParametersHandler(GreenhouseHandler):
    """``GET parameters?path=NB``: the parameters a notebook declares.

    ``GET parameters?version=REF``: those a run of a published version takes, each
    defaulting to the version's recorded value (for a schedule's or a run's form).

    ``POST parameters`` with ``{notebook, source}``: those it would declare with
    ``source`` as its parameters cell, for a form following unsaved edits.
    """

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer the notebook's or version's parameters, each with its form field."""
        path, version = self.optional_query("path"), self.optional_query("version")
        if bool(path) == bool(version):
            raise InvalidInput(
                "Give either 'path' (a notebook under the root) or 'version' "
                "(NAME, NAME@N or NAME@ALIAS), not both and not neither"
            )
        if version:
            spec = await self.with_store(version_parameters, version)
            self.reply(parameter_set_with_fields(spec))
            return
        spec = read_parameters(self.confined(path, "notebook"))
        self.reply({**parameter_set_with_fields(spec), "notebook": path})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        """Answer the parameters a notebook's parameters cell declares with the source given."""
        request = self.body(required={"notebook": "string", "source": "string"}, optional={})
        path = request["notebook"]
        self.confined(path, "notebook")
        tags = {"tags": ["parameters"]}
        cell = {"cell_type": "code", "metadata": tags, "source": request["source"]}
        spec = discover({"cells": [cell]}, path)
        self.reply({**parameter_set_with_fields(spec), "notebook": path})


class RunsHandler(GreenhouseHandler):
    """``GET runs`` lists runs; ``POST runs`` validates and starts one."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer ``{"runs": [...]}``, newest first or by ``sort``, filtered as ``greenhouse
        runs`` filters: notebook, status, user, sweep, the published version they ran
        (``from=NAME``, ``NAME@N`` or ``NAME@ALIAS``), the schedule whose occurrences
        started them (``schedule=NAME|ID``), ``since`` and ``where`` conditions
        (repeatable); ``offset`` skips that many of the runs so filtered and sorted. A run a
        schedule started names its schedule, occurrence and attempt (``occurrence``)."""
        notebook = self.optional_query("notebook")
        status = self.optional_query("status")
        path = self.confined(notebook, "notebook") if notebook else None
        since = self.optional_query("since")
        listing = Listing(
            notebook=path,
            status=_status(status) if status else None,
            user=self.optional_query("user") or None,
            sweep=self.optional_query("sweep") or None,
            source=self.optional_query("from") or None,
            schedule=self.optional_query("schedule") or None,
            since=parse_since(since) if since else None,
            where=parse_where(self._texts("where")),
            sort=self.optional_query("sort") or None,
            offset=self.int_query("offset", 0, 0),
            limit=self.int_query("limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX),
        )
        self.reply({"runs": await self.with_store(_list, listing)})

    def _texts(self, name: str) -> list[str]:
        """Every value of a repeatable query argument, checked as `optional_query` checks one."""
        texts = []
        for raw in self.request.query_arguments.get(name, []):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput(f"The query argument {name!r} is not valid UTF-8") from None
            check_text(text, f"query argument {name!r}")
            if text.strip():
                texts.append(text)
        return texts

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self) -> None:
        """Validate the run as the CLI does, start it, and answer its queued record (201).

        The body names a ``notebook`` path or a published ``version`` (``NAME@N``,
        ``NAME@ALIAS`` or ``NAME``), whose own stored notebook then runs.
        """
        fields = {"notebook": "string", "version": "string", **CREATE_RUN_OPTIONS}
        request = self.body(required={}, optional=fields)
        if (request["notebook"] is None) == (request["version"] is None):
            problem = (
                "field 'notebook' is required (a path), or field 'version' instead "
                "(NAME@N, NAME@ALIAS or NAME)"
                if request["notebook"] is None
                else "fields 'notebook' and 'version' exclude each other: give one"
            )
            raise InvalidInput(f"Invalid request: {problem}", [problem])
        limit = self.greenhouse.value_limit
        inputs = request["inputs"] or []
        if request["version"] is not None:
            # Relative to the root, a path that stays inside it stays inside any folder there.
            for item in inputs:
                self.confined(item, "input")
            run = await self.with_launcher(_start_version, request, limit)
        else:
            notebook = self.confined(request["notebook"], "notebook")
            for item in inputs:
                self.confined(item, "input", base=notebook.parent)
            run = await self.with_launcher(_start, notebook, request, inputs, limit)
        self.set_header("Location", url_path_join(self.base_url, "greenhouse/api/runs", run.id))
        self.reply(run.to_dict(), 201)


class RunHandler(GreenhouseHandler):
    """``GET runs/{id}``: one run's record, progress included."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        """Answer the record, with the schedule occurrence that started the run if one did:
        ``{id}`` is a run id, a unique prefix of one, or ``NAME@N``, ``NAME@ALIAS`` or
        ``NAME`` for the run a version was published from."""
        self.reply(await self.with_store(_record, run_id))


class CancelHandler(GreenhouseHandler):
    """``POST runs/{id}/cancel``: stop a queued or running run."""

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self, run_id: str) -> None:
        """Signal the run's process and answer its record (202: it ends ``cancelled`` soon)."""
        self.reply((await self.with_launcher(RunLauncher.cancel, run_id)).to_dict(), 202)


class LogHandler(GreenhouseHandler):
    """``GET runs/{id}/log?offset=N``: what the run's process printed, for tailing."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        """Answer ``{"text", "offset"}``; ask again from ``offset`` for more."""
        offset = self.int_query("offset", 0, 0)
        self.reply((await self.with_store(read_log, run_id, offset)).to_dict())


class NotebookHandler(GreenhouseHandler):
    """``GET runs/{id}/notebook``: the executed notebook."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        """Answer the executed notebook's JSON as stored."""
        self.finish(await self.with_store(_executed, run_id))


class ReportHandler(GreenhouseHandler):
    """``GET runs/{id}/html``: the executed notebook as an offline HTML report."""

    @property
    def content_security_policy(self) -> str:
        """A sandbox: the report's HTML comes from a notebook, not from the server."""
        return REPORT_POLICY

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        """Render the report (in a worker thread) and answer it as HTML."""
        run = await self.with_store(find_run, run_id)
        notebook = json.loads(await self.with_store(Store.get_object, _output(run)))
        html = await self.off_loop(render_html, notebook, run=run)
        self.finish(html, set_content_type="text/html; charset=UTF-8")


@dataclass(frozen=True)
class Listing:
    """What ``GET runs`` asked for: the filters, the sort and the page."""

    notebook: Path | None
    status: RunStatus | None
    user: str | None
    sweep: str | None
    source: str | None
    schedule: str | None
    since: str | None
    where: tuple[Condition, ...]
    sort: str | None
    offset: int
    limit: int


def _record(store: Store, ref: str) -> dict[str, Any]:
    """The record of the run ``ref`` names, with the occurrence that started it if any."""
    run = find_run(store, ref)
    return run.to_dict(store.occurrence_of_run(run.id))


def _list(store: Store, listing: Listing) -> list[dict[str, Any]]:
    """The summaries of the page of runs ``listing`` asks for, filtered and sorted as
    ``greenhouse runs`` does, each with the occurrence that started it if any."""
    wanted = RunFilter(
        notebook=notebook_label(listing.notebook, store.root.parent) if listing.notebook else None,
        status=listing.status,
        user=listing.user,
        sweep=listing.sweep,
        from_version=version_filter(store, listing.source) if listing.source else None,
        schedule=store.get_schedule(listing.schedule).id if listing.schedule else None,
        since=listing.since,
        where=listing.where,
    )
    runs = list_runs(store, wanted, listing.limit, listing.sort, listing.offset)
    occurrences = store.occurrences_of_runs([run.id for run in runs])
    return [run.to_summary(occurrence=occurrences.get(run.id)) for run in runs]


def _executed(store: Store, run_id: str) -> bytes:
    """The bytes of the run's executed notebook."""
    return store.get_object(_output(find_run(store, run_id)))


def _start(
    launcher: RunLauncher,
    notebook: Path,
    request: dict[str, Any],
    inputs: list[str],
    limit: ValueLimit,
) -> Run:
    """Check everything about the run before starting it, as ``greenhouse run`` does."""
    job = prepare(
        notebook,
        request["parameters"] or {},
        text_values=request["secrets"],
        kernel=request["kernel"],
        timeout=request["timeout"],
        timeout_run=request["timeout_run"],
        inputs=inputs,
        project_root=launcher.store.root.parent,
        value_limit=limit,
    )
    return launcher.launch(job)


def _start_version(launcher: RunLauncher, request: dict[str, Any], limit: ValueLimit) -> Run:
    """Check everything about running a published version, then start it."""
    job = prepare_version(
        launcher.store,
        request["version"],
        request["parameters"] or {},
        text_values=request["secrets"],
        kernel=request["kernel"],
        timeout=request["timeout"],
        timeout_run=request["timeout_run"],
        inputs=request["inputs"] or [],
        value_limit=limit,
    )
    return launcher.launch(job)


def _status(text: str) -> RunStatus:
    try:
        return RunStatus(text)
    except ValueError:
        known = ", ".join(s.value for s in RunStatus)
        raise InvalidInput(f"status must be one of {known}, got {text!r}") from None


def _output(run: Run) -> str:
    if run.output_object is None:
        raise NotFound(f"Run {run.id} has no executed notebook (it is {run.status.value})")
    return run.output_object
