"""Alias changes are recorded: who, when, from which version to which, and why."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from services import Postgres

from greenhouse_ext.artefacts import alias_history, remove_alias, set_alias
from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.models import Version
from greenhouse_ext.store import Store
from greenhouse_ext.store.identity import user


def add_versions(store: Store, count: int) -> None:
    for i in range(count):
        store.add_version(
            Version(
                name="model",
                number=0,
                run_id=f"run{i}",
                created_at="2026-12-05T10:00:00.000+00:00",
                manifest_sha256=f"{i:064x}",
            )
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store with model@1..4, its index in SQLite or in a real PostgreSQL server."""
    if request.param == "sqlite":
        made = Store(tmp_path / ".greenhouse")
    else:
        postgres: Postgres = request.getfixturevalue("postgres")
        made = Store(tmp_path / ".greenhouse", postgres.database(), str(tmp_path / "objects"))
    add_versions(made, 4)
    return made


def test_set_move_and_remove_are_recorded_in_order(store: Store) -> None:
    assert set_alias(store, "model@1", "production", reason="first model")[1] is not None
    version, moved = set_alias(store, "model@3", "production", reason="better f1")
    assert version.number == 3 and version.aliases == ["production"]
    assert moved is not None and (moved.from_number, moved.to_number) == (1, 3)
    # Pointing an alias where it already points changes nothing and records nothing.
    assert set_alias(store, "model@production", "production")[1] is None
    removed = remove_alias(store, "model", "production", "rolled back by hand")
    assert (removed.from_number, removed.to_number, removed.action) == (3, None, "removed")

    history = alias_history(store, "model")
    assert [(e.action, e.from_number, e.to_number, e.reason) for e in history.events] == [
        ("set", None, 1, "first model"),
        ("moved", 1, 3, "better f1"),
        ("removed", 3, None, "rolled back by hand"),
    ]
    assert {e.user for e in history.events} == {user()}
    assert [e.at for e in history.events] == sorted(e.at for e in history.events)
    assert history.current == {} and store.get_version("model").aliases == []


def test_publishing_with_an_alias_records_its_move(store: Store) -> None:
    set_alias(store, "model@2", "staging")
    store.add_version(
        Version("model", 0, "run9", "2026-12-05T11:00:00.000+00:00", "f" * 64), ["staging"]
    )
    events = alias_history(store, "model").events
    assert [(e.alias, e.from_number, e.to_number) for e in events] == [
        ("staging", None, 2),
        ("staging", 2, 5),
    ]


def test_concurrent_moves_leave_a_history_without_gaps(store: Store) -> None:
    """Each recorded move starts where the one before it ended, however they interleave."""
    set_alias(store, "model@1", "production")
    targets = [2, 3, 4, 1, 2, 3, 4, 1] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: set_alias(store, f"model@{n}", "production"), targets))
    events = alias_history(store, "model").events
    assert events[0].from_number is None
    for before, after in itertools.pairwise(events):
        assert after.from_number == before.to_number
        assert after.from_number != after.to_number
    assert events[-1].to_number == store.aliases("model")["production"]


@pytest.mark.parametrize(
    ("call", "error", "said"),
    [
        (lambda s: set_alias(s, "model@1", "production", reason="  "), InvalidInput, "empty"),
        (lambda s: set_alias(s, "model@1", "prod", reason="x" * 2001), InvalidInput, "under 2000"),
        (lambda s: remove_alias(s, "model", "canary"), NotFound, "aliases: production"),
        (lambda s: remove_alias(s, "model", "7"), InvalidInput, "means version 7"),
        (lambda s: alias_history(s, "modle"), NotFound, "Nothing is published as 'modle'"),
    ],
    ids=["empty-reason", "long-reason", "remove-unknown", "remove-number", "history-unknown"],
)
def test_bad_changes_are_refused_and_record_nothing(store: Store, call, error, said) -> None:
    set_alias(store, "model@1", "production")
    with pytest.raises(error, match=said):
        call(store)
    assert len(store.alias_history("model")) == 1
    assert store.aliases("model") == {"production": 1}


def test_aliases_from_before_the_history_are_named(store: Store) -> None:
    """An alias row with no event (a store upgraded from before alias history) is listed."""
    from greenhouse_ext.store.schema import aliases_table

    with store._engine.begin() as conn:
        conn.execute(aliases_table.insert().values(name="model", alias="legacy", number=2))
    history = alias_history(store, "model")
    assert history.events == [] and history.unrecorded == {"legacy": 2}
    set_alias(store, "model@3", "legacy")
    assert alias_history(store, "model").events[0].from_number == 2
