"""Validate parameter values against a notebook's declared parameters and coerce their types."""

from __future__ import annotations

import difflib
import json
import keyword
import math
import re
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput
from ..models import SECRET_MASK, Parameter, ParameterSet
from .limits import DEFAULT_MAX_VALUE_BYTES, DEFAULT_VALUE_LIMIT, ValueLimit
from .masking import describe_value
from .types import ANY, ParameterType, parse_type

__all__ = ["DEFAULT_MAX_VALUE_BYTES", "ValueLimit", "mask_secrets", "split_secrets", "validate"]

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
_NULL = {"null", "None", "none"}
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_JSON_VALUES = "null, true/false, numbers, strings, lists and objects with string keys"


class MismatchError(Exception):
    """A value that does not fit a parameter type."""

    def __init__(self, where: str, expected: str, value: Any, reason: str = "") -> None:
        super().__init__(where)
        self.where, self.expected, self.value, self.reason = where, expected, value, reason

    def describe(self, parameter: Parameter) -> str:
        """The problem, the value described by `describe_value` as ``parameter``'s."""
        reason = f": {self.reason}" if self.reason else ""
        got = describe_value(parameter.name, self.value, parameter)
        return f"{self.where}: expected {self.expected}, got {got}{reason}"


def validate(
    spec: ParameterSet,
    values: Mapping[str, Any],
    *,
    text_values: Mapping[str, str] | None = None,
    limit: ValueLimit = DEFAULT_VALUE_LIMIT,
) -> dict[str, Any]:
    """Check values against a notebook's parameters and coerce them to the declared types.

    Parameters
    ----------
    spec : ParameterSet
        The notebook's parameters, from :func:`discover`.
    values : mapping
        Parameter names to typed values. Types are checked strictly, except that an int
        is accepted for a float (and converted); a bool is never an int.
    text_values : mapping, optional
        More values as text, from a command line or a form field: each is parsed by type
        (``"3"`` for an int, ``"yes"`` for a bool, JSON for lists and dicts, ``"null"``
        for an optional). They win over ``values`` of the same name, and both are
        checked in one go.
    limit : ValueLimit, optional
        The size limit of each value (default: `DEFAULT_MAX_VALUE_BYTES`); a larger value
        is a problem that names the limit and the setting that raises it.

    Returns
    -------
    dict
        The values, coerced to the declared types.

    Raises
    ------
    InvalidInput
        Listing every problem found (bad or unknown names, values that do not fit their
        type, choices or bounds, values that are not JSON), followed by the notebook's
        parameters.
    """
    if not isinstance(values, Mapping) or not isinstance(text_values or {}, Mapping):
        raise InvalidInput("Parameter values must be a mapping of names to values.")
    given = {name: (raw, False) for name, raw in values.items()}
    given.update((name, (raw, True)) for name, raw in (text_values or {}).items())
    problems: list[str] = []
    coerced: dict[str, Any] = {}
    for name, (raw, is_text) in given.items():
        if not _is_valid_name(name):
            problems.append(
                f"{name!r} is not a valid parameter name: names are Python identifiers "
                "and not keywords."
            )
        elif (parameter := spec.get(name)) is None:
            problems.append(_unknown_name(spec, name))
        elif (size := _size(raw, is_text)) > limit.max_bytes:
            problems.append(
                f"{name}: the value is {size:,} bytes, over the limit of {limit.max_bytes:,} "
                f"bytes per value; raise it with {limit.setting}"
            )
        else:
            value, found = value_problems(parameter, raw, is_text)
            problems.extend(found)
            coerced[name] = value
    if problems:
        raise _invalid(spec, problems)
    return coerced


def _size(raw: Any, is_text: bool) -> int:
    """The size of a value as the limit counts it: its text, or else its JSON form."""
    if is_text and isinstance(raw, str):
        return len(raw.encode("utf-8", errors="surrogatepass"))
    try:
        text = json.dumps(raw, allow_nan=True, default=str, ensure_ascii=False)
    except (ValueError, RecursionError):
        return 0
    return len(text.encode("utf-8", errors="surrogatepass"))


