"""Sweeps on Dask: a real scheduler and real worker processes on this machine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from notebooks import write_notebook
from test_cli_sweep import greenhouse, interrupt_like_a_terminal, stored_runs

from greenhouse_ext.store import Store

BIN = Path(sys.executable).parent
SLOW = (
    "import os, time\n"
    "open(f'kernel-{i}', 'w').write(str(os.getpid()))\n"
    "time.sleep(seconds)\n"
    "from greenhouse_ext import record\n"
    "record('i', i)"
)


@dataclass
class Cluster:
    address: str
    workers: list[subprocess.Popen[bytes]]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A ``dask scheduler`` and two single-threaded ``dask worker`` processes (no nanny)."""
    scheduler_file = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--scheduler-file", str(scheduler_file),
         "--port", "0", "--no-dashboard", "--host", "127.0.0.1"],
        **quiet,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not scheduler_file.exists():
        assert time.monotonic() < deadline, "the scheduler did not start"
        time.sleep(0.2)
    worker = [str(BIN / "dask"), "worker", "--scheduler-file", str(scheduler_file),
              "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"]  # fmt: skip
    workers = [subprocess.Popen(worker, **quiet) for _ in range(2)]
    yield Cluster(json.loads(scheduler_file.read_text())["address"], workers)
    for process in [*workers, scheduler]:
        process.kill()
        process.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_kernels(folder: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 120
    while len(list(folder.glob("kernel-*"))) < count:
        assert time.monotonic() < deadline, "the runs did not start"
        time.sleep(0.2)
    time.sleep(0.2)
    return [int(p.read_text()) for p in folder.glob("kernel-*")]


def _gone(pids: list[int], within: float) -> None:
    deadline = time.monotonic() + within
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "a kernel was left behind"
        time.sleep(0.2)


def test_dask_local_runs_on_worker_processes_and_the_client_stores(tmp_path: Path) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(
        tmp_path / "report.ipynb",
        "region = 'eu'",
        "import os\nfrom greenhouse_ext import record, record_file\n"
        "open(f'{region}.csv', 'w').write(f'region,{region}\\n')\n"
        "record_file(f'{region}.csv', 'table.csv')\nrecord('region_length', len(region))",
    )
    done = greenhouse(
        "sweep", "report.ipynb", "-p", "region", "eu,us,asia", "--dask", "local", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    runs = {r["parameters"]["region"]: r for r in result["runs"]}
    assert {k: r["metrics"]["region_length"] for k, r in runs.items()} == {
        "eu": 2,
        "us": 2,
        "asia": 4,
    }
    store = Store(tmp_path / ".greenhouse")
    for region, run in runs.items():
        stored = store.get_run(run["id"])
        assert stored.sweep_id == result["sweep"] and stored.pid != os.getpid()
        (entry,) = stored.files
        assert store.get_object(entry.sha256) == f"region,{region}\n".encode()
        assert b"region_length" in store.get_object(str(stored.output_object))
    assert len(stored_runs(tmp_path, "--sweep", result["sweep"])) == 3


def test_a_worker_killed_mid_sweep_has_its_run_retried_elsewhere(
    tmp_path: Path, cluster: Cluster
) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "slow.ipynb", "i = 0\nseconds = 3", SLOW)
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    sweep = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "sweep", "slow.ipynb", "-p", "i", "1,2,3,4",
         "--dask", cluster.address, "--json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    orphans = _wait_for_kernels(tmp_path, 2)
    cluster.workers[0].kill()
    stdout, stderr = sweep.communicate(timeout=180)
    assert sweep.returncode == 0, stderr
    runs = json.loads(stdout)["runs"]
    assert sorted(r["metrics"]["i"] for r in runs) == [1, 2, 3, 4]
    assert {r["status"] for r in runs} == {"succeeded"}
    assert len(stored_runs(tmp_path)) == 4
    _gone(orphans, within=30)


def test_cancelling_a_dask_sweep_stops_its_running_kernels(
    tmp_path: Path, cluster: Cluster
) -> None:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "slow.ipynb", "i = 0\nseconds = 120", SLOW)
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    sweep = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "sweep", "slow.ipynb", "-p", "i", "1,2,3",
         "--dask", cluster.address],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    kernels = _wait_for_kernels(tmp_path, 2)
    sweep.send_signal(signal.SIGINT)
    _, stderr = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, stderr
    _gone(kernels, within=10)
    assert all(worker.poll() is None for worker in cluster.workers)
    assert sorted(r["status"] for r in stored_runs(tmp_path)) == ["cancelled"] * 3


def test_ctrl_c_on_a_local_cluster_cancels_its_runs(tmp_path: Path) -> None:
    (tmp_path / ".greenhouse").mkdir()
    interrupt_like_a_terminal(tmp_path, "-p", "i", "1,2,3", "--dask", "local")
    runs = stored_runs(tmp_path)
    assert sorted(r["status"] for r in runs) == ["cancelled"] * 3
