"""`greenhouse runs --schedule NAME|ID` and the occurrence `greenhouse show` names, after a
real `greenhouse scheduler --once` ran two triggered schedules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from schedulers import environment, greenhouse, project


def test_runs_of_a_schedule_and_the_occurrence_of_a_run(tmp_path: Path) -> None:
    folder = project(tmp_path)
    for name in ("hourly", "daily"):
        greenhouse(folder, "schedule", "add", "nb.ipynb", "--every", "1d", "--name", name)
        greenhouse(folder, "schedule", "trigger", name)
    greenhouse(folder, "run", "nb.ipynb")
    greenhouse(folder, "scheduler", "--once")

    everything = json.loads(greenhouse(folder, "runs", "--json"))
    assert len(everything) == 3
    hourly = json.loads(greenhouse(folder, "runs", "--schedule", "hourly", "--json"))
    daily = json.loads(greenhouse(folder, "runs", "--schedule", "daily", "--json"))
    assert len(hourly) == 1 and len(daily) == 1 and hourly[0]["id"] != daily[0]["id"]
    (by_hand,) = {r["id"] for r in everything} - {hourly[0]["id"], daily[0]["id"]}
    table = greenhouse(folder, "runs", "--schedule", "hourly")
    assert hourly[0]["id"] in table and daily[0]["id"] not in table

    schedule = json.loads(greenhouse(folder, "schedule", "show", "hourly", "--json"))
    (occurrence,) = schedule["occurrences"]
    shown = json.loads(greenhouse(folder, "show", hourly[0]["id"], "--json"))
    assert shown["occurrence"] == {
        "schedule_id": schedule["id"],
        "schedule": "hourly",
        "occurrence": occurrence["id"],
        "fire_at": occurrence["fire_at"],
        "kind": "manual",
        "attempt": 1,
    }
    text = greenhouse(folder, "show", hourly[0]["id"])
    assert f"occurrence  {occurrence['id']} of schedule hourly ({schedule['id']})" in text
    assert "attempt 1" in text
    assert "occurrence" not in json.loads(greenhouse(folder, "show", by_hand, "--json"))
    listed = {r["id"]: r for r in everything}
    assert listed[hourly[0]["id"]]["occurrence"] == shown["occurrence"]
    assert listed[daily[0]["id"]]["occurrence"]["schedule"] == "daily"
    assert "occurrence" not in listed[by_hand]
    assert "occurrence" not in greenhouse(folder, "show", by_hand)

    greenhouse(folder, "schedule", "remove", "hourly")
    kept = json.loads(greenhouse(folder, "runs", "--schedule", schedule["id"], "--json"))
    assert [r["id"] for r in kept] == [hourly[0]["id"]]
    unknown = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "runs", "--schedule", "weekly"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=environment(),
        check=False,
    )
    assert unknown.returncode != 0 and "No schedule 'weekly'" in unknown.stderr
