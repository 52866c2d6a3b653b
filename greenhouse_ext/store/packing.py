"""How an object's bytes are kept on disk: compressed, with large embedded payloads apart.

An object is named by the sha256 of its content; what the file under that name holds is
its *packed* form. Packing compresses (zstd when ``zstandard`` is installed, else gzip;
nothing when that would not make it smaller) and moves every run of at least
``CHUNK_MIN`` base64 characters (an image or other binary output embedded in a notebook
or a report), and the text of every ``<style>`` element as long (a report's theme), into
an object of its own, referenced by digest. So a large output that did not change between
two runs, or that a report repeats from its notebook, is kept once. Unpacking gives back
the exact bytes. Files written before packing existed (no header) read as they are.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Callable
from types import ModuleType

from ..errors import Conflict

zstd: ModuleType | None
try:
    import zstandard as zstd
except ImportError:  # the optional extra `greenhouse_ext[zstd]`
    zstd = None

MAGIC = b"GHOBJ1"
CHUNK_MIN = 64 * 1024
"""The shortest base64 run kept as an object of its own (64 KiB)."""
# A long base64 run (an embedded image or file), or the text of a long <style> element (the
# theme every HTML report carries).
_LARGE_RUN = re.compile(
    rb"[A-Za-z0-9+/]{%d,}|<style[^>]*>(.{%d,}?)</style>" % (CHUNK_MIN, CHUNK_MIN), re.DOTALL
)
_WHOLE, _SPLIT = b"w", b"s"
_NONE, _GZIP, _ZSTD = b"n", b"g", b"z"
# What a damaged file raises while it is unpacked (bad compressed data, bad JSON or parts).
_UNPACK_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    zlib.error,
    ValueError,
    AttributeError,
) + ((zstd.ZstdError,) if zstd is not None else ())


def pack(data: bytes, put_chunk: Callable[[bytes], str] | None = None) -> bytes:
    """The packed form of ``data``.

    Parameters
    ----------
    data : bytes
        The object's content.
    put_chunk : callable, optional
        Stores a large run as an object and returns its digest; without it nothing is
        moved out (the form of the chunks themselves).
    """
    spans = [m.span(m.lastindex or 0) for m in _LARGE_RUN.finditer(data)] if put_chunk else []
    if put_chunk is None or not spans or spans == [(0, len(data))]:
        return _compressed(_WHOLE, data)
    parts: list[dict[str, str]] = []
    start = 0
    for begin, end in spans:
        parts.append({"text": data[start:begin].decode("latin-1")})
        parts.append({"object": put_chunk(data[begin:end])})
        start = end
    parts.append({"text": data[start:].decode("latin-1")})
    return _compressed(_SPLIT, json.dumps(parts).encode())


def unpack(stored: bytes, get_chunk: Callable[[str], bytes]) -> bytes:
    """The content a packed file holds; ``get_chunk`` reads the objects it refers to.

    Raises
    ------
    Conflict
        The file is damaged (it does not unpack), or needs ``zstandard`` to be read.
    """
    if not stored.startswith(MAGIC):
        return stored
    kind, codec, body = stored[6:7], stored[7:8], stored[8:]
    try:
        content = _decompressed(codec, body)
        if kind == _WHOLE:
            return content
        parts = [(part.get("text"), part.get("object")) for part in json.loads(content)]
    except _UNPACK_ERRORS as exc:
        raise Conflict(f"A stored object is damaged: it does not unpack ({exc})") from None
    return b"".join(
        text.encode("latin-1") if text is not None else get_chunk(ref) for text, ref in parts
    )


def parts(stored: bytes) -> list[str]:
    """The digests of the objects a packed file refers to: none for a whole one.

    Raises
    ------
    Conflict
        The file is damaged: it does not unpack.
    """
    if not refers_to_parts(stored):
        return []
    try:
        content = json.loads(_decompressed(stored[7:8], stored[8:]))
        return [part["object"] for part in content if part.get("object") is not None]
    except _UNPACK_ERRORS as exc:
        raise Conflict(f"A stored object is damaged: it does not unpack ({exc})") from None


HEADER_BYTES = len(MAGIC) + 2
"""How much of a packed file tells whether it refers to other objects (`refers_to_parts`)."""


def refers_to_parts(head: bytes) -> bool:
    """Whether a packed file, of which ``head`` is the start (at least `HEADER_BYTES`),
    refers to objects of its own (its large runs, kept apart)."""
    return head.startswith(MAGIC) and head[6:7] == _SPLIT


def _compressed(kind: bytes, data: bytes) -> bytes:
    if zstd is not None:
        codec, body = _ZSTD, zstd.ZstdCompressor(level=3, write_checksum=True).compress(data)
    else:
        codec, body = _GZIP, gzip.compress(data, compresslevel=6, mtime=0)
    if len(body) >= len(data):
        codec, body = _NONE, data
    return MAGIC + kind + codec + body


def _decompressed(codec: bytes, body: bytes) -> bytes:
    if codec == _NONE:
        return body
    if codec == _GZIP:
        return gzip.decompress(body)
    if codec != _ZSTD:
        raise ValueError(f"unknown codec {codec!r}")
    if zstd is None:
        raise Conflict(
            "The store holds zstd-compressed objects: install `zstandard` "
            "(pip install 'greenhouse_ext[zstd]') to read them"
        )
    data: bytes = zstd.ZstdDecompressor().decompress(body)
    return data
