"""Tests for greenhouse_ext.params: reading the parameters cell, validating values."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.models import SECRET_MASK, Parameter, ParameterSet
from greenhouse_ext.params import (
    NO_PARAMETERS_CELL,
    discover,
    mask_secrets,
    read_parameters,
    split_secrets,
    validate,
)


def cell(source: str | list[str], tags: tuple[str, ...] = (), kind: str = "code") -> dict[str, Any]:
    return {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": source}


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def spec_of(source: str | list[str]) -> ParameterSet:
    """The parameters of a notebook whose second cell is the parameters cell."""
    return discover(notebook(cell("import os"), cell(source, ("parameters",))), "demo.ipynb")


def only(source: str) -> Parameter:
    (parameter,) = spec_of(source).parameters
    return parameter


# ---------------------------------------------------------------------------------------------
# Discovery: names, types, defaults


@pytest.mark.parametrize(
    ("source", "type_", "default"),
    [
        ("x = 3", "int", 3),
        ("x = 2.5", "float", 2.5),
        ("x = True", "bool", True),
        ("x = 'text'", "str", "text"),
        ("x = None", "any", None),
        ("x = -3", "int", -3),
        ("x = -0.5", "float", -0.5),
        ("x = 1e3", "float", 1000.0),
        ("x = [1, 2]", "list[int]", [1, 2]),
        ("x = [1, 'a']", "list", [1, "a"]),
        ("x = [1, 2.5]", "list[float]", [1, 2.5]),
        ("x = []", "list", []),
        ("x = [[1], [2, 3]]", "list[list[int]]", [[1], [2, 3]]),
        ("x = (1, 2)", "list[int]", [1, 2]),
        ("x = {'a': (1, 2)}", "dict", {"a": [1, 2]}),
        ("x = {}", "dict", {}),
        ('x = "http://host/path?a=b&c=d"', "str", "http://host/path?a=b&c=d"),
        ("x = 'a == b'", "str", "a == b"),
        ("x = [\n    1,\n    2,\n]", "list[int]", [1, 2]),
        ('x = {\n    "a": 1,  # one\n    "b": [2, 3],\n}', "dict", {"a": 1, "b": [2, 3]}),
        ('x = """two\nlines"""', "str", "two\nlines"),
        ("x = 1 \\\n    + 0j if False else 2", "any", None),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_default_and_inferred_type(source: str, type_: str, default: Any) -> None:
    parameter = only(source)
    assert (parameter.name, parameter.type, parameter.default) == ("x", type_, default)


@pytest.mark.parametrize(
    ("annotation", "default", "type_", "choices"),
    [
        ("int", "1", "int", None),
        ("float", "0.5", "float", None),
        ("bool", "False", "bool", None),
        ("str", "'a'", "str", None),
        ("list", "[]", "list", None),
        ("dict", "{}", "dict", None),
        ("List[str]", "[]", "list[str]", None),
        ("list[str]", "[]", "list[str]", None),
        ("typing.List[int]", "[]", "list[int]", None),
        ("Dict[str, float]", "{}", "dict[str, float]", None),
        ("dict[str, float]", "{}", "dict[str, float]", None),
        ("dict[str, list[int]]", "{}", "dict[str, list[int]]", None),
        ("List[Any]", "[]", "list", None),
        ("Optional[int]", "None", "int | None", None),
        ("typing.Optional[List[str]]", "None", "list[str] | None", None),
        ("int | None", "3", "int | None", None),
        ("None | float", "None", "float | None", None),
        ("Union[str, None]", "'a'", "str | None", None),
        ("Any", "3", "any", None),
        ("'int'", "3", "int", None),
        ("int", "None", "int | None", None),
        ('Literal["a", "b"]', '"a"', "str", ["a", "b"]),
        ('typing.Literal["a", "b"]', '"b"', "str", ["a", "b"]),
        ("Literal[1, 2]", "1", "int", [1, 2]),
        ("Literal[1, 2.5]", "1", "float", [1, 2.5]),
        ('Literal["a", 1]', '"a"', "any", ["a", 1]),
        ('Literal["a", None]', "None", "str | None", ["a", None]),
        ('Optional[Literal["a", "b"]]', "None", "str | None", ["a", "b"]),
    ],
)
def test_annotation(annotation: str, default: str, type_: str, choices: list[Any] | None) -> None:
    spec = spec_of(f"x: {annotation} = {default}")
    (parameter,) = spec.parameters
    assert (parameter.type, parameter.choices) == (type_, choices)
    assert spec.warnings == []


@pytest.mark.parametrize(
    ("source", "type_", "help_"),
    [
        ("x = []  # type: List[str]", "list[str]", None),
        ("x = []  # type: list[str] the names", "list[str]", "the names"),
        ("x = {}  # type: Dict[str, float] weights", "dict[str, float]", "weights"),
        ("x = None  # type: int | None count", "int | None", "count"),
        ("x = None  # type: Optional[int]", "int | None", None),
        ("x = 1  # type: int or more", "int", "or more"),
        ("# the names\nx = []  # type: List[str]", "list[str]", "the names"),
        ("x: int = 1  # type: str", "int", None),
    ],
)
def test_papermill_type_comment(source: str, type_: str, help_: str | None) -> None:
    parameter = only(source)
    assert (parameter.type, parameter.help) == (type_, help_)


@pytest.mark.parametrize(
    ("source", "help_"),
    [
        ("x = 1  # trailing help", "trailing help"),
        ("x = 1  #   spaced  ", "spaced"),
        ("# above\nx = 1", "above"),
        ("# first line\n# second line\nx = 1", "first line second line"),
        ("# not mine\n\n# mine\nx = 1", "mine"),
        ("# section header\n\nx = 1", None),
        ("# above\nx = 1  # trailing wins", "trailing wins"),
        ("# above\nx = [  # not the help\n    1,  # nor this\n]", "above"),
        ("x = [\n    1,\n]  # on the last line", "on the last line"),
        ("y = 0  # for y\nx = 1", None),
        ("# type: a word, not a type\nx = 1", "type: a word, not a type"),
        ("sep = ' | '  # separator", "separator"),
        ("x = 1  # a | b | max=3", "a | b"),
        ("# number of passes\nx = 1  # | min=1", "number of passes"),
    ],
)
def test_help(source: str, help_: str | None) -> None:
    assert spec_of(source).parameters[-1].help == help_


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 0.1  # rate | min=0, max=1", {"help": "rate", "min": 0.0, "max": 1.0}),
        ("x = 5  # | min = -1.5 max=1e3", {"help": None, "min": -1.5, "max": 1000.0}),
        ("x = ''  # token for the API | secret", {"help": "token for the API", "secret": True}),
        ("x = ''  # | secret", {"help": None, "secret": True}),
        ("x = 'b'  # | choices=a,b,c", {"choices": ["a", "b", "c"]}),
        ("x = 'b'  # | choices=a, b, c", {"choices": ["a", "b", "c"]}),
        ("x = 2  # | choices=1,2,3 secret", {"choices": [1, 2, 3], "secret": True}),
        ('x = \'a b\'  # | choices="a b","c,d"', {"choices": ["a b", "c,d"]}),
        ("x = None  # | choices=1,a,null", {"choices": [1, "a", None]}),
        ("x = 0.5  # | choices=0.5,1 max=1", {"choices": [0.5, 1.0], "max": 1.0}),
        ("# above | secret\nx = ''", {"help": "above", "secret": True}),
    ],
)
def test_options(source: str, expected: dict[str, Any]) -> None:
    spec = spec_of(source)
    parameter = spec.get("x")
    assert parameter is not None
    assert {key: getattr(parameter, key) for key in expected} == expected
    assert spec.warnings == []


def test_literal_choices_win_over_choices_option() -> None:
    spec = spec_of('mode: Literal["a", "b"] = "a"  # | choices=c')
    assert spec.parameters[0].choices == ["a", "b"]
    assert spec.warnings == [
        "Line 1: 'mode' has a Literal annotation; its choices option is ignored."
    ]


@pytest.mark.parametrize(
    ("source", "names", "warning"),
    [
        ("n = 2 * 3", ["n"], "the default of 'n' (2 * 3) is not a literal"),
        ("import os\npath = os.path.join('a', 'b')", ["path"], "the default of 'path'"),
        ("a, b = 1, 2\nc = 3", ["c"], "tuple and chained assignments do not declare"),
        ("a = b = 1", [], "tuple and chained assignments do not declare"),
        ("[a, b] = 1, 2", [], "tuple and chained assignments do not declare"),
        ("x = 1  # | colour=red", ["x"], "unknown option 'colour=red' for 'x'"),
        ("x = 1  # | secrets", ["x"], "unknown option 'secrets' for 'x'"),
        ("x = 1  # | min=low", ["x"], "option min=low of 'x' is not a finite number"),
        ("x = 1  # | max=inf", ["x"], "option max=inf of 'x' is not a finite number"),
        ("x = 'a'  # | min=0", ["x"], "min and max only apply to numbers; 'x' is str"),
        ("x = 1  # | choices=1,two", ["x"], "choice two of 'x' does not fit its type int"),
        ("x = 5  # | max=3", ["x"], "the default does not fit the declaration: x: 5 is above"),
        ("x = -1  # | min=0", ["x"], "x: -1 is below the minimum 0"),
        ("x = 'c'  # | choices=a,b", ["x"], "x: 'c' (str) is not one of the choices 'a', 'b'"),
        ("x: int = 'three'", ["x"], "x: expected int, got 'three' (str)"),
        ("x = {1, 2}", ["x"], "the default is shown as None: x: a set is not allowed"),
        ("x = 1e999", ["x"], "x: inf is not allowed: NaN and infinity are not JSON"),
        ("x = {1: 'a'}", ["x"], "x: the key 1 is not a string"),
        ("x = b'raw'", ["x"], "a bytes is not allowed"),
        ("x: int | str = 1", ["x"], "the annotation of 'x' (int | str) is not a supported"),
        ("x: Dict[int, str] = {}", ["x"], "the annotation of 'x' (Dict[int, str])"),
        ("x: numpy.ndarray = None", ["x"], "is not a supported parameter type"),
        ("x = 1  # type: Frobnicator", ["x"], "the type comment 'Frobnicator' is not a supported"),
        ("x: int", ["x"], "'x' has no default value"),
        ("x = 1\ny = 2\nx = 3", ["x", "y"], "Line 3: 'x' is assigned again (first on line 1)"),
        ("x = 1\nx = 2\nx = 3", ["x"], "Line 3: 'x' is assigned again (first on line 1)"),
    ],
)
def test_warnings(source: str, names: list[str], warning: str) -> None:
    spec = spec_of(source)
    assert [p.name for p in spec.parameters] == names
    assert any(warning in text for text in spec.warnings), spec.warnings


@pytest.mark.parametrize(
    "source",
    [
        "import os\nfrom typing import List",
        "print('hello')\nos.environ['X'] = '1'\nconfig.value = 3\nx += 1",
        "def helper():\n    inner = 1\n    return inner",
        "if True:\n    branch = 1",
    ],
)
def test_other_statements_are_ignored_silently(source: str) -> None:
    spec = spec_of(source)
    assert (spec.parameters, spec.warnings) == ([], [])


@pytest.mark.parametrize(
    ("source", "type_", "default"),
    [
        ("n = 2 * 3", "any", None),
        ("n: int = 2 * 3", "int", None),
        ("n: float = compute()", "float", None),
        ("n = 1e999", "float", None),
        ("n = {1, 2}", "any", None),
        ("n: int", "int", None),
    ],
)
def test_unreadable_default_still_declares(source: str, type_: str, default: Any) -> None:
    parameter = only(source)
    assert (parameter.type, parameter.default) == (type_, default)


def test_duplicate_name_last_assignment_wins() -> None:
    spec = spec_of("x = 1  # first\ny = 2\nx: float = 3.5  # second")
    x = spec.get("x")
    assert x is not None
    assert (x.type, x.default, x.help) == ("float", 3.5, "second")
    assert [p.name for p in spec.parameters] == ["x", "y"]


# ---------------------------------------------------------------------------------------------
# Discovery: broken cells, cells and notebooks


@pytest.mark.parametrize(
    ("source", "expected", "skipped"),
    [
        ("a = 1\nb = = 2\nc = 3", {"a": 1, "c": 3}, "2"),
        ("%matplotlib inline\na = 1", {"a": 1}, "1"),
        ("!pip install x\na = 'x=y'\n!ls", {"a": "x=y"}, "1, 3"),
        (
            "a = [\n    1,\n    2,\n]\nb = (\nc = {\n    'k': 1,\n}",
            {"a": [1, 2], "c": {"k": 1}},
            "5",
        ),
        ("a = 1\ndef f(:\n    return 1\n    pass\nb = 2", {"a": 1, "b": 2}, "2-4"),
        ("a = 1\nb = [1, 2", {"a": 1}, "2"),
        ("a = 1\nx = '''never\nclosed", {"a": 1}, "2"),
        (
            "@decorator\ndef f():\n    pass\ntry:\n    import x\nexcept E:\n    pass\na = 1\n?",
            {"a": 1},
            "9",
        ),
        ("a = 1\n  b = 2\nc = 3", {"a": 1, "c": 3}, "2"),
        ("a = 1\nb = 2 +* 3\n\n# help for c\nc = [\n  3,\n]  # c", {"a": 1, "c": [3]}, "2"),
    ],
)
def test_broken_cell_keeps_the_readable_lines(
    source: str, expected: dict[str, Any], skipped: str
) -> None:
    spec = spec_of(source)
    assert {p.name: p.default for p in spec.parameters} == expected
    assert spec.warnings[0] == (
        f"The parameters cell is not valid Python: skipped line(s) {skipped} "
        "and read the other assignments."
    )


def test_broken_cell_still_reads_help_options_and_warnings() -> None:
    source = (
        "lr = 0.1  # rate | min=0\n"
        "broken = = 1\n"
        "# the layer sizes\n"
        "layers = [\n"
        "    64,\n"
        "]\n"
        "n = 2 * 3\n"
        "token = ''  # | secret\n"
    )
    spec = spec_of(source)
    by_name = {p.name: p for p in spec.parameters}
    assert (by_name["lr"].help, by_name["lr"].min) == ("rate", 0.0)
    assert by_name["layers"].help == "the layer sizes"
    assert by_name["token"].secret
    assert any(w.startswith("Line 7: the default of 'n'") for w in spec.warnings)


def test_broken_cell_comment_after_the_error_is_read() -> None:
    spec = spec_of("a = [1,\n# help for b\nb = 2  # trailing b")
    assert [(p.name, p.help) for p in spec.parameters] == [("b", "trailing b")]


@pytest.mark.parametrize(
    "source",
    [
        "a = 1\nb = 2\n",
        ["a = 1\n", "b = 2\n"],
        "a = 1\r\nb = 2\r\n",
        ["a = 1\r\n", "b = 2"],
    ],
)
def test_source_as_string_or_lines(source: str | list[str]) -> None:
    spec = spec_of(source)
    assert [(p.name, p.default) for p in spec.parameters] == [("a", 1), ("b", 2)]


def test_first_tagged_cell_is_used_and_its_index_kept() -> None:
    nb = notebook(
        cell("# Title", kind="markdown"),
        cell("x = 0", ("other",)),
        cell("a = 1", ("setup", "parameters")),
        cell("b = 2", ("parameters",)),
    )
    spec = discover(nb, "nb.ipynb")
    assert (spec.notebook, spec.cell_index, [p.name for p in spec.parameters]) == (
        "nb.ipynb",
        2,
        ["a"],
    )


@pytest.mark.parametrize(
    "nb",
    [
        notebook(cell("a = 1")),
        notebook(),
        {"cells": [{"cell_type": "code", "source": "a = 1"}]},
        {"cells": [{"cell_type": "code", "metadata": {"tags": "parameters"}, "source": ""}]},
    ],
)
def test_no_parameters_cell(nb: dict[str, Any]) -> None:
    spec = discover(nb)
    assert (spec.parameters, spec.cell_index, spec.warnings) == ([], None, [NO_PARAMETERS_CELL])


def test_tagged_markdown_cell_reads_nothing() -> None:
    spec = discover(notebook(cell("a = 1", ("parameters",), kind="markdown")))
    assert (spec.parameters, spec.cell_index) == ([], 0)
    assert spec.warnings == [
        "Cell 0 is tagged 'parameters' but is a markdown cell: nothing was read."
    ]


@pytest.mark.parametrize(
    "nb",
    [{}, {"cells": {}}, {"worksheets": []}, [], "text"],
    ids=["empty", "cells-not-list", "nbformat-3", "list", "str"],
)
def test_not_a_notebook(nb: Any) -> None:
    with pytest.raises(InvalidInput, match="is not a Jupyter notebook: it has no list of cells"):
        discover(nb, "x.ipynb")


def test_bad_cell_source() -> None:
    with pytest.raises(InvalidInput, match="must be a string or a list of strings"):
        spec_of([1, 2])  # type: ignore[list-item]


def test_nothing_is_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = (
        f"import pathlib\nx = pathlib.Path({str(marker)!r}).touch()\ny = [1,\nz = __import__('os')"
    )
    spec = spec_of(source)
    assert not marker.exists()
    assert [(p.name, p.default) for p in spec.parameters] == [("x", None), ("z", None)]


def test_params_does_not_import_nbformat_or_papermill() -> None:
    code = (
        "import sys, greenhouse_ext.params\n"
        "print(sorted(set(sys.modules) & {'nbformat', 'papermill'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# read_parameters


def test_read_parameters(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook(cell("a = 1  # help", ("parameters",)))), encoding="utf-8")
    spec = read_parameters(path)
    assert spec.notebook == str(path)
    assert spec.parameters == [Parameter(name="a", type="int", default=1, help="help")]


def test_read_parameters_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"Notebook not found: .*nope\.ipynb does not exist"):
        read_parameters(tmp_path / "nope.ipynb")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a notebook: invalid JSON"),
        ("[1, 2]", "is not a Jupyter notebook"),
        ('{"cells": 3}', "is not a Jupyter notebook"),
        (b"\xff\xfe\x00", "is not a notebook"),
        (None, "is not a notebook"),
    ],
    ids=["bad-json", "json-list", "no-cell-list", "not-utf8", "directory"],
)
def test_read_parameters_invalid(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "nb.ipynb"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        read_parameters(path)


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
def test_from_text(spec: ParameterSet, name: str, text: str, expected: Any) -> None:
    result = validate(spec, {name: text}, from_text=True)[name]
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
def test_from_text_problems(spec: ParameterSet, name: str, text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate(spec, {name: text}, from_text=True)
    assert caught.value.problems == [caught.value.problems[0]]
    assert caught.value.problems[0].startswith(problem), caught.value.problems[0]


def test_from_text_leaves_non_strings_to_the_strict_check(spec: ParameterSet) -> None:
    assert validate(spec, {"epochs": 4, "layers": [1]}, from_text=True) == {
        "epochs": 4,
        "layers": [1],
    }
    with pytest.raises(InvalidInput, match="epochs: expected int, got True"):
        validate(spec, {"epochs": True}, from_text=True)


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
@pytest.mark.parametrize("from_text", [False, True])
def test_strings_are_kept_exactly(spec: ParameterSet, text: str, from_text: bool) -> None:
    assert validate(spec, {"name": text}, from_text=from_text) == {"name": text}


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
    assert validate(spec, {"x": "none"}, from_text=True) == {"x": None}
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
