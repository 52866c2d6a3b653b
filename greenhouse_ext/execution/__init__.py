"""Running notebooks: one run, its kernel, its own process, many runs, on local workers or Dask."""

from .execute import Job, execute, notebook_label, prepare
from .launcher import RunLauncher
from .logs import LogChunk, read_log
from .sweep import (
    Backend,
    SweepPlan,
    SweepResult,
    declared_parameters,
    plan_sweep,
    results_table,
    run_sweep,
    side_by_side,
    sorted_runs,
    sweep_page,
    sweep_runs,
)

__all__ = [
    "Backend",
    "Job",
    "LogChunk",
    "RunLauncher",
    "SweepPlan",
    "SweepResult",
    "declared_parameters",
    "execute",
    "notebook_label",
    "plan_sweep",
    "prepare",
    "read_log",
    "results_table",
    "run_sweep",
    "side_by_side",
    "sorted_runs",
    "sweep_page",
    "sweep_runs",
]
