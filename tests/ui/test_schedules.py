"""The panel's Schedules section end to end: a real JupyterLab, a real `greenhouse
scheduler --once`, Debian's Chromium and a real local webhook. Create a schedule of a
published version with a value in its parameter form, a retry policy and an alert, see
its next fire times as the cron is typed, trigger it twice, see the occurrences, their
runs (each run saying its schedule, fire time and attempt) and their alert deliveries, and
diff the two runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local webhook: its Apprise URL and the JSON bodies posted to it."""
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_create_see_fire_times_trigger_and_see_the_occurrence_and_its_run(
    page: Any, lab_url: str, lab_token: str, lab_root: Path, webhook: Any
) -> None:
    hook, received = webhook
    run_id = json.loads(greenhouse(lab_root, "run", "train.ipynb", "--json"))["id"]
    greenhouse(lab_root, "publish", run_id, "--name", "trainer", "--alias", "production")

    page.goto(f"{lab_url}/lab/tree/train.ipynb?token={lab_token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    if not page.is_visible(".jp-greenhouse-panel"):
        page.click('[data-id="greenhouse-panel"]')
    form = page.wait_for_selector(".jp-greenhouse-schedule-form")
    form.scroll_into_view_if_needed()

    page.fill('.jp-greenhouse-schedule-form input[name="target"]', "trainer@production")
    page.press('.jp-greenhouse-schedule-form input[name="target"]', "Tab")
    epochs = '.jp-greenhouse-schedule-form .jp-greenhouse-param[data-name="epochs"]'
    page.wait_for_selector(epochs)
    page.fill(f"{epochs} input.jp-greenhouse-param-input", "7")
    page.click(".jp-greenhouse-schedule-policy summary")
    page.fill('.jp-greenhouse-schedule-policy input[name="retries"]', "1")
    page.fill('.jp-greenhouse-schedule-policy input[name="notify"]', hook)
    page.fill('.jp-greenhouse-schedule-policy input[name="notify_on"]', "success")
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
    assert "succeeded (trainer@1) run " in occurrence.inner_text()
    delivery = occurrence.wait_for_selector('.jp-greenhouse-delivery[data-delivered="true"]')
    assert f"alert success → {hook}: delivered" in delivery.inner_text()
    (scheduled,) = json.loads(greenhouse(lab_root, "runs", "--schedule", "trainer", "--json"))
    (alert,) = received
    assert "succeeded" in alert["title"] and scheduled["id"] in alert["message"], alert
    assert scheduled["parameters"]["epochs"] == 7
    spec = json.loads(greenhouse(lab_root, "schedule", "show", "trainer", "--json"))["spec"]
    assert (spec["retries"], spec["notify_on"], spec["parameters"]) == (
        1,
        "success",
        {"epochs": "7"},
    )
    link = f'.jp-greenhouse-occurrence-run[data-run-id="{scheduled["id"]}"]'
    page.wait_for_selector(link)
    page.click(".jp-greenhouse-refresh-button")
    # The run's item is redrawn as its record is polled: query the line afresh.
    line = f'.jp-greenhouse-run[data-run-id="{scheduled["id"]}"] .jp-greenhouse-run-occurrence'
    page.wait_for_selector(line)
    fired = scheduled["occurrence"]["fire_at"][:16].replace("T", " ")
    assert page.inner_text(line) == f"Schedule trainer · triggered {fired} UTC · attempt 1"
    assert "last succeeded" in page.inner_text('.jp-greenhouse-schedule[data-name="trainer"]')
    assert not page.is_visible(".jp-greenhouse-occurrence-diff")

    page.click('.jp-greenhouse-schedule[data-name="trainer"] .jp-greenhouse-schedule-trigger')
    page.wait_for_selector('.jp-greenhouse-occurrence[data-status="queued"]')
    greenhouse(lab_root, "scheduler", "--once")
    page.click(".jp-greenhouse-schedules-refresh")
    page.wait_for_function(
        "() => document.querySelectorAll("
        "'.jp-greenhouse-occurrence[data-status=\"succeeded\"]').length === 2"
    )
    (diff,) = page.query_selector_all(".jp-greenhouse-occurrence-diff")
    diff.click()
    page.wait_for_selector(".jp-greenhouse-diff-widget .jp-greenhouse-diff-heading", timeout=60_000)
    assert scheduled["id"][:8] in page.inner_text(".lm-TabBar-tab.jp-mod-current")

    page.click(link)
    page.wait_for_selector(f'.lm-TabBar-tab:has-text("{scheduled["id"]}")', timeout=60_000)
