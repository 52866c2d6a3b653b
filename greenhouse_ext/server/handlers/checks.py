"""What a request sends, checked before a handler reads it: body fields, text, size, nesting."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import InvalidInput, TooLarge
from ...parameters import value_kind

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
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
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
_OPTION = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")


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


def option_as_field(text: str) -> str:
    """A core message with each command-line option (``--catch-up``) named as the request
    body's field instead (``catch_up``), except in a command quoted in backticks."""
    parts = text.split("`")
    return "`".join(
        part if index % 2 else _OPTION.sub(lambda found: found.group(1).replace("-", "_"), part)
        for index, part in enumerate(parts)
    )


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
