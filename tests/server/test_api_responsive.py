"""The server stays responsive while another process holds the store's index locked."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from greenhouse_ext.models import Version, now

HOLD_S = 4.0
"""How long the other process holds the index's write lock."""
ANSWER_S = 1.0
"""How fast the server must answer meanwhile."""
HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE runs SET status = status")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


@pytest.fixture
def locked_index(greenhouse: Any) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the write lock of the server's index for `HOLD_S` seconds."""
    greenhouse.store.add_version(
        Version(name="model", number=0, run_id="r1", created_at=now(), manifest_sha256="0" * 64)
    )
    index = Path(greenhouse.store.root, "index.sqlite")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(index), str(HOLD_S)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    yield holder
    holder.kill()
    holder.wait()


def _timed_gets(
    urls: list[str], headers: dict[str, str], holder: subprocess.Popen[str]
) -> tuple[list[tuple[int, float]], bool]:
    """GET each URL from this thread, not the server's loop.

    Returns the (status, seconds) of each answer, and whether the lock was still held
    after the last one.
    """
    time.sleep(0.5)
    answers = []
    for url in urls:
        started = time.monotonic()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as reply:
            answers.append((reply.status, time.monotonic() - started))
    return answers, holder.poll() is None


async def test_a_locked_index_never_stalls_the_server(
    api, locked_index, jp_http_port, jp_base_url, jp_auth_header
):
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    urls = [f"{base}greenhouse/api/version", f"{base}api/status"]
    loop = asyncio.get_running_loop()
    timed = loop.run_in_executor(None, _timed_gets, urls, jp_auth_header, locked_index)
    alias = api("PUT", "artefacts/model/aliases/production", body={"version": 1})
    listing = api("GET", "runs")

    (answers, still_locked), moved, listed = await asyncio.gather(timed, alias, listing)

    assert [status for status, _ in answers] == [200, 200]
    assert all(seconds < ANSWER_S for _, seconds in answers), answers
    assert still_locked, "the lock was released before the answers came"
    assert moved.code == 200 and moved.json["aliases"] == ["production"]
    assert listed.code == 200
