"""Discover a notebook's parameters: read the cell tagged ``parameters``, never run it."""

from __future__ import annotations

import ast
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from ..models import Parameter, ParameterSet
from ..notebooks import read_notebook
from .masking import shorten
from .statements import comments_by_line, line_ranges, parse_cell, parse_leniently
from .types import (
    ANY,
    Annotation,
    ParameterType,
    UnsupportedAnnotationError,
    infer_type,
    read_annotation,
    read_type_comment,
)
from .validation import (
    MismatchError,
    coerce,
    json_problem,
    parse_text,
    plain,
    value_problems,
)

__all__ = ["NO_PARAMETERS_CELL", "PARAMETERS_TAG", "discover", "read_parameters"]

PARAMETERS_TAG = "parameters"
NO_PARAMETERS_CELL = (
    "No cell is tagged 'parameters', so the notebook declares no parameters: "
    "tag the cell that holds the defaults with 'parameters'."
)
# An option is a run of JSON-quoted strings and characters other than spaces, commas and quotes.
_OPTION_TOKEN = re.compile(r'(?:"(?:[^"\\]|\\.)*"|[^\s,"])+')


# ---------------------------------------------------------------------------------------------
# Discovery


def discover(nb: Mapping[str, Any], notebook: str = "") -> ParameterSet:
    """Read the parameters a notebook declares in its first cell tagged ``parameters``.

    Parameters
    ----------
    nb : mapping
        The notebook as loaded from JSON (no nbformat objects needed).
    notebook : str, optional
        The notebook's path or name, used in messages and kept in the result.

    Returns
    -------
    ParameterSet
        The declared parameters, the tagged cell's index, and warnings about anything
        in the cell that could not be read. A notebook without a tagged cell gives an
        empty set with a warning.

    Raises
    ------
    InvalidInput
        If ``nb`` is not shaped like a notebook.
    """
    cells = nb.get("cells") if isinstance(nb, Mapping) else None
    if not isinstance(cells, list):
        raise InvalidInput(
            f"{notebook or 'This'} is not a Jupyter notebook: it has no list of cells."
        )
    index = _parameters_cell_index(cells)
    if index is None:
        return ParameterSet(notebook, [], None, [NO_PARAMETERS_CELL])
    cell = cells[index]
    cell_type = cell.get("cell_type", "code")
    if cell_type != "code":
        warning = (
            f"Cell {index + 1} is tagged 'parameters' but is a {cell_type} cell: nothing was read."
        )
        return ParameterSet(notebook, [], index, [warning])
    parameters, warnings = _CellReader(_source(cell.get("source", ""))).read()
    return ParameterSet(notebook, parameters, index, warnings)


def read_parameters(path: str | os.PathLike[str]) -> ParameterSet:
    """Read the parameters declared by the notebook file at ``path``.

    Parameters
    ----------
    path : str or path-like
        A notebook file of any format `greenhouse_ext.notebooks` reads.

    Returns
    -------
    ParameterSet
        As :func:`discover`.

    Raises
    ------
    NotFound
        If there is no file at ``path``.
    InvalidInput
        If the file is not a notebook greenhouse reads.
    """
    return discover(read_notebook(path).notebook, notebook=str(path))


def _parameters_cell_index(cells: list[Any]) -> int | None:
    for index, cell in enumerate(cells):
        metadata = cell.get("metadata") if isinstance(cell, Mapping) else None
        tags = metadata.get("tags") if isinstance(metadata, Mapping) else None
        if isinstance(tags, list) and PARAMETERS_TAG in tags:
            return index
    return None


def _source(source: Any) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    raise InvalidInput("The parameters cell's source must be a string or a list of strings.")


@dataclass
class _Comment:
    """What the comments around an assignment say about it."""

    help: str | None = None
    options: str = ""
    annotation: Annotation | None = None
    type_comment_error: str | None = None


