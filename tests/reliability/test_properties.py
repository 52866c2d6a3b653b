"""Property tests of parameter parsing and coercion: random parameters cells and values.

Reading a cell never fails with anything but a documented error, and every value of a
declared type survives the way the CLI (text) and the API (JSON) hand it over.
"""

from __future__ import annotations

import json
import keyword
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from greenhouse_ext.errors import GreenhouseError
from greenhouse_ext.parameters.cell import discover
from greenhouse_ext.parameters.validation import validate

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and n not in {"None", "True", "False"}
)
finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), finite, st.text(max_size=30))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
annotations = st.sampled_from(
    [
        "",
        ": int",
        ": float",
        ": str",
        ": bool",
        ": list",
        ": dict",
        ": Any",
        ": int | None",
        ": Optional[str]",
        ": list[int]",
        ': Literal["a", "b"]',
        ": 'weird'",
        ": 3",
    ]
)
comments = st.one_of(
    st.just(""),
    st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=40).map(
        lambda text: f"  # {text}"
    ),
    st.sampled_from(
        [
            "  # | min=0, max=10",
            "  # help | choices=a,b",
            "  # | secret",
            "  # | min=x",
            "  # | choices=",
            "  # | max=1e309",
            '  # | choices="a,b",c',
            "  # type: int",
        ]
    ),
)


@st.composite
def parameter_lines(draw: st.DrawFn) -> str:
    value = draw(json_values)
    return f"{draw(names)}{draw(annotations)} = {value!r}{draw(comments)}"


cells = st.one_of(
    st.lists(parameter_lines(), max_size=8).map("\n".join),
    st.text(max_size=200),
    st.lists(st.one_of(parameter_lines(), st.text(max_size=30)), max_size=6).map("\n".join),
)


def notebook(source: str) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "source": source,
                "metadata": {"tags": ["parameters"]},
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@EXAMPLES
@given(source=cells)
def test_any_parameters_cell_reads_or_fails_with_a_documented_error(ledger, source):
    try:
        spec = discover(notebook(source), "nb.ipynb")
    except GreenhouseError:
        ledger.add("parameters", "random cells read (documented error)", held=True)
        return
    assert len({p.name for p in spec.parameters}) == len(spec.parameters)
    json.dumps(spec.to_dict())
    ledger.add("parameters", "random cells read", held=True)


def as_command_line(value: Any) -> str:
    """How a person types ``value`` after ``-p NAME`` for a parameter of its type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


TYPED = [
    ("int", st.integers()),
    ("float", finite),
    ("bool", st.booleans()),
    ("str", st.text(max_size=50)),
    ("list", st.lists(json_values, max_size=4)),
    ("dict", st.dictionaries(st.text(max_size=8), json_values, max_size=4)),
]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b and type(a) is type(b))


@pytest.mark.parametrize(("type_", "values"), TYPED, ids=[t for t, _ in TYPED])
def test_values_of_the_declared_type_round_trip(ledger, type_, values):
    spec = discover(notebook(f"x: {type_} = None  # a value"), "nb.ipynb")

    @EXAMPLES
    @given(value=values)
    def check(value: Any) -> None:
        strict = validate(spec, {"x": value})["x"]
        assert _same(strict, value)
        assert json.loads(json.dumps(strict)) == strict
        if type_ == "str":
            assume("\0" not in value and value.strip() not in {"null", "None", "none"})
        typed = validate(spec, {}, text_values={"x": as_command_line(value)})["x"]
        assert _same(typed, value) or (type_ in {"list", "dict"} and typed == value)
        ledger.add("parameters", f"{type_} values round-trip (JSON and text)", held=True)

    check()


@EXAMPLES
@given(value=json_values)
def test_a_value_of_the_wrong_type_is_refused_never_crashes(ledger, value):
    spec = discover(notebook("n: int = 1\nf: float = 0.5\nb: bool = False"), "nb.ipynb")
    for name in ("n", "f", "b"):
        try:
            coerced = validate(spec, {name: value})[name]
        except GreenhouseError:
            ledger.add("parameters", "wrong-type values refused cleanly", held=True)
            continue
        assert type(coerced).__name__ == {"n": "int", "f": "float", "b": "bool"}[name]
        ledger.add("parameters", "values coerced to the declared type", held=True)
