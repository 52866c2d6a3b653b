"""The team store against real servers: PostgreSQL (a throwaway cluster) and S3 (moto's
standalone server), started by ``services.py``; the same checks on SQLite where they apply."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from faults import Server, free_port, greenhouse, request
from notebooks import write_notebook
from services import AWS_SECRET, PG_PASSWORD, Postgres, team_project

from greenhouse_ext.artefacts.publish import publish
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.store import Store, upgrade
from greenhouse_ext.store.config import StoreConfig, write_config
from greenhouse_ext.store.migrations import HEAD

WRITERS = 8
DEADLINE_S = 120.0


def _publish_at_once(root: str, run_id: str, barrier: Any, numbers: Any) -> None:
    store = Store.open(root)
    barrier.wait()
    numbers.put(publish(store, run_id, "model").number)
    store.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A project whose store is the team's (PostgreSQL and S3) or a plain SQLite folder."""
    project = tmp_path / "project"
    if request.param == "postgresql":
        return team_project(project, request.getfixturevalue("team"))
    (project / ".git").mkdir(parents=True)
    return project


def test_eight_processes_publishing_one_name_get_one_to_eight(
    shared: Path, seed_run: Callable[..., Run]
) -> None:
    import greenhouse_ext.artefacts.report  # noqa: F401  (imported once, before the fork)

    store = Store.open(shared / ".greenhouse")
    run = seed_run(store, write_notebook(shared / "train.ipynb", "a = 1", "a"))
    # Connections open across fork() would be shared with the children: close them first.
    store.close()
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(WRITERS), context.Queue()
    arguments = (str(shared / ".greenhouse"), run.id, barrier, queue)
    writers = [context.Process(target=_publish_at_once, args=arguments) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    numbers = [queue.get(timeout=DEADLINE_S) for _ in writers]
    for writer in writers:
        writer.join(DEADLINE_S)
        assert writer.exitcode == 0
    assert sorted(numbers) == list(range(1, WRITERS + 1))
    reopened = Store.open(shared / ".greenhouse")
    versions = reopened.list_versions("model")
    assert [v.number for v in versions] == list(range(1, WRITERS + 1))
    assert {v.run_id for v in versions} == {run.id}
    assert all(reopened.has_object(f.sha256) for v in versions for f in v.files)


def _blocked_publish(project: Path, run_id: str, postgres: Postgres, database: str) -> Any:
    """Start ``greenhouse publish`` while the test holds the versions table locked;
    return the process once it waits for the lock inside its transaction."""
    process = subprocess.Popen(
        [sys.executable, "-m", "greenhouse_ext", "publish", run_id, "--name", "model"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + DEADLINE_S
    waiting = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock'"
    )
    while postgres.psql(waiting.format(database)).strip() != "1":
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the publish never reached the index"
        time.sleep(0.1)
    return process


@pytest.mark.parametrize("fate", ["killed", "connection lost"])
def test_a_publish_cut_off_in_its_transaction_leaves_nothing_visible(
    fate: str, team: StoreConfig, postgres: Postgres, tmp_path: Path, seed_run: Callable[..., Run]
) -> None:
    project = team_project(tmp_path / "project", team)
    store = Store.open(project / ".greenhouse")
    run = seed_run(store, write_notebook(project / "train.ipynb", "a = 1", "a"))
    database = team.index.rsplit("/", 1)[1]
    locker = sa.create_engine(team.index)
    with locker.connect() as conn:
        conn.exec_driver_sql("LOCK TABLE versions IN ACCESS EXCLUSIVE MODE")
        process = _blocked_publish(project, run.id, postgres, database)
        if fate == "killed":
            process.send_signal(signal.SIGKILL)
        else:
            postgres.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{database}' AND wait_event_type = 'Lock'"
            )
        _, err = process.communicate(timeout=DEADLINE_S)
        conn.rollback()
    locker.dispose()
    if fate == "killed":
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 3, err
        assert "lost its connection to the index database" in err
        assert "try again" in err and PG_PASSWORD not in err
        assert "Traceback" not in err
    assert store.list_versions("model") == []
    assert publish(store, run.id, "model").number == 1


def test_a_database_that_cannot_be_reached_is_a_clear_error(
    tmp_path: Path, service_env: dict[str, str]
) -> None:
    project = tmp_path / "project"
    unreachable = f"postgresql+psycopg://greenhouse@127.0.0.1:{free_port()}/gh"
    team_project(project, StoreConfig(unreachable, str(tmp_path / "objects")))
    done = greenhouse("runs", cwd=project)
    assert done.returncode == 3
    assert "cannot connect to the index database" in done.stderr
    assert "Traceback" not in done.stderr


def test_objects_that_cannot_be_reached_fail_the_run_with_a_clear_error(
    tmp_path: Path, postgres: Postgres
) -> None:
    project = tmp_path / "project"
    closed = f"http://127.0.0.1:{free_port()}"
    team_project(project, StoreConfig(postgres.database(), "s3://nowhere/greenhouse", closed))
    write_notebook(
        project / "nb.ipynb", "x = 1", "from greenhouse_ext import record\nrecord('y', x)"
    )

    done = greenhouse("run", "nb.ipynb", cwd=project)

    assert done.returncode == 3, done.stderr
    assert "cannot reach the objects at s3://nowhere/greenhouse" in done.stderr
    assert "Traceback" not in done.stderr
    [run] = json.loads(greenhouse("runs", "--json", cwd=project, check=True).stdout)
    assert run["status"] == "failed" and run["has_notebook"] is False
    assert run["error"]["reason"].startswith(
        "the notebook finished but its results could not be saved: "
        "cannot reach the objects at s3://nowhere/greenhouse"
    )
    assert run["metrics"] == {"y": 1}


def _schema(url: str) -> dict[str, Any]:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            table: (
                sorted(c["name"] for c in inspector.get_columns(table)),
                sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            )
            for table in inspector.get_table_names()
        }
    finally:
        engine.dispose()


