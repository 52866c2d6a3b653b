"""Parameter cells and notebooks as plain dicts, for the parameter tests."""

from __future__ import annotations

from typing import Any

from greenhouse_ext.models import ParameterSet
from greenhouse_ext.parameters.cell import discover


def cell(source: str | list[str], tags: tuple[str, ...] = (), kind: str = "code") -> dict[str, Any]:
    return {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": source}


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def spec_of(source: str | list[str]) -> ParameterSet:
    """The parameters of a notebook whose second cell is the parameters cell."""
    return discover(notebook(cell("import os"), cell(source, ("parameters",))), "demo.ipynb")
