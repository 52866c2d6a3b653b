"""The outputs of a reproduction: which code cells differ once normalised, and how.

`compare_outputs` names each code cell whose outputs differ between two notebooks
normalised by `normalise_outputs`, with a snippet of each side around the first
difference; `notebook_diff` is nbdime's diff of the two, huge outputs cut first.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..notebook_api import SCRAP_MIME
from ..store import sha256_bytes
from .normalise import is_binary, map_strings

SNIPPET_CHARS = 120
DIFF_TEXT_CHARS = 2000
DIFF_OUTPUTS_PER_CELL = 50


@dataclass
class CellDifference:
    """A code cell whose outputs differ once normalised; ``index`` counts source cells from 0."""

    index: int
    source: str
    what: str
    before: str
    after: str


def compare_outputs(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[CellDifference]:
    """List the code cells whose outputs differ between two normalised notebooks.

    Parameters
    ----------
    before, after : mapping
        The recorded and the re-run notebook, both normalised by `normalise_outputs`.

    Returns
    -------
    list of CellDifference
        One per cell whose outputs differ, in order, with the kind of the first output
        that differs and a snippet of each side around its first differing character;
        when the cell counts differ, a last entry of ``what`` ``cells`` says so.
    """
    found = []
    pairs = zip(before["cells"], after["cells"], strict=False)
    for index, (old, new) in enumerate(pairs):
        if old.get("outputs") != new.get("outputs"):
            found.append(_cell_difference(index, old, new))
    if len(before["cells"]) != len(after["cells"]):
        count = min(len(before["cells"]), len(after["cells"]))
        shown = (f"{len(before['cells'])} cells", f"{len(after['cells'])} cells")
        found.append(CellDifference(count, "", "cells", *shown))
    return found


def _cell_difference(index: int, old: Mapping[str, Any], new: Mapping[str, Any]) -> CellDifference:
    olds, news = old["outputs"], new["outputs"]
    first = next(
        i
        for i in range(max(len(olds), len(news)))
        if i >= len(olds) or i >= len(news) or olds[i] != news[i]
    )
    a = olds[first] if first < len(olds) else None
    b = news[first] if first < len(news) else None
    what = _output_kind(a if a is not None else b)
    if len(olds) != len(news):
        what += f" ({len(olds)} outputs before, {len(news)} after)"
    text_a, text_b = _render(a), _render(b)
    if text_a == text_b:
        text_a, text_b = json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)
    source = old["source"].strip().split("\n")[0]
    return CellDifference(index, _clip(source, 0), what, *_snippets(text_a, text_b))


def _output_kind(output: Mapping[str, Any] | None) -> str:
    if output is None:
        return "outputs"
    if output.get("output_type") == "stream":
        return str(output.get("name"))
    if output.get("output_type") == "error":
        return "error"
    data = output.get("data") or {}
    return "record" if SCRAP_MIME in data else next(iter(data), "display")


def _render(output: Mapping[str, Any] | None) -> str:
    if output is None:
        return "(no output)"
    if output.get("output_type") == "stream":
        return str(output["text"])
    if output.get("output_type") == "error":
        return f"{output['ename']}: {output['evalue']}"
    data = output.get("data") or {}
    if isinstance(data.get(SCRAP_MIME), Mapping):
        scrap = data[SCRAP_MIME]
        return f"record({scrap.get('name')!r}, {json.dumps(scrap.get('data'))})"
    for mime, value in data.items():
        if is_binary(mime):
            digest = sha256_bytes(str(value).encode())[:12]
            return f"<{mime}, {len(str(value))} characters, sha256 {digest}>"
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return "(empty output)"


def _snippets(before: str, after: str) -> tuple[str, str]:
    """The first differing line of each text, centred on the first differing character."""
    lines_a, lines_b = before.split("\n"), after.split("\n")
    row = next(
        (i for i, (x, y) in enumerate(zip(lines_a, lines_b, strict=False)) if x != y),
        min(len(lines_a), len(lines_b)),
    )
    line_a = lines_a[row] if row < len(lines_a) else ""
    line_b = lines_b[row] if row < len(lines_b) else ""
    column = next(
        (i for i, (x, y) in enumerate(zip(line_a, line_b, strict=False)) if x != y),
        min(len(line_a), len(line_b)),
    )
    start = max(0, column - SNIPPET_CHARS // 3)
    return _clip(line_a, start), _clip(line_b, start)


def _clip(line: str, start: int) -> str:
    head = "…" if start > 0 else ""
    tail = "…" if len(line) > start + SNIPPET_CHARS else ""
    return head + line[start : start + SNIPPET_CHARS] + tail


def notebook_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return nbdime's diff of two normalised notebooks, huge outputs cut first.

    nbdime is slow on big outputs, so a text longer than ``DIFF_TEXT_CHARS`` keeps its
    head and a hash of the whole (a change in the cut part still shows), and a cell
    keeps its first ``DIFF_OUTPUTS_PER_CELL`` outputs.

    Returns
    -------
    list of dict
        nbdime's diff entries as plain JSON values.
    """
    import nbformat

    # nbdime ships no type information; reached through import_module, its API is Any.
    diff_notebooks = importlib.import_module("nbdime").diff_notebooks
    # nbdime reads outputs by attribute, so it needs NotebookNodes rather than dicts.
    diff = diff_notebooks(nbformat.from_dict(_bounded(before)), nbformat.from_dict(_bounded(after)))
    result: list[dict[str, Any]] = json.loads(json.dumps(diff))
    return result


def _bounded(nb: Mapping[str, Any]) -> dict[str, Any]:
    cells = [
        {**cell, "outputs": map_strings(cell["outputs"][:DIFF_OUTPUTS_PER_CELL], _cut)}
        if "outputs" in cell
        else cell
        for cell in nb["cells"]
    ]
    return {**nb, "cells": cells}


def _cut(text: str) -> str:
    if len(text) <= DIFF_TEXT_CHARS:
        return text
    digest = sha256_bytes(text.encode())[:16]
    return f"{text[:DIFF_TEXT_CHARS]}\n… [{len(text)} characters in all, sha256 {digest}]"
