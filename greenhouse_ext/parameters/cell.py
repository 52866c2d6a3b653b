"""Discover a notebook's parameters: read the cell tagged ``parameters``, never run it."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import math
import os
import re
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, NotFound
from ..models import Parameter, ParameterSet
from .validation import (
    NAMED_TYPES,
    MismatchError,
    as_optional,
    coerce,
    json_problem,
    parse_text,
    plain,
    shorten,
    strip_optional,
    value_problems,
)

__all__ = ["NO_PARAMETERS_CELL", "PARAMETERS_TAG", "discover", "read_parameters"]

PARAMETERS_TAG = "parameters"
NO_PARAMETERS_CELL = (
    "No cell is tagged 'parameters', so the notebook declares no parameters: "
    "tag the cell that holds the defaults with 'parameters'."
)
# A broken cell is re-read statement by statement; one statement may span this many lines.
_MAX_STATEMENT_LINES = 200
_COMPOUND = re.compile(r"(@|(if|for|while|try|with|def|class|async|match)\b)")
# A line that may complete the statement before it (``except`` after ``try``, ``def`` after ``@``).
_CLAUSE = re.compile(r"(@|(else|elif|except|finally|def|class|async)\b)")
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
            f"Cell {index} is tagged 'parameters' but is a {cell_type} cell: nothing was read."
        )
        return ParameterSet(notebook, [], index, [warning])
    parameters, warnings = _CellReader(_source(cell.get("source", ""))).read()
    return ParameterSet(notebook, parameters, index, warnings)


def read_parameters(path: str | os.PathLike[str]) -> ParameterSet:
    """Read the parameters declared by the notebook file at ``path``.

    Parameters
    ----------
    path : str or path-like
        An ``.ipynb`` file.

    Returns
    -------
    ParameterSet
        As :func:`discover`.

    Raises
    ------
    NotFound
        If there is no file at ``path``.
    InvalidInput
        If the file is not a readable JSON notebook.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"Notebook not found: {file} does not exist.") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{file} is not a notebook: {exc}") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{file} is not a notebook: invalid JSON ({exc}).") from None
    return discover(nb, notebook=str(path))


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


@dataclass(frozen=True)
class _Annotation:
    """A parameter type read from an annotation or a type comment."""

    type: str
    choices: list[Any] | None = None


class _UnsupportedAnnotationError(Exception):
    """An annotation that does not name a JSON-representable parameter type."""


@dataclass
class _Comment:
    """What the comments around an assignment say about it."""

    help: str | None = None
    options: str = ""
    annotation: _Annotation | None = None
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
        module = _parse(self.source)
        if module is not None:
            self.comments = _comments(self.lines, 0)
            return module.body
        statements, spans, skipped = _parse_leniently(self.lines)
        covered = {line for start, end in spans for line in range(start, end)}
        for start, end in spans:
            self.comments.update(_comments(self.lines[start:end], start))
        for line in sorted(set(range(len(self.lines))) - covered):
            self.comments.update(_comments(self.lines[line : line + 1], line))
        self.warnings.append(
            f"The parameters cell is not valid Python: skipped line(s) {_ranges(skipped)} "
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
        parameter = Parameter(name=name, type=type_, default=default, help=comment.help, **options)
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
    ) -> _Annotation | None:
        if not isinstance(statement, ast.AnnAssign):
            return comment.annotation
        try:
            return _annotation(statement.annotation)
        except (_UnsupportedAnnotationError, SyntaxError, ValueError):
            self._warn(
                statement,
                f"the annotation of '{name}' ({ast.unparse(statement.annotation)}) is not a "
                "supported parameter type; any value is accepted.",
            )
            return _Annotation("any")

    def _default(
        self, name: str, statement: ast.Assign | ast.AnnAssign, annotation: _Annotation | None
    ) -> tuple[Any, str]:
        declared = annotation.type if annotation else None
        if statement.value is None:
            self._warn(statement, f"'{name}' has no default value.")
            return None, declared or "any"
        try:
            value = plain(ast.literal_eval(statement.value))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            expression = shorten(ast.unparse(statement.value))
            self._warn(
                statement,
                f"the default of '{name}' ({expression}) is not a literal, so it is shown as "
                "None" + ("" if declared else " and any value is accepted") + ".",
            )
            return None, declared or "any"
        type_ = declared or _infer(value)
        if value is None:
            return None, as_optional(type_)
        problem = json_problem(value, name)
        if problem:
            self._warn(statement, f"the default is shown as None: {problem}")
            return None, type_
        return value, type_

    def _options(self, name: str, statement: ast.stmt, text: str, type_: str) -> dict[str, Any]:
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
        numeric = strip_optional(type_)[0] in ("int", "float", "any")
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
        self, name: str, statement: ast.stmt, options: dict[str, Any], text: str, type_: str
    ) -> None:
        if not text:
            return
        try:
            value = json.loads(text) if text.startswith('"') else parse_text(type_, text, name)
            value = coerce(type_, value, name)
        except (ValueError, MismatchError):
            self._warn(statement, f"choice {text} of '{name}' does not fit its type {type_}.")
            return
        options["choices"].append(value)

    def _warn(self, statement: ast.stmt, message: str) -> None:
        self.warnings.append(f"Line {statement.lineno}: {message}")


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _parse_leniently(lines: list[str]) -> tuple[list[ast.stmt], list[tuple[int, int]], list[int]]:
    """Parse a broken cell statement by statement.

    Returns the statements, their 0-based ``(start, end)`` line spans and the 1-based
    numbers of the lines that could not be read.
    """
    statements: list[ast.stmt] = []
    spans: list[tuple[int, int]] = []
    skipped: list[int] = []
    next_code = _next_code_lines(lines)
    start = 0
    while start < len(lines):
        if not _is_code(lines[start]):
            start += 1
            continue
        found = _next_statement(lines, start, next_code)
        if found is None:
            skipped.append(start + 1)
            start += 1
            continue
        module, end = found
        ast.increment_lineno(module, start)
        statements.extend(module.body)
        spans.append((start, end))
        start = end
    return statements, spans, skipped


