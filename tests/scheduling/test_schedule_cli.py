"""`greenhouse schedule add|list|show|pause|resume|trigger|remove`: checked whole, stored once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from notebooks import write_notebook

from greenhouse_ext.cli import cli
from greenhouse_ext.store import Store


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_notebook(tmp_path / "nb.ipynb", "x = 1  # int", "y = x + 1")
    (tmp_path / ".greenhouse").mkdir()
    return tmp_path


def call(project: Path, *args: str) -> Result:
    store = str(project / ".greenhouse")
    return CliRunner().invoke(cli, ["--store", store, *args], catch_exceptions=False)


def stored(project: Path) -> list[Any]:
    store = Store.open(project / ".greenhouse")
    try:
        return store.list_schedules()
    finally:
        store.close()


BAD = [
    (["--cron", "61 * * * *"], ["Bad minute", "0 6 * * *"]),
    (["--cron", "0 * * * *", "--tz", "Mars/Olympus"], ["not a time zone", "Europe/Berlin"]),
    (["--every", "0s"], ["zero", "positive"]),
    (["--every", "soon"], ["not a duration", "30s"]),
    ([], ["exactly one of --cron", "--every"]),
    (["--every", "1h", "--cron", "0 * * * *"], ["exactly one"]),
    (["--every", "1h", "-p", "z", "1"], ["'z' is not a parameter"]),
    (["--every", "1h", "-p", "x", "many"], ["expected int"]),
    (["--every", "1h", "--notify-on", "failure,later"], ["unknown event 'later'", "recovery"]),
    (["--every", "1h", "--notify", "json://u:hunter2@localhost/x"], ["literal secret", "${VAR}"]),
    (["--every", "1h", "--retries", "-1"], ["--retries -1", "0 (no retry)"]),
    (["--every", "1h", "--max-concurrent", "0"], ["--max-concurrent 0", "1 or more"]),
    (["--every", "1h", "--catch-up", "some"], ["skip, latest, all"]),
    (["--every", "1h", "--check", "accuracy ~ 1"], ["NAME OP NUMBER"]),
]


@pytest.mark.parametrize(("options", "said"), BAD)
def test_bad_input_exits_2_saying_what_is_right_and_stores_nothing(
    project: Path, options: list[str], said: list[str]
) -> None:
    done = call(project, "schedule", "add", str(project / "nb.ipynb"), *options)
    assert done.exit_code == 2, done.output
    for text in said:
        assert text in done.output
    assert stored(project) == []


def test_unpublished_targets_and_duplicate_names_are_refused(project: Path) -> None:
    missing = call(project, "schedule", "add", "penguins@production", "--every", "1h")
    assert missing.exit_code == 2 and "Nothing is published as 'penguins'" in missing.output
    bare = call(project, "schedule", "add", "penguins", "--every", "1h")
    assert bare.exit_code == 2 and "penguins@ALIAS" in bare.output
    first = call(project, "schedule", "add", str(project / "nb.ipynb"), "--every", "1h")
    assert first.exit_code == 0
    again = call(project, "schedule", "add", str(project / "nb.ipynb"), "--every", "5m")
    assert again.exit_code == 2 and "named 'nb' exists already" in again.output
    assert len(stored(project)) == 1


def test_add_list_show_pause_trigger_remove(project: Path) -> None:
    added = call(
        project, "schedule", "add", str(project / "nb.ipynb"), "--cron", "30 2 * * *",
        "--tz", "Europe/Berlin", "--name", "nightly", "-p", "x", "5", "--retries", "2",
        "--notify", "json://u:${HOOK_PASSWORD}@localhost:9/x", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["spec"]["parameters"] == {"x": "5"}
    assert shown["spec"]["notify"] == ["json://u:${HOOK_PASSWORD}@localhost:9/x"]
    times = shown["next_fire_times"]
    assert len(times) == 5 and all(t["local"][11:16] in ("02:30", "03:00") for t in times)
    assert all(t["utc"][11:16] in ("00:30", "01:30", "01:00") for t in times)
    listed = json.loads(call(project, "schedule", "list", "--json").output)
    assert [(s["name"], s["paused"], s["last_outcome"]) for s in listed] == [
        ("nightly", False, None)
    ]
    assert call(project, "schedule", "pause", "nightly").exit_code == 0
    assert json.loads(call(project, "schedule", "list", "--json").output)[0]["paused"] is True
    assert call(project, "schedule", "resume", shown["id"]).exit_code == 0
    triggered = call(project, "schedule", "trigger", "nightly")
    assert triggered.exit_code == 0 and "triggered" in triggered.output
    text = call(project, "schedule", "show", "nightly").output
    assert "queued: triggered by hand" in text and "${HOOK_PASSWORD}" in text
    assert call(project, "schedule", "remove", "nightly").exit_code == 0
    assert call(project, "schedule", "list", "--json").output.strip() == "[]"
    assert call(project, "schedule", "show", "nightly").exit_code == 2
    gone = call(project, "schedule", "show", shown["id"], "--json")
    assert json.loads(gone.output)["occurrences"][0]["kind"] == "manual"


def test_a_scheduler_told_an_unknown_run_start_mode_exits_2_saying_which_are_known(
    project: Path,
) -> None:
    store = str(project / ".greenhouse")
    done = CliRunner().invoke(
        cli, ["--store", store, "scheduler"], env={"GREENHOUSE_RUN_START": "plian"}
    )

    assert done.exit_code == 2, done.output
    assert "GREENHOUSE_RUN_START must be one of fork, plain, got 'plian'" in done.output
