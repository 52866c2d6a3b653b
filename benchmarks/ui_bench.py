"""How fast the runs view opens and sorts on a store of many runs, in a real browser.

Fills a fresh store with N runs (default 5,000) through ``Store.save_run`` (records only:
no kernel runs), starts JupyterLab on it and drives Debian's Chromium with Playwright:
``first render`` is from choosing "Greenhouse: Open Runs" in the palette until the grid
shows the newest runs (the first page of ``GET runs``) and the browser has painted them;
``all listed`` until it lists every run (every page fetched) and is painted again;
``sort`` is from choosing a column in the sort menu until the sorted grid is painted,
measured in the page. Each is repeated R times (the view closed between renders, a
different column each sort); the medians are printed against the target (under 1 s).

Usage: ``python benchmarks/ui_bench.py [--runs N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from labs import CHROMIUM, CHROMIUM_ARGS, start_lab, stop_lab

from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store

TOKEN = "greenhouse-ui-bench"
TARGET_S = 1.0
SORT_KEYS = ("metrics.accuracy", "parameters.lr", "metrics.loss", "duration", "id")
# Sort from the menu, then wait for two frames: the grid repaints on the next one.
SORT_IN_PAGE = """async key => {
  const select = document.querySelector('.jp-greenhouse-runs-sort');
  const started = performance.now();
  select.value = key;
  select.dispatchEvent(new Event('change'));
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  return (performance.now() - started) / 1000;
}"""


PAINTED = "() => new Promise(done => requestAnimationFrame(done))"


def fill(store: Store, runs: int) -> None:
    """``runs`` finished runs of five notebooks, with three parameters and two metrics."""
    for index in range(runs):
        store.save_run(
            Run(
                id=f"{index:08d}{os.urandom(4).hex()}",
                notebook=f"nb{index % 5}.ipynb",
                status=RunStatus.SUCCEEDED if index % 10 else RunStatus.FAILED,
                parameters={
                    "lr": round(0.001 * (1 + index % 97), 4),
                    "epochs": 10 * (1 + index % 8),
                    "optimiser": ("adam", "sgd", "rmsprop")[index % 3],
                },
                created_at=f"2026-01-{1 + index // 1440 % 28:02d}T{index // 60 % 24:02d}:"
                f"{index % 60:02d}:00.000+00:00",
                duration_s=1.0 + index % 13,
                metrics={"accuracy": (index * 7919 % 1000) / 1000, "loss": index % 251 / 100},
            )
        )


def measure(base: str, runs: int, rounds: int) -> dict[str, list[float]]:
    """The seconds of each first render, each full listing and each sort."""
    from playwright.sync_api import sync_playwright

    renders, listed, sorts = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{base}/lab?token={TOKEN}")
        page.wait_for_selector(".jp-LauncherCard")
        for round_ in range(rounds):
            page.keyboard.press("Control+Shift+C")
            page.fill(".lm-CommandPalette-input", "Open Runs")
            item = page.locator('.lm-CommandPalette-item:has-text("Open Runs")').first
            started = time.perf_counter()
            item.click()
            page.wait_for_selector(
                '.jp-greenhouse-runs-grid[data-rows]:not([data-rows="0"])', state="attached"
            )
            page.evaluate(PAINTED)
            renders.append(time.perf_counter() - started)
            page.wait_for_selector(f'.jp-greenhouse-runs-grid[data-rows="{runs}"]')
            page.evaluate(PAINTED)
            listed.append(time.perf_counter() - started)
            sorts.append(page.evaluate(SORT_IN_PAGE, SORT_KEYS[round_ % len(SORT_KEYS)]))
            page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
            page.wait_for_selector(".jp-greenhouse-runs-grid", state="detached")
        browser.close()
    return {"first render": renders, "all listed": listed, "sort": sorts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "lab"
        root.mkdir()
        store = Store(root / ".greenhouse")
        started = time.perf_counter()
        fill(store, args.runs)
        store.close()
        print(f"{args.runs:,} runs stored in {time.perf_counter() - started:.1f} s")
        server, base = start_lab(root, Path(folder) / "settings", TOKEN)
        try:
            timings = measure(base, args.runs, args.rounds)
        finally:
            stop_lab(server)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for label, times in timings.items():
        median = statistics.median(times)
        verdict = "" if label == "all listed" else (" ok" if median < TARGET_S else " OVER")
        print(
            f"  {label:<14} median {median:.3f} s  max {max(times):.3f} s  "
            f"over {len(times)} rounds{verdict}"
        )
    print(f"  (target: first render and sort under {TARGET_S} s each)")


if __name__ == "__main__":
    main()