def mask_secrets(spec: ParameterSet, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``values`` with the value of each secret parameter replaced by the mask.

    Parameters
    ----------
    spec : ParameterSet
        The notebook's parameters; those declared with the ``secret`` option are masked.
    values : mapping
        Parameter names to values.

    Returns
    -------
    dict
        A copy of ``values`` safe to store or display.
    """
    public, secret = split_secrets(spec, values)
    return {name: SECRET_MASK if name in secret else public[name] for name in values}


def split_secrets(
    spec: ParameterSet, values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split values into those of ordinary parameters and those of secret ones.

    Parameters
    ----------
    spec : ParameterSet
        The notebook's parameters.
    values : mapping
        Parameter names to values.

    Returns
    -------
    tuple of dict
        ``(public, secret)``; names not declared in ``spec`` count as public.
    """
    secret_names = {parameter.name for parameter in spec.parameters if parameter.secret}
    public = {name: value for name, value in values.items() if name not in secret_names}
    secret = {name: value for name, value in values.items() if name in secret_names}
    return public, secret


def _is_valid_name(name: Any) -> bool:
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def _unknown_name(spec: ParameterSet, name: str) -> str:
    where = f" of {spec.notebook}" if spec.notebook else ""
    message = f"'{name}' is not a parameter{where}"
    by_lower = {parameter.name.lower(): parameter.name for parameter in spec.parameters}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1)
    return f"{message}; did you mean '{by_lower[close[0]]}'?" if close else f"{message}."


def value_problems(
    parameter: Parameter, raw: Any, from_text: bool = False
) -> tuple[Any, list[str]]:
    """The value coerced to the parameter's type, and every problem with it."""
    type_ = parse_type(parameter.type)
    try:
        value = parse_text(type_, raw, parameter.name) if from_text else raw
        problem = json_problem(value, parameter.name)
        if problem:
            return value, [problem]
        value = coerce(type_, value, parameter.name)
    except MismatchError as exc:
        return raw, [exc.describe(parameter)]
    found = [_choice_problem(parameter, type_, value), _bound_problem(parameter, value)]
    return value, [problem for problem in found if problem]


def parse_text(type_: ParameterType, text: Any, where: str) -> Any:
    """Parse a command-line string as a value of ``type_``; other values pass through."""
    if not isinstance(text, str):
        return text
    kind = type_.kind
    if type_.nullable and kind != "json" and text.strip() in _NULL:
        return None
    if kind == "text":
        return text
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise MismatchError(where, str(type_), text) from None
    if kind == "boolean" and text.strip().lower() in _TRUE | _FALSE:
        return text.strip().lower() in _TRUE
    if kind in ("integer", "boolean"):
        raise MismatchError(where, str(type_), text)
    try:
        return _json_loads(text)
    except ValueError as exc:
        if kind == "json":
            return text
        raise MismatchError(where, str(type_), text, f"not valid JSON ({exc})") from None


def _json_loads(text: str) -> Any:
    def reject(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=reject)


def json_problem(value: Any, where: str) -> str | None:
    """Why ``value`` cannot be injected as JSON, or None if it can."""
    if value is None or type(value) in (bool, int, str):
        return None
    if type(value) is float:
        if math.isfinite(value):
            return None
        return f"{where}: {value!r} is not allowed: NaN and infinity are not JSON values."
    if type(value) in (list, tuple):
        found = (json_problem(item, f"{where}[{index}]") for index, item in enumerate(value))
        return next((problem for problem in found if problem), None)
    if type(value) is dict:
        for key, item in value.items():
            problem = (
                f"{where}: the key {key!r} is not a string; only {_JSON_VALUES} are allowed."
                if type(key) is not str
                else json_problem(item, f"{where}[{key!r}]")
            )
            if problem:
                return problem
        return None
    return f"{where}: a {type(value).__name__} is not allowed; only {_JSON_VALUES} are allowed."


