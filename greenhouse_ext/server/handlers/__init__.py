"""Thin REST handlers of the greenhouse API: check the request, call the core, answer JSON."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..._version import __version__
from .base import GreenhouseHandler, error_reply

__all__ = ["GreenhouseHandler", "VersionHandler", "error_reply"]


class VersionHandler(GreenhouseHandler):
    """``GET version``: the package version and the store in use."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer ``{"version": ..., "store": ...}``."""
        self.reply({"version": __version__, "store": self.greenhouse.store_path})
