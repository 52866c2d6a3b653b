"""The sidebar panel end to end: a real JupyterLab, a real kernel, Debian's Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

RUN_TIMEOUT_MS = 180_000


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"))


def set_parameter(page: Any, name: str, value: str) -> None:
    field = page.locator(f'.jp-greenhouse-param[data-name="{name}"] .jp-greenhouse-param-input')
    field.fill(value)
    field.dispatch_event("change")


def open_panel(page: Any, lab_url: str, lab_token: str) -> None:
    """Open train.ipynb and the greenhouse sidebar, and wait for its parameter form."""
    page.goto(f"{lab_url}/lab/tree/train.ipynb?token={lab_token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    page.wait_for_selector('.jp-greenhouse-param[data-name="epochs"]')


def run_and_wait(page: Any, finished: int) -> None:
    page.click(".jp-greenhouse-run-button")
    # Run asks first only when unsaved edits change what runs; then save them.
    save = page.locator('.jp-Dialog .jp-Dialog-button:has-text("Save and Run")')
    with contextlib.suppress(PlaywrightTimeout):
        save.click(timeout=3_000)
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-greenhouse-run[data-status=\"succeeded\"]')"
        ".length >= n",
        arg=finished,
        timeout=RUN_TIMEOUT_MS,
    )


def test_parameterise_run_diff_and_publish(
    page: Any, lab_url: str, lab_token: str, lab_root: Path, screenshots: Path
) -> None:
    page.goto(f"{lab_url}/lab/tree/train.ipynb?token={lab_token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    shot(page, screenshots, "01-notebook")

    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    page.wait_for_selector('.jp-greenhouse-param[data-name="epochs"]')
    assert "train.ipynb" in page.inner_text(".jp-greenhouse-notebook")
    shot(page, screenshots, "02-panel")

    set_parameter(page, "epochs", "0")
    page.wait_for_selector('.jp-greenhouse-param.jp-greenhouse-invalid[data-name="epochs"]')
    shot(page, screenshots, "03-invalid-value")

    set_parameter(page, "epochs", "200")
    run_and_wait(page, 1)
    first = page.locator('.jp-greenhouse-run[data-status="succeeded"]').first
    assert first.locator('.jp-greenhouse-metric[data-name="r2"]').count() == 1
    shot(page, screenshots, "04-first-run")

    set_parameter(page, "epochs", "20")
    run_and_wait(page, 2)
    runs = page.locator('.jp-greenhouse-run[data-status="succeeded"]')
    metrics = {
        runs.nth(i).locator('.jp-greenhouse-metric[data-name="r2"]').inner_text() for i in range(2)
    }
    assert len(metrics) == 2
    shot(page, screenshots, "05-second-run")

    for i in range(2):
        runs.nth(i).locator(".jp-greenhouse-run-select").check()
    page.click(".jp-greenhouse-diff-button")
    page.wait_for_selector(".jp-greenhouse-diff .jp-greenhouse-diff-notebook", timeout=60_000)
    epochs = page.locator(
        '.jp-greenhouse-diff-section[data-part="parameters"] '
        '.jp-greenhouse-diff-row[data-name="epochs"] td'
    )
    assert sorted(epochs.all_inner_texts()[1:]) == ["20", "200"]
    assert "r2" in page.inner_text('.jp-greenhouse-diff-section[data-part="metrics"]')
    shot(page, screenshots, "06-diff")

    run_id = runs.first.get_attribute("data-run-id")
    runs.first.locator(".jp-greenhouse-publish-button").click()
    page.fill(".jp-greenhouse-publish-name", "linefit")
    page.click(".jp-Dialog .jp-mod-accept")
    published = page.wait_for_selector('.jp-Dialog[aria-label*="published as linefit@1"]')
    assert f"Run {run_id} is published as linefit@1" in published.inner_text()
    page.click(".jp-Dialog .jp-mod-accept")
    page.locator('.jp-greenhouse-artefact[data-name="linefit"] summary').click()
    version = page.locator('.jp-greenhouse-version[data-ref="linefit@1"]')
    version.wait_for()
    assert version.locator('.jp-greenhouse-metric[data-name="r2"]').count() == 1
    shot(page, screenshots, "07-published")

    # Aliases are decisions: moving one asks first, shows both versions' metrics, keeps why.
    runs.nth(1).locator(".jp-greenhouse-publish-button").click()
    page.fill(".jp-greenhouse-publish-name", "linefit")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector('.jp-Dialog[aria-label*="published as linefit@2"]')
    page.click(".jp-Dialog .jp-mod-accept")
    choose_alias(page, "linefit@1", "production")
    page.wait_for_selector('[data-ref="linefit@1"] .jp-greenhouse-alias:text-is("production")')
    choose_alias(page, "linefit@2", "production")
    confirm = page.wait_for_selector(".jp-Dialog:has(.jp-greenhouse-alias-form)")
    assert "production points at linefit@1" in confirm.inner_text()
    r2 = page.locator('.jp-greenhouse-alias-metric[data-name="r2"]')
    assert r2.get_attribute("data-changed") == "true"
    assert r2.locator("td").all_inner_texts()[3].startswith(("+", "-"))
    shot(page, screenshots, "08-move-alias")
    page.fill(".jp-greenhouse-alias-reason", "more epochs fit better")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector('[data-ref="linefit@2"] .jp-greenhouse-alias:text-is("production")')
    history = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "alias", "--history", "linefit", "--json"],
        cwd=lab_root,
        capture_output=True,
        text=True,
        check=True,
    )
    events = json.loads(history.stdout)["events"]
    assert [(e["action"], e["from_number"], e["to_number"], e["reason"]) for e in events] == [
        ("set", None, 1, None),
        ("moved", 1, 2, "more epochs fit better"),
    ]


def choose_alias(page: Any, ref: str, alias: str) -> None:
    page.locator(f'[data-ref="{ref}"] .jp-greenhouse-alias-button').click()
    page.fill(".jp-Dialog input", alias)
    page.click(".jp-Dialog .jp-mod-accept")


def test_sweep_from_the_form_groups_its_runs_with_a_table(
    page: Any, lab_url: str, lab_token: str, screenshots: Path
) -> None:
    open_panel(page, lab_url, lab_token)
    sweep_button = page.locator(".jp-greenhouse-sweep-button")
    assert sweep_button.is_disabled()

    set_parameter(page, "epochs", "30")
    more = page.locator('.jp-greenhouse-param[data-name="epochs"] .jp-greenhouse-param-more')
    more.fill("60; 90")
    assert sweep_button.inner_text() == "Sweep (3 runs)"
    shot(page, screenshots, "08-sweep-values")
    sweep_button.click()
    # The sweep shows at once, before its process has recorded a run.
    started = page.locator(".jp-greenhouse-sweep .jp-greenhouse-sweep-summary")
    started.wait_for(timeout=3_000)
    assert "3 runs: " in started.inner_text()
    message = page.locator(".jp-greenhouse-run-message")
    assert "jp-greenhouse-run-message-info" in (message.get_attribute("class") or "")

    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-greenhouse-sweep-table tr[data-run-id]')]"
        ".filter(row => row.textContent.includes('succeeded')).length === 3",
        timeout=RUN_TIMEOUT_MS,
    )
    sweep = page.locator(".jp-greenhouse-sweep")
    assert sweep.count() == 1
    summary = sweep.locator(".jp-greenhouse-sweep-summary").inner_text()
    assert "3 runs: 0 queued, 0 running, 3 finished (0 not succeeded)" in summary
    table = sweep.locator(".jp-greenhouse-sweep-table")
    columns = table.locator("th").all_inner_texts()
    assert "epochs" in columns and "r2" in columns
    epochs = columns.index("epochs") + 1
    cells = table.locator(f"tr[data-run-id] td:nth-child({epochs})").all_inner_texts()
    assert sorted(cells, key=int) == ["30", "60", "90"]
    assert sweep.locator('.jp-greenhouse-run[data-status="succeeded"]').count() == 3
    shot(page, screenshots, "09-sweep")


def test_a_run_started_from_the_cli_appears_in_the_open_panel(
    page: Any, lab_url: str, lab_token: str, lab_root: Path
) -> None:
    open_panel(page, lab_url, lab_token)

    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    store = str(lab_root / ".greenhouse")
    run = ["run", "train.ipynb", "-p", "epochs", "7", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "--store", store, *run],
        cwd=lab_root,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["id"]

    # The panel may have seen it running: its card follows until it shows it succeeded.
    item = page.wait_for_selector(
        f'.jp-greenhouse-run[data-run-id="{run_id}"][data-status="succeeded"]', timeout=20_000
    )
    assert "7" in item.inner_text()
