"""Values checked and coerced against a notebook's parameters, every problem at once."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from cells import cell, notebook, spec_of

from greenhouse_ext.errors import InvalidInput
from greenhouse_ext.models import SECRET_MASK, Parameter, ParameterSet
from greenhouse_ext.parameters import parse_type
from greenhouse_ext.parameters.cell import discover
from greenhouse_ext.parameters.validation import mask_secrets, parse_text, split_secrets, validate

# ---------------------------------------------------------------------------------------------
# Validation

CELL = """\
epochs = 10  # passes | min=1, max=100
lr: float = 0.01  # learning rate | min=0, max=1
mode: Literal["fast", "slow"] = "fast"
verbose = False
name = "run"
layers = [64, 32]
weights: dict[str, float] = {}
options = {}
seed: int | None = None
label: str | None = None
anything = None
token = "dflt-secret"  # API token | secret
pin = 1234  # | secret, max=9999
"""


@pytest.fixture
def spec() -> ParameterSet:
    return spec_of(CELL)


def test_validation_cell_reads_cleanly(spec: ParameterSet) -> None:
    assert spec.warnings == []
    assert len(spec.parameters) == 13


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"1x": 1}, "'1x' is not a valid parameter name: names are Python identifiers"),
        ({"class": 1}, "'class' is not a valid parameter name"),
        ({"with space": 1}, "'with space' is not a valid parameter name"),
        ({3: 1}, "3 is not a valid parameter name"),
        ({"epoch": 1}, "'epoch' is not a parameter of demo.ipynb; did you mean 'epochs'?"),
        ({"LR": 1}, "'LR' is not a parameter of demo.ipynb; did you mean 'lr'?"),
        ({"zzz": 1}, "'zzz' is not a parameter of demo.ipynb."),
        ({"epochs": "ten"}, "epochs: expected int, got 'ten' (str)"),
        ({"epochs": 2.0}, "epochs: expected int, got 2.0 (float)"),
        ({"epochs": True}, "epochs: expected int, got True (bool)"),
        ({"lr": False}, "lr: expected float, got False (bool)"),
        ({"verbose": 1}, "verbose: expected bool, got 1 (int)"),
        ({"name": 3}, "name: expected str, got 3 (int)"),
        ({"name": None}, "name: expected str, got None (NoneType)"),
        ({"layers": "64"}, "layers: expected list[int], got '64' (str)"),
        ({"layers": [1, "2"]}, "layers[1]: expected int, got '2' (str)"),
        ({"weights": {"a": "x"}}, "weights['a']: expected float, got 'x' (str)"),
        ({"weights": [1]}, "weights: expected dict[str, float], got [1] (list)"),
        ({"seed": "3"}, "seed: expected int | None, got '3' (str)"),
        ({"mode": "medium"}, "mode: 'medium' (str) is not one of the choices 'fast', 'slow'."),
        ({"epochs": 0}, "epochs: 0 is below the minimum 1."),
        ({"epochs": 101}, "epochs: 101 is above the maximum 100."),
        ({"lr": 1.5}, "lr: 1.5 is above the maximum 1."),
        ({"anything": {1, 2}}, "anything: a set is not allowed; only null, true/false, numbers"),
        ({"anything": float("nan")}, "anything: nan is not allowed: NaN and infinity are not JSON"),
        ({"lr": float("inf")}, "lr: inf is not allowed: NaN and infinity are not JSON values."),
        ({"options": {1: "a"}}, "options: the key 1 is not a string"),
        ({"options": {"a": [object()]}}, "options['a'][0]: a object is not allowed"),
        ({"anything": b"x"}, "anything: a bytes is not allowed"),
        ({"layers": [1, float("-inf")]}, "layers[1]: -inf is not allowed"),
    ],
)
def test_each_problem(spec: ParameterSet, values: dict[Any, Any], problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(spec, values)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(problem), caught.value.problems[0]
    assert problem in caught.value.message


def test_all_problems_at_once(spec: ParameterSet) -> None:
    values = {"epochs": "ten", "lrr": 0.1, "mode": "medium", "for": 1, "lr": 2, "anything": {1}}
    with pytest.raises(InvalidInput) as caught:
        validate(spec, values)
    problems = caught.value.problems
    assert [p.split(":")[0].split(" ")[0] for p in problems] == [
        "epochs",
        "'lrr'",
        "mode",
        "'for'",
        "lr",
        "anything",
    ]
    assert "did you mean 'lr'?" in problems[1]


def test_message_lists_the_parameters(spec: ParameterSet) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(spec, {"epochs": "ten"})
    message = caught.value.message
    head, listing = message.split("Its parameters are:\n")
    assert head == "Invalid parameters for demo.ipynb:\n  - epochs: expected int, got 'ten' (str)\n"
    assert listing.splitlines() == [
        "  epochs: int = 10  # passes  [min 1; max 100]",
        "  lr: float = 0.01  # learning rate  [min 0; max 1]",
        "  mode: str = 'fast'  [one of 'fast', 'slow']",
        "  verbose: bool = False",
        "  name: str = 'run'",
        "  layers: list[int] = [64, 32]",
        "  weights: dict[str, float] = {}",
        "  options: dict = {}",
        "  seed: int | None = None",
        "  label: str | None = None",
        "  anything: any = None",
        "  token: str = '***'  # API token  [secret]",
        "  pin: int = '***'  [max 9999; secret]",
    ]
    assert "dflt-secret" not in message and "1234" not in message


@pytest.mark.parametrize(
    ("spec", "where", "ending"),
    [
        (discover(notebook(cell("a = 1"))), "", "no cell tagged 'parameters', so it takes none."),
        (spec_of("import os"), " of demo.ipynb", "Its parameters cell declares no parameters."),
    ],
    ids=["no-cell", "empty-cell"],
)
def test_message_without_parameters(spec: ParameterSet, where: str, ending: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(spec, {"a": 1})
    assert caught.value.problems == [f"'a' is not a parameter{where}."]
    assert caught.value.message.endswith(ending)


@pytest.mark.parametrize(
    "values",
    [{"token": 12345}, {"token": ["sk-live-abc"]}, {"pin": 123456}, {"pin": "sk-live-abc"}],
)
def test_secret_values_stay_out_of_messages(spec: ParameterSet, values: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(spec, values)
    assert "(secret, not shown)" in caught.value.message
    for hidden in ("12345", "sk-live-abc", "123456", "dflt-secret"):
        assert hidden not in caught.value.message


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"lr": 1}, {"lr": 1.0}),
        ({"epochs": 5, "mode": "slow"}, {"epochs": 5, "mode": "slow"}),
        ({"layers": (1, 2)}, {"layers": [1, 2]}),
        ({"weights": {"a": 1, "b": 0.5}}, {"weights": {"a": 1.0, "b": 0.5}}),
        ({"seed": None, "label": None}, {"seed": None, "label": None}),
        ({"seed": 7, "label": "x"}, {"seed": 7, "label": "x"}),
        ({"options": {"a": [1, (2, 3)], "b": None}}, {"options": {"a": [1, [2, 3]], "b": None}}),
        ({"anything": [True, 1.5, "s", None]}, {"anything": [True, 1.5, "s", None]}),
        ({"anything": "3"}, {"anything": "3"}),
        ({"name": "3"}, {"name": "3"}),
        ({}, {}),
    ],
)
def test_strict_values(
    spec: ParameterSet, values: dict[str, Any], expected: dict[str, Any]
) -> None:
    result = validate(spec, values)
    assert result == expected
    assert all(type(result[k]) is type(v) for k, v in expected.items())


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("epochs", "3", 3),
        ("epochs", " 42 ", 42),
        ("epochs", "+7", 7),
        ("lr", "0.5", 0.5),
        ("lr", "1", 1.0),
        ("lr", "1e-3", 0.001),
        ("verbose", "true", True),
        ("verbose", "False", False),
        ("verbose", "YES", True),
        ("verbose", "no", False),
        ("verbose", "1", True),
        ("verbose", "0", False),
        ("verbose", "On", True),
        ("verbose", "off", False),
        ("name", "3", "3"),
        ("name", "null", "null"),
        ("name", "  padded  ", "  padded  "),
        ("mode", "slow", "slow"),
        ("layers", "[1, 2]", [1, 2]),
        ("layers", "[]", []),
        ("weights", '{"a": 1, "b": 2.5}', {"a": 1.0, "b": 2.5}),
        ("options", '{"k": [1, {"n": null}]}', {"k": [1, {"n": None}]}),
        ("seed", "null", None),
        ("seed", "None", None),
        ("seed", "none", None),
        ("seed", "5", 5),
        ("label", "none", None),
        ("label", "text", "text"),
        ("anything", "3", 3),
        ("anything", "[1, 2]", [1, 2]),
        ("anything", '{"a": 1}', {"a": 1}),
        ("anything", "null", None),
        ("anything", '"quoted"', "quoted"),
        ("anything", "a=b", "a=b"),
        ("anything", "plain words", "plain words"),
        ("anything", "NaN", "NaN"),
        ("token", "s3cr3t", "s3cr3t"),
    ],
)
def test_text_values(spec: ParameterSet, name: str, text: str, expected: Any) -> None:
    result = validate(spec, {}, text_values={name: text})[name]
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("epochs", "3.0", "epochs: expected int, got '3.0' (str)"),
        ("epochs", "ten", "epochs: expected int, got 'ten' (str)"),
        ("epochs", "", "epochs: expected int, got '' (str)"),
        ("epochs", "null", "epochs: expected int, got 'null' (str)"),
        ("lr", "fast", "lr: expected float, got 'fast' (str)"),
        ("lr", "nan", "lr: nan is not allowed: NaN and infinity are not JSON values."),
        ("lr", "-inf", "lr: -inf is not allowed"),
        ("verbose", "maybe", "verbose: expected bool, got 'maybe' (str)"),
        ("layers", "[1, 2", "layers: expected list[int], got '[1, 2' (str): not valid JSON"),
        ("layers", "1, 2", "layers: expected list[int], got '1, 2' (str): not valid JSON"),
        ("layers", '{"a": 1}', "layers: expected list[int], got {'a': 1} (dict)"),
        ("layers", '["a"]', "layers[0]: expected int, got 'a' (str)"),
        ("layers", "[NaN]", "layers: expected list[int], got '[NaN]' (str): not valid JSON"),
        ("weights", "[1]", "weights: expected dict[str, float], got [1] (list)"),
        ("options", "a=b", "options: expected dict, got 'a=b' (str): not valid JSON"),
        ("seed", "x", "seed: expected int | None, got 'x' (str)"),
        ("mode", "medium", "mode: 'medium' (str) is not one of the choices 'fast', 'slow'."),
        ("epochs", "0", "epochs: 0 is below the minimum 1."),
        ("pin", "10000", "pin: a value of type int (secret, not shown) is above the maximum"),
    ],
)
def test_text_value_problems(spec: ParameterSet, name: str, text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(spec, {}, text_values={name: text})
    assert caught.value.problems == [caught.value.problems[0]]
    assert caught.value.problems[0].startswith(problem), caught.value.problems[0]


@pytest.mark.parametrize(
    ("type_", "value"), [("int", 4), ("list[int]", [1]), ("int", True), ("str | None", None)]
)
def test_parse_text_leaves_non_strings_to_the_strict_check(type_: str, value: Any) -> None:
    assert parse_text(parse_type(type_), value, "x") is value


@pytest.mark.parametrize(
    ("type_", "good", "bad", "problem"),
    [
        ("Optional[int]", None, "3", "p: expected int | None, got '3' (str)"),
        ("List[int]", [1], [1.5], "p[0]: expected int, got 1.5 (float)"),
        ("Dict[str, bool]", {"a": True}, {"a": 1}, "p['a']: expected bool, got 1 (int)"),
        ("None | float", 1.0, "1", "p: expected float | None, got '1' (str)"),
    ],
)
def test_types_are_read_by_the_grammar_whatever_their_spelling(
    type_: str, good: Any, bad: Any, problem: str
) -> None:
    spec = ParameterSet("nb.ipynb", [Parameter("p", type_)])
    assert validate(spec, {"p": good}) == {"p": good}
    with pytest.raises(InvalidInput) as caught:
        validate(spec, {"p": bad})
    assert caught.value.problems == [problem]


@pytest.mark.parametrize("type_", ["any", "Tensor", "int | None"])
def test_none_fits_the_choices_of_a_type_that_allows_it(type_: str) -> None:
    spec = ParameterSet("nb.ipynb", [Parameter("p", type_, choices=[1, 2])])
    assert validate(spec, {"p": None}) == {"p": None}
    with pytest.raises(InvalidInput, match="is not one of the choices 1, 2"):
        validate(spec, {"p": 3})


def test_text_values_win_and_are_checked_with_the_typed_ones(spec: ParameterSet) -> None:
    typed = {"epochs": 5, "mode": "slow"}
    assert validate(spec, typed, text_values={"epochs": "7", "lr": "0.5"}) == {
        "epochs": 7,
        "mode": "slow",
        "lr": 0.5,
    }
    with pytest.raises(InvalidInput) as caught:
        validate(spec, {"epochs": "5", "mode": 1}, text_values={"lr": "x"})
    assert [p.split(":")[0] for p in caught.value.problems] == ["epochs", "mode", "lr"]


@pytest.mark.parametrize(
    "text",
    [
        'say "hi"',
        "it's",
        "back\\slash\\n not a newline",
        "two\nlines\r\n",
        "'''; import os; '''",
        '"); print("injected',
        "tab\tand unicode é ✓",
        "",
    ],
)
def test_strings_are_kept_exactly(spec: ParameterSet, text: str) -> None:
    assert validate(spec, {"name": text}) == {"name": text}
    assert validate(spec, {}, text_values={"name": text}) == {"name": text}


def test_values_must_be_a_mapping(spec: ParameterSet) -> None:
    with pytest.raises(InvalidInput, match="must be a mapping of names to values"):
        validate(spec, [("epochs", 1)])  # type: ignore[arg-type]


def test_choices_distinguish_bool_from_int() -> None:
    spec = spec_of("x = None  # | choices=1,2")
    assert validate(spec, {"x": 1}) == {"x": 1}
    with pytest.raises(InvalidInput, match=r"x: True \(bool\) is not one of the choices 1, 2"):
        validate(spec, {"x": True})


def test_optional_with_choices_accepts_none() -> None:
    spec = spec_of('x: Optional[Literal["a", "b"]] = None')
    assert validate(spec, {"x": None}) == {"x": None}
    assert validate(spec, {}, text_values={"x": "none"}) == {"x": None}
    with pytest.raises(InvalidInput, match="is not one of the choices"):
        validate(spec, {"x": "c"})


@pytest.mark.parametrize(
    ("name", "value"),
    [("x", math.nan), ("x", math.inf), ("x", -math.inf), ("x", [math.nan]), ("x", {"k": math.inf})],
)
def test_non_finite_numbers_are_refused_even_for_any(name: str, value: Any) -> None:
    with pytest.raises(InvalidInput, match="NaN and infinity are not JSON values"):
        validate(spec_of("x = None"), {name: value})


# ---------------------------------------------------------------------------------------------
# Secrets


@pytest.mark.parametrize(
    ("values", "masked", "public", "secret"),
    [
        (
            {"token": "abc", "epochs": 3},
            {"token": SECRET_MASK, "epochs": 3},
            {"epochs": 3},
            {"token": "abc"},
        ),
        (
            {"pin": 1, "token": ""},
            {"pin": SECRET_MASK, "token": SECRET_MASK},
            {},
            {"pin": 1, "token": ""},
        ),
        ({"unknown": 1}, {"unknown": 1}, {"unknown": 1}, {}),
        ({}, {}, {}, {}),
    ],
)
def test_mask_and_split_secrets(
    spec: ParameterSet,
    values: dict[str, Any],
    masked: dict[str, Any],
    public: dict[str, Any],
    secret: dict[str, Any],
) -> None:
    assert mask_secrets(spec, values) == masked
    assert split_secrets(spec, values) == (public, secret)
    assert list(mask_secrets(spec, values)) == list(values)


COERCION_CASES = json.loads((Path(__file__).parents[1] / "cases" / "coercion.json").read_text())


def _json_same(a: Any, b: Any) -> bool:
    """Equal as JSON values: 2 and 2.0 are one number, and a bool is never a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_same(a[k], b[k]) for k in a)
    return bool(a == b and (type(a) is type(b) or {type(a), type(b)} <= {int, float}))