def coerce(type_: ParameterType, value: Any, where: str) -> Any:
    """``value`` converted to ``type_`` (int to float, tuple to list), or a mismatch."""
    kind = type_.kind
    if value is None and type_.nullable:
        return None
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "integer" and type(value) is int:
        return value
    if kind == "number" and type(value) in (int, float):
        return float(value)
    if kind == "text" and isinstance(value, str):
        return value
    if kind == "list" and isinstance(value, (list, tuple)):
        item = type_.item or ANY
        return [coerce(item, element, f"{where}[{index}]") for index, element in enumerate(value)]
    if kind == "dict" and isinstance(value, dict):
        item = type_.item or ANY
        return {key: coerce(item, element, f"{where}[{key!r}]") for key, element in value.items()}
    if kind == "json":
        return plain(value)
    raise MismatchError(where, str(type_), value)


def _choice_problem(parameter: Parameter, type_: ParameterType, value: Any) -> str | None:
    if not parameter.choices or (value is None and type_.nullable):
        return None
    allowed = ", ".join(repr(choice) for choice in parameter.choices)
    if type_.kind == "list":
        # A list's choices are its allowed items: each item is checked.
        for index, item in enumerate(value):
            if not any(_same(item, choice) for choice in parameter.choices):
                got = describe_value(parameter.name, item, parameter)
                where = f"{parameter.name}[{index}]"
                return f"{where}: {got} is not one of the allowed items {allowed}."
        return None
    if any(_same(value, choice) for choice in parameter.choices):
        return None
    got = describe_value(parameter.name, value, parameter)
    return f"{parameter.name}: {got} is not one of the choices {allowed}."


def _same(value: Any, choice: Any) -> bool:
    return bool(value == choice) and isinstance(value, bool) == isinstance(choice, bool)


def _bound_problem(parameter: Parameter, value: Any) -> str | None:
    if type(value) not in (int, float):
        return None
    shown = describe_value(parameter.name, value, parameter, with_type=False)
    if parameter.min is not None and value < parameter.min:
        return f"{parameter.name}: {shown} is below the minimum {parameter.min:g}."
    if parameter.max is not None and value > parameter.max:
        return f"{parameter.name}: {shown} is above the maximum {parameter.max:g}."
    return None


def _invalid(spec: ParameterSet, problems: list[str]) -> InvalidInput:
    where = f" for {spec.notebook}" if spec.notebook else ""
    lines = [f"Invalid parameters{where}:", *(f"  - {problem}" for problem in problems)]
    return InvalidInput("\n".join([*lines, _signature(spec)]), problems=problems)


def _signature(spec: ParameterSet) -> str:
    if spec.cell_index is None:
        return "The notebook has no cell tagged 'parameters', so it takes none."
    if not spec.parameters:
        return "Its parameters cell declares no parameters."
    return "\n".join(["Its parameters are:", *(f"  {_line(p)}" for p in spec.parameters)])


def _line(parameter: Parameter) -> str:
    default = parameter.to_dict()["default"]
    listed = ", ".join(map(repr, parameter.choices or []))
    items = parse_type(parameter.type).kind == "list"
    notes = [f"items from {listed}" if items else f"one of {listed}"] if listed else []
    notes += [
        f"{bound} {value:g}"
        for bound, value in (("min", parameter.min), ("max", parameter.max))
        if value is not None
    ]
    notes += ["secret"] if parameter.secret else []
    text = f"{parameter.name}: {parameter.type} = {default!r}"
    text += f"  # {parameter.help}" if parameter.help else ""
    return text + (f"  [{'; '.join(notes)}]" if notes else "")


def plain(value: Any) -> Any:
    """Tuples become lists, recursively, as they would through JSON."""
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value
