"""`GreenhouseApp.scheduler`: the same loop and claims inside Jupyter Server."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from notebooks import write_notebook

from greenhouse_ext.scheduling.registration import register, trigger
from greenhouse_ext.scheduling.schedules import ScheduleSpec
from greenhouse_ext.server.app import GreenhouseApp


@pytest.fixture
def jp_server_config(jp_root_dir: Path) -> dict[str, Any]:
    write_notebook(jp_root_dir / "nb.ipynb", "x = 1  # int", "y = x + 1")
    (jp_root_dir / ".greenhouse").mkdir()
    return {
        "ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}},
        "GreenhouseApp": {"scheduler": True, "scheduler_grace": 5.0},
    }


async def test_the_servers_scheduler_runs_a_triggered_occurrence(
    greenhouse: GreenhouseApp, jp_root_dir: Path
) -> None:
    store = greenhouse.store
    now = datetime.now(timezone.utc)
    schedule = register(
        store, str(jp_root_dir / "nb.ipynb"), ScheduleSpec(every_s=86400), None, now
    )
    occurrence = trigger(store, schedule, now)
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        found = store.get_occurrence(occurrence.id)
        if found is not None and found.status == "succeeded":
            break
        await asyncio.sleep(0.5)
    assert found is not None and found.status == "succeeded"
    (scheduler_row,) = [r for r in store.list_schedulers() if r.id == found.claimed_by]
    assert scheduler_row.stopped_at is None
