"""REST handlers about comparing and publishing: diff, versions, aliases, verify, reproduce."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ..diff import compare
from ..errors import InvalidInput, NotFound
from ..launcher import RunLauncher
from ..publish import publish, set_alias, verify
from ..refs import check_name, resolve
from ..reproduce import reproduction_of
from ..store import Store
from .base import GreenhouseHandler


class DiffHandler(GreenhouseHandler):
    """``GET diff?a=REF&b=REF``: compare two runs, versions or notebook files."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer the diff (as ``greenhouse diff --json``) plus ``base``, nbdime's base."""
        a = self.confined_ref(self.query("a"))
        b = self.confined_ref(self.query("b"))
        self.reply(await self.with_store(_diff, a, b, self.greenhouse.root))


class PublishHandler(GreenhouseHandler):
    """``POST publish {run, name, aliases?}``: make a succeeded run the next version."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        """Publish (in a worker thread: it renders the report) and answer the version (201)."""
        request = self.body(
            required={"run": "string", "name": "string"}, optional={"aliases": "strings"}
        )
        version = await self.with_store(
            publish, request["run"], request["name"], request["aliases"] or []
        )
        self.reply(version.to_dict(), 201)


class ArtefactsHandler(GreenhouseHandler):
    """``GET artefacts``: the names something is published as."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer ``{"names": [...]}``, sorted."""
        self.reply({"names": await self.with_store(Store.artefact_names)})


class VersionsHandler(GreenhouseHandler):
    """``GET artefacts/{name}/versions``: every version of a name, oldest first."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        """Answer ``{"name", "versions": [...]}``; 404 when nothing is published as ``name``."""
        versions = await self.with_store(Store.list_versions, check_name(name))
        if not versions:
            raise NotFound(f"Nothing is published as {name!r}")
        self.reply({"name": name, "versions": [v.to_dict() for v in versions]})


class AliasHandler(GreenhouseHandler):
    """``PUT artefacts/{name}/aliases/{alias} {version}``: point an alias at a version."""

    @tornado.web.authenticated
    @authorized
    async def put(self, name: str, alias: str) -> None:
        """Move the alias and answer the version it now points at."""
        number = self.body(required={"version": "integer"})["version"]
        if number < 1:
            raise InvalidInput(f"field 'version' must be 1 or more, got {number}")
        version = await self.with_store(set_alias, f"{check_name(name)}@{number}", alias)
        self.reply(version.to_dict())


class VerifyHandler(GreenhouseHandler):
    """``POST verify {ref}``: recompute the sha256 of every file of a version."""

    @tornado.web.authenticated
    @authorized(action="read")
    async def post(self) -> None:
        """Answer the check: ``ok`` and the files that are missing or changed."""
        ref = self.body(required={"ref": "string"})["ref"]
        self.reply((await self.with_store(verify, ref)).to_dict())


class ReproduceHandler(GreenhouseHandler):
    """``POST reproduce {ref, secrets?}``: start re-running a recorded run."""

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self) -> None:
        """Check the request, start the re-run like any run and answer its record (202).

        The re-run has a log, progress and cancel like any run; once it has finished,
        ``GET runs/{id}/reproduction`` answers the comparison.
        """
        request = self.body(required={"ref": "string"}, optional={"secrets": "string map"})
        ref = self.confined_ref(request["ref"])
        secrets = request["secrets"] or {}
        rerun = await self.with_launcher(RunLauncher.reproduce, ref, secrets, self.greenhouse.root)
        self.set_header("Location", url_path_join(self.base_url, "greenhouse/api/runs", rerun.id))
        self.reply(rerun.to_dict(), 202)


class ReproductionHandler(GreenhouseHandler):
    """``GET runs/{id}/reproduction``: the comparison a finished re-run recorded."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        """Answer the verdict and its evidence; 409 while the re-run has not finished."""
        self.reply(await self.with_store(reproduction_of, run_id))


def _diff(store: Store, a: str, b: str, base: Path) -> dict[str, Any]:
    """Resolve both references from ``base`` and compare them, with nbdime's base notebook."""
    comparison = compare(resolve(store, a, base), resolve(store, b, base))
    return {**comparison.to_dict(), "base": comparison.base}
