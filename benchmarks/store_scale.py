"""How long the read commands take on a store of many runs.

Fills a fresh store with N runs (default 10,000) through ``Store.save_run``; every run's
executed notebook carries the same image of SIZE MB (kept once, as the store keeps a
shared output). Then times, each as a fresh process as a user would start it,
``greenhouse --help``, ``greenhouse runs --limit 20``, ``greenhouse show RUN``,
``greenhouse show RUN --json`` and ``greenhouse open RUN`` (which rebuilds the notebook and
writes a copy), on runs picked across the store, and prints the median and the slowest,
in wall-clock time and in the CPU time of the process (its own work, whatever else the
machine is doing), against each command's target.

Usage: ``python benchmarks/store_scale.py [--runs N] [--size-mb SIZE] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from store_growth import notebook

from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store

MB = 1_000_000
TARGETS_S = {
    "greenhouse --help": 0.15,
    "greenhouse runs --limit 20": 0.3,
    "greenhouse show RUN": 0.3,
    "greenhouse show RUN --json": 0.3,
    "greenhouse open RUN": 0.5,
}


def fill(store: Store, runs: int, size_mb: float) -> list[str]:
    image = base64.b64encode(os.urandom(int(size_mb * MB * 3 / 4))).decode()
    output = store.put_object(notebook(0.9, image))
    source = store.put_object(notebook(0.0, None))
    ids = []
    for index in range(runs):
        run = Run(
            id=f"{index:08d}{os.urandom(4).hex()}",
            notebook=f"nb{index % 50}.ipynb",
            status=RunStatus.SUCCEEDED if index % 10 else RunStatus.FAILED,
            parameters={"seed": index},
            created_at=f"2026-01-{1 + index // 3600 % 28:02d}T{index // 60 % 60:02d}:"
            f"{index % 60:02d}:00",
            metrics={"accuracy": index / runs},
            source_object=source,
            output_object=output,
        )
        store.save_run(run)
        ids.append(run.id)
    return ids


def timed(store: Path, *args: str) -> tuple[float, float]:
    """The wall-clock and CPU seconds of one ``greenhouse`` process."""
    command = [str(Path(sys.executable).parent / "greenhouse"), "--store", str(store), *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--size-mb", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / ".greenhouse"
        store = Store(root)
        started = time.perf_counter()
        ids = fill(store, args.runs, args.size_mb)
        store.close()
        print(f"{args.runs:,} runs stored in {time.perf_counter() - started:.1f} s")
        picks = [ids[i * (len(ids) - 1) // max(args.rounds - 1, 1)] for i in range(args.rounds)]
        commands = {
            "greenhouse --help": lambda _: ["--help"],
            "greenhouse runs --limit 20": lambda _: ["runs", "--limit", "20"],
            "greenhouse show RUN": lambda run: ["show", run],
            "greenhouse show RUN --json": lambda run: ["show", run, "--json"],
            "greenhouse open RUN": lambda run: ["open", run],
        }
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for label, make in commands.items():
            walls, cpus = zip(*(timed(root, *make(run)) for run in picks), strict=True)
            target = TARGETS_S[label]
            verdict = "ok" if statistics.median(walls) < target else "OVER"
            print(
                f"  {label:<28} wall median {statistics.median(walls):.3f} s "
                f"max {max(walls):.3f} s   cpu median {statistics.median(cpus):.3f} s   "
                f"({verdict}, target < {target} s)"
            )


if __name__ == "__main__":
    main()
