"""The embedded store (SQLite + a local folder) and the team store (PostgreSQL + S3) side by side.

Starts its own throwaway PostgreSQL cluster and moto S3 server (the test suite's
``tests/services.py``), then measures, for each store:

- publishes per second of one writer, and of 8 writer processes publishing the same name
  at once: the whole ``publish`` (report rendered, objects stored, number taken), and the
  numbering alone (``Store.add_version``, the index transaction);
- the time of ``greenhouse runs`` (a fresh process, as a user starts it) over an index of
  10,000 runs: the default listing, and with ``--user``.

Usage: ``python benchmarks/team_store.py [--runs N] [--publishes P] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from services import running_services, service_environment

from greenhouse_ext.artefacts import publish
from greenhouse_ext.models import Provenance, Run, RunStatus, Version
from greenhouse_ext.store import Store, StoreConfig, write_config

WRITERS = 8
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "c1",
            "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "0.93\n"}],
            "source": "print(0.93)",
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def a_run(index: int, user: str, output: str | None = None) -> Run:
    return Run(
        id=f"{index:08d}{os.urandom(2).hex()}",
        notebook=f"nb{index % 50}.ipynb",
        status=RunStatus.SUCCEEDED,
        parameters={"seed": index},
        created_at=f"2026-01-01T{index // 3600 % 24:02d}:{index // 60 % 60:02d}:{index % 60:02d}",
        metrics={"accuracy": 0.9},
        source_object=output,
        output_object=output,
        provenance=Provenance(
            source_sha256="0" * 64,
            kernel="python3",
            python="3.11",
            packages={},
            packages_sha256="0" * 64,
            git=None,
            inputs=[],
            host="bench",
            user=user,
            greenhouse_version="0",
            papermill_version="0",
        ),
    )


def _writer(root: str, run_id: str, count: int, whole: bool, barrier: Any) -> None:
    store = Store.open(root)
    barrier.wait()
    for index in range(count):
        if whole:
            publish(store, run_id, "model")
        else:
            version = Version("numbers", 0, run_id, "2026-01-01", f"{os.getpid()}-{index}")
            store.add_version(version)
    store.close()


def publish_rate(root: Path, run_id: str, writers: int, count: int, whole: bool) -> float:
    """Publishes per second of ``writers`` processes each publishing ``count`` times."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(writers + 1)
    arguments = (str(root), run_id, count, whole, barrier)
    processes = [context.Process(target=_writer, args=arguments) for _ in range(writers)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
        assert process.exitcode == 0
    return writers * count / (time.perf_counter() - started)


def timed_runs(project: Path, rounds: int, *args: str) -> float:
    """The median seconds of ``greenhouse runs ARGS`` in ``project``."""
    command = [str(Path(sys.executable).parent / "greenhouse"), "runs", *args]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(command, cwd=project, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(project: Path, runs: int, publishes: int, rounds: int) -> dict[str, float]:
    import greenhouse_ext.artefacts.report  # noqa: F401  (imported once, before the writers fork)

    root = project / ".greenhouse"
    store = Store.open(root)
    output = store.put_object(json.dumps(NOTEBOOK).encode())
    seed = a_run(0, "alice", output)
    store.save_run(seed)
    store.close()
    figures = {}
    for whole, label in ((True, "publish"), (False, "numbering")):
        one = publish_rate(root, seed.id, 1, publishes, whole)
        eight = publish_rate(root, seed.id, WRITERS, max(1, publishes // WRITERS * 2), whole)
        figures[f"{label}, 1 writer (per s)"] = one
        figures[f"{label}, {WRITERS} writers (per s)"] = eight
    store = Store.open(root)
    versions = [v.number for v in store.list_versions("model")]
    assert versions == list(range(1, len(versions) + 1)), "numbers with a gap or a duplicate"
    for index in range(1, runs):
        store.save_run(a_run(index, "alice" if index % 10 else "bob", output))
    store.close()
    figures[f"greenhouse runs, {runs:,} runs (s)"] = timed_runs(project, rounds)
    figures[f"greenhouse runs --user bob, {runs:,} runs (s)"] = timed_runs(
        project, rounds, "--user", "bob"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--publishes", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(service_environment())
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder, running_services() as (postgres, s3):
        embedded = Path(folder) / "embedded"
        (embedded / ".git").mkdir(parents=True)
        team = Path(folder) / "team"
        (team / ".git").mkdir(parents=True)
        config = StoreConfig(postgres.database(), f"s3://{s3.bucket()}/bench", s3.endpoint_url)
        write_config(team, config)
        for label, project in (("SQLite + folder", embedded), ("PostgreSQL + S3", team)):
            results[label] = measure(project, args.runs, args.publishes, args.rounds)
    labels = list(results)
    width = max(len(k) for k in results[labels[0]])
    print(f"{'':<{width}}  " + "  ".join(f"{label:>16}" for label in labels))
    for key in results[labels[0]]:
        print(f"{key:<{width}}  " + "  ".join(f"{results[lb][key]:>16.3f}" for lb in labels))


if __name__ == "__main__":
    main()
