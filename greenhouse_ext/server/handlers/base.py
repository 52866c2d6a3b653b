"""The one base class of the REST handlers: services, request checks, errors as JSON."""

from __future__ import annotations

import asyncio
import functools
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.httputil import responses

from ...errors import GreenhouseError, InvalidInput, NotFound, TooLarge
from ...parameters import value_kind

if TYPE_CHECKING:
    from types import TracebackType

    from ...execution import RunLauncher
    from ...store import Store
    from ..services import Services

T = TypeVar("T")

FIELD_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "string": ("a non-empty string", lambda v: isinstance(v, str) and v != ""),
    "number": (
        "a number",
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    ),
    # JSON has one number type: 3.0 is an integer, as JSON Schema (and the spec) say.
    "integer": (
        "an integer",
        lambda v: (
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, float) and v.is_integer())
        ),
    ),
    "object": ("an object", lambda v: isinstance(v, dict)),
    "objects": (
        "a list of objects",
        lambda v: isinstance(v, list) and all(isinstance(item, dict) for item in v),
    ),
    "strings": (
        "a list of strings",
        lambda v: isinstance(v, list) and all(isinstance(item, str) for item in v),
    ),
    "string map": (
        "an object whose values are strings",
        lambda v: isinstance(v, dict) and all(isinstance(item, str) for item in v.values()),
    ),
}
"""The kinds of request-body field: a description for messages and a check."""
UNQUOTED_KINDS = frozenset({"object", "objects", "string map"})
"""The kinds of field that carry parameter values, secrets among them: a message says
what such a field holds by its kind, never by quoting it."""

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_NESTING = re.compile(r"[\[\]{}]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class GreenhouseHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every greenhouse handler.

    It reaches the server's configuration and services through `greenhouse` (the
    extension application, seen as `Services`), checks requests (body fields, paths
    confined to the server's root), and answers every error as JSON ``{"message", "problems"}``: a
    `GreenhouseError` with its own ``http_status`` (400, 404, 409, 500), a tornado
    `HTTPError` (such as a refused login) with its status, anything else with 500.
    """

    auth_resource = "greenhouse"

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

        A reference is read as a file when it ends with ``.ipynb`` or names something
        that exists under the root (`greenhouse_ext.store.refs.resolve` does the same), and
        an absolute one is refused outright, so nothing outside the root is ever read.
        """
        root = self.greenhouse.root
        if ref.endswith(".ipynb") or os.path.isabs(ref) or os.path.lexists(root / ref):
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


def check_fields(
    body: Any, required: Mapping[str, str], optional: Mapping[str, str]
) -> dict[str, Any]:
    """Check a request body's fields, reporting every problem at once.

    Parameters
    ----------
    body : Any
        The decoded JSON body.
    required, optional : mapping of str to str
        Field names and their kinds (keys of `FIELD_KINDS`). An optional field given
        as ``null`` counts as absent.

    Returns
    -------
    dict
        Every declared field, ``None`` for an absent optional one.

    Raises
    ------
    InvalidInput
        The body is not an object, or fields are missing, unknown or of the wrong kind.
    """
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object")
    fields = {**required, **optional}
    problems = [f"field {name!r} is required" for name in required if body.get(name) is None]
    problems += [
        f"field {name!r} is unknown (expected {', '.join(fields)})"
        for name in sorted(set(body) - set(fields))
    ]
    for name, kind in fields.items():
        description, check = FIELD_KINDS[kind]
        value = body.get(name)
        if value is not None and not check(value):
            problems.append(f"field {name!r} must be {description}, got {_given(kind, value)}")
    if problems:
        raise InvalidInput("Invalid request: " + "; ".join(problems), problems)
    return {
        name: int(body[name])
        if kind == "integer" and body.get(name) is not None
        else body.get(name)
        for name, kind in fields.items()
    }


def _given(kind: str, value: Any) -> str:
    """What a field of ``kind`` held, quoted only when it cannot carry a parameter value."""
    if kind not in UNQUOTED_KINDS:
        return json.dumps(value)[:80]
    if kind == "string map" and isinstance(value, dict):
        key = next(key for key, item in value.items() if not isinstance(item, str))
        return f"an object whose entry {key!r} is {value_kind(value[key])}"
    if kind == "objects" and isinstance(value, list):
        index = next(i for i, item in enumerate(value) if not isinstance(item, dict))
        return f"a list whose item {index} is {value_kind(value[index])}"
    return value_kind(value)


def check_text(text: str, what: str) -> None:
    """Refuse ``text`` (a path, an id) holding a control character such as NUL.

    Raises
    ------
    InvalidInput
        Naming ``what`` and the first control character found.
    """
    found = _CONTROL.search(text)
    if found:
        raise InvalidInput(
            f"The {what} holds the control character U+{ord(found.group()):04X}; "
            "paths, names and ids cannot contain control characters"
        )


def check_body(body: bytes, max_bytes: int, max_depth: int) -> None:
    """Refuse a request body over ``max_bytes`` or nesting JSON deeper than ``max_depth``.

    The nesting is counted on the raw text, outside JSON strings, before anything
    decodes it: a decoder recurses once per level, so a deep body must never reach one.

    Raises
    ------
    TooLarge
        The body is longer than ``max_bytes`` (HTTP 413).
    InvalidInput
        The body nests arrays and objects more than ``max_depth`` levels deep.
    """
    if len(body) > max_bytes:
        raise TooLarge(
            f"The request body is {len(body):,} bytes, over the limit of {max_bytes:,} bytes "
            "(server setting GreenhouseApp.max_body_bytes)"
        )
    text = _JSON_STRING.sub("", body.decode("utf-8", errors="replace"))
    depth = 0
    for bracket in _JSON_NESTING.finditer(text):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > max_depth:
            raise InvalidInput(
                f"The request body nests JSON more than {max_depth} levels deep "
                "(server setting GreenhouseApp.max_json_depth)"
            )


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
