"""Running notebooks: one run, its kernel, its own process, many runs, on local workers or Dask."""

from .execute import Job, execute, notebook_label, prepare
from .launcher import RunLauncher
from .logs import LogChunk, read_log
from .published import names_file, prepare_version, version_filter, version_parameters
from .results import results_table, side_by_side, sorted_runs, sweep_page, sweep_runs
from .sweep import (
    RETRIES_MAX,
    Backend,
    SweepPlan,
    SweepResult,
    check_retries,
    declared_parameters,
    plan_sweep,
    run_sweep,
)

__all__ = [
    "RETRIES_MAX",
    "Backend",
    "Job",
    "LogChunk",
    "RunLauncher",
    "SweepPlan",
    "SweepResult",
    "check_retries",
    "declared_parameters",
    "execute",
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
    "sweep_page",
    "sweep_runs",
    "version_filter",
    "version_parameters",
]
