"""Packing: objects compressed on disk, large base64 payloads kept apart, exact bytes back."""

from __future__ import annotations

import base64
import os

import pytest

from greenhouse_ext.errors import Conflict
from greenhouse_ext.store import packing, sha256_bytes
from greenhouse_ext.store.packing import CHUNK_MIN, MAGIC, pack, unpack

# 3 bytes make 4 base64 characters: a payload of exactly CHUNK_MIN characters, unpadded.
IMAGE = base64.b64encode(os.urandom(CHUNK_MIN * 3 // 4)).decode()


class Chunks(dict[str, bytes]):
    def put(self, data: bytes) -> str:
        self[sha256_bytes(data)] = data
        return sha256_bytes(data)


CONTENTS = {
    "small": b'{"cells": []}',
    "notebook with an image": (
        '{"data": {"image/png": "' + IMAGE + '\\n"}, "text": "caf\u00e9"}'
    ).encode(),
    "two images": f'<img src="data:image/png;base64,{IMAGE}=="><p>{IMAGE[::-1]}</p>'.encode(),
    "only a payload": IMAGE.encode(),
    "binary": os.urandom(3 * CHUNK_MIN),
    "repetitive text": b"line of text\n" * 20_000,
}


@pytest.mark.parametrize("content", CONTENTS.values(), ids=CONTENTS.keys())
@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_unpacking_gives_back_the_exact_bytes(
    content: bytes, codec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if codec == "gzip":
        monkeypatch.setattr(packing, "zstd", None)
    chunks = Chunks()
    stored = pack(content, chunks.put)
    assert stored.startswith(MAGIC)
    assert unpack(stored, chunks.__getitem__) == content


def test_large_payloads_become_objects_shared_by_whoever_embeds_them() -> None:
    chunks = Chunks()
    notebook = pack(CONTENTS["notebook with an image"], chunks.put)
    report = pack(f'<img src="data:image/png;base64,{IMAGE}">'.encode(), chunks.put)
    assert list(chunks.values()) == [IMAGE.encode()]
    assert len(notebook) < 200 and len(report) < 200


def test_repetitive_content_is_compressed() -> None:
    assert len(pack(CONTENTS["repetitive text"])) < len(CONTENTS["repetitive text"]) // 50


def test_incompressible_content_is_kept_as_it_is_behind_the_header() -> None:
    stored = pack(CONTENTS["binary"])
    assert stored == MAGIC + b"wn" + CONTENTS["binary"]


def test_files_from_before_packing_read_as_they_are() -> None:
    assert unpack(b'{"plain": true}', Chunks().__getitem__) == b'{"plain": true}'


def test_zstd_objects_without_zstandard_name_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = pack(CONTENTS["repetitive text"])
    monkeypatch.setattr(packing, "zstd", None)
    with pytest.raises(Conflict, match="zstandard"):
        unpack(stored, Chunks().__getitem__)


def test_a_long_style_element_becomes_an_object_and_its_tags_stay() -> None:
    css = b".jp-Cell { color: red; } /* a < b */\n" * (CHUNK_MIN // 30)
    page = b'<html><style type="text/css">' + css + b"</style><p>hi</p></html>"
    chunks = Chunks()
    stored = pack(page, chunks.put)
    assert list(chunks.values()) == [css]
    assert unpack(stored, chunks.__getitem__) == page
