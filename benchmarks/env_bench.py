"""What the kernel's environment costs: the query on every run, and rebuilding it to reproduce.

Times, over ``--rounds`` rounds (default 10), and prints medians:

- the environment query alone (`query_kernel`) on a started ipykernel;
- a whole trivial run (`execute` of a one-cell notebook) with the query, and the same run
  with the query turned off (the engine's `query_kernel` replaced by one that answers at
  once, as before the query existed), taken in turns, and their difference: what the
  query adds to a run;
- ``greenhouse reproduce NAME@1 --env recorded`` of a version made in a kernel of its own
  (a uv venv with ipykernel), cold (the cache of environments emptied first: a venv is
  built and the lock installed; uv's own download cache stays warm) and warm (from the
  cache), each a fresh process, over ``--reproduce-rounds`` rounds (default 3).

uv reads the package index from its own settings (``UV_DEFAULT_INDEX``, ``UV_INDEX``...),
both to make the kernel's venv and to rebuild it.

Usage: ``python benchmarks/env_bench.py [--rounds N] [--reproduce-rounds N] [--skip-reproduce]``;
``--skip-reproduce`` times the query and the trivial runs only (no uv, no index needed).
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
from typing import Any

from jupyter_client.manager import start_new_kernel
from jupyter_core.utils import run_sync

from greenhouse_ext.artefacts.rebuild import find_uv
from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.execution.kernel_env import EnvironmentQuery, query_kernel, unknown
from greenhouse_ext.models import KernelEnvironment

KERNEL = "ghbench"


def write_notebook(path: Path, kernel: str) -> Path:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "c",
        "metadata": {},
        "outputs": [],
        "source": "1 + 1",
    }
    spec = {"name": kernel, "display_name": kernel, "language": "python"}
    nb = {"cells": [cell], "metadata": {"kernelspec": spec}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


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


async def _no_query(client: Any, query: EnvironmentQuery) -> KernelEnvironment:
    return unknown("the query is turned off by the benchmark")


def time_runs(rounds: int) -> tuple[list[float], list[float]]:
    """Trivial runs with the engine's query turned off and with it, taken in turns.

    Taken in turns so that the machine's slower and faster moments fall on both sides.
    """
    # papermill first: it loads the engine through its entry point, which must not
    # find the engine's module half-imported.
    import papermill  # noqa: F401

    from greenhouse_ext.execution import engine

    asked = engine.query_kernel
    took: dict[bool, list[float]] = {False: [], True: []}
    try:
        with tempfile.TemporaryDirectory() as folder:
            nb = write_notebook(Path(folder, "nb.ipynb"), "python3")
            for _ in range(rounds):
                for query in (False, True):
                    engine.query_kernel = asked if query else _no_query  # type: ignore[assignment]
                    started = time.perf_counter()
                    run = execute(prepare(nb, {})).run
                    took[query].append(time.perf_counter() - started)
                    assert run.status.value == "succeeded"
                    recorded = run.provenance is not None and run.provenance.python != "unknown"
                    assert recorded == query
            return took[False], took[True]
    finally:
        engine.query_kernel = asked


def greenhouse(folder: Path, environ: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"greenhouse {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def time_reproduce(rounds: int) -> tuple[list[float], list[float]]:
    """``reproduce --env recorded`` cold and warm, of a version made in its own venv."""
    uv = find_uv()
    with tempfile.TemporaryDirectory() as root:
        venv = Path(root, "venv")
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        python = str(venv / "bin" / "python")
        subprocess.run([uv, "pip", "install", "-q", "--python", python, "ipykernel"], check=True)
        spec = Path(root, "jupyter", "kernels", KERNEL)
        spec.mkdir(parents=True)
        argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
        )
        project = Path(root, "project")
        project.mkdir()
        (project / ".greenhouse").mkdir()
        write_notebook(project / "nb.ipynb", KERNEL)
        environ = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
        environ["JUPYTER_PATH"] = str(Path(root, "jupyter"))
        run = json.loads(greenhouse(project, environ, "run", "nb.ipynb", "--json"))
        greenhouse(project, environ, "publish", run["id"], "--name", "bench")
        reproduce = ("reproduce", "bench@1", "--env", "recorded")
        cold, warm = [], []
        for _ in range(rounds):
            greenhouse(project, environ, "env", "cache", "prune", "--all")
            cold.append(timed(lambda: greenhouse(project, environ, *reproduce)))
            warm.append(timed(lambda: greenhouse(project, environ, *reproduce)))
        return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--reproduce-rounds", type=int, default=3)
    parser.add_argument("--skip-reproduce", action="store_true")
    options = parser.parse_args()
    rounds = options.rounds
    query = statistics.median(time_query(rounds))
    print(f"environment query alone:        median {query * 1000:7.1f} ms over {rounds} rounds")
    time_runs(1)  # the fork server's start is no part of either side
    offs, ons = time_runs(rounds)
    off, on = statistics.median(offs), statistics.median(ons)
    print(f"trivial run, query turned off:  median {off * 1000:7.1f} ms over {rounds} rounds")
    print(f"trivial run, query included:    median {on * 1000:7.1f} ms over {rounds} rounds")
    print(f"what the query adds to a run:          {(on - off) * 1000:7.1f} ms")
    if options.skip_reproduce:
        return
    cold, warm = time_reproduce(options.reproduce_rounds)
    n = options.reproduce_rounds
    for name, took in (("cold", cold), ("warm", warm)):
        median = statistics.median(took)
        print(f"reproduce --env recorded, {name}: median {median:7.2f} s over {n} rounds")


if __name__ == "__main__":
    main()
