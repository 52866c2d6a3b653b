"""Secret values masked in output text, never in output structure."""

from __future__ import annotations

import io

from greenhouse_ext.masking import MaskingWriter, mask_text, scrub_outputs, secret_strings


def test_longest_secret_is_masked_first() -> None:
    strings = secret_strings({"a": "abc", "b": "abcdef", "c": 42, "d": ""})
    assert strings == ["abcdef", "abc", "42"]
    assert mask_text("xabcdefx abc 42", strings) == "x***x *** ***"


def test_scrub_outputs_masks_payloads_only() -> None:
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
    scrub_outputs(nb, {"token": "s"})
    stream, error, display = nb["cells"][0]["outputs"]
    assert stream == {"output_type": "stream", "name": "stdout", "text": ["x *** y\n"]}
    assert error["evalue"] == "bad ***" and error["traceback"] == ["line ***"]
    assert display["data"] == {"text/plain": "***"}


def test_masking_writer() -> None:
    sink = io.StringIO()
    writer = MaskingWriter(sink, {"token": "hunter2"})
    writer.write("password hunter2\n")
    writer.flush()
    assert sink.getvalue() == "password ***\n"
