"""Builds small notebooks on disk for the tests."""

from __future__ import annotations

import json
from pathlib import Path

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, parameters: str | None, *cells: str) -> Path:
    """Write a notebook with an optional ``parameters`` cell followed by code cells."""
    sources = ([parameters] if parameters is not None else []) + list(cells)
    nb_cells = []
    for index, source in enumerate(sources):
        tags = ["parameters"] if parameters is not None and index == 0 else []
        nb_cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{index}",
                "metadata": {"tags": tags},
                "outputs": [],
                "source": source,
            }
        )
    nb = {
        "cells": nb_cells,
        "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1))
    return path
