"""The full-width runs view end to end: a 12-run sweep made by the CLI, then the view in a
real JupyterLab and Debian's Chromium: sort, filter, columns, charts, compare three."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SWEEP_TIMEOUT_S = 600
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
ROW_HEIGHT = 24
HEADER_HEIGHT = 28


def greenhouse(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", *args],
        check=False,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=SWEEP_TIMEOUT_S,
        env={k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"},
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def sweep(lab_root: Path) -> tuple[str, list[dict[str, Any]]]:
    """A 12-run sweep of train.ipynb (3 learning rates, 4 epoch counts), and its runs."""
    out = greenhouse(
        lab_root,
        "sweep",
        "train.ipynb",
        "-p",
        "learning_rate",
        "0.01,0.02,0.03",
        "-p",
        "epochs",
        "20,40,60,80",
        "--workers",
        "2",
    )
    sweep_id = re.search(r"sweep (\w+): 12 runs", out.stderr + out.stdout)
    assert sweep_id, out.stderr
    runs = json.loads(greenhouse(lab_root, "runs", "--sweep", sweep_id[1], "--json").stdout)
    assert [r["status"] for r in runs] == ["succeeded"] * 12
    return sweep_id[1], runs


def click_row(page: Any, row: int) -> None:
    """Click the middle of the first cell of a body row of the grid."""
    box = page.locator(".jp-greenhouse-runs-grid").bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + HEADER_HEIGHT + row * ROW_HEIGHT + ROW_HEIGHT / 2)


def marks(page: Any, selector: str) -> int:
    return int(page.locator(f".jp-greenhouse-chart svg {selector}").count())


def test_runs_view_sorts_filters_charts_and_compares_a_sweep(
    page: Any,
    lab_url: str,
    lab_token: str,
    lab_root: Path,
    screenshots: Path,
    sweep: tuple[str, list[dict[str, Any]]],
) -> None:
    sweep_id, runs = sweep
    by_r2 = sorted(runs, key=lambda r: r["metrics"]["r2"], reverse=True)
    page.goto(f"{lab_url}/lab?token={lab_token}")
    page.wait_for_selector(".jp-LauncherCard", timeout=120_000)

    # From the command palette, for the whole store.
    page.keyboard.press("Control+Shift+C")
    page.fill(".lm-CommandPalette-input", "Open Runs")
    page.locator('.lm-CommandPalette-item:has-text("Open Runs")').first.click()
    grid = page.locator(".jp-greenhouse-runs-grid")
    # The Lab's store also holds the runs of the tests before this one.
    stored = len(json.loads(greenhouse(lab_root, "runs", "--limit", "100000", "--json").stdout))
    page.wait_for_selector(f'.jp-greenhouse-runs-grid[data-rows="{stored}"]')
    assert page.locator(".jp-greenhouse-runs-count").get_attribute("data-count") == str(stored)
    page.fill('.jp-greenhouse-runs-filter[data-name="sweep"]', sweep_id)
    page.click(".jp-greenhouse-runs-apply")
    page.wait_for_selector('.jp-greenhouse-runs-grid[data-rows="12"]')

    # Sort by a metric, best first: the first row is the best run.
    page.select_option(".jp-greenhouse-runs-sort", "metrics.r2")
    page.check(".jp-greenhouse-runs-descending")
    click_row(page, 0)
    compare = page.locator(".jp-greenhouse-compare")
    page.wait_for_selector('.jp-greenhouse-compare[data-runs="1"]')
    assert compare.locator("th[title]").first.get_attribute("title").startswith(by_r2[0]["id"])
    page.click(".jp-greenhouse-compare-clear")

    # Filter with a condition on the metric: only the runs above the 5th best remain.
    threshold = by_r2[5]["metrics"]["r2"]
    page.fill('.jp-greenhouse-runs-filter[data-name="where"]', f"r2>{threshold!r}")
    page.fill('.jp-greenhouse-runs-filter[data-name="sweep"]', sweep_id)
    page.click(".jp-greenhouse-runs-apply")
    page.wait_for_selector('.jp-greenhouse-runs-grid[data-rows="5"]')
    # A malformed condition says what is wrong, and keeps the runs listed.
    page.fill('.jp-greenhouse-runs-filter[data-name="where"]', "r2>>1")
    page.click(".jp-greenhouse-runs-apply")
    error = page.locator(".jp-greenhouse-runs-error")
    error.wait_for()
    page.wait_for_function(
        "() => document.querySelector('.jp-greenhouse-runs-error').textContent.includes('--where')"
    )
    assert grid.get_attribute("data-rows") == "5"
    page.fill('.jp-greenhouse-runs-filter[data-name="where"]', f"r2>{threshold!r}")
    page.click(".jp-greenhouse-runs-apply")
    page.wait_for_function(
        "() => document.querySelector('.jp-greenhouse-runs-error').textContent === ''"
    )

    # Choose columns: hide two of the record's.
    columns = int(grid.get_attribute("data-columns"))
    page.click(".jp-greenhouse-runs-columns summary")
    page.uncheck('.jp-greenhouse-runs-column[data-key="duration"]')
    page.uncheck('.jp-greenhouse-runs-column[data-key="user"]')
    page.click(".jp-greenhouse-runs-columns summary")
    assert int(grid.get_attribute("data-columns")) == columns - 2
    shot(page, screenshots, "runs-view")

    # Charts of the five runs listed, drawn by Lab's Vega renderer as SVG.
    page.locator('.lm-TabBar-tab:has-text("Charts")').click()
    draw_chart(page, "time", "r2")
    assert marks(page, ".mark-symbol.role-mark path") == 5
    page.locator(".jp-greenhouse-chart").screenshot(path=str(screenshots / "runs-chart.png"))
    draw_chart(page, "scatter", "r2", "learning_rate")
    assert marks(page, ".mark-symbol.role-mark path") == 5
    draw_chart(page, "parallel", "r2")
    assert marks(page, ".mark-line.role-mark path") == 5

    # Compare three: rows chosen in the grid, differing values highlighted, a pair diffed.
    page.locator('.lm-TabBar-tab:has-text("Compare")').click()
    for row in range(3):
        click_row(page, row)
    page.wait_for_selector('.jp-greenhouse-compare[data-runs="3"]')
    differs = "jp-greenhouse-compare-differs"
    assert differs in compare.locator('[data-name="r2"]').get_attribute("class")
    for name in ("learning_rate", "epochs"):
        values = {r["parameters"][name] for r in by_r2[:3]}
        marked = differs in compare.locator(f'[data-name="{name}"]').get_attribute("class")
        assert marked == (len(values) > 1), name
    assert compare.locator(".jp-greenhouse-compare-pair option").count() == 3
    shot(page, screenshots, "runs-compare")
    page.click(".jp-greenhouse-compare-diff")
    page.wait_for_selector(".jp-greenhouse-diff .jp-greenhouse-diff-section", timeout=120_000)

    to_docs(screenshots, "runs-view.png", "runs-chart.png")


def to_docs(screenshots: Path, *names: str) -> None:
    """Copy screenshots into docs/images when `make docs-images` asks (a plain test run
    leaves the committed images alone)."""
    if os.environ.get("GREENHOUSE_DOCS_IMAGES") != "1":
        return
    DOCS_IMAGES.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(screenshots / name, DOCS_IMAGES / name)


def draw_chart(page: Any, kind: str, metric: str, parameter: str | None = None) -> None:
    page.select_option(".jp-greenhouse-chart-kind", kind)
    page.select_option(".jp-greenhouse-chart-metric", metric)
    if parameter:
        page.select_option(".jp-greenhouse-chart-parameter", parameter)
    page.click(".jp-greenhouse-chart-draw")
    # Vega draws its marks into an SVG (some mark groups have no box: attached, not visible).
    page.wait_for_selector(
        f'.jp-greenhouse-chart[data-kind="{kind}"] svg .role-mark', state="attached"
    )


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"))
