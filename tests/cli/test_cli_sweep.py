"""`greenhouse sweep` end to end: real worker processes, real kernels, the store afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from notebooks import write_notebook

PARAMS = "rate: float = 0.1\nregion = 'eu'"
BODY = (
    "import os\n"
    "from greenhouse_ext import record\n"
    "if region == 'bad':\n"
    "    raise ValueError('no data for region bad')\n"
    "record('score', rate * 10)\n"
    "record('kernel_parent', os.getppid())"
)


def stored_runs(project: Path, *args: str) -> list[dict[str, Any]]:
    listing = greenhouse("runs", "--json", "--limit", "100", *args, cwd=project)
    assert listing.returncode == 0, listing.stderr
    result: list[dict[str, Any]] = json.loads(listing.stdout)
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".greenhouse").mkdir()
    write_notebook(tmp_path / "score.ipynb", PARAMS, BODY)
    return tmp_path


def test_product_sweep_isolates_a_failure_and_keeps_every_run(project: Path) -> None:
    done = greenhouse(
        "sweep", "score.ipynb", "-p", "rate", "0.5,0.2", "-p", "region", "eu,bad",
        "--sort", "-score", cwd=project,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "RUN", "STATUS", "rate", "region", "score", "kernel_parent", "ERROR",
    ]  # fmt: skip
    table = [line.split() for line in lines[1:]]
    assert [(row[1], row[2], row[3], row[4]) for row in table] == [
        ("succeeded", "0.5", "eu", "5"),
        ("succeeded", "0.2", "eu", "2"),
        ("failed", "0.5", "bad", "-"),
        ("failed", "0.2", "bad", "-"),
    ]
    assert [line.endswith("ValueError: no data for region bad") for line in lines[1:]] == [
        False, False, True, True,
    ]  # fmt: skip
    assert "2 succeeded, 2 failed" in done.stderr
    sweep_id = done.stderr.split()[1].rstrip(":")

    runs = stored_runs(project, "--sweep", sweep_id)
    assert len(runs) == 4 and {r["sweep_id"] for r in runs} == {sweep_id}
    failed = [r for r in runs if r["status"] == "failed"]
    assert {r["error"]["reason"] for r in failed} == {"exception"}
    assert {r["error"]["evalue"] for r in failed} == {"no data for region bad"}
    for run in runs:
        assert run["provenance"]["kernel"] == "python3" and run["has_notebook"]
    again = greenhouse("runs", "--sweep", sweep_id, "--sort", "score", cwd=project)
    assert again.returncode == 0, again.stderr
    header, *rows = [line.split() for line in again.stdout.splitlines()]
    assert [row[header.index("score")] for row in rows] == ["2", "5", "-", "-"]

    side = greenhouse("diff", "--sweep", sweep_id, cwd=project)
    assert side.returncode == 0, side.stderr
    rows = {line.split()[0]: line.split()[1:] for line in side.stdout.splitlines()[1:]}
    assert sorted(rows["region"]) == ["bad", "bad", "eu", "eu"]
    assert sorted(rows["score"]) == ["-", "-", "2", "5"]
    ok = [r["id"] for r in runs if r["status"] == "succeeded"]
    pair = greenhouse("diff", *ok, "--json", cwd=project)
    assert pair.returncode == 0, pair.stderr
    metrics = {m["name"]: m for m in json.loads(pair.stdout)["metrics"]}
    assert {metrics["score"]["a"], metrics["score"]["b"]} == {2, 5}


def test_list_grid_file_runs_each_set(project: Path) -> None:
    (project / "grid.yaml").write_text(
        "runs:\n  - {rate: 1, region: 'eu, west'}\n  - {rate: 0.3}\n"
    )
    done = greenhouse("sweep", "score.ipynb", "--grid", "grid.yaml", "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [r["parameters"] for r in result["runs"]] == [
        {"rate": 1.0, "region": "eu, west"},
        {"rate": 0.3},
    ]
    assert [r["metrics"]["score"] for r in result["runs"]] == [10, 3]
    assert {r["id"] for r in stored_runs(project, "--sweep", result["sweep"])} == {
        r["id"] for r in result["runs"]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "rate", "0.1,fast,0.3"], 'Set 2 of 3 (rate="fast") is invalid'),
        (["-p", "rat", "0.1"], 'Set 1 of 1 (rat="0.1") is invalid'),
        (["--grid", "grid.yaml"], "Set 2 of 2 (rate=-1) is invalid"),
        (["-p", "rate", "0.1", "--grid", "grid.yaml"], "either as -p NAME V1,V2 or as --grid"),
        (["-p", "rate", "0.1", "--sort", "nope"], "--sort 'nope' names no column"),
    ],
    ids=["bad-type", "unknown-name", "grid-bound", "both-forms", "bad-sort"],
)
def test_a_bad_set_rejects_the_whole_sweep(project: Path, args: list[str], message: str) -> None:
    write_notebook(project / "bounded.ipynb", "rate = 0.5  # | min=0", "x = rate")
    (project / "grid.yaml").write_text("runs:\n  - {rate: 0.5}\n  - {rate: -1}\n")
    notebook = "score.ipynb" if "--sort" in args else "bounded.ipynb"
    done = greenhouse("sweep", notebook, *args, cwd=project)
    assert message in done.stderr
    if "--sort" in args:
        assert done.returncode == 0 and len(stored_runs(project)) == 1
    else:
        assert done.returncode == 2 and stored_runs(project) == []


def test_retries_cover_a_dead_kernel_but_never_a_notebook_exception(project: Path) -> None:
    write_notebook(
        project / "flaky.ipynb",
        "mode = 'ok'",
        "import os\n"
        "from greenhouse_ext import record\n"
        "with open(f'attempts-{mode}', 'a') as f:\n"
        "    f.write('x')\n"
        "attempts = len(open(f'attempts-{mode}').read())\n"
        "if mode == 'crash' and attempts == 1:\n"
        "    os._exit(1)\n"
        "if mode == 'raise':\n"
        "    raise RuntimeError('a bug in the notebook')\n"
        "record('attempts', attempts)",
    )
    done = greenhouse(
        "sweep", "flaky.ipynb", "-p", "mode", "crash,raise,ok", "--retries", "2", "--json",
        cwd=project,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    runs = {r["parameters"]["mode"]: r for r in json.loads(done.stdout)["runs"]}
    assert runs["crash"]["status"] == "succeeded" and runs["crash"]["metrics"]["attempts"] == 2
    assert runs["raise"]["status"] == "failed" and runs["raise"]["error"]["reason"] == "exception"
    assert (project / "attempts-raise").read_text() == "x"
    assert runs["ok"]["metrics"]["attempts"] == 1
    assert len(stored_runs(project)) == 3

    (project / "attempts-crash").unlink()
    no_retry = greenhouse("sweep", "flaky.ipynb", "-p", "mode", "crash", "--json", cwd=project)
    (crashed,) = json.loads(no_retry.stdout)["runs"]
    assert no_retry.returncode == 1
    assert crashed["status"] == "failed" and crashed["error"]["reason"] == "kernel died"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


SLOW = "import os, time\nopen(f'kernel-{i}', 'w').write(str(os.getpid()))\ntime.sleep(120)"


def interrupt_like_a_terminal(project: Path, *options: str) -> tuple[str, str, list[int]]:
    """Start a sweep of slow runs in its own process group, and Ctrl-C the whole group
    once two runs are running. Returns its stdout, stderr and the two kernels' pids."""
    write_notebook(project / "slow.ipynb", "i = 0", SLOW)
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    command = [sys.executable, "-m", "greenhouse_ext", "sweep", "slow.ipynb", *options]
    proc = subprocess.Popen(
        command,
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len(list(project.glob("kernel-*"))) < 2:
        assert time.monotonic() < deadline and proc.poll() is None, "the runs did not start"
        time.sleep(0.2)
    time.sleep(0.2)
    kernels = [int(p.read_text()) for p in project.glob("kernel-*")]
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in kernels):
        assert time.monotonic() < deadline, "a kernel outlived the cancelled sweep"
        time.sleep(0.2)
    return stdout, stderr, kernels


