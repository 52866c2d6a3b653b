"""What asking the kernel for its environment adds to a run.

Times, over ``--rounds`` rounds (default 10) and prints medians:

- the environment query alone (`query_kernel`) on a started ipykernel: the time it adds
  before the first cell;
- a whole trivial run (`execute` of a one-cell notebook), which includes it.

Usage: ``python benchmarks/env_bench.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel
from jupyter_core.utils import run_sync

from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.execution.kernel_env import EnvironmentQuery, query_kernel


def time_query(rounds: int) -> list[float]:
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        took = []
        for _ in range(rounds):
            started = time.perf_counter()
            env = run_sync(query_kernel)(client, EnvironmentQuery())
            took.append(time.perf_counter() - started)
            assert env.status == "recorded", env.reason
        return took
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def time_runs(rounds: int) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        nb = Path(folder, "nb.ipynb")
        cell = {
            "cell_type": "code",
            "execution_count": None,
            "id": "c",
            "metadata": {},
            "outputs": [],
            "source": "1 + 1",
        }
        nb.write_text(
            json.dumps(
                {
                    "cells": [cell],
                    "metadata": {
                        "kernelspec": {
                            "name": "python3",
                            "display_name": "Python 3",
                            "language": "python",
                        }
                    },
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            )
        )
        took = []
        for _ in range(rounds):
            started = time.perf_counter()
            run = execute(prepare(nb, {})).run
            took.append(time.perf_counter() - started)
            assert run.status.value == "succeeded"
        return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    query = statistics.median(time_query(rounds))
    whole = statistics.median(time_runs(rounds))
    print(f"environment query alone: median {query * 1000:.1f} ms over {rounds} rounds")
    print(f"trivial run, query included: median {whole * 1000:.1f} ms over {rounds} rounds")


if __name__ == "__main__":
    main()
