"""Notebook normalisation: structural noise, large-output stand-ins and volatile text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from notebooks import Notebook, base_notebook, code, executed, image, notebook, png, stream

from greenhouse_ext.artefacts.normalise import (
    OUTPUT_SIZE_CAP,
    VOLATILE_PATTERNS,
    Noise,
    normalise_notebook,
    normalise_outputs,
    normalise_text,
    parse_stand_in,
    stand_in,
)


def test_normalise_keeps_the_input_and_removes_only_noise() -> None:
    nb = executed(base_notebook(), epochs=4)
    before = json.dumps(nb, sort_keys=True)
    normal = normalise_notebook(nb)
    assert json.dumps(nb, sort_keys=True) == before
    assert "papermill" not in normal["metadata"]
    assert [c["source"] for c in normal["cells"]] == [c["source"] for c in base_notebook()["cells"]]
    for cell in normal["cells"]:
        assert cell["id"].startswith("random-")
        assert set(cell["metadata"]) <= {"tags"}
        assert cell.get("execution_count") is None
    assert normal["cells"][2]["outputs"][0]["execution_count"] is None


@pytest.mark.parametrize(
    "payload", ["x" * 70_000, {"figure": list(range(20_000))}], ids=["text", "json"]
)
def test_stand_in_round_trip(payload: Any) -> None:
    text = stand_in(payload)
    size, digest = parse_stand_in(text) or (0, "")
    assert size > OUTPUT_SIZE_CAP and len(digest) == 64
    assert len(text) < 120
    assert stand_in(payload) == text
    assert parse_stand_in("<greenhouse: 12 bytes omitted>") is None


def test_output_under_the_cap_is_diffed_in_full() -> None:
    small = png(OUTPUT_SIZE_CAP // 2)
    assert normalise_notebook(notebook(code("p", image(small))))["cells"][0]["outputs"][0]["data"][
        "image/png"
    ] == (small)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<__main__.Model object at 0x7f3a2c1d5e90>", "<__main__.Model object at 0x<address>>"),
        ("started 2026-11-27T03:49:12.123456+00:00 ok", "started <datetime> ok"),
        ("2026-11-27 03:49:12,123 INFO fit", "<datetime> INFO fit"),
        ("trained in 0.12s", "trained in <duration>"),
        (
            "CPU times: user 1.2 ms, sys: 0 ns\nWall time: 3 s",
            "CPU times: user <duration>, sys: <duration>\nWall time: <duration>",
        ),
        (
            "\r  0%|          | 0/3 [00:00<?, ?it/s]\r100%|###| 3/3 [00:00<00:00, 2.6it/s]\n",
            "<progress>\n",
        ),
        ("File /tmp/ipykernel_4242/3391.py:3, in f()", "File <tmp>:3, in f()"),
        ("\x1b[0;31mKeyError\x1b[0m: 'x'", "KeyError: 'x'"),
        ("Cell In[7], line 2", "Cell In[<n>], line 2"),
        ("id 5f0c9e3a-1b2d-4c5e-8f90-a1b2c3d4e5f6", "id <uuid>"),
        ("accuracy 0.93 after 3 epochs", "accuracy 0.93 after 3 epochs"),
        ("2 secrets, the 1st at 0x1f", "2 secrets, the 1st at 0x1f"),
        ("/work/tmp/data.csv", "/work/tmp/data.csv"),
        ("seed 1732681234.5", "seed 1732681234.5"),
    ],
)
def test_normalise_text(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


@pytest.mark.parametrize("noise", VOLATILE_PATTERNS, ids=lambda n: n.name)
def test_every_documented_example_is_noise(noise: Noise) -> None:
    assert noise.pattern.search(noise.example)
    assert normalise_text(noise.example) != noise.example


def test_normalise_outputs_keeps_only_what_reproduces() -> None:
    def executed_cell(
        outputs: list[dict[str, object]], tags: list[str] | None = None
    ) -> dict[str, object]:
        return {
            "cell_type": "code",
            "id": "abc",
            "execution_count": 4,
            "metadata": {"tags": tags or [], "papermill": {"duration": 0.1}},
            "outputs": outputs,
            "source": ["x = 1\n", "x"],
        }

    png = "iVBORw0KGgo0x7f3a2c1d5e90AAAA"
    nb = {
        "metadata": {"papermill": {"start_time": "2026-01-01T00:00:00"}},
        "cells": [
            executed_cell([], ["injected-parameters"]),
            executed_cell(
                [
                    {"output_type": "stream", "name": "stdout", "text": ["a "]},
                    {"output_type": "stream", "name": "stdout", "text": "at 0x7f3a2c1d5e90\n"},
                    {
                        "output_type": "execute_result",
                        "execution_count": 4,
                        "metadata": {"isolated": True},
                        "data": {
                            "text/plain": ["<A at 0x7f00aa11bb22>"],
                            "image/png": png,
                            "application/vnd.jupyter.widget-view+json": {
                                "model_id": "0123abcd",
                                "version_major": 2,
                            },
                        },
                    },
                ]
            ),
        ],
    }
    [cell] = normalise_outputs(nb)["cells"]
    assert cell == {
        "cell_type": "code",
        "metadata": {},
        "source": "x = 1\nx",
        "execution_count": None,
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "a at 0x<address>\n"},
            {
                "output_type": "execute_result",
                "execution_count": None,
                "metadata": {},
                "data": {
                    "text/plain": "<A at 0x<address>>",
                    "image/png": png,
                    "application/vnd.jupyter.widget-view+json": {"version_major": 2},
                },
            },
        ],
    }


def test_normalise_outputs_keeps_big_outputs_whole() -> None:
    """Volatile text is replaced past the size cap too, where a stand-in would hide it."""

    def printed(moment: str) -> Notebook:
        return notebook(code("log()", stream("x" * OUTPUT_SIZE_CAP + f" at {moment}\n")))

    first = normalise_outputs(printed("2026-01-01T00:00:00"))
    second = normalise_outputs(printed("2026-01-02T00:00:00"))
    assert first == second
    [output] = first["cells"][0]["outputs"]
    assert parse_stand_in(output["text"]) is None
    assert output["text"].endswith(" at <datetime>\n")
