"""The panel's Schedules section end to end: a real JupyterLab, a real `greenhouse
scheduler --once`, Debian's Chromium. Create a schedule of a published version, see its
next fire times as the cron is typed, trigger it, see the occurrence and its run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

RUN_TIMEOUT_S = 240


def greenhouse(lab_root: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"}
    store = str(lab_root / ".greenhouse")
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "--store", store, *args],
        cwd=lab_root,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_create_see_fire_times_trigger_and_see_the_occurrence_and_its_run(
    page: Any, lab_url: str, lab_token: str, lab_root: Path
) -> None:
    run_id = json.loads(greenhouse(lab_root, "run", "train.ipynb", "--json"))["id"]
    greenhouse(lab_root, "publish", run_id, "--name", "trainer", "--alias", "production")

    page.goto(f"{lab_url}/lab/tree/train.ipynb?token={lab_token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    form = page.wait_for_selector(".jp-greenhouse-schedule-form")
    form.scroll_into_view_if_needed()

    page.fill('.jp-greenhouse-schedule-form input[name="target"]', "trainer@production")
    page.fill('.jp-greenhouse-schedule-form input[name="tz"]', "Asia/Tokyo")
    page.fill('.jp-greenhouse-schedule-form input[name="cron"]', "61 * * * *")
    error = page.wait_for_selector(".jp-greenhouse-schedule-preview .jp-greenhouse-invalid-input")
    assert "not a cron expression" in error.inner_text()
    page.fill('.jp-greenhouse-schedule-form input[name="cron"]', "30 2 * * *")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-greenhouse-schedule-preview li')]"
        ".filter(li => li.textContent.includes('T02:30:00+09:00')).length === 5"
    )
    preview = page.inner_text(".jp-greenhouse-schedule-preview")
    assert preview.count("T17:30:00+00:00") == 5

    page.click(".jp-greenhouse-schedule-create")
    item = page.wait_for_selector('.jp-greenhouse-schedule[data-name="trainer"]')
    assert "cron '30 2 * * *' Asia/Tokyo" in item.inner_text()
    assert item.get_attribute("data-paused") == "false"

    page.click('.jp-greenhouse-schedule[data-name="trainer"] .jp-greenhouse-schedule-pause')
    page.wait_for_selector('.jp-greenhouse-schedule[data-name="trainer"][data-paused="true"]')
    page.click('.jp-greenhouse-schedule[data-name="trainer"] .jp-greenhouse-schedule-pause')
    page.wait_for_selector('.jp-greenhouse-schedule[data-name="trainer"][data-paused="false"]')

    page.click('.jp-greenhouse-schedule[data-name="trainer"] .jp-greenhouse-schedule-trigger')
    page.wait_for_selector('.jp-greenhouse-occurrence[data-status="queued"]')
    greenhouse(lab_root, "scheduler", "--once")
    page.click(".jp-greenhouse-schedules-refresh")
    occurrence = page.wait_for_selector('.jp-greenhouse-occurrence[data-status="succeeded"]')
    assert "succeeded run " in occurrence.inner_text()

    (scheduled,) = json.loads(greenhouse(lab_root, "runs", "--schedule", "trainer", "--json"))
    link = page.wait_for_selector(f'.jp-greenhouse-occurrence-run[data-run-id="{scheduled["id"]}"]')
    assert "last succeeded" in page.inner_text('.jp-greenhouse-schedule[data-name="trainer"]')
    link.click()
    page.wait_for_selector(f'.lm-TabBar-tab:has-text("{scheduled["id"]}")', timeout=60_000)
