"""Thin REST handlers of the greenhouse API; errors are translated to HTTP once, here."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.httputil import responses

from ._version import __version__
from .errors import GreenhouseError

if TYPE_CHECKING:
    from types import TracebackType

    from .app import GreenhouseApp


class GreenhouseHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every greenhouse handler.

    It reaches the server's configuration and services through `greenhouse` (the
    `GreenhouseApp`), and answers every error as JSON ``{"message", "problems"}``: a
    `GreenhouseError` with its own ``http_status`` (400, 404, 409, 500), a tornado
    `HTTPError` (such as a refused login) with its status, anything else with 500.
    """

    @property
    def greenhouse(self) -> GreenhouseApp:
        """The extension application holding the configuration and services."""
        return cast("GreenhouseApp", self.extensionapp)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer the error that ended the request with the API's JSON error body."""
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        status_code, body = error_reply(status_code, error)
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Log a caller's mistake in one line; keep the traceback for server faults."""
        if isinstance(value, GreenhouseError) and value.http_status < 500:
            self.log.warning("%s %s: %s", self.request.method, self.request.path, value.message)
        else:
            super().log_exception(typ, value, tb)


def error_reply(status_code: int, error: BaseException | None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body that answer an error.

    Parameters
    ----------
    status_code : int
        The status tornado chose: the `HTTPError`'s own, otherwise 500.
    error : BaseException or None
        The exception that ended the request, if one did.

    Returns
    -------
    tuple of (int, dict)
        The status to send and the body ``{"message": str, "problems": list of str}``.
    """
    if isinstance(error, GreenhouseError):
        return error.http_status, {"message": error.message, "problems": error.problems}
    message = responses.get(status_code, "Unknown HTTP Error")
    if isinstance(error, tornado.web.HTTPError):
        if error.log_message:
            message = error.log_message % error.args if error.args else error.log_message
    elif error is not None:
        message = f"Unhandled error: {type(error).__name__}: {error}"
    return status_code, {"message": message, "problems": []}


class VersionHandler(GreenhouseHandler):
    """``GET /greenhouse/api/version``: the package version and the store in use."""

    @tornado.web.authenticated
    def get(self) -> None:
        """Answer ``{"version": ..., "store": ...}``."""
        self.finish({"version": __version__, "store": self.greenhouse.store_path})
