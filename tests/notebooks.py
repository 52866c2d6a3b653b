"""Builds small notebooks for the tests: in memory as dicts, or on disk."""

from __future__ import annotations

import base64
import copy
import json
import random
from pathlib import Path
from typing import Any

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

Notebook = dict[str, Any]


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


def code(source: str, *outputs: dict[str, Any], tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"cell-{len(source)}",
        "metadata": {"tags": tags or []},
        "outputs": list(outputs),
        "source": source,
    }


def stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def image(data: str, count: int | None = None) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "execution_count": count,
        "data": {"image/png": data, "text/plain": "<Figure>"},
        "metadata": {},
    }


def notebook(*cells: dict[str, Any], metadata: dict[str, Any] | None = None) -> Notebook:
    return {"cells": list(cells), "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


def png(size: int, seed: int = 0) -> str:
    """Base64 text of ``size`` seeded random bytes (incompressible, like a real image)."""
    return base64.b64encode(random.Random(seed).randbytes(size)).decode()


def base_notebook() -> Notebook:
    return notebook(
        code("epochs = 3\nrate = 0.5", tags=["parameters"]),
        code("print(epochs)", stream("3\n")),
        code("epochs * rate", image("aGVsbG8=", 3)),
        {"cell_type": "markdown", "id": "md", "metadata": {}, "source": "# Notes"},
    )


def executed(nb: Notebook, **values: Any) -> Notebook:
    """``nb`` as papermill leaves it: injected cell, counts, ids, timing metadata."""
    nb = copy.deepcopy(nb)
    injected = code("# Parameters\n" + "".join(f"{k} = {v!r}\n" for k, v in values.items()))
    injected["metadata"]["tags"] = ["injected-parameters"]
    nb["cells"].insert(1, injected)
    for count, cell in enumerate(nb["cells"], start=1):
        cell["id"] = f"random-{count}-{len(values)}"
        cell["metadata"]["papermill"] = {"duration": 0.01 * count, "status": "completed"}
        if cell["cell_type"] == "code":
            cell["execution_count"] = count
            cell["metadata"]["execution"] = {"iopub.status.busy": f"2026-01-0{count}T00:00Z"}
    nb["metadata"]["papermill"] = {"parameters": values, "duration": 1.5 + len(values)}
    return nb
