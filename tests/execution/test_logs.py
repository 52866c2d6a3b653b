"""A run's log read in chunks: offsets, limits, cut characters, runs with no log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.execution.logs import read_log
from greenhouse_ext.models import Run, RunStatus, new_run_id, now
from greenhouse_ext.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / ".greenhouse")
    yield store
    store.close()


def _record(store: Store, status: RunStatus) -> Run:
    run = Run(id=new_run_id(), notebook="nb.ipynb", status=status, parameters={}, created_at=now())
    store.save_run(run)
    return run


@pytest.mark.parametrize(
    ("content", "offset", "text", "next_offset"),
    [
        (b"hello\nworld\n", 0, "hello\nworld\n", 12),
        (b"hello\nworld\n", 6, "world\n", 12),
        (b"hello\n", 6, "", 6),
        (b"hello\n", 60, "", 60),
        ("h\u00e9".encode(), 0, "h\u00e9", 3),
        ("h\u00e9".encode()[:2], 0, "h", 1),
        (b"bad \xff byte", 0, "bad \ufffd byte", 10),
    ],
    ids=["all", "from-offset", "at-end", "past-end", "utf8", "cut-character", "invalid-byte"],
)
def test_read_log_tails_from_an_offset(store, content, offset, text, next_offset):
    run = _record(store, RunStatus.RUNNING)
    store.log_path(run.id).write_bytes(content)

    chunk = read_log(store, run.id, offset)

    assert (chunk.text, chunk.offset) == (text, next_offset)


def test_read_log_returns_chunks_of_at_most_the_limit(store):
    run = _record(store, RunStatus.RUNNING)
    store.log_path(run.id).write_bytes(b"0123456789")

    first = read_log(store, run.id, 0, limit=4)
    second = read_log(store, run.id, first.offset, limit=4)

    assert (first.to_dict(), second.to_dict()) == (
        {"text": "0123", "offset": 4},
        {"text": "4567", "offset": 8},
    )


def test_read_log_of_a_run_started_elsewhere_is_empty(store):
    run = _record(store, RunStatus.SUCCEEDED)

    assert read_log(store, run.id).to_dict() == {"text": "", "offset": 0}


def test_read_log_refuses_a_negative_offset_and_unknown_runs(store):
    with pytest.raises(InvalidInput, match="offset"):
        read_log(store, "whatever", -1)
    with pytest.raises(NotFound):
        read_log(store, "0123456789ab")
