"""Sweep throughput: 40 runs of a trivial notebook four ways, in one invocation on one machine.

1. a serial loop of the ``papermill`` CLI;
2. a serial loop of in-process ``papermill.execute_notebook``;
3. ``greenhouse sweep --workers 2``;
4. ``greenhouse sweep --dask local --workers 2``.

Prints each one's runs per second and the ratios against the targets, then the end-to-end
time of a single ``greenhouse run`` (median of a few). Usage:
``python benchmarks/sweep_bench.py [--runs 40] [--single 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from run_overhead import BIN, timed, write_notebook

PARAMETER = "a"
"""The trivial notebook's parameter (run_overhead's notebook: a = 1, b = a + 1, print(b))."""


def check(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def papermill_cli_loop(notebook: Path, out: Path, runs: int, env: dict[str, str]) -> None:
    for i in range(runs):
        command = [str(BIN / "papermill"), "-p", PARAMETER, str(i), str(notebook), str(out)]
        check([*command, "--no-progress-bar"], env)


def papermill_in_process_loop(notebook: Path, out: Path, runs: int) -> None:
    import logging

    import papermill

    logging.getLogger("papermill").setLevel(logging.WARNING)

    for i in range(runs):
        papermill.execute_notebook(
            str(notebook), str(out), parameters={PARAMETER: i}, progress_bar=False
        )


def sweep(notebook: Path, runs: int, env: dict[str, str], *extra: str) -> None:
    values = ",".join(str(i) for i in range(runs))
    check(
        [
            str(BIN / "greenhouse"),
            "sweep",
            str(notebook),
            "-p",
            PARAMETER,
            values,
            "--json",
            *extra,
        ],
        env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--single", type=int, default=5, help="single greenhouse runs to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        notebook = write_notebook(work)
        out = work / "out.ipynb"
        env = {**os.environ, "GREENHOUSE_STORE": str(work / ".greenhouse")}
        seconds = {
            "papermill CLI loop": timed(lambda: papermill_cli_loop(notebook, out, args.runs, env)),
            "papermill in-process loop": timed(
                lambda: papermill_in_process_loop(notebook, out, args.runs)
            ),
            "greenhouse sweep --workers 2": timed(
                lambda: sweep(notebook, args.runs, env, "--workers", "2")
            ),
            "greenhouse sweep --dask local (2 workers)": timed(
                lambda: sweep(notebook, args.runs, env, "--dask", "local", "--workers", "2")
            ),
        }
        single = [
            timed(lambda: check([str(BIN / "greenhouse"), "run", str(notebook)], env))
            for _ in range(args.single)
        ]
    rate = {name: args.runs / s for name, s in seconds.items()}
    print(f"{args.runs} runs of a trivial notebook, {os.cpu_count()} CPUs")
    for name, value in rate.items():
        print(f"  {name:<44} {seconds[name]:7.1f} s  {value:6.2f} runs/s")
    sweep_rate = rate["greenhouse sweep --workers 2"]
    cli = sweep_rate / rate["papermill CLI loop"]
    in_process = sweep_rate / rate["papermill in-process loop"]
    dask = sweep_rate / rate["greenhouse sweep --dask local (2 workers)"]
    print(f"  sweep / papermill CLI loop          {cli:5.1f}x  (target >= 8x)")
    print(f"  sweep / papermill in-process loop   {in_process:5.1f}x  (target >= 3x)")
    print(f"  sweep --workers 2 / sweep --dask    {dask:5.2f}x  (target <= 1.5x)")
    median = statistics.median(single)
    print(
        f"single greenhouse run, end to end: median {median:.2f} s of {len(single)} "
        f"(min {min(single):.2f} s; target < 1.5 s)"
    )


if __name__ == "__main__":
    main()
