"""A reproduction's outputs: which code cells differ and how, and nbdime's bounded diff."""

from __future__ import annotations

import json
from typing import Any

import pytest
from notebooks import code, image, notebook, png, stream

from greenhouse_ext.artefacts.outputs import (
    DIFF_OUTPUTS_PER_CELL,
    DIFF_TEXT_CHARS,
    SNIPPET_CHARS,
    CellDifference,
    compare_outputs,
    notebook_diff,
)
from greenhouse_ext.notebook_api import SCRAP_MIME
from greenhouse_ext.store import sha256_bytes

Output = dict[str, Any]


def error(evalue: str) -> Output:
    return {"output_type": "error", "ename": "ValueError", "evalue": evalue, "traceback": []}


def result(text: str, metadata: dict[str, Any] | None = None) -> Output:
    return {
        "output_type": "execute_result",
        "execution_count": None,
        "data": {"text/plain": text},
        "metadata": metadata or {},
    }


def scrap(name: str, value: Any) -> Output:
    payload = {"name": name, "data": value, "encoder": "json", "version": 1}
    return {"output_type": "display_data", "data": {SCRAP_MIME: payload}, "metadata": {}}


LONG = "x" * 200
# A snippet starts a third of its width before the first differing character.
START = len(LONG) - SNIPPET_CHARS // 3


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ([stream("6\n")], [stream("8\n")], ("stdout", "6", "8")),
        ([stream("a\nb\nc\n")], [stream("a\nB\nc\n")], ("stdout", "b", "B")),
        ([error("one")], [error("two")], ("error", "ValueError: one", "ValueError: two")),
        ([result("1")], [result("2")], ("text/plain", "1", "2")),
        (
            [scrap("loss", 0.4)],
            [scrap("loss", 0.3)],
            ("record", "record('loss', 0.4)", "record('loss', 0.3)"),
        ),
        (
            [stream("same\n")],
            [stream("same\n"), stream("more\n")],
            ("stdout (1 outputs before, 2 after)", "(no output)", "more"),
        ),
        (
            [stream(LONG + "1" + LONG)],
            [stream(LONG + "2" + LONG)],
            (
                "stdout",
                "…" + (LONG + "1" + LONG)[START : START + SNIPPET_CHARS] + "…",
                "…" + (LONG + "2" + LONG)[START : START + SNIPPET_CHARS] + "…",
            ),
        ),
    ],
    ids=[
        "stream",
        "first-differing-line",
        "error",
        "result",
        "record",
        "one-more-output",
        "long-line-centred",
    ],
)
def test_a_differing_cell_says_what_differs(
    before: list[Output], after: list[Output], expected: tuple[str, str, str]
) -> None:
    a = notebook(code("x = 1"), code("show()  # first line\nmore()", *before))
    b = notebook(code("x = 1"), code("show()  # first line\nmore()", *after))
    [difference] = compare_outputs(a, b)
    assert (difference.index, difference.source) == (1, "show()  # first line")
    assert (difference.what, difference.before, difference.after) == expected


def test_outputs_that_read_the_same_are_shown_as_json() -> None:
    a = notebook(code("x", result("1", {"a": 1})))
    b = notebook(code("x", result("1", {"a": 2})))
    [difference] = compare_outputs(a, b)
    assert difference.what == "text/plain"
    assert difference.before.endswith('"metadata": {"a": 1}, "output_type": "execute_result"}')
    assert difference.after.endswith('"metadata": {"a": 2}, "output_type": "execute_result"}')


def test_a_binary_output_is_shown_by_size_and_hash() -> None:
    old, new = png(300, 1), png(300, 2)
    a = notebook(code("plot()", {**image(old), "data": {"image/png": old}}))
    b = notebook(code("plot()", {**image(new), "data": {"image/png": new}}))
    [difference] = compare_outputs(a, b)
    assert difference.what == "image/png"
    for shown, data in ((difference.before, old), (difference.after, new)):
        assert shown == f"<image/png, {len(data)} characters, sha256 {digest(data)}>"


def digest(text: str) -> str:
    return sha256_bytes(text.encode())[:12]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (notebook(code("x", stream("1\n"))), notebook(code("x", stream("1\n"))), []),
        (
            notebook(code("x", stream("1\n")), code("y")),
            notebook(code("x", stream("1\n"))),
            [CellDifference(1, "", "cells", "2 cells", "1 cells")],
        ),
        (
            notebook(code("x", stream("1\n"))),
            notebook(code("x", stream("2\n")), code("y")),
            [
                CellDifference(0, "x", "stdout", "1", "2"),
                CellDifference(1, "", "cells", "1 cells", "2 cells"),
            ],
        ),
        (
            notebook(code("s" * 300, stream("1\n"))),
            notebook(code("s" * 300, stream("2\n"))),
            [CellDifference(0, "s" * SNIPPET_CHARS + "…", "stdout", "1", "2")],
        ),
    ],
    ids=["equal", "cell-removed", "output-and-cell-added", "long-source-clipped"],
)
def test_compare_outputs_lists_cells_in_order(
    a: dict[str, Any], b: dict[str, Any], expected: list[CellDifference]
) -> None:
    assert compare_outputs(a, b) == expected


def test_notebook_diff_of_equal_notebooks_is_empty() -> None:
    nb = notebook(code("x", stream("1\n")))
    assert notebook_diff(nb, nb) == []


def test_a_change_past_the_cut_of_a_huge_text_still_shows() -> None:
    head = "y" * (3 * DIFF_TEXT_CHARS)
    a = notebook(code("x", stream(head + "old")))
    b = notebook(code("x", stream(head + "new")))
    diff = notebook_diff(a, b)
    [cell] = diff[0]["diff"]
    assert cell["key"] == 0
    text = json.dumps(diff)
    assert f"[{len(head) + 3} characters in all, sha256 " in text
    assert len(text) < len(head)


def test_nbdime_sees_only_the_first_outputs_of_a_cell() -> None:
    same = [stream(f"{i}\n") for i in range(DIFF_OUTPUTS_PER_CELL)]
    a = notebook(code("x", *same, stream("old\n")))
    b = notebook(code("x", *same, stream("new\n")))
    assert notebook_diff(a, b) == []
    [difference] = compare_outputs(a, b)
    assert (difference.before, difference.after) == ("old", "new")