def test_migrations_from_empty_on_postgresql_make_the_schema_a_new_store_has(
    postgres: Postgres, tmp_path: Path
) -> None:
    migrated, made = postgres.database(), postgres.database()
    assert upgrade(tmp_path / "a", index_url=migrated) == (None, HEAD)
    assert upgrade(tmp_path / "a", index_url=migrated) == (HEAD, HEAD)
    Store(tmp_path / "b", made, str(tmp_path / "objects")).close()
    assert _schema(migrated) == _schema(made)
    assert "version_counters" in _schema(made)
    store = Store(tmp_path / "a", migrated, str(tmp_path / "objects"))
    assert store.artefact_names() == []


def test_two_jupyter_servers_sharing_a_team_store_see_each_others_runs(
    team: StoreConfig,
    postgres: Postgres,
    tmp_path: Path,
    servers: Callable[..., Server],
) -> None:
    roots = [team_project(tmp_path / name, team) for name in ("alice", "bob")]
    started = []
    for root in roots:
        write_notebook(
            root / "train.ipynb",
            "rate = 0.5",
            "from greenhouse_ext import record\nrecord('r', rate)",
        )
    both = [servers(root) for root in roots]
    for server in both:
        code, body = request(
            server, "POST", "runs", json.dumps({"notebook": "train.ipynb"}).encode()
        )
        assert code == 201, body
        started.append(json.loads(body)["id"])
    for server, run_id in zip(both, started, strict=True):
        _wait_finished(server, run_id)
    user = json.loads(request(both[0], "GET", f"runs/{started[0]}")[1])["provenance"]["user"]
    for server in both:
        code, body = request(server, "GET", "runs")
        listed = json.loads(body)["runs"]
        assert code == 200
        assert {r["id"] for r in listed} == set(started)
        assert {r["user"] for r in listed} == {user}
        assert json.loads(request(server, "GET", "runs?user=nobody")[1])["runs"] == []
        assert len(json.loads(request(server, "GET", f"runs?user={user}")[1])["runs"]) == 2

    # A lost connection: each server reconnects by itself on its next request.
    postgres.terminate(team.index.rsplit("/", 1)[1])
    for server in both:
        code, body = request(server, "GET", "runs")
        assert code == 200, body
        assert len(json.loads(body)["runs"]) == 2

    # No credential in any record, object, log or configuration of the team store.
    secrets = (PG_PASSWORD, AWS_SECRET)
    store = Store.open(roots[0] / ".greenhouse")
    texts = [store.get_object(digest).decode(errors="replace") for digest in _digests(store)]
    texts += [_dump(team.index)]
    texts += [
        p.read_text(errors="replace") for root in roots for p in root.rglob("*") if p.is_file()
    ]
    texts += [s.log.read_text(errors="replace") for s in both]
    info = greenhouse("store", "info", cwd=roots[0])
    assert info.returncode == 0, info.stderr
    assert f"{HEAD} (up to date)" in info.stdout
    texts += [info.stdout, info.stderr, greenhouse("store", "info", "--json", cwd=roots[0]).stdout]
    assert len(texts) > 10
    for secret in secrets:
        assert not [t for t in texts if secret in t]


