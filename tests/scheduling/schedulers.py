"""Helpers for scheduler tests: projects, real `greenhouse scheduler` processes, reading back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from notebooks import write_notebook

from greenhouse_ext.store import Occurrence, Store


def project(folder: Path, *cells: str, parameters: str = "x = 1  # int") -> Path:
    """A git work tree with a store and ``nb.ipynb`` running ``cells``."""
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    (folder / ".greenhouse").mkdir(exist_ok=True)
    write_notebook(folder / "nb.ipynb", parameters, *(cells or ("y = x + 1",)))
    return folder


def environment(index_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    if index_url is not None:
        env["GREENHOUSE_INDEX_URL"] = index_url
    return env


def greenhouse(folder: Path, *args: str, index_url: str | None = None) -> str:
    """Run a `greenhouse` command in ``folder``; assert that it succeeds; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=240,
        env=environment(index_url),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@contextmanager
def schedulers(
    folder: Path, count: int, *options: str, index_url: str | None = None
) -> Iterator[list[subprocess.Popen[str]]]:
    """``count`` `greenhouse scheduler` processes on the store of ``folder``; stopped (SIGTERM,
    then waited for) when the block ends; their logs under ``folder/scheduler-N.log``."""
    processes = []
    for index in range(count):
        log = (folder / f"scheduler-{index}.log").open("w")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "greenhouse_ext", "scheduler", "--tick", "0.3", *options],
                cwd=folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                env=environment(index_url),
            )
        )
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def occurrences(folder: Path, index_url: str | None = None) -> list[Occurrence]:
    """Every occurrence in the store of ``folder``, oldest first."""
    store = Store(folder / ".greenhouse", index_url=index_url)
    try:
        return store.find_occurrences()
    finally:
        store.close()


def logs(folder: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(folder.glob("scheduler-*.log")))
