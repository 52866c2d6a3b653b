"""Tests for greenhouse_ext.parameters.cell: reading the parameters cell, validating values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cells import cell, notebook, spec_of

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.models import Parameter
from greenhouse_ext.parameters.cell import NO_PARAMETERS_CELL, discover, read_parameters


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
        "Cell 1 is tagged 'parameters' but is a markdown cell: nothing was read."
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
        "import sys, greenhouse_ext.parameters.cell\n"
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
    with pytest.raises(NotFound, match=r"Notebook file '.*nope\.ipynb' does not exist"):
        read_parameters(tmp_path / "nope.ipynb")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid notebook JSON"),
        ("[1, 2]", r"is not a notebook: at \$ expected a JSON object"),
        ('{"cells": 3}', r"is not a notebook: at \$.nbformat expected 2, 3 or 4"),
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
