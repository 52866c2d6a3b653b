"""The process a server starts for one run: its command's options, its values file, its end."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..models import Run, RunError, RunStatus
from ..store import identity
from .execute import Job
from .runserver import SERVER_COMMAND

VALUES_PREFIX = "greenhouse-values-"
"""The start of the name of the private temporary folder holding one run's values."""


def write_values(folder: str, values: Mapping[str, Any]) -> str:
    """Write a run's values (secrets too) into ``folder``, which only this user can read."""
    path = os.path.join(folder, "values.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(dict(values), handle)
    return path


def ended_outcome(returncode: int | None, cancelled: bool) -> tuple[RunStatus, RunError]:
    """The status and error of a run whose process ended without recording an outcome
    (``returncode`` None: it ended after the run server that started it, unreported)."""
    if cancelled:
        return RunStatus.CANCELLED, RunError(
            reason="cancelled", evalue="cancelled before the notebook started"
        )
    if returncode is None:
        return RunStatus.INTERRUPTED, RunError(
            reason="the run's process ended without recording an outcome, after the run "
            "server that started it had stopped; its log says why"
        )
    if returncode < 0:
        name = signal.Signals(-returncode).name
        return RunStatus.INTERRUPTED, RunError(reason=f"the run's process was killed by {name}")
    return RunStatus.FAILED, RunError(
        reason=f"the run's process exited with code {returncode} before recording an "
        "outcome; its log says why"
    )


def runs_here(run: Run) -> bool:
    """True when the process ``run`` names is, on this machine, the one started for it.

    Its command line must name the run, or it must be a run forked by the run server
    (whose command line it keeps) that is still the very process the record names (the
    same start time), so that a pid reused by another process, or recorded on another
    machine sharing the index, is never signalled.
    """
    if run.pid is None:
        return False
    try:
        arguments = Path(f"/proc/{run.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if f"--run-id={run.id}".encode() in arguments:
        return True
    return (
        SERVER_COMMAND.encode() in arguments
        and run.identity is not None
        and identity.is_alive(run.identity, run.pid)
    )


def execution_options(job: Job) -> list[str]:
    """The options of `greenhouse run` and `sweep` for the timeouts and kernel of ``job``."""
    options = []
    if job.timeout is not None:
        options.append(f"--timeout={float(job.timeout)!r}")
    if job.timeout_run is not None:
        options.append(f"--timeout-run={float(job.timeout_run)!r}")
    if job.kernel is not None:
        options.append(f"--kernel={job.kernel}")
    return options
