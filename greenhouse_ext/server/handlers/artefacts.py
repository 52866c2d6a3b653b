"""REST handlers about publishing: publish, artefacts, versions, aliases, verify."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...artefacts import alias_history, publish, remove_alias, set_alias, verify
from ...errors import InvalidInput
from ...store import Store, check_name, find_name
from .base import GreenhouseHandler


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
        await self.with_store(find_name, name)
        versions = await self.with_store(Store.list_versions, name)
        self.reply({"name": name, "versions": [v.to_dict() for v in versions]})


class AliasHandler(GreenhouseHandler):
    """``PUT|DELETE artefacts/{name}/aliases/{alias}``: move or remove an alias, recorded."""

    @tornado.web.authenticated
    @authorized
    async def put(self, name: str, alias: str) -> None:
        """Move the alias (``{version, reason?}``); answer the version and the change.

        ``change`` is null when the alias already pointed at that version.
        """
        request = self.body(required={"version": "integer"}, optional={"reason": "string"})
        number = request["version"]
        if number < 1:
            raise InvalidInput(f"field 'version' must be 1 or more, got {number}")
        version, change = await self.with_store(
            set_alias, f"{check_name(name)}@{number}", alias, None, request["reason"]
        )
        self.reply({**version.to_dict(), "change": change and change.to_dict()})

    @tornado.web.authenticated
    @authorized
    async def delete(self, name: str, alias: str) -> None:
        """Remove the alias (``?reason=`` kept with it); answer the recorded change."""
        reason = self.optional_query("reason") or None
        event = await self.with_store(remove_alias, name, alias, reason)
        self.reply(event.to_dict())


class AliasHistoryHandler(GreenhouseHandler):
    """``GET artefacts/{name}/alias-history``: every change of a name's aliases."""

    @tornado.web.authenticated
    @authorized(action="read")
    async def get(self, name: str) -> None:
        """Answer the events, oldest first, and where each alias points now."""
        self.reply((await self.with_store(alias_history, name)).to_dict())


class VerifyHandler(GreenhouseHandler):
    """``POST verify {ref}``: recompute the sha256 of every file of a version."""

    @tornado.web.authenticated
    @authorized(action="read")
    async def post(self) -> None:
        """Answer the check: ``ok`` and the files that are missing or changed."""
        ref = self.body(required={"ref": "string"})["ref"]
        self.reply((await self.with_store(verify, ref)).to_dict())