def test_ctrl_c_cancels_runs_in_flight_and_leaves_no_kernel(project: Path) -> None:
    stdout, stderr, _ = interrupt_like_a_terminal(project, "-p", "i", "1,2,3,4")
    assert (
        "0 succeeded, 0 failed, 4 cancelled; the sweep was cancelled (2 of them not started)"
        in (stderr)
    )
    runs = stored_runs(project)
    assert [r["status"] for r in runs] == ["cancelled"] * 4
    assert sorted(r["error"]["reason"] for r in runs) == [
        "cancelled",
        "cancelled",
        "not started: the sweep was cancelled first",
        "not started: the sweep was cancelled first",
    ]
    assert stdout.count("not started") == 2


def test_a_local_worker_killed_mid_sweep_has_its_run_retried(project: Path) -> None:
    write_notebook(
        project / "kill.ipynb",
        "i = 0",
        "import os, time\n"
        "from greenhouse_ext import record\n"
        "with open(f'attempts-{i}', 'a') as f:\n"
        "    f.write('x')\n"
        "if i == 2 and len(open(f'attempts-{i}').read()) == 1:\n"
        "    server = os.getppid()\n"
        "    worker = int(open(f'/proc/{server}/stat').read().split()[3])\n"
        "    os.kill(worker, 9)\n"
        "    time.sleep(60)\n"
        "record('done', i)",
    )
    flaky = greenhouse("sweep", "kill.ipynb", "-p", "i", "1,2,3", "--json", cwd=project)
    assert flaky.returncode == 1
    lost = [r for r in json.loads(flaky.stdout)["runs"] if r["status"] == "failed"]
    assert {r["error"]["reason"] for r in lost} == {
        "the worker running it was lost: BrokenProcessPool: A process in the process pool "
        "was terminated abruptly while the future was running or pending."
    }
    for path in project.glob("attempts-*"):
        path.unlink()
    done = greenhouse(
        "sweep", "kill.ipynb", "-p", "i", "1,2,3", "--retries", "1", "--json", cwd=project
    )
    assert done.returncode == 0, done.stderr
    assert sorted(r["metrics"]["done"] for r in json.loads(done.stdout)["runs"]) == [1, 2, 3]
    assert (project / "attempts-2").read_text() == "xx"
