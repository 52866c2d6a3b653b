"""What the engine observes while it executes one notebook, handed back to the caller."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..models import CellTiming, KernelEnvironment, ProgressCallback, RunError
from .kernel_env import EnvironmentQuery


@dataclass
class ExecutionTrace:
    """What the engine observed while executing one notebook.

    The caller creates it, passes it to papermill as the ``greenhouse_trace`` engine
    argument and reads it afterwards, whether the run succeeded or not. The whole-run
    timeout ``timeout_run`` counts from the trace's creation.
    """

    on_progress: ProgressCallback | None = None
    timeout_run: float | None = None
    started: float = field(default_factory=time.monotonic)
    nb: Any = None
    timings: list[CellTiming] = field(default_factory=list)
    error: RunError | None = None
    environment_query: EnvironmentQuery = field(default_factory=EnvironmentQuery)
    environment: KernelEnvironment | None = None
    kernel_manager: Any = None

    def remaining(self) -> float | None:
        """Seconds left before the whole-run timeout (None without one; 0 once it passed)."""
        if self.timeout_run is None:
            return None
        return max(0.0, self.started + self.timeout_run - time.monotonic())

    def progress(self, done: int, total: int, current: int | None) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total, current)
