"""What a scheduler costs: an idle scheduler holding many schedules, and the delay from a
fire time to its run's start.

- **Idle**: a store with ``--schedules`` cron schedules (none due for an hour) and a
  `greenhouse scheduler` process looking at it every second for ``--seconds``: the CPU
  share of one core (from /proc) of it and the processes it started (its run server and
  kernel fork server), and, in-process, the median and p95 time of one tick.
- **Delay**: ``--occurrences`` fire times of an ``--every 2s`` schedule (max-concurrent
  high enough to run each) under 1 and under 3 scheduler processes (default tick), their
  runs forked from a run server, and under 1 whose runs start as new interpreters
  (``GREENHOUSE_RUN_START=plain``, the baseline), the schedule added once they have started
  (``WARM_UP_S``): the median and p95 of the time from each fire time to its run's record
  saying it started, and to the kernel running the notebook's first cell (its clock,
  recorded as a metric).

Usage: ``python benchmarks/schedule_bench.py [--schedules 1000] [--seconds 60]
[--occurrences 50] [--skip-delay]``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from notebooks import write_notebook

from greenhouse_ext.execution.runserver import RUN_START_ENV
from greenhouse_ext.scheduling.scheduler import Scheduler
from greenhouse_ext.scheduling.schedules import ScheduleSpec
from greenhouse_ext.store import ScheduleRow, Store, utc_moment, utc_text

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP_S = 8.0


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def idle(folder: Path, schedules: int, seconds: float) -> None:
    store = Store(folder / ".greenhouse")
    hour = (datetime.now(timezone.utc) + timedelta(hours=1)).hour
    spec = ScheduleSpec(cron=f"0 {hour} * * *").to_dict()
    created = utc_text(datetime.now(timezone.utc))
    for index in range(schedules):
        row = ScheduleRow(uuid.uuid4().hex[:12], f"s{index}", "nb.ipynb", spec, False, created)
        store.add_schedule(row)
    scheduler = Scheduler(store)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        scheduler.tick()
        times.append(time.perf_counter() - start)
    print(f"idle: one tick over {schedules} schedules: {quantiles(times[1:])}")
    store.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "scheduler"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(5)  # start-up (imports) is not idling
    before = cpu_seconds(process.pid)
    time.sleep(seconds)
    used = cpu_seconds(process.pid) - before
    process.send_signal(signal.SIGTERM)
    process.wait()
    print(
        f"idle: CPU over {seconds:g} s (the scheduler and its run server): {used:.2f} s = "
        f"{100 * used / seconds:.2f}% of a core"
    )


def cpu_seconds(pid: int) -> float:
    """The CPU time of ``pid`` and of every process below it."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, total = {pid}, 0
    for _ in range(len(parents)):
        grown = tree | {p for p, (parent, _) in parents.items() if parent in tree}
        if grown == tree:
            break
        tree = grown
    for member in tree:
        total += parents.get(member, (0, 0))[1]
    return total / CLOCK_TICKS


def delay(folder: Path, schedulers: int, occurrences: int, start: str = "fork") -> None:
    first_cell = (
        "import time\nfirst_cell_at = time.time()\n"
        "from greenhouse_ext.notebook_api import record\nrecord('first_cell_at', first_cell_at)"
    )
    write_notebook(folder / "nb.ipynb", "x = 1  # int", first_cell)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "greenhouse_ext",
                "scheduler",
                "--grace",
                "120",
            ],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, RUN_START_ENV: start},
        )
        for _ in range(schedulers)
    ]
    time.sleep(WARM_UP_S)  # a scheduler's own start (imports, its run server) is no fire delay
    subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "schedule", "add", "nb.ipynb", "--every", "2s",
         "--max-concurrent", "100"],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    time.sleep(2 * occurrences + 5)
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait()
    store = Store(folder / ".greenhouse")
    found = [o for o in store.find_occurrences() if o.run_id]
    to_run, to_cell = [], []
    for occurrence in found:
        run = store.get_run(occurrence.run_id or "")
        fired = utc_moment(occurrence.fire_at)
        if run.started_at is not None and "first_cell_at" in run.metrics:
            to_run.append((datetime.fromisoformat(run.started_at) - fired).total_seconds())
            to_cell.append(float(run.metrics["first_cell_at"]) - fired.timestamp())
    store.close()
    print(
        f"delay with {schedulers} scheduler(s), runs started by {start}, {len(to_run)} "
        "occurrences: fire time to run "
        f"start {quantiles(to_run)}; to the kernel running the first cell {quantiles(to_cell)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--occurrences", type=int, default=50)
    parser.add_argument("--skip-delay", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "idle")
        (folder / ".greenhouse").mkdir(parents=True)
        idle(folder, options.schedules, options.seconds)
        if not options.skip_delay:
            for count, start in ((1, "plain"), (1, "fork"), (3, "fork")):
                folder = Path(tmp, f"delay-{count}-{start}")
                (folder / ".greenhouse").mkdir(parents=True)
                delay(folder, count, options.occurrences, start)


if __name__ == "__main__":
    main()
