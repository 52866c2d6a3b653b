"""Running notebooks: one run, its kernel, its own process, many runs, on local workers or Dask."""

from .execute import Job, execute, notebook_label, prepare
from .launcher import RunLauncher
from .logs import LogChunk, read_log
from .published import find_version, names_file, prepare_version, version_filter
from .sweep import (
    Backend,
    SweepPlan,
    SweepResult,
    plan_sweep,
    results_table,
    run_sweep,
    side_by_side,
    sorted_runs,
    sweep_runs,
)

__all__ = [
    "Backend",
    "Job",
    "LogChunk",
    "RunLauncher",
    "SweepPlan",
    "SweepResult",
    "execute",
    "find_version",
    "names_file",
    "notebook_label",
    "plan_sweep",
    "prepare",
    "prepare_version",
    "read_log",
    "results_table",
    "run_sweep",
    "side_by_side",
    "sorted_runs",
    "sweep_runs",
    "version_filter",
]
