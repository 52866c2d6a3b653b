"""Values and files recorded inside a notebook, in scrapbook's format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext import notebook_api


@pytest.fixture
def displayed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    shown: list[tuple[dict[str, Any], dict[str, Any]]] = []
    monkeypatch.setattr(notebook_api, "_display", lambda data, meta: shown.append((data, meta)))
    return shown


def test_record_emits_a_scrapbook_scrap(displayed: list[Any]) -> None:
    notebook_api.record("accuracy", 0.93)
    [(data, meta)] = displayed
    assert data == {
        notebook_api.SCRAP_MIME: {"name": "accuracy", "data": 0.93, "encoder": "json", "version": 1}
    }
    assert meta == {"scrapbook": {"name": "accuracy", "data": True, "display": False}}


@pytest.mark.parametrize("value", [{1, 2}, float("nan"), object()], ids=["set", "nan", "object"])
def test_record_refuses_non_json_values(displayed: list[Any], value: Any) -> None:
    with pytest.raises(TypeError, match="JSON"):
        notebook_api.record("x", value)
    assert displayed == []


def test_read_metrics_last_value_wins() -> None:
    def scrap(name: str, value: Any) -> dict[str, Any]:
        return {
            "output_type": "display_data",
            "data": {notebook_api.SCRAP_MIME: {"name": name, "data": value}},
        }

    nb = {
        "cells": [
            {"cell_type": "code", "outputs": [scrap("a", 1), {"output_type": "stream"}]},
            {"cell_type": "markdown"},
            {"cell_type": "code", "outputs": [scrap("a", 2), scrap("b", [1, 2])]},
        ]
    }
    assert notebook_api.read_metrics(nb) == {"a": 2, "b": [1, 2]}


def test_record_file_describes_the_file(displayed: list[Any], tmp_path: Any) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"\x00\x01")
    notebook_api.record_file(target, name="weights")
    [(data, _)] = displayed
    payload = data[notebook_api.FILE_MIME]
    assert payload["name"] == "weights" and payload["size"] == 2
    assert payload["path"] == str(target)
    assert Path(payload["kept"]).read_bytes() == b"\x00\x01"
    with pytest.raises(FileNotFoundError):
        notebook_api.record_file(tmp_path / "missing")
