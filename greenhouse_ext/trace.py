"""What the engine observes while it executes one notebook, handed back to the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import CellTiming, RunError

ProgressCallback = Callable[[int, int, int | None], None]
"""Called with (cells finished, total cells, index of the cell now running or None)."""


@dataclass
class ExecutionTrace:
    """What the engine observed while executing one notebook.

    The caller creates it, passes it to papermill as the ``greenhouse_trace`` engine
    argument and reads it afterwards, whether the run succeeded or not.
    """

    on_progress: ProgressCallback | None = None
    nb: Any = None
    timings: list[CellTiming] = field(default_factory=list)
    error: RunError | None = None
    kernel_python: str | None = None
    kernel_executable: str | None = None
    kernel_packages: dict[str, str] | None = None
    kernel_manager: Any = None

    def progress(self, done: int, total: int, current: int | None) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total, current)
