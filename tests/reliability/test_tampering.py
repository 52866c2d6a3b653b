"""Tampering with the store: a flipped byte in any stored object is named by ``verify``; a
truncated index WAL leaves a store that opens or refuses clearly, never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import greenhouse
from notebooks import write_notebook

from greenhouse_ext.store import Store

BODY = (
    "from pathlib import Path\n"
    "from greenhouse_ext import record, record_file\n"
    "record('score', epochs * 0.5)\n"
    "Path('table.csv').write_text('epoch,score\\n1,0.5\\n')\n"
    "record_file('table.csv', 'tables/table.csv')"
)
# Writes runs and exits without closing the index, as a killed process would: the WAL
# keeps frames that were never checkpointed into the database file.
UNCLOSED_WRITER = """
import os, sys
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store
store = Store(sys.argv[1])
with store._engine.connect() as conn:
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
for i in range(40):
    store.save_run(Run(id=f"r{i:04d}", notebook="nb.ipynb", status=RunStatus.SUCCEEDED,
                       parameters={"i": i}, created_at=f"2026-01-01T00:00:{i % 60:02d}"))
os._exit(0)
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A project with one published version, made once with a real kernel."""
    folder = tmp_path_factory.mktemp("tamper")
    (folder / ".greenhouse").mkdir()
    write_notebook(folder / "train.ipynb", "epochs = 3", BODY)
    ran = greenhouse("run", "train.ipynb", "--json", cwd=folder)
    assert ran.returncode == 0, ran.stderr
    done = greenhouse(
        "publish", json.loads(ran.stdout)["id"], "--name", "model", "--json", cwd=folder
    )
    assert done.returncode == 0, done.stderr
    return folder, json.loads(done.stdout)


@pytest.fixture
def project(published: tuple[Path, dict[str, object]], tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "project"
    shutil.copytree(published[0], target)
    yield target


def object_path(project: Path, digest: str) -> Path:
    found = sorted((project / ".greenhouse" / "objects" / digest[:2]).glob(digest[2:] + "*"))
    assert len(found) == 1, f"object {digest} not found once: {found}"
    return found[0]


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "path",
    ["notebook.ipynb", "report.html", "metrics.json", "files/tables/table.csv", "manifest.json"],
)
def test_a_flipped_byte_in_any_stored_object_is_named_by_verify(project, published, path, ledger):
    version = published[1]
    digests = {f["path"]: f["sha256"] for f in version["files"]}  # type: ignore[index]
    digests["manifest.json"] = version["manifest_sha256"]  # type: ignore[index]
    flip_byte(object_path(project, digests[path]))

    done = greenhouse("verify", "model@1", cwd=project)

    held = done.returncode == 1 and path in done.stdout + done.stderr
    held = held and "Traceback" not in done.stderr
    ledger.add("tampering", "flipped byte in a stored object", held)
    assert held, (done.stdout, done.stderr)


@pytest.mark.parametrize("keep", ["nothing", "32 bytes", "half", "all but 1 byte"])
def test_a_truncated_wal_opens_or_refuses_clearly(tmp_path, keep, ledger):
    store = tmp_path / ".greenhouse"
    Store(store).close()
    subprocess.run([sys.executable, "-c", UNCLOSED_WRITER, str(store)], check=True, timeout=120)
    wal = store / "index.sqlite-wal"
    size = wal.stat().st_size
    assert size > 4096, "the writer left no WAL frames to truncate"
    length = {"nothing": 0, "32 bytes": 32, "half": size // 2, "all but 1 byte": size - 1}[keep]
    with wal.open("r+b") as handle:
        handle.truncate(length)

    done = greenhouse("runs", "--json", "--limit", "100", cwd=tmp_path)

    clear = done.returncode == 0 or (done.returncode == 2 and done.stderr.startswith("error: "))
    held = clear and "Traceback" not in done.stderr
    if done.returncode == 0:
        listed = json.loads(done.stdout)
        held = held and all(run["parameters"]["i"] == int(run["id"][1:]) for run in listed)
    ledger.add("tampering", "truncated index WAL", held)
    assert held, (done.returncode, done.stderr[-2000:])
