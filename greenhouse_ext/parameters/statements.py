"""Read a cell's statements and comments, statement by statement when it is not valid Python."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import tokenize
from collections.abc import Iterator

__all__ = ["comments_by_line", "line_ranges", "parse_cell", "parse_leniently"]

# A broken cell is re-read statement by statement; one statement may span this many lines.
_MAX_STATEMENT_LINES = 200
_COMPOUND = re.compile(r"(@|(if|for|while|try|with|def|class|async|match)\b)")
# A line that may complete the statement before it (``except`` after ``try``, ``def`` after ``@``).
_CLAUSE = re.compile(r"(@|(else|elif|except|finally|def|class|async)\b)")


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree, or None when it is not valid Python."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def parse_leniently(lines: list[str]) -> tuple[list[ast.stmt], list[tuple[int, int]], list[int]]:
    """Parse a broken cell statement by statement.

    Parameters
    ----------
    lines : list of str
        The cell's lines.

    Returns
    -------
    tuple
        The statements (their line numbers those of the cell), their 0-based
        ``(start, end)`` line spans, and the 1-based numbers of the lines that could not
        be read.
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
        module = parse_cell("\n".join(lines[start : start + end]))
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


def comments_by_line(lines: list[str], offset: int) -> dict[int, str]:
    """Comments by 1-based line number (plus ``offset``), as far as ``tokenize`` can read."""
    found: dict[int, str] = {}
    readline = io.StringIO("\n".join(lines) + "\n").readline
    # An unfinished statement stops tokenize; the comments before it are already read.
    with contextlib.suppress(tokenize.TokenError, SyntaxError):
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0] + offset] = token.string
    return found


def line_ranges(numbers: list[int]) -> str:
    """Ascending line numbers as ranges: ``[1, 2, 3, 5]`` is ``"1-3, 5"``."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and spans[-1][1] == number - 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
