"""The runs view's Versions tab, its launcher item and its schedule filter, end to end: three
runs published by the CLI (an alias moved with a reason), a schedule fired by a real
`greenhouse scheduler --once`, then the view in a real JupyterLab and Debian's Chromium."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import pytest
from test_runs_view import greenhouse, shot, to_docs

NAME = "fitter"
REASON = "v2 generalises better"


@pytest.fixture(scope="module")
def published(lab_root: Path) -> list[dict[str, Any]]:
    """Three runs published as fitter@1..3: production moved from 1 to 2, candidate on 3;
    and one run of the schedule `nightly`."""
    greenhouse(lab_root, "sweep", "train.ipynb", "-p", "learning_rate", "0.01,0.02,0.03")
    runs = json.loads(greenhouse(lab_root, "runs", "--json").stdout)[:3]
    assert [r["status"] for r in runs] == ["succeeded"] * 3
    runs.reverse()
    for run, aliases in zip(runs, (["production"], [], ["candidate"]), strict=True):
        flags = [arg for alias in aliases for arg in ("--alias", alias)]
        greenhouse(lab_root, "publish", run["id"], "--name", NAME, *flags)
    greenhouse(lab_root, "alias", f"{NAME}@2", "production", "--reason", REASON)
    greenhouse(lab_root, "schedule", "add", f"{NAME}@production", "--every", "1d")
    greenhouse(lab_root, "schedule", "add", f"{NAME}@candidate", "--every", "1d", "--name", "idle")
    greenhouse(lab_root, "schedule", "trigger", NAME)
    greenhouse(lab_root, "scheduler", "--once")
    return runs


def test_versions_tab_lists_draws_verifies_and_runs_a_version(
    page: Any,
    lab_url: str,
    lab_token: str,
    lab_root: Path,
    screenshots: Path,
    published: list[dict[str, Any]],
) -> None:
    page.goto(f"{lab_url}/lab?token={lab_token}")
    # From the launcher: its card opens the view of the whole store.
    page.locator('.jp-LauncherCard:has-text("Greenhouse Runs")').click(timeout=120_000)
    stored = len(json.loads(greenhouse(lab_root, "runs", "--limit", "1000", "--json").stdout))
    page.wait_for_selector(f'.jp-greenhouse-runs-grid[data-rows="{stored}"]')

    # The schedule filter: the one run its occurrence started; another schedule, none.
    (scheduled,) = json.loads(greenhouse(lab_root, "runs", "--schedule", NAME, "--json").stdout)
    schedule = '.jp-greenhouse-runs-filter[data-name="schedule"]'
    page.fill(schedule, NAME)
    page.click(".jp-greenhouse-runs-apply")
    page.wait_for_selector('.jp-greenhouse-runs-grid[data-rows="1"]')
    page.locator('.lm-TabBar-tab:has-text("Compare")').click()
    box = page.locator(".jp-greenhouse-runs-grid").bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + 28 + 12)
    chosen = page.locator(".jp-greenhouse-compare th[title]").first
    assert chosen.get_attribute("title").startswith(scheduled["id"])
    page.click(".jp-greenhouse-compare-clear")
    page.fill(schedule, "idle")
    page.click(".jp-greenhouse-runs-apply")
    page.wait_for_selector('.jp-greenhouse-runs-grid[data-rows="0"]')
    page.fill(schedule, "weekly")
    page.click(".jp-greenhouse-runs-apply")
    page.wait_for_function(
        "() => document.querySelector('.jp-greenhouse-runs-error').textContent"
        ".includes(\"No schedule 'weekly'\")"
    )
    page.fill(schedule, "")
    page.click(".jp-greenhouse-runs-apply")
    page.wait_for_selector(f'.jp-greenhouse-runs-grid[data-rows="{stored}"]')

    # The chart over time marks each published version of the runs drawn, this test's
    # three among them (other tests of this Lab may have published theirs).
    page.locator('.lm-TabBar-tab:has-text("Charts")').click()
    page.select_option(".jp-greenhouse-chart-kind", "time")
    page.select_option(".jp-greenhouse-chart-metric", "r2")
    page.click(".jp-greenhouse-chart-draw")
    chart = ".jp-greenhouse-chart svg"
    page.wait_for_selector(f"{chart} .mark-rule.role-mark line", state="attached")
    labels = page.locator(f"{chart} .mark-text.role-mark text").all_text_contents()
    assert page.locator(f"{chart} .mark-rule.role-mark line").count() == len(labels)
    assert sorted(label for label in labels if label.startswith(f"{NAME}@")) == [
        f"{NAME}@1",
        f"{NAME}@2 (production)",
        f"{NAME}@3 (candidate)",
    ]

    # The Versions tab: each version with its aliases, newest first.
    page.locator('.lm-TabBar-tab:has-text("Versions")').click()
    page.select_option(".jp-greenhouse-versions-artefact", NAME)
    rows = page.locator(".jp-greenhouse-versions-table tr.jp-greenhouse-versions-row")
    page.wait_for_selector(f'tr.jp-greenhouse-versions-row[data-ref="{NAME}@1"]')
    assert [rows.nth(i).get_attribute("data-number") for i in range(3)] == ["3", "2", "1"]

    def aliases(number: int) -> list[str]:
        row = page.locator(f'tr.jp-greenhouse-versions-row[data-number="{number}"]')
        return [str(a) for a in row.locator(".jp-greenhouse-alias").all_text_contents()]

    assert [aliases(3), aliases(2), aliases(1)] == [["candidate"], ["production"], []]
    for number, run in enumerate(published, start=1):
        row = page.locator(f'tr.jp-greenhouse-versions-row[data-number="{number}"]')
        assert row.locator(".jp-greenhouse-run-id").inner_text() == run["id"]
        assert row.locator(".jp-greenhouse-version-publisher").inner_text() == getpass.getuser()

    # The alias history: set, then moved with its reason.
    events = ".jp-greenhouse-alias-history li.jp-greenhouse-alias-event"
    moved = page.locator(f'{events}[data-alias="production"][data-action="moved"]')
    assert "production moved v1 → v2" in moved.inner_text()
    assert REASON in moved.inner_text()
    assert page.locator(f'{events}[data-alias="candidate"][data-action="set"]').count() == 1

    # The drift of r2 across the versions: one point a version.
    page.select_option(".jp-greenhouse-versions-metric", "r2")
    drift = ".jp-greenhouse-drift"
    page.wait_for_selector(f"{drift} svg .mark-symbol.role-mark path", state="attached")
    assert page.locator(f"{drift} svg .mark-symbol.role-mark path").count() == 3
    assert page.locator(drift).get_attribute("data-runs") == "3"

    # Verify from the tab: every file matches the manifest.
    second = page.locator(f'tr.jp-greenhouse-versions-row[data-ref="{NAME}@2"]')
    second.locator(".jp-greenhouse-verify-button").click()
    verdict = page.wait_for_selector(
        f'tr[data-ref="{NAME}@2"] .jp-greenhouse-check[data-kind="verify"][data-verdict]'
    )
    assert verdict.get_attribute("data-verdict") == "ok"
    assert "Verified" in verdict.inner_text()
    # More room for the tab in the picture: the split's handle dragged up.
    handle = page.locator(".jp-greenhouse-runs-split > .lm-SplitPanel-handle").first
    grip = handle.bounding_box()
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + 2)
    page.mouse.down()
    page.mouse.move(grip["x"] + grip["width"] / 2, 240, steps=5)
    page.mouse.up()
    page.click(".jp-greenhouse-versions-refresh")
    page.wait_for_selector(f"{drift} svg .mark-symbol.role-mark path", state="attached")
    shot(page, screenshots, "runs-versions")

    # Run this version: a run of the version's own notebook starts.
    second.locator(".jp-greenhouse-run-version-button").click()
    started = page.wait_for_selector(
        f'tr[data-ref="{NAME}@2"] .jp-greenhouse-version-start[data-state="started"]'
    )
    run_id = started.get_attribute("data-run")
    record = json.loads(greenhouse(lab_root, "show", run_id, "--json").stdout)
    assert record["from_version"] == {"name": NAME, "number": 2}
    # Live: the new run appears in the table without a reload.
    page.wait_for_selector(f'.jp-greenhouse-runs-grid[data-rows="{stored + 1}"]')

    # Reproduce from the tab: its dialog asks for the environment and the inputs.
    second.locator(".jp-greenhouse-reproduce-button").click()
    page.check('.jp-Dialog .jp-greenhouse-reproduce-inputs input[value="current"]')
    assert page.is_disabled(".jp-Dialog .jp-greenhouse-reproduce-partial")
    page.click(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    reproduced = page.wait_for_selector(
        f'tr[data-ref="{NAME}@2"] .jp-greenhouse-check[data-kind="reproduce"][data-verdict]',
        timeout=180_000,
    )
    assert "Environment: current" in reproduced.inner_text()
    (reproduction,) = [
        run
        for run in json.loads(greenhouse(lab_root, "runs", "--json", "--limit", "50").stdout)
        if run.get("reproduces")
    ]
    assert reproduction["reproduces"] == published[1]["id"]

    to_docs(screenshots, "runs-versions.png")
