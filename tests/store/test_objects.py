"""Objects: content-addressed, packed, written once and atomically, wherever they live."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

import pytest

from greenhouse_ext.errors import Conflict, NotFound, StoreUnavailable
from greenhouse_ext.store import sha256_bytes
from greenhouse_ext.store.objects import Objects
from greenhouse_ext.store.packing import CHUNK_MIN


def test_objects_are_content_addressed_and_stored_once(tmp_path: Path) -> None:
    objects = Objects(str(tmp_path / "objects"))
    first = objects.put(b"hello")
    second = objects.put(b"hello")
    assert first == second == sha256_bytes(b"hello")
    assert objects.get(first) == b"hello"
    files = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert len(files) == 1
    assert not list((tmp_path / "objects" / "tmp").iterdir())
    with pytest.raises(NotFound):
        objects.get("0" * 64)


def test_a_large_payload_is_stored_once_and_read_back_whole(tmp_path: Path) -> None:
    objects = Objects(str(tmp_path / "objects"))
    payload = base64.b64encode(os.urandom(CHUNK_MIN)).decode()
    first = f'{{"image/png": "{payload}", "run": 1}}'.encode()
    second = f'{{"image/png": "{payload}", "run": 2}}'.encode()
    digests = [objects.put(first), objects.put(second)]
    assert digests == [sha256_bytes(first), sha256_bytes(second)]
    assert [objects.get(d) for d in digests] == [first, second]
    files = {p for p in (tmp_path / "objects").glob("??/*")}
    assert len(files) == 3
    assert sum(p.stat().st_size for p in files) < len(payload)


def test_a_lost_part_of_an_object_is_a_conflict(tmp_path: Path) -> None:
    objects = Objects(str(tmp_path / "objects"))
    payload = base64.b64encode(os.urandom(CHUNK_MIN)).decode().rstrip("=")
    digest = objects.put(f"[{payload}]".encode())
    part = tmp_path / "objects" / sha256_bytes(payload.encode())[:2]
    part = part / sha256_bytes(payload.encode())[2:]
    part.unlink()
    assert objects.has(digest)
    with pytest.raises(Conflict, match="lost object"):
        objects.get(digest)


def test_an_object_store_that_cannot_be_reached_is_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "greenhouse")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    objects = Objects("s3://nowhere/prefix", {"endpoint_url": closed})
    for attempt in (lambda: objects.put(b"x"), lambda: objects.get("0" * 64)):
        with pytest.raises(StoreUnavailable, match="cannot reach the objects at s3://nowhere"):
            attempt()
