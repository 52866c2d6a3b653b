"""How much the store grows when many versions share one large output.

Publishes the same notebook N times (default 20) with only a metric changing between
runs, in two shapes:

- ``in-notebook``: the large output (an image of SIZE MB) is inside the executed
  notebook, so every run's notebook is a new object;
- ``captured-file``: the large output is a file captured with ``record_file``, so every
  run refers to the same object.

Runs are stored directly as ``Execution`` records (no kernel, for speed); publishing goes
through the real ``greenhouse_ext.artefacts.publish.publish``. Prints the store's size before and
after, and what each run and each publish added.

Usage: ``python benchmarks/store_growth.py [--versions N] [--size-mb SIZE]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from greenhouse_ext.artefacts import publish
from greenhouse_ext.models import Execution, RecordedFile, Run, RunStatus
from greenhouse_ext.notebook_api import SCRAP_MIME
from greenhouse_ext.store import Store, sha256_bytes

MB = 1_000_000


def cell(index: int, source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": index,
        "id": f"c{index}",
        "metadata": {},
        "outputs": outputs,
        "source": source,
    }


def notebook(accuracy: float, image: str | None) -> bytes:
    scrap = {"name": "accuracy", "data": accuracy, "encoder": "json", "version": 1}
    outputs = [{"output_type": "display_data", "metadata": {}, "data": {SCRAP_MIME: scrap}}]
    cells = [cell(1, "accuracy = train()\nrecord('accuracy', accuracy)", outputs)]
    if image is not None:
        png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": image}}
        cells.append(cell(2, "plot()", [png]))
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1).encode()


def execution(index: int, shape: str, payload: bytes) -> Execution:
    accuracy = round(0.9 + index / 1000, 4)
    image = base64.b64encode(payload).decode() if shape == "in-notebook" else None
    run = Run(
        id=f"bench{index:07d}",
        notebook="train.ipynb",
        status=RunStatus.SUCCEEDED,
        parameters={"seed": index},
        created_at=f"2026-01-01T00:00:{index:02d}",
        metrics={"accuracy": accuracy},
    )
    files = {}
    if shape == "captured-file":
        run.files = [RecordedFile("plot.png", sha256_bytes(payload), len(payload))]
        files = {"plot.png": payload}
    return Execution(
        run=run, source=notebook(0.0, None), output=notebook(accuracy, image), files=files
    )


def store_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def measure(shape: str, versions: int, size_mb: float) -> None:
    # The base64 text of a PNG is 4/3 of its bytes; random bytes do not compress.
    payload = os.urandom(int(size_mb * MB * 3 / 4) if shape == "in-notebook" else int(size_mb * MB))
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / ".greenhouse")
        start = store_bytes(store.root)
        run_growth, publish_growth = [], []
        started = time.perf_counter()
        for index in range(1, versions + 1):
            before = store_bytes(store.root)
            run = store.save_execution(execution(index, shape, payload))
            after_run = store_bytes(store.root)
            publish(store, run.id, "model")
            run_growth.append(after_run - before)
            publish_growth.append(store_bytes(store.root) - after_run)
        elapsed = time.perf_counter() - started
        end = store_bytes(store.root)
        objects = len(list((store.root / "objects").glob("??/*")))
        store.close()
    print(f"\n{shape}: {versions} versions sharing a {size_mb:g} MB output")
    print(f"  store before         {start:>14,} B")
    print(f"  store after          {end:>14,} B   ({objects} objects)")
    print(f"  growth               {end - start:>14,} B")
    print(f"  per version (mean)   {(end - start) // versions:>14,} B")
    print(f"  first run + publish  {run_growth[0]:>14,} + {publish_growth[0]:,} B")
    later_runs = run_growth[1:] or [0]
    later_publishes = publish_growth[1:] or [0]
    print(f"  later runs (mean)    {sum(later_runs) // len(later_runs):>14,} B")
    print(f"  later publishes      {sum(later_publishes) // len(later_publishes):>14,} B (mean)")
    print(f"  time                 {elapsed:>14.1f} s ({elapsed / versions:.2f} s per run+publish)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--size-mb", type=float, default=5.0)
    args = parser.parse_args()
    for shape in ("in-notebook", "captured-file"):
        measure(shape, args.versions, args.size_mb)


if __name__ == "__main__":
    main()