def _next_code_lines(lines: list[str]) -> list[str]:
    """For each index, the first code line at or after it ("" past the last one)."""
    following = [""] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        following[index] = lines[index] if _is_code(lines[index]) else following[index + 1]
    return following


def _next_statement(
    lines: list[str], start: int, next_code: list[str]
) -> tuple[ast.Module, int] | None:
    """The statements in the shortest ``lines[start:end]`` that parses, if there is one.

    A simple statement ends with its logical line; a compound one (``if``, ``def``,
    ``@decorator`` ...) goes on through its indented body and clauses such as ``except``.
    """
    compound = _COMPOUND.match(lines[start]) is not None
    for end in _logical_line_ends(lines[start : start + _MAX_STATEMENT_LINES]):
        following = next_code[start + end]
        if compound and following[:1].isspace():
            continue
        module = _parse("\n".join(lines[start : start + end]))
        if module is not None:
            return module, start + end
        if not (compound and _CLAUSE.match(following)):
            return None
    return None


def _logical_line_ends(lines: list[str]) -> Iterator[int]:
    """The 1-based line numbers on which ``tokenize`` ends a logical line, until it fails."""
    readline = io.StringIO("\n".join(lines) + "\n").readline
    try:
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.NEWLINE:
                yield token.start[0]
    except (tokenize.TokenError, SyntaxError):
        return


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _comments(lines: list[str], offset: int) -> dict[int, str]:
    """Comments by 1-based line number, as far as ``tokenize`` can read the lines."""
    found: dict[int, str] = {}
    readline = io.StringIO("\n".join(lines) + "\n").readline
    # An unfinished statement stops tokenize; the comments before it are already read.
    with contextlib.suppress(tokenize.TokenError, SyntaxError):
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0] + offset] = token.string
    return found


def _read_comment(comment: str, type_comment: bool) -> _Comment:
    text = comment.lstrip("#").strip()
    result = _Comment()
    if type_comment and text.startswith("type:"):
        result.annotation, text, result.type_comment_error = _type_comment(text[5:].strip())
    head, separator, tail = f" {text}".rpartition(" | ")
    if separator:
        text, result.options = head.strip(), tail.strip()
    result.help = text or None
    return result


def _type_comment(text: str) -> tuple[_Annotation | None, str, str | None]:
    """Split papermill's ``# type: T help`` into the annotation of T and the help."""
    cuts = [match.start() for match in re.finditer(r"\s", text)] + [len(text)]
    for cut in reversed(cuts):
        try:
            return _annotation(ast.parse(text[:cut], mode="eval").body), text[cut:].strip(), None
        except (_UnsupportedAnnotationError, SyntaxError, ValueError):
            continue
    first, _, rest = text.partition(" ")
    error = f"the type comment '{first}' is not a supported parameter type; it is ignored."
    return None, rest.strip(), error


def _annotation(node: ast.expr) -> _Annotation:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _annotation(ast.parse(node.value, mode="eval").body)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([node.left, node.right])
    if isinstance(node, ast.Subscript):
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return _generic(_type_name(node.value), arguments)
    name = _type_name(node)
    if name not in NAMED_TYPES:
        raise _UnsupportedAnnotationError(name)
    return _Annotation(NAMED_TYPES[name])


def _type_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr  # typing.List, t.Optional ...
    raise _UnsupportedAnnotationError(ast.unparse(node))


def _generic(name: str, arguments: list[ast.expr]) -> _Annotation:
    if name == "Optional" and len(arguments) == 1:
        inner = _annotation(arguments[0])
        return _Annotation(as_optional(inner.type), inner.choices)
    if name == "Union":
        return _union(arguments)
    if name == "Literal":
        choices = [ast.literal_eval(argument) for argument in arguments]
        type_ = _common_type([choice for choice in choices if choice is not None])
        return _Annotation(as_optional(type_) if None in choices else type_, choices)
    base = NAMED_TYPES.get(name)
    if base == "list" and len(arguments) == 1:
        item = _annotation(arguments[0]).type
        return _Annotation("list" if item == "any" else f"list[{item}]")
    if base == "dict" and len(arguments) == 2 and _annotation(arguments[0]).type == "str":
        value = _annotation(arguments[1]).type
        return _Annotation("dict" if value == "any" else f"dict[str, {value}]")
    raise _UnsupportedAnnotationError(name)


def _union(members: list[ast.expr]) -> _Annotation:
    others = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
    if len(others) != 1 or len(members) == 1:
        raise _UnsupportedAnnotationError("Union")
    inner = _annotation(others[0])
    return _Annotation(as_optional(inner.type), inner.choices)


def _infer(value: Any) -> str:
    """The parameter type of a literal default."""
    if isinstance(value, list):
        item = _common_type(value) if value else "any"
        return "list" if item == "any" else f"list[{item}]"
    if isinstance(value, dict):
        return "dict"
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind.__name__
    return "any"


def _common_type(values: list[Any]) -> str:
    types = {_infer(value) for value in values}
    if types == {"int", "float"}:
        return "float"
    return types.pop() if len(types) == 1 else "any"


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for number in numbers:
        if spans and spans[-1][1] == number - 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
