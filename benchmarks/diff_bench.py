"""What `greenhouse diff` costs on big notebooks: the core function and the command end to end.

Two cases, generated in a temporary folder:

- two 1,000-cell executed notebooks (code with stream and text outputs, some markdown),
  with small differences scattered through them (edited sources, changed outputs, an
  inserted and a deleted cell) plus the usual noise (counts, papermill metadata);
- two notebooks holding 10 MB of PNG images (20 images of 500 kB each, base64 in the
  JSON), three of them changed.

For each case it times, over several rounds, and prints medians:

- ``compare(a, b).to_dict()`` in-process on already-loaded notebooks (the core, as the
  CLI and the server call it);
- plain ``nbdime.diff_notebooks`` on the raw notebooks, for reference (no normalisation,
  no stand-ins);
- ``greenhouse diff A B`` and ``greenhouse diff --json A B``, each a fresh process;
- ``greenhouse --help`` and ``python -c 'import nbdime'``: the start-up costs.

Usage: ``python benchmarks/diff_bench.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CELLS = 1000
IMAGES = 20
IMAGE_BYTES = 500_000
CHANGED_IMAGES = (3, 11, 17)


def code_cell(index: int, source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": index + 1,
        "id": f"cell-{index}",
        "metadata": {"papermill": {"duration": random.random()}, "tags": []},
        "outputs": outputs,
        "source": source,
    }


def text_cell(index: int, variant: int) -> dict[str, Any]:
    if index % 10 == 9:
        return {
            "cell_type": "markdown",
            "id": f"md{index}",
            "metadata": {},
            "source": f"## {index}",
        }
    value = index * (2 if variant and index % 70 == 0 else 1)
    edited = variant and index % 50 == 0
    source = f"x{index} = {index}\nprint(x{index})" + ("  # tuned" if edited else "")
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": f"{value}\n"},
        {
            "output_type": "execute_result",
            "execution_count": index + 1,
            "data": {"text/plain": f"result {value}"},
            "metadata": {},
        },
    ]
    return code_cell(index, source, outputs)


def many_cells(variant: int) -> dict[str, Any]:
    cells = [text_cell(i, variant) for i in range(CELLS)]
    if variant:
        cells.insert(400, code_cell(CELLS, "extra = True", []))
        del cells[800]
    return notebook(cells)


def image_cell(index: int, variant: int) -> dict[str, Any]:
    seed = index + (1000 if variant and index in CHANGED_IMAGES else 0)
    data = base64.b64encode(random.Random(seed).randbytes(IMAGE_BYTES)).decode()
    output = {
        "output_type": "display_data",
        "data": {"image/png": data, "text/plain": "<Figure size 640x480 with 1 Axes>"},
        "metadata": {},
    }
    return code_cell(index, f"plot({index})", [output])


def images(variant: int) -> dict[str, Any]:
    return notebook([image_cell(i, variant) for i in range(IMAGES)])


def notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    metadata = {"papermill": {"duration": random.random()}, "kernelspec": {"name": "python3"}}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def command(folder: Path, *args: str) -> Callable[[], object]:
    return process(folder, "-m", "greenhouse_ext", *args)


def process(folder: Path, *args: str) -> Callable[[], object]:
    env = {**os.environ, "GREENHOUSE_STORE": str(folder / ".greenhouse")}

    def run() -> None:
        subprocess.run(
            [sys.executable, *args],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )

    return run


def median(action: Callable[[], object], rounds: int) -> str:
    return f"{statistics.median(timed(action) for _ in range(rounds)):8.3f} s"


def bench_case(name: str, a: dict[str, Any], b: dict[str, Any], folder: Path, rounds: int) -> None:
    import nbdime
    import nbformat

    from greenhouse_ext.artefacts import compare
    from greenhouse_ext.store import Subject

    paths = [folder / f"{name}-a.ipynb", folder / f"{name}-b.ipynb"]
    for path, nb in zip(paths, (a, b), strict=True):
        path.write_text(json.dumps(nb))
    size = sum(p.stat().st_size for p in paths) / 1e6
    subject_a = Subject(ref=paths[0].name, kind="file", notebook=a)
    subject_b = Subject(ref=paths[1].name, kind="file", notebook=b)
    changed = len(compare(subject_a, subject_b).changed_cells)
    print(f"\n{name}: 2 notebooks, {size:.1f} MB on disk; {changed} changed cells")
    raw = (nbformat.from_dict(a), nbformat.from_dict(b))
    names = [p.name for p in paths]
    actions: list[tuple[str, Callable[[], object]]] = [
        ("core compare().to_dict()", lambda: compare(subject_a, subject_b).to_dict()),
        ("nbdime.diff_notebooks (raw)", lambda: nbdime.diff_notebooks(*raw)),
        ("greenhouse diff", command(folder, "diff", *names)),
        ("greenhouse diff --json", command(folder, "diff", "--json", *names)),
    ]
    for label, action in actions:
        print(f"  {label:<28}{median(action, rounds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    random.seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"medians of {args.rounds} rounds")
        startup = [
            ("greenhouse --help", command(folder, "--help")),
            ("python -c 'import nbdime'", process(folder, "-c", "import nbdime")),
        ]
        for label, action in startup:
            print(f"{label:<30}{median(action, args.rounds)}")
        bench_case("1000-cells", many_cells(0), many_cells(1), folder, args.rounds)
        bench_case("10MB-images", images(0), images(1), folder, args.rounds)


if __name__ == "__main__":
    main()
