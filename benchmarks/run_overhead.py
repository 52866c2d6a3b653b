"""What recording a run costs: greenhouse against papermill, on a trivial 3-cell notebook.

Runs each variant in turn, several rounds, interleaved so that machine noise hits them
alike, and prints medians and ratios:

- ``papermill.execute_notebook`` in-process (the baseline for record keeping);
- greenhouse ``prepare`` + ``execute`` + storing the run, in-process;
- the ``papermill`` CLI and the ``greenhouse run`` CLI, each a fresh process;
- ``greenhouse --help`` (start-up cost of the command).

Usage: ``python benchmarks/run_overhead.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
CELLS = ["a = 1", "b = a + 1", "print(b)"]


def write_notebook(folder: Path) -> Path:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"c{i}",
            "metadata": {"tags": ["parameters"] if i == 0 else []},
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(CELLS)
    ]
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = folder / "trivial.ipynb"
    path.write_text(json.dumps(nb))
    return path


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    import papermill

    from greenhouse_ext.execution import execute, prepare
    from greenhouse_ext.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        nb = write_notebook(folder)
        store = Store(folder / ".greenhouse")
        env = {**os.environ, "GREENHOUSE_STORE": str(folder / ".greenhouse")}

        def papermill_inprocess() -> None:
            papermill.execute_notebook(
                str(nb), str(folder / "out.ipynb"), parameters={"a": 2}, progress_bar=False
            )

        def greenhouse_inprocess() -> None:
            execution = execute(prepare(nb, {"a": 2}))
            assert execution.run.status.value == "succeeded"
            store.save_execution(execution)

        def run(*cmd: str) -> Callable[[], None]:
            def go() -> None:
                subprocess.run(cmd, cwd=folder, env=env, check=True, capture_output=True)

            return go

        variants: dict[str, Callable[[], None]] = {
            "papermill.execute_notebook (in-process)": papermill_inprocess,
            "greenhouse execute + store (in-process)": greenhouse_inprocess,
            "papermill CLI": run(
                str(BIN / "papermill"), "trivial.ipynb", "out.ipynb", "-p", "a", "2"
            ),
            "greenhouse run CLI": run(
                str(BIN / "greenhouse"), "run", "trivial.ipynb", "-p", "a", "2"
            ),
            "greenhouse --help": run(str(BIN / "greenhouse"), "--help"),
        }
        for action in variants.values():
            action()
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, action in variants.items():
                samples[name].append(timed(action))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{'variant':45} {'median s':>9} {'min s':>7} {'max s':>7}  (n={args.rounds})")
    for name, values in samples.items():
        print(f"{name:45} {medians[name]:9.3f} {min(values):7.3f} {max(values):7.3f}")
    overhead = (
        medians["greenhouse execute + store (in-process)"]
        / medians["papermill.execute_notebook (in-process)"]
    )
    cli = medians["greenhouse run CLI"] / medians["papermill CLI"]
    print()
    print(f"record keeping, in-process greenhouse / papermill: {overhead:.3f} (target <= 1.05)")
    print(f"end to end, greenhouse run CLI / papermill CLI:    {cli:.3f} (target <= 1.00)")
    print(f"greenhouse --help: {medians['greenhouse --help']:.3f} s (target < 0.3 s)")


if __name__ == "__main__":
    main()
