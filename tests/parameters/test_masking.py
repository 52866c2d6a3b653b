"""Secret values masked in output text, never in output structure."""

from __future__ import annotations

import io

import pytest

from greenhouse_ext.parameters.masking import (
    MaskingWriter,
    mask_text,
    scrub_notebook,
    secret_strings,
    value_kind,
)


def test_longest_secret_is_masked_first() -> None:
    strings = secret_strings({"a": "abc", "b": "abcdef", "c": 42, "d": ""})
    assert strings == ["abcdef", "abc", "42"]
    assert mask_text("xabcdefx abc 42", strings) == "x***x *** ***"


def test_scrub_notebook_masks_payloads_only() -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["x s y\n"]},
                    {
                        "output_type": "error",
                        "ename": "E",
                        "evalue": "bad s",
                        "traceback": ["line s"],
                    },
                    {"output_type": "display_data", "data": {"text/plain": "s"}, "metadata": {}},
                ],
            }
        ]
    }
    scrub_notebook(nb, {"token": "s"})
    stream, error, display = nb["cells"][0]["outputs"]
    assert stream == {"output_type": "stream", "name": "stdout", "text": ["x *** y\n"]}
    assert error["evalue"] == "bad ***" and error["traceback"] == ["line ***"]
    assert display["data"] == {"text/plain": "***"}


def test_scrub_notebook_masks_widget_state_and_cell_metadata_not_the_kernel() -> None:
    state = {"model-1": {"state": {"value": "t", "description": "Token"}}}
    kernel = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    nb = {
        "metadata": {
            **kernel,
            "widgets": {"application/vnd.jupyter.widget-state+json": {"state": state}},
        },
        "cells": [{"cell_type": "code", "metadata": {"note": "uses t"}, "outputs": []}],
    }
    scrub_notebook(nb, {"token": "t"})
    kept = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert kept == {"model-1": {"state": {"value": "***", "description": "Token"}}}
    assert nb["cells"][0]["metadata"] == {"note": "uses ***"}
    assert {key: nb["metadata"][key] for key in kernel} == kernel


@pytest.mark.parametrize(
    ("value", "kind"),
    [("x", "a string"), (3, "an integer"), (True, "a boolean"), (None, "null"), ({}, "an object")],
)
def test_value_kind_says_nothing_of_the_value(value: object, kind: str) -> None:
    assert value_kind(value) == kind


def test_masking_writer() -> None:
    sink = io.StringIO()
    writer = MaskingWriter(sink, {"token": "hunter2"})
    writer.write("password hunter2\n")
    writer.flush()
    assert sink.getvalue() == "password ***\n"


@pytest.mark.parametrize(
    ("chunks", "passed_on", "drained"),
    [
        # One character at a time: nothing of the secret is passed on before it is masked.
        (list("say hunter2 now\n"), "say *** now\n", "say *** now\n"),
        # A start of the secret that never completes is let go by the next write...
        (["hunt", "ing\n"], "hunting\n", "hunting\n"),
        # ... or by drain at the end of the run.
        (["ok hun"], "ok ", "ok hun"),
        # Ordinary text is not held at all.
        (["line 1\n", "line 2\n"], "line 1\nline 2\n", "line 1\nline 2\n"),
        # The longest possible start is held, across several secrets.
        (["x sec", "ret-t"], "x ", "x ***-t"),
        (["x secret-to", "ken!"], "x ***!", "x ***!"),
        # A whole secret is never split by what is held for another one.
        (["a hunter2-secre"], "a ***-", "a ***-secre"),
    ],
)
def test_masking_writer_catches_a_secret_written_in_pieces(chunks, passed_on, drained) -> None:
    sink = io.StringIO()
    writer = MaskingWriter(sink, {"token": "hunter2", "key": "secret", "long": "secret-token"})
    for chunk in chunks:
        writer.write(chunk)
        writer.flush()
    assert sink.getvalue() == passed_on
    writer.drain()
    assert sink.getvalue() == drained


def test_masking_writer_holds_a_secret_that_overlaps_the_start_of_another() -> None:
    sink = io.StringIO()
    writer = MaskingWriter(sink, {"a": "bcX", "b": "XYZW"})
    writer.write("abcXYZ")
    assert sink.getvalue() == "a"
    writer.drain()
    assert sink.getvalue() == "a***YZ"