@pytest.mark.parametrize(
    "case", COERCION_CASES["accepted"], ids=lambda c: f"{c['type']}:{c['input']!r}"
)
def test_shared_coercion_cases_are_read_as_the_form_reads_them(case: dict[str, Any]) -> None:
    spec = ParameterSet("nb.ipynb", [Parameter("p", case["type"])])
    value = validate(spec, {}, text_values={"p": case["input"]})["p"]
    assert _json_same(value, case["value"]), value


@pytest.mark.parametrize(
    "case", COERCION_CASES["refused"], ids=lambda c: f"{c['type']}:{c['input']!r}"
)
def test_shared_coercion_cases_are_refused_as_the_form_refuses_them(case: dict[str, Any]) -> None:
    spec = ParameterSet("nb.ipynb", [Parameter("p", case["type"])])
    with pytest.raises(InvalidInput):
        validate(spec, {}, text_values={"p": case["input"]})


@pytest.mark.parametrize(
    "declaration",
    [
        'columns: list[str] = ["a"]  # | choices=a,b',
        'columns: list[Literal["a", "b"]] = ["a"]',
    ],
)
def test_a_list_choices_are_its_allowed_items(declaration: str) -> None:
    spec = spec_of(declaration)
    (parameter,) = spec.parameters
    assert (parameter.type, parameter.choices, spec.warnings) == ("list[str]", ["a", "b"], [])
    assert validate(spec, {}, text_values={"columns": '["b", "a"]'}) == {"columns": ["b", "a"]}
    with pytest.raises(
        InvalidInput, match=r"columns\[1\]: 'c' \(str\) is not one of the allowed items 'a', 'b'"
    ):
        validate(spec, {"columns": ["a", "c"]})


def test_a_list_default_outside_its_allowed_items_warns() -> None:
    spec = spec_of('columns: list[str] = ["a", "z"]  # | choices=a,b')
    assert spec.warnings == [
        "Line 1: the default does not fit the declaration: "
        "columns[1]: 'z' (str) is not one of the allowed items 'a', 'b'."
    ]
