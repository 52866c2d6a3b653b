"""The one base class of the REST handlers: services, request checks, errors as JSON."""

from __future__ import annotations

import asyncio
import functools
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.httputil import responses

from ...errors import GreenhouseError, InvalidInput, NotFound
from ...notebooks import names_notebook
from .checks import check_body, check_fields, check_text, option_as_field

if TYPE_CHECKING:
    from types import TracebackType

    from ...execution import RunLauncher
    from ...store import Store
    from ..services import Services

T = TypeVar("T")


class GreenhouseHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every greenhouse handler.

    It reaches the server's configuration and services through `greenhouse` (the
    extension application, seen as `Services`), checks requests (body fields, paths
    confined to the server's root), and answers every error as JSON ``{"message", "problems"}``: a
    `GreenhouseError` with its own ``http_status`` (400, 404, 409, 500), a tornado
    `HTTPError` (such as a refused login) with its status, anything else with 500.
    """

    auth_resource = "greenhouse"
    names_fields = False
    """Whether a 400's message names request fields where the core named command-line
    options (``--max-concurrent`` becomes ``max_concurrent``): set by handlers whose body
    fields are the options of a command."""

    @property
    def greenhouse(self) -> Services:
        """The extension application holding the configuration and services."""
        return cast("Services", self.extensionapp)

    @property
    def store(self) -> Store:
        """The server's greenhouse store."""
        return self.greenhouse.store

    @property
    def launcher(self) -> RunLauncher:
        """What starts and cancels the server's runs."""
        return self.greenhouse.launcher

    async def prepare(self) -> None:  # type: ignore[override]
        """Refuse, before any handler code, URL parts with control characters and bodies
        over the size or JSON nesting limits of the server's settings."""
        await super().prepare()
        for part in self.path_args:
            check_text(part, "URL path segment")
        limits = self.greenhouse
        check_body(self.request.body, limits.max_body_bytes, limits.max_json_depth)

    def reply(self, data: Any, status: int = 200) -> None:
        """Answer ``data`` as JSON with ``status``."""
        self.set_status(status)
        self.finish(json.dumps(data))

    def body(
        self, required: Mapping[str, str], optional: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The request's JSON object, checked by `check_fields`."""
        try:
            data = json.loads(self.request.body or b"null")
        except ValueError as exc:
            raise InvalidInput(f"The request body is not valid JSON: {exc}") from None
        return check_fields(data, required, optional or {})

    def query(self, name: str) -> str:
        """A required query argument; InvalidInput names it when it is missing or empty."""
        value = self.optional_query(name)
        if not value:
            raise InvalidInput(f"The query argument {name!r} is required")
        return value

    def optional_query(self, name: str) -> str:
        """A query argument as sent (empty when absent).

        Tornado's own reading turns control characters into spaces, so a NUL byte in a
        path would quietly name another file; here it is refused instead.
        """
        raw = self.request.query_arguments.get(name)
        if not raw:
            return ""
        try:
            value = raw[-1].decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"The query argument {name!r} is not valid UTF-8") from None
        check_text(value, f"query argument {name!r}")
        return value

    def int_query(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        """An optional integer query argument within ``[minimum, maximum]``."""
        text = self.optional_query(name)
        if not text:
            return default
        try:
            value = int(text)
        except ValueError:
            raise InvalidInput(f"{name} must be an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise InvalidInput(f"{name} must be {bounds}, got {value}")
        return value

    def confined(self, path: str, what: str, base: Path | None = None) -> Path:
        """The real path of ``path``, which must stay inside the server's root.

        See `confine`; ``base`` is the folder ``path`` is relative to (default: the root).
        """
        return confine(self.greenhouse.root, path, what, base)

    def confined_ref(self, ref: str) -> str:
        """``ref`` unchanged, after checking that a reference naming a file stays in the root.

        A reference is read as a file when it ends like a notebook or names something
        that exists under the root (`greenhouse_ext.store.refs.resolve` does the same), and
        an absolute one is refused outright, so nothing outside the root is ever read.
        """
        root = self.greenhouse.root
        if names_notebook(ref) or os.path.isabs(ref) or os.path.lexists(root / ref):
            self.confined(ref, "reference")
        return ref

    async def off_loop(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``func`` in a worker thread, so slow work leaves the server responsive."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(func, *args, **kwargs))

    async def with_store(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``func(store, *args, **kwargs)`` in a worker thread.

        Every store call leaves the event loop: the index may wait on another process's
        lock (up to a minute), and opening the store writes its schema.
        """
        return await self.off_loop(lambda: func(self.store, *args, **kwargs))

    async def with_launcher(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``func(launcher, *args, **kwargs)`` in a worker thread (see `with_store`)."""
        return await self.off_loop(lambda: func(self.launcher, *args, **kwargs))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer the error that ended the request with the API's JSON error body."""
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        status_code, body = error_reply(status_code, error)
        body = hide_root(body, self._root_forms())
        if self.names_fields and isinstance(error, InvalidInput):
            body = {
                **body,
                "message": option_as_field(body["message"]),
                "problems": [option_as_field(problem) for problem in body["problems"]],
            }
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this handler answers, for the ``Allow`` header of a 405."""
        unimplemented = tornado.web.RequestHandler._unimplemented_method
        return [
            method
            for method in cls.SUPPORTED_METHODS
            if getattr(cls, method.lower(), unimplemented) is not unimplemented
        ]

    def _root_forms(self) -> list[str]:
        """The server's root as messages may spell it: as configured and as a real path."""
        forms = {str(self.greenhouse.root), self.greenhouse.configured_root}
        return sorted(forms, key=len, reverse=True)

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


def hide_root(body: dict[str, Any], roots: list[str]) -> dict[str, Any]:
    """An error body whose message and problems name paths relative to the server's root.

    The core names the files it could not read by their full path; the API's callers
    know the server only by its root, and its place on the server's disk is not theirs.
    """

    def relative(text: str) -> str:
        for root in roots:
            text = text.replace(root + os.sep, "").replace(root, ".")
        return text

    return {
        **body,
        "message": relative(body["message"]),
        "problems": [relative(problem) for problem in body["problems"]],
    }


def confine(root: Path, path: str, what: str, base: Path | None = None) -> Path:
    """The real path of ``path``, which must stay inside ``root`` once symlinks are resolved.

    Parameters
    ----------
    root : Path
        The server's root, as a real path.
    path : str
        A path relative to ``base``.
    what : str
        What the path names, for messages (``notebook``, ``input`` ...).
    base : Path, optional
        The folder ``path`` is relative to (default: ``root``); inside ``root``.

    Raises
    ------
    InvalidInput
        ``path`` is absolute or its ``..`` parts climb out of the root.
    NotFound
        A symlink on the way leads out of the root (what is there is not revealed).
    """
    if os.path.isabs(path) or "\0" in path:
        raise InvalidInput(f"The {what} {path!r} must be a path relative to the server's root")
    joined = os.path.join(base or root, path)
    if not _inside(root, Path(os.path.normpath(joined))):
        raise InvalidInput(f"The {what} {path!r} leads out of the server's root")
    real = Path(os.path.realpath(joined))
    if not _inside(root, real):
        raise NotFound(f"The {what} {path!r} is not under the server's root")
    return real


def _inside(root: Path, path: Path) -> bool:
    return path == root or root in path.parents


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
