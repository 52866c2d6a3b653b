"""The store's objects: every notebook, report and file once, named by its sha256.

Objects live in any fsspec location (a local folder, S3 through s3fs, ...), in their
packed form (:mod:`greenhouse_ext.store.packing`: compressed, with large embedded payloads kept
as objects of their own). A failure to reach an object store, or to write to it (a full
disk, a file over its size limit, an I/O error, a refused permission), is `StoreUnavailable`.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard, TypeVar, cast

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import Conflict, GreenhouseError, NotFound, StoreUnavailable
from .config import redacted
from .packing import HEADER_BYTES, pack, parts, refers_to_parts, unpack

_Method = TypeVar("_Method", bound=Callable[..., Any])
_STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EFBIG, errno.EIO, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM}
)
"""The errors of a file system that cannot take a write: full, over a limit, failing,
read-only, or refusing permission."""


_HEX = frozenset("0123456789abcdef")
TEMPORARY = "tmp"
"""The folder of the objects' location where a local write puts its file before renaming it."""


@dataclass(frozen=True)
class StoredFile:
    """A file in the objects' location: an object, or a temporary file a write left.

    ``modified`` is when it was last written (seconds since the epoch), None where the
    file system does not say.
    """

    key: str
    digest: str | None
    size: int
    modified: float | None


def sha256_bytes(data: bytes) -> str:
    """Return the hex sha256 of ``data``: the name an object is stored under."""
    return hashlib.sha256(data).hexdigest()


def _reaching(method: _Method) -> _Method:
    """Translate a failure to reach the object store into `StoreUnavailable`.

    A refused or lost connection, a timeout or refused credentials (botocore's and
    aiohttp's errors, or the OSErrors fsspec makes of them) say which objects could not
    be reached, and a file system that fails (full, a file over its size limit, an I/O
    error, a refused permission) says so, cause first, as the error's one problem. A
    missing object and every other error pass through as they are.
    """

    @functools.wraps(method)
    def reaching(self: Objects, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (FileNotFoundError, GreenhouseError):
            raise
        except Exception as exc:
            if _unwritable(exc):
                # The cause first, short: a record's reason is cut in listings, and the
                # temporary file's path that the OSError names is gone.
                problem = f"{exc.strerror} while using the objects at {redacted(self.url)}"
            elif _unreachable(exc):
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                problem = f"cannot reach the objects at {redacted(self.url)} ({reason})"
            else:
                raise
            raise StoreUnavailable(
                f"greenhouse {problem}; nothing was half-written: try again once they can be "
                "reached and written",
                problems=[problem],
            ) from exc

    return cast(_Method, reaching)


def _unwritable(exc: BaseException) -> TypeGuard[OSError]:
    return isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError | PermissionError):
        return True
    return type(exc).__module__.split(".")[0] in {"botocore", "aiobotocore", "aiohttp"}


class Objects:
    """Content-addressed objects at an fsspec ``url``.

    Parameters
    ----------
    url : str
        Where the objects live (a folder path, ``s3://bucket/prefix``, ...).
    storage_options : dict, optional
        Options of the file system (such as an S3 ``endpoint_url``).
    """

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        self.url = url
        self._storage_options = storage_options or {}

    @functools.cached_property
    def _filesystem(self) -> tuple[Any, str]:
        # Made on first use: an object store's client (s3fs) is slow to import, and
        # listing runs never needs it.
        fs, path = fsspec.core.url_to_fs(self.url, **self._storage_options)
        return fs, str(path)

    @property
    def _fs(self) -> Any:
        return self._filesystem[0]

    @property
    def _root(self) -> str:
        return self._filesystem[1]

    @property
    def _renames(self) -> bool:
        """A local folder takes a temporary file renamed into place; an object store
        writes an object whole or not at all, so it takes the object at its name."""
        return isinstance(self._fs, LocalFileSystem)

    def _key(self, digest: str) -> str:
        return f"{self._root}/{digest[:2]}/{digest[2:]}"

    @_reaching
    def put(self, data: bytes) -> str:
        """Store ``data`` once under its sha256 and return the digest.

        The file holds the packed form, its parts written first. In a folder it goes to a
        temporary name and is renamed into place, so a killed process never leaves a
        half-written object under a real name.
        """
        return self._put(data, lambda content: pack(content, self._put_part))

    def _put_part(self, data: bytes) -> str:
        return self._put(data, pack)

    def _put(self, data: bytes, packed: Callable[[bytes], bytes]) -> str:
        digest = sha256_bytes(data)
        key = self._key(digest)
        if self._fs.exists(key):
            if self._renames:
                # Written again now: `greenhouse gc` spares an unnamed object written
                # lately, since its record may be about to name it.
                with contextlib.suppress(OSError):
                    self._fs.touch(key, truncate=False)
            return digest
        stored = packed(data)
        if not self._renames:
            self._fs.pipe_file(key, stored)
            return digest
        tmp_dir = f"{self._root}/tmp"
        self._fs.makedirs(tmp_dir, exist_ok=True)
        self._fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)
        tmp = f"{tmp_dir}/{uuid.uuid4().hex}"
        try:
            self._fs.pipe_file(tmp, stored)
            self._fs.mv(tmp, key)
        except BaseException:
            with contextlib.suppress(OSError):
                self._fs.rm_file(tmp)
            raise
        return digest

    @_reaching
    def get(self, digest: str) -> bytes:
        """Return an object's content; NotFound when there is no such object."""
        key = self._key(digest)
        if not self._fs.exists(key):
            raise NotFound(f"The store has no object {digest}")
        return unpack(self._fs.cat_file(key), self._get_part)

    def _get_part(self, digest: str) -> bytes:
        if not self._fs.exists(self._key(digest)):
            raise Conflict(f"The store has lost object {digest}, a part of another object")
        return self.get(digest)

    @_reaching
    def has(self, digest: str) -> bool:
        """True when an object with this sha256 is stored."""
        return bool(self._fs.exists(self._key(digest)))

    @_reaching
    def listing(self) -> list[StoredFile]:
        """Every object stored, and every temporary file that writes left behind."""
        if not self._fs.exists(self._root):
            return []
        found: dict[str, dict[str, Any]] = self._fs.find(self._root, detail=True)
        files = []
        for path, info in found.items():
            relative = path[len(self._root) :].strip("/").split("/")
            digest = "".join(relative)
            if len(relative) == 2 and len(digest) == 64 and set(digest) <= _HEX:
                files.append(StoredFile(path, digest, int(info["size"]), _modified(info)))
            elif len(relative) == 2 and relative[0] == TEMPORARY:
                files.append(StoredFile(path, None, int(info["size"]), _modified(info)))
        return files

    @_reaching
    def parts(self, digest: str) -> list[str]:
        """The digests of the objects that object ``digest`` is made of (its large runs).

        Raises
        ------
        Conflict
            The object is damaged: it does not unpack.
        """
        key = self._key(digest)
        if not refers_to_parts(self._fs.cat_file(key, start=0, end=HEADER_BYTES)):
            return []
        return parts(self._fs.cat_file(key))

    @_reaching
    def remove(self, key: str) -> None:
        """Remove a file of `listing`; one gone already is no error."""
        with contextlib.suppress(FileNotFoundError):
            self._fs.rm_file(key)


def _modified(info: dict[str, Any]) -> float | None:
    """When a file was last written, from what its file system tells of it."""
    value = info.get("mtime", info.get("LastModified", info.get("created")))
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None
