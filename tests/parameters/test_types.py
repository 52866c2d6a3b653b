"""The one grammar of parameter types: type strings read once, and the form field described."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext.models import SECRET_MASK, Parameter, ParameterSet
from greenhouse_ext.parameters import ParameterType, describe, parameter_set_with_fields, parse_type
from greenhouse_ext.parameters.types import (
    ANY,
    UnsupportedAnnotationError,
    infer_type,
    read_annotation,
    read_type_comment,
)

CASES = Path(__file__).parents[1] / "cases"
FIELDS = json.loads((CASES / "fields.json").read_text())["fields"]
COERCION = json.loads((CASES / "coercion.json").read_text())

INTEGER = ParameterType("integer")
NUMBER = ParameterType("number")
TEXT = ParameterType("text")


def field_of(type_: str, **options: Any) -> dict[str, Any]:
    return describe(Parameter("p", type_, **options)).to_dict()


# ---------------------------------------------------------------------------------------------
# Type strings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int", INTEGER),
        ("float", NUMBER),
        ("bool", ParameterType("boolean")),
        ("str", TEXT),
        ("list", ParameterType("list", item=ANY)),
        ("list[int]", ParameterType("list", item=INTEGER)),
        ("list[int | None]", ParameterType("list", item=INTEGER.or_none())),
        ("list[list[int]]", ParameterType("list", item=ParameterType("list", item=INTEGER))),
        ("dict", ParameterType("dict", item=ANY)),
        ("dict[str, float]", ParameterType("dict", item=NUMBER)),
        ("dict[str, list[str]]", ParameterType("dict", item=ParameterType("list", item=TEXT))),
        ("any", ANY),
        ("int | None", INTEGER.or_none()),
        ("bool | None", ParameterType("boolean", nullable=True)),
        ("list[str] | None", ParameterType("list", nullable=True, item=TEXT)),
        ("dict | None", ParameterType("dict", nullable=True, item=ANY)),
    ],
)
def test_every_type_form_is_read_and_written_back(text: str, expected: ParameterType) -> None:
    assert parse_type(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("  int  ", "int"),
        ("None | float", "float | None"),
        ("Optional[int]", "int | None"),
        ("List[str]", "list[str]"),
        ("Dict[str, Any]", "dict"),
        ("list[Any]", "list"),
        ("any | None", "any"),
        ("Literal['a', 'b']", "str"),
    ],
)
def test_annotation_spellings_read_as_the_normalised_type(text: str, normalised: str) -> None:
    assert str(parse_type(text)) == normalised


@pytest.mark.parametrize(
    "text",
    [
        "Tensor",
        "numpy.ndarray",
        "",
        "list[",
        "int | str",
        "dict[int, str]",
        "list[int, str]",
        "list[Tensor]",
        "Optional[int, str]",
        "1 +",
        "nul\x00l",
        "x" * 10_000,
    ],
)
def test_types_outside_the_grammar_accept_any_value(text: str) -> None:
    assert parse_type(text) == ANY
    assert field_of(text)["kind"] == "json"


def test_any_is_always_nullable() -> None:
    assert ANY.nullable and ANY.or_none() == ANY and str(ANY) == "any"


# ---------------------------------------------------------------------------------------------
# Field descriptions


def _field(kind: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "kind": kind,
        "nullable": False,
        "item": None,
        "choices": None,
        "minimum": None,
        "maximum": None,
        "secret": False,
    }
    return {**base, **overrides}


_INTEGER_ITEM = {"kind": "integer", "nullable": False, "item": None}
_ANY_ITEM = {"kind": "json", "nullable": True, "item": None}


@pytest.mark.parametrize(
    ("type_", "options", "expected"),
    [
        ("int", {}, _field("integer")),
        ("float", {"min": 0.0, "max": 1.0}, _field("number", minimum=0.0, maximum=1.0)),
        ("int", {"min": 1.0}, _field("integer", minimum=1.0)),
        ("int", {"secret": True}, _field("integer", secret=True)),
        ("str", {"secret": True}, _field("text", secret=True)),
        ("list[int]", {"secret": True}, _field("list", item=_INTEGER_ITEM, secret=True)),
        ("bool", {}, _field("boolean")),
        (
            "bool | None",
            {},
            _field("boolean", nullable=True, choices=[True, False, None]),
        ),
        (
            "bool | None",
            {"secret": True},
            _field("boolean", nullable=True, choices=[True, False, None], secret=True),
        ),
        ("str", {"choices": ["a", "b"]}, _field("text", choices=["a", "b"])),
        (
            "str | None",
            {"choices": ["a", "b"]},
            _field("text", nullable=True, choices=["a", "b", None]),
        ),
        (
            "str | None",
            {"choices": ["a", None]},
            _field("text", nullable=True, choices=["a", None]),
        ),
        (
            "int",
            {"choices": [1, 2], "secret": True},
            _field("integer", choices=[1, 2], secret=True),
        ),
        ("int", {"choices": []}, _field("integer")),
        ("any", {"choices": [1, "a"]}, _field("json", nullable=True, choices=[1, "a", None])),
        ("str | None", {}, _field("text", nullable=True)),
        ("list", {}, _field("list", item=_ANY_ITEM)),
        ("list[int]", {}, _field("list", item=_INTEGER_ITEM)),
        (
            "dict[str, float | None]",
            {},
            _field("dict", item={"kind": "number", "nullable": True, "item": None}),
        ),
        ("any", {}, _field("json", nullable=True)),
        ("Tensor", {}, _field("json", nullable=True)),
    ],
)
def test_field_description(type_: str, options: dict[str, Any], expected: dict[str, Any]) -> None:
    assert field_of(type_, **options) == expected


@pytest.mark.parametrize("type_", sorted(FIELDS))
def test_the_shared_fields_are_the_grammars(type_: str) -> None:
    assert field_of(type_) == FIELDS[type_]


def test_every_shared_coercion_case_has_its_field() -> None:
    used = {case["type"] for kind in ("accepted", "refused") for case in COERCION[kind]}
    assert used <= set(FIELDS), sorted(used - set(FIELDS))


def test_a_parameter_set_carries_each_field_and_keeps_secrets_masked() -> None:
    spec = ParameterSet(
        "nb.ipynb",
        [Parameter("n", "int", 3, min=1.0), Parameter("token", "str", "abc", secret=True)],
    )
    data = parameter_set_with_fields(spec)
    assert [p["field"] for p in data["parameters"]] == [
        _field("integer", minimum=1.0),
        _field("text", secret=True),
    ]
    assert data["parameters"][1]["default"] == SECRET_MASK
    assert {key: value for key, value in data.items() if key != "parameters"} == {
        "notebook": "nb.ipynb",
        "warnings": [],
    }
    assert json.loads(json.dumps(data)) == data


# ---------------------------------------------------------------------------------------------
# Annotations, type comments and inferred types


@pytest.mark.parametrize(
    ("annotation", "type_", "choices"),
    [
        ("int", "int", None),
        ("typing.Optional[List[str]]", "list[str] | None", None),
        ("Union[None, float]", "float | None", None),
        ("'dict[str, int]'", "dict[str, int]", None),
        ('Literal["a", None]', "str | None", ["a", None]),
        ("Literal[1, 2.5]", "float", [1, 2.5]),
        ("Literal[None]", "any", [None]),
    ],
)
def test_read_annotation(annotation: str, type_: str, choices: list[Any] | None) -> None:
    read = read_annotation(ast.parse(annotation, mode="eval").body)
    assert (str(read.type), read.choices) == (type_, choices)


@pytest.mark.parametrize(
    "annotation", ["any", "Tensor", "int | str", "Dict[int, str]", "list[int, str]", "f()"]
)
def test_unsupported_annotation(annotation: str) -> None:
    with pytest.raises(UnsupportedAnnotationError):
        read_annotation(ast.parse(annotation, mode="eval").body)


@pytest.mark.parametrize(
    ("text", "type_", "help_", "problem"),
    [
        ("int the count", "int", "the count", None),
        ("int | None maybe a count", "int | None", "maybe a count", None),
        ("Frobnicator stuff", None, "stuff", "the type comment 'Frobnicator' is not a supported"),
    ],
)
def test_read_type_comment(text: str, type_: str | None, help_: str, problem: str | None) -> None:
    annotation, help_text, error = read_type_comment(text)
    assert (str(annotation.type) if annotation else None, help_text) == (type_, help_)
    assert (error or "").startswith(problem or "")
    assert (error is None) == (problem is None)


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        (True, "bool"),
        (3, "int"),
        (2.5, "float"),
        ("s", "str"),
        (None, "any"),
        ([], "list"),
        ([1, 2], "list[int]"),
        ([1, 2.5], "list[float]"),
        ([True, 1], "list"),
        ([[1], [2]], "list[list[int]]"),
        ({"a": 1}, "dict"),
    ],
)
def test_infer_type(value: Any, type_: str) -> None:
    assert str(infer_type(value)) == type_
