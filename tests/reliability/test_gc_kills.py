"""kill -9 a real `greenhouse gc` at several moments: the index stays intact, every record
names only objects that are there, every version verifies, and the next gc finishes the job."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from faults import greenhouse

from greenhouse_ext.artefacts import publish
from greenhouse_ext.errors import GreenhouseError
from greenhouse_ext.models import Execution, RecordedFile, Run, RunStatus, now
from greenhouse_ext.store import Store, record_objects, sha256_bytes

RUNS = 240
FILES_PER_RUN = 8
IMAGE = base64.b64encode(bytes(range(256)) * 300).decode()
"""An image output long enough to be kept apart when packed: a part several notebooks share."""
DEADLINE_S = 60.0
GC = ("gc", "--keep-last", "1", "--grace", "1s")


def notebook(text: str, image: bool) -> bytes:
    outputs = [{"output_type": "display_data", "data": {"image/png": IMAGE}, "metadata": {}}]
    cells = [
        {"cell_type": "markdown", "id": "note", "metadata": {}, "source": text},
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "plot",
            "metadata": {},
            "outputs": outputs if image else [],
            "source": "plot()",
        },
    ]
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document).encode()


def seed(store: Store, index: int) -> Run:
    files = {f"part-{n}.csv": f"run {index} part {n}\n".encode() * 50 for n in range(FILES_PER_RUN)}
    run = Run(
        id=f"{index:04d}{'f' * 8}",
        notebook="train.ipynb",
        status=RunStatus.SUCCEEDED,
        parameters={"index": index},
        created_at=now(),
        finished_at=now(),
        files=[RecordedFile(n, sha256_bytes(d), len(d)) for n, d in files.items()],
    )
    output = notebook(f"run {index}", image=index % 3 == 0)
    return store.save_execution(
        Execution(run=run, source=notebook("source", False), output=output, files=files)
    )


def object_paths(project: Path) -> set[str]:
    root = project / ".greenhouse" / "objects"
    return {p.relative_to(root).as_posix() for p in root.glob("*/*") if p.parent.name != "tmp"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], set[str]]:
    """A store of many runs, the first published; the object files a whole gc removes, in
    the order it removes them; and the runs it keeps."""
    folder = tmp_path_factory.mktemp("gc-template")
    store = Store(folder / ".greenhouse")
    runs = [seed(store, index) for index in range(RUNS)]
    publish(store, runs[0].id, "model")
    store.close()
    whole = tmp_path_factory.mktemp("gc-whole")
    shutil.copytree(folder, whole, dirs_exist_ok=True)
    time.sleep(1.1)  # past the grace that GC gives: only what is named is spared
    assert greenhouse(*GC, cwd=whole).returncode == 0
    garbage = sorted(object_paths(folder) - object_paths(whole))
    assert len(garbage) > RUNS * FILES_PER_RUN
    return folder, garbage, {runs[0].id, runs[-1].id}


def start_gc(project: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    return subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", *GC],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def kill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()`` holds; False when it ended first."""
    deadline = time.monotonic() + DEADLINE_S
    while not ready():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the moment to kill gc never came"
        time.sleep(0.001)
    proc.kill()
    proc.wait(timeout=30)
    return proc.returncode == -9


def run_count(project: Path) -> Callable[[], int]:
    db = sqlite3.connect(project / ".greenhouse" / "index.sqlite", isolation_level=None)
    return lambda: int(db.execute("SELECT count(*) FROM runs").fetchone()[0])


def consistent(project: Path) -> bool:
    """The index intact, every stored record's objects readable, every version verified."""
    with sqlite3.connect(project / ".greenhouse" / "index.sqlite") as db:
        if db.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            return False
    store = Store(project / ".greenhouse")
    try:
        for run in store.list_runs():
            for _, digest in record_objects(run):
                store.get_object(digest)
        versions = [v.ref for name in store.artefact_names() for v in store.list_versions(name)]
    except GreenhouseError:
        return False
    finally:
        store.close()
    assert versions, "no version to verify: the test proves nothing"
    return all(greenhouse("verify", ref, cwd=project).returncode == 0 for ref in versions)


MOMENTS = ["starting", "rows deleted", "a quarter removed", "half removed", "most removed"]


@pytest.mark.parametrize("moment", MOMENTS)
def test_gc_killed_midway_leaves_a_consistent_store(
    template: tuple[Path, list[str], set[str]], tmp_path: Path, moment: str, ledger
) -> None:
    folder, garbage, kept = template
    project = tmp_path / "project"
    shutil.copytree(folder, project)
    objects = project / ".greenhouse" / "objects"
    count = run_count(project)
    share = {"a quarter removed": 0.25, "half removed": 0.5, "most removed": 0.9}.get(moment)
    started = time.monotonic()
    if moment == "starting":
        ready: Callable[[], bool] = lambda: time.monotonic() - started > 0.2  # noqa: E731
    elif moment == "rows deleted":
        ready = lambda: count() < RUNS  # noqa: E731
    else:
        watched = objects / garbage[int(len(garbage) * (share or 0))]
        ready = lambda: not watched.exists()  # noqa: E731

    killed = kill_when(start_gc(project), ready)

    left = set(garbage) & object_paths(project)
    midway = {
        "starting": count() == RUNS and len(left) == len(garbage),
        "rows deleted": count() == len(kept) and len(left) > 0,
    }.get(moment, count() == len(kept) and 0 < len(left) < len(garbage))
    held = consistent(project)
    again = greenhouse(*GC, cwd=project)
    finished = again.returncode == 0 and not set(garbage) & object_paths(project)
    ledger.add("kill -9", "gc at a moment of its work", held and finished)
    assert killed and midway, f"gc was not killed {moment}: {len(left)} objects left"
    assert held
    assert finished, again.stderr
    assert {
        run["id"] for run in json.loads(greenhouse("runs", "--json", cwd=project).stdout)
    } == kept
    assert consistent(project)