def _wait_finished(server: Server, run_id: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        code, body = request(server, "GET", f"runs/{run_id}")
        assert code == 200, body
        status = json.loads(body)["status"]
        if status not in {"queued", "running"}:
            assert status == "succeeded", body
            return
        assert time.monotonic() < deadline, f"run {run_id} is still {status}"
        time.sleep(0.3)


def _digests(store: Store) -> set[str]:
    digests: set[str] = set()
    for run in store.list_runs():
        digests.update(d for d in (run.source_object, run.output_object) if d)
    return digests


def _dump(url: str) -> str:
    """Every row of every table of the index, as text."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return "\n".join(
                repr(row)
                for table in tables
                for row in conn.exec_driver_sql(f"SELECT * FROM {table}")
            )
    finally:
        engine.dispose()


def test_the_config_wins_over_nothing_and_env_wins_over_the_config(
    team: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    done = greenhouse(
        "store",
        "init",
        "--index",
        team.index,
        "--objects",
        team.objects,
        "--endpoint-url",
        team.endpoint_url or "",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    store = Store.open(project / ".greenhouse")
    assert (store.index_url, store.objects_url) == (team.index, team.objects)
    assert Store.open(project / ".greenhouse", local=True).index_url.startswith("sqlite:")
    other = str(tmp_path / "elsewhere.sqlite")
    monkeypatch.setenv("GREENHOUSE_INDEX_URL", f"sqlite:///{other}")
    assert Store.open(project / ".greenhouse").index_url == f"sqlite:///{other}"
    write_config(project, StoreConfig(team.index, team.objects))
    assert "endpoint_url" not in (project / "greenhouse.toml").read_text()
    assert os.environ["GREENHOUSE_INDEX_URL"].endswith("elsewhere.sqlite")


def test_status_transitions_are_guarded_on_postgresql_too(
    team: StoreConfig, tmp_path: Path, seed_run: Callable[..., Run]
) -> None:
    project = team_project(tmp_path / "project", team)
    store = Store.open(project / ".greenhouse")
    run = seed_run(store, write_notebook(project / "train.ipynb", "a = 1", "a"))
    cancelled = store.get_run(run.id)
    cancelled.status = RunStatus.CANCELLED
    assert not store.save_run(cancelled)
    assert not store.save_run(cancelled, replaces=())
    assert store.get_run(run.id).status is RunStatus.SUCCEEDED
    queued = store.get_run(run.id)
    queued.id, queued.status = "0" * 12, RunStatus.QUEUED
    assert store.save_run(queued, replaces=())
    queued.status = RunStatus.RUNNING
    assert store.save_run(queued, replaces=(RunStatus.QUEUED,))
    assert not store.save_run(queued, replaces=(RunStatus.QUEUED,))


async def test_the_api_answers_503_while_the_index_cannot_be_reached(
    api: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    unreachable = f"postgresql+psycopg://greenhouse@127.0.0.1:{free_port()}/gh"
    write_config(jp_root_dir, StoreConfig(unreachable, str(tmp_path / "objects")))
    for _ in range(2):
        reply = await api("GET", "runs")
        assert reply.code == 503
        assert "cannot connect to the index database" in reply.json["message"]