@dataclass
class _CellReader:
    """Reads one parameters cell: statements, comments and warnings, without running it."""

    source: str
    lines: list[str] = field(init=False)
    comments: dict[int, str] = field(default_factory=dict, init=False)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.source = self.source.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = self.source.split("\n")

    def read(self) -> tuple[list[Parameter], list[str]]:
        found: dict[str, Parameter] = {}
        first_line: dict[str, int] = {}
        for statement in self._statements():
            if not isinstance(statement, (ast.Assign, ast.AnnAssign)):
                continue
            name = self._target(statement)
            if name is None:
                continue
            if name in found:
                self._warn(
                    statement,
                    f"'{name}' is assigned again (first on line {first_line[name]}); "
                    "the last assignment wins.",
                )
            found[name] = self._declare(name, statement)
            first_line.setdefault(name, statement.lineno)
        return list(found.values()), self.warnings

    def _statements(self) -> list[ast.stmt]:
        module = parse_cell(self.source)
        if module is not None:
            self.comments = comments_by_line(self.lines, 0)
            return module.body
        statements, spans, skipped = parse_leniently(self.lines)
        covered = {line for start, end in spans for line in range(start, end)}
        for start, end in spans:
            self.comments.update(comments_by_line(self.lines[start:end], start))
        for line in sorted(set(range(len(self.lines))) - covered):
            self.comments.update(comments_by_line(self.lines[line : line + 1], line))
        self.warnings.append(
            f"The parameters cell is not valid Python: skipped line(s) {line_ranges(skipped)} "
            "and read the other assignments."
        )
        return statements

    def _target(self, statement: ast.Assign | ast.AnnAssign) -> str | None:
        if isinstance(statement, ast.AnnAssign):
            return statement.target.id if isinstance(statement.target, ast.Name) else None
        targets = statement.targets
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            return targets[0].id
        if len(targets) > 1 or isinstance(targets[0], (ast.Tuple, ast.List)):
            self._warn(
                statement,
                "tuple and chained assignments do not declare parameters; "
                "assign one name per line.",
            )
        return None

    def _declare(self, name: str, statement: ast.Assign | ast.AnnAssign) -> Parameter:
        comment = self._comment(statement)
        annotation = self._annotation(name, statement, comment)
        default, type_ = self._default(name, statement, annotation)
        options = self._options(name, statement, comment.options, type_)
        if annotation and annotation.choices is not None:
            if "choices" in options:
                self._warn(
                    statement, f"'{name}' has a Literal annotation; its choices option is ignored."
                )
            options["choices"] = annotation.choices
        parameter = Parameter(
            name=name, type=str(type_), default=default, help=comment.help, **options
        )
        if default is not None:
            for problem in value_problems(parameter, default)[1]:
                self._warn(statement, f"the default does not fit the declaration: {problem}")
        return parameter

    def _comment(self, statement: ast.stmt) -> _Comment:
        trailing = self.comments.get(statement.end_lineno or statement.lineno)
        comment = _read_comment(trailing, type_comment=True) if trailing else _Comment()
        if comment.help is None:
            above = _read_comment(self._comment_above(statement.lineno), type_comment=False)
            comment.help, comment.options = above.help, comment.options or above.options
        if comment.type_comment_error:
            self._warn(statement, comment.type_comment_error)
        return comment

    def _comment_above(self, lineno: int) -> str:
        block: list[str] = []
        row = lineno - 1
        while row in self.comments and self.lines[row - 1].lstrip().startswith("#"):
            block.insert(0, self.comments[row].lstrip("#").strip())
            row -= 1
        return " ".join(block)

    def _annotation(
        self, name: str, statement: ast.Assign | ast.AnnAssign, comment: _Comment
    ) -> Annotation | None:
        if not isinstance(statement, ast.AnnAssign):
            return comment.annotation
        try:
            return read_annotation(statement.annotation)
        except (UnsupportedAnnotationError, SyntaxError, ValueError):
            self._warn(
                statement,
                f"the annotation of '{name}' ({ast.unparse(statement.annotation)}) is not a "
                "supported parameter type; any value is accepted.",
            )
            return Annotation(ANY)

    def _default(
        self, name: str, statement: ast.Assign | ast.AnnAssign, annotation: Annotation | None
    ) -> tuple[Any, ParameterType]:
        declared = annotation.type if annotation else None
        if statement.value is None:
            self._warn(statement, f"'{name}' has no default value.")
            return None, declared or ANY
        try:
            value = plain(ast.literal_eval(statement.value))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            expression = shorten(ast.unparse(statement.value))
            self._warn(
                statement,
                f"the default of '{name}' ({expression}) is not a literal, so it is shown as "
                "None" + ("" if declared else " and any value is accepted") + ".",
            )
            return None, declared or ANY
        type_ = declared or infer_type(value)
        if value is None:
            return None, type_.or_none()
        problem = json_problem(value, name)
        if problem:
            self._warn(statement, f"the default is shown as None: {problem}")
            return None, type_
        return value, type_

    def _options(
        self, name: str, statement: ast.stmt, text: str, type_: ParameterType
    ) -> dict[str, Any]:
        options: dict[str, Any] = {}
        in_choices = False  # bare words after ``choices=`` are further choices
        for token in _OPTION_TOKEN.findall(re.sub(r"\s*=\s*", "=", text)):
            key, equals, value = token.partition("=")
            if in_choices and not equals and token != "secret":
                self._choice(name, statement, options, token, type_)
                continue
            in_choices = bool(equals) and key == "choices"
            if token == "secret":
                options["secret"] = True
            elif equals and key in ("min", "max"):
                self._bound(name, statement, options, key, value)
            elif in_choices:
                options["choices"] = []
                self._choice(name, statement, options, value, type_)
            else:
                self._warn(
                    statement,
                    f"unknown option '{token}' for '{name}' "
                    "(known: min=NUMBER, max=NUMBER, choices=A,B,..., secret).",
                )
        numeric = type_.kind in ("integer", "number", "json")
        if ("min" in options or "max" in options) and not numeric:
            self._warn(statement, f"min and max only apply to numbers; '{name}' is {type_}.")
        return options

    def _bound(
        self, name: str, statement: ast.stmt, options: dict[str, Any], key: str, text: str
    ) -> None:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            options[key] = number
        else:
            self._warn(statement, f"option {key}={text} of '{name}' is not a finite number.")

    def _choice(
        self,
        name: str,
        statement: ast.stmt,
        options: dict[str, Any],
        text: str,
        type_: ParameterType,
    ) -> None:
        if not text:
            return
        # A list's choices are its allowed items, read as items are.
        of = (type_.item or ANY) if type_.kind == "list" else type_
        try:
            value = json.loads(text) if text.startswith('"') else parse_text(of, text, name)
            value = coerce(of, value, name)
        except (ValueError, MismatchError):
            self._warn(statement, f"choice {text} of '{name}' does not fit its type {type_}.")
            return
        options["choices"].append(value)

    def _warn(self, statement: ast.stmt, message: str) -> None:
        self.warnings.append(f"Line {statement.lineno}: {message}")


def _read_comment(comment: str, type_comment: bool) -> _Comment:
    text = comment.lstrip("#").strip()
    result = _Comment()
    if type_comment and text.startswith("type:"):
        result.annotation, text, result.type_comment_error = read_type_comment(text[5:].strip())
    head, separator, tail = f" {text}".rpartition(" | ")
    if separator:
        text, result.options = head.strip(), tail.strip()
    result.help = text or None
    return result
