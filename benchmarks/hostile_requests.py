"""What two hostile requests cost a real server: a sweep grid of 9,261,000 points, and one read
of a sweep of 20,000 runs.

1. ``POST sweeps`` with three axes of 210 values (a 2.9 kB body): the answer's time and
   status, and the server's peak resident memory (Linux ``VmHWM``) after it.
2. A store seeded directly with N runs (default 20,000) of one sweep, each with a
   provenance of about 7 kB; ``GET sweeps/{id}`` timed and measured while another thread
   asks Jupyter's own ``/api/status`` every 20 ms, whose slowest answer is printed.

Usage: ``python benchmarks/hostile_requests.py [--runs N] [--skip-grid] [--seeded DIR]``;
run it with ``PYTHONPATH`` naming a checkout to measure that checkout's server.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from greenhouse_ext.models import Provenance, Run, RunStatus
from greenhouse_ext.store import Store

TOKEN = "greenhouse-bench"
SWEEP = "bench0sweep1"
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "p",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": "a = 0\nb = 0\nc = 0",
        }
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def start(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser"]
    command += [f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={TOKEN}"]
    command += [f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    process = subprocess.Popen(command, cwd=root, **quiet)
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            call(f"{url}/api/status")
            return process, url
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise TimeoutError("the server did not answer")


def call(url: str, body: bytes | None = None, timeout: float = 600) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def peak_memory_mb(process: subprocess.Popen[bytes]) -> float:
    status = Path(f"/proc/{process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def huge_grid(root: Path) -> None:
    root.mkdir()
    (root / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    process, url = start(root)
    try:
        axis = list(range(210))
        body = json.dumps({"notebook": "nb.ipynb", "parameters": {"a": axis, "b": axis, "c": axis}})
        before = peak_memory_mb(process)
        started = time.perf_counter()
        try:
            status, _ = call(f"{url}/greenhouse/api/sweeps", body.encode(), timeout=120)
        except TimeoutError:
            status = 0
        elapsed = time.perf_counter() - started
        print(
            f"POST sweeps, 3 x 210 grid ({len(body):,} bytes): status {status or 'none (timeout)'} "
            f"in {elapsed:.2f} s; server peak memory {before:.0f} MB before, "
            f"{peak_memory_mb(process):.0f} MB after"
        )
    finally:
        process.kill()
        process.wait()


def seed(store: Store, runs: int) -> None:
    packages = {f"package-number-{n}": f"{n}.{n}.{n}" for n in range(200)}
    for index in range(runs):
        store.save_run(
            Run(
                id=f"{index:06d}{os.urandom(3).hex()}",
                notebook="nb.ipynb",
                status=RunStatus.SUCCEEDED,
                parameters={"a": index, "b": index % 7},
                created_at=f"2026-01-01T{index // 3600:02d}:{index // 60 % 60:02d}:"
                f"{index % 60:02d}",
                metrics={"score": index / runs},
                sweep_id=SWEEP,
                provenance=Provenance(
                    source_sha256="0" * 64,
                    kernel="python3",
                    python="3.12.0",
                    packages=packages,
                    packages_sha256="1" * 64,
                    git=None,
                    inputs=[],
                    host="bench",
                    user="bench",
                    greenhouse_version="0",
                    papermill_version="2.7.0",
                ),
            )
        )


def big_sweep(root: Path, runs: int) -> None:
    if not (root / "nb.ipynb").exists():
        root.mkdir()
        (root / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
        started = time.perf_counter()
        store = Store(root / ".greenhouse")
        seed(store, runs)
        store.close()
        print(f"seeded {runs:,} runs of one sweep in {time.perf_counter() - started:.0f} s")
    process, url = start(root)
    try:
        call(f"{url}/greenhouse/api/runs?limit=1")
        answer: dict[str, float] = {}

        def read() -> None:
            begun = time.perf_counter()
            status, body = call(f"{url}/greenhouse/api/sweeps/{SWEEP}")
            answer.update(status=status, size=len(body), seconds=time.perf_counter() - begun)

        reader = threading.Thread(target=read)
        reader.start()
        latencies = []
        while reader.is_alive():
            begun = time.perf_counter()
            call(f"{url}/api/status")
            latencies.append(time.perf_counter() - begun)
            time.sleep(0.02)
        reader.join()
        print(
            f"GET sweeps/{{id}} of {runs:,} runs: status {answer['status']}, "
            f"{answer['size'] / 1e6:.2f} MB in {answer['seconds']:.2f} s; "
            f"/api/status during it: {len(latencies)} answers, "
            f"slowest {max(latencies) * 1000:.0f} ms"
        )
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--skip-grid", action="store_true", help="Measure the sweep read only.")
    parser.add_argument(
        "--seeded", type=Path, help="Keep the seeded sweep's folder here, and reuse it if there."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if not args.skip_grid:
            huge_grid(Path(folder) / "grid")
        big_sweep(args.seeded or Path(folder) / "sweep", args.runs)


if __name__ == "__main__":
    main()
