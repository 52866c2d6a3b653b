"""Schema migrations: a store written before them is refused, upgraded, and reads the same.

``fixtures/store-v0`` was written by greenhouse before records had a format tag
(``fixtures/make_store_v0.py`` remakes it with that code).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from greenhouse_ext.artefacts import alias_history
from greenhouse_ext.errors import OutdatedStore
from greenhouse_ext.store import Store, sha256_bytes, upgrade
from greenhouse_ext.store.migrations import HEAD, REVISIONS, SCRIPTS

FIXTURE = Path(__file__).parent / "fixtures" / "store-v0"
GOOD, FAILED = "0a1b2c3d4e5f", "9f8e7d6c5b4a"


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(FIXTURE, copy)
    return copy


def greenhouse(store: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "--store", str(store), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"},
        check=False,
    )


def fixture_object(digest: str) -> bytes:
    return (FIXTURE / "objects" / digest[:2] / digest[2:]).read_bytes()


def test_the_revisions_listed_are_alembics_chain() -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    chain = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
    assert tuple(reversed(chain)) == REVISIONS


def test_an_old_store_is_refused_naming_the_upgrade(old_store: Path) -> None:
    with pytest.raises(OutdatedStore, match="`greenhouse store upgrade`"):
        Store(old_store)


def test_a_new_store_is_made_at_the_latest_revision(tmp_path: Path) -> None:
    Store(tmp_path / "new").close()
    assert upgrade(tmp_path / "new") == (HEAD, HEAD)


def test_a_store_from_a_newer_greenhouse_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "new").close()
    with sqlite3.connect(tmp_path / "new" / "index.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(OutdatedStore, match="newer greenhouse"):
        Store(tmp_path / "new")
    with pytest.raises(OutdatedStore, match="newer greenhouse"):
        upgrade(tmp_path / "new")


def test_upgrade_tags_every_record(old_store: Path) -> None:
    assert upgrade(old_store) == (None, HEAD)
    with sqlite3.connect(old_store / "index.sqlite") as db:
        runs = [json.loads(r) for (r,) in db.execute("SELECT record FROM runs")]
        versions = [json.loads(r) for (r,) in db.execute("SELECT record FROM versions")]
    assert sorted(r["format"] for r in runs) == ["greenhouse.run/1"] * 2
    assert [v["format"] for v in versions] == ["greenhouse.version/1"]


def test_the_cli_refuses_then_upgrades_and_reads_the_same(old_store: Path, tmp_path: Path) -> None:
    refused = greenhouse(old_store, "runs", cwd=tmp_path)
    assert refused.returncode == 2
    assert "greenhouse store upgrade" in refused.stderr
    upgraded = greenhouse(old_store, "store", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"to {HEAD}" in upgraded.stdout
    again = greenhouse(old_store, "store", "upgrade", cwd=tmp_path)
    assert "up to date" in again.stdout

    listed = json.loads(greenhouse(old_store, "runs", "--json", cwd=tmp_path).stdout)
    assert [(r["id"], r["status"]) for r in listed] == [(FAILED, "failed"), (GOOD, "succeeded")]
    shown = json.loads(greenhouse(old_store, "show", GOOD, "--json", cwd=tmp_path).stdout)
    assert (shown["metrics"], shown["parameters"], shown["has_notebook"]) == (
        {"accuracy": 0.9},
        {"seed": 1},
        True,
    )
    assert "pid" not in shown
    failed = json.loads(greenhouse(old_store, "show", FAILED, "--json", cwd=tmp_path).stdout)
    assert failed["error"]["evalue"] == "bad seed"

    verified = greenhouse(old_store, "verify", "model@production", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    got = greenhouse(old_store, "get", "model@production", "--out", "out", cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_bytes())
    for entry in manifest["files"]:
        data = (tmp_path / "out" / entry["path"]).read_bytes()
        assert sha256_bytes(data) == entry["sha256"]
        assert data == fixture_object(entry["sha256"])
    assert (tmp_path / "out" / "files" / "table.csv").read_bytes() == b"a,b\n1,2\n"


async def test_the_api_answers_409_naming_the_upgrade_until_it_is_done(
    api: Any, jp_root_dir: Path
) -> None:
    shutil.copytree(FIXTURE, jp_root_dir / ".greenhouse")
    refused = await api("GET", "runs")
    assert refused.code == 409
    assert "greenhouse store upgrade" in refused.json["message"]
    upgrade(jp_root_dir / ".greenhouse")
    listed = await api("GET", "runs")
    assert listed.code == 200
    assert [(r["id"], r["has_notebook"]) for r in listed.json["runs"]] == [
        (FAILED, True),
        (GOOD, True),
    ]


def test_upgrading_where_there_is_no_store_says_so(tmp_path: Path) -> None:
    result = greenhouse(tmp_path / "nowhere", "store", "upgrade", cwd=tmp_path)
    assert result.returncode == 2
    assert "no store" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_upgrade_fills_the_version_counters_manifests_and_users(old_store: Path) -> None:
    upgrade(old_store)
    with sqlite3.connect(old_store / "index.sqlite") as db:
        assert db.execute("SELECT name, last FROM version_counters").fetchall() == [("model", 1)]
        ((manifest, record),) = db.execute("SELECT manifest_sha256, record FROM versions")
        users = db.execute("SELECT user_name FROM runs").fetchall()
    assert manifest == json.loads(record)["manifest_sha256"]
    # The runs of store-v0 record no provenance, so no user.
    assert users == [(None,), (None,)]
    store = Store(old_store)
    version = store.get_version("model")
    version.created_at, version.manifest_sha256 = "2026-02-01T00:00:00", "f" * 64
    assert store.add_version(version, ["staging"]).number == 2
    assert store.get_version("model", alias="production").number == 1
    assert store.get_version("model", alias="staging").number == 2
    # production was set before alias history: named as such, and its next move records it.
    assert alias_history(store, "model").unrecorded == {"production": 1}
    store.set_alias("model", "production", 2, "after the upgrade")
    assert [(e.alias, e.from_number, e.to_number) for e in store.alias_history("model")] == [
        ("staging", None, 2),
        ("production", 1, 2),
    ]


def test_upgrade_indexes_the_sweep_each_run_belongs_to(old_store: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{old_store / 'index.sqlite'}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(SCRIPTS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0003_team_store")
    engine.dispose()
    with sqlite3.connect(old_store / "index.sqlite") as db:
        (record,) = db.execute("SELECT record FROM runs WHERE id = ?", (GOOD,)).fetchone()
        tagged = {**json.loads(record), "sweep_id": "s1"}
        db.execute("UPDATE runs SET record = ? WHERE id = ?", (json.dumps(tagged), GOOD))

    assert upgrade(old_store) == ("0003_team_store", HEAD)

    with sqlite3.connect(old_store / "index.sqlite") as db:
        swept = db.execute("SELECT id, sweep_id FROM runs ORDER BY id").fetchall()
    assert swept == sorted([(GOOD, "s1"), (FAILED, None)])
    assert [run.id for run in Store(old_store).list_runs(sweep="s1")] == [GOOD]


def test_upgrade_indexes_the_version_each_run_ran(old_store: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{old_store / 'index.sqlite'}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(SCRIPTS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0004_sweep_column")
    engine.dispose()
    with sqlite3.connect(old_store / "index.sqlite") as db:
        (record,) = db.execute("SELECT record FROM runs WHERE id = ?", (GOOD,)).fetchone()
        tagged = {**json.loads(record), "from_version": {"name": "model", "number": 1}}
        db.execute("UPDATE runs SET record = ? WHERE id = ?", (json.dumps(tagged), GOOD))

    assert upgrade(old_store) == ("0004_sweep_column", HEAD)

    with sqlite3.connect(old_store / "index.sqlite") as db:
        indexed = db.execute("SELECT id, from_name, from_number FROM runs ORDER BY id").fetchall()
    assert indexed == sorted([(GOOD, "model", 1), (FAILED, None, None)])
    assert [run.id for run in Store(old_store).list_runs(from_version=("model", 1))] == [GOOD]
