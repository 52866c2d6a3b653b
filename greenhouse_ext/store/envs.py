"""The cache of rebuilt environments: one virtual environment per lock, under the store.

``.greenhouse/envs/<sha256 of the lock>/`` holds a venv that `reproduce --env recorded`
built, with ``greenhouse-env.json`` describing it (written last, so a folder without it
is no entry) and whose modification time is when the entry was last used. A venv is
built in a ``.build-*`` folder beside the entries and renamed into place only once its
install succeeded: a failed or killed build leaves no entry behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENVS_DIR = "envs"
MARKER = "greenhouse-env.json"
_BUILDING = ".build-"


@dataclass(frozen=True)
class CachedEnv:
    """One cached environment: its lock's sha256, folder, size, Python and last use."""

    sha256: str
    path: Path
    python: str
    last_used: float
    left_out: tuple[str, ...] = ()

    @property
    def python_executable(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def size(self) -> int:
        """The bytes of its files (symbolic links not followed)."""
        return _size(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "path": str(self.path),
            "size": self.size,
            "python": self.python,
            "last_used": self.last_used,
            "left_out": list(self.left_out),
        }


class EnvCache:
    """The environments cached under a store's folder (``root`` is the ``.greenhouse`` folder)."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / ENVS_DIR

    def get(self, sha256: str) -> CachedEnv | None:
        """The entry for a lock, marked as used now; None when there is none."""
        path = self.folder / sha256
        if self._read(path) is None:
            return None
        os.utime(path / MARKER)
        return self._read(path)

    @contextmanager
    def building(self, sha256: str, left_out: list[str]) -> Iterator[Path]:
        """A fresh folder to build the virtual environment of ``sha256`` in.

        Once the block ends without an exception, the folder is described (`MARKER`:
        the Python its ``pyvenv.cfg`` names, and ``left_out``) and renamed to the
        entry; a concurrent build that got there first wins and this one is removed.
        If the block raises, the folder is removed.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f"{_BUILDING}{sha256[:12]}-", dir=self.folder))
        try:
            yield scratch
            marker = {"python": _venv_python(scratch), "left_out": left_out}
            (scratch / MARKER).write_text(json.dumps(marker), encoding="utf-8")
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        try:
            scratch.rename(self.folder / sha256)
        except OSError:
            shutil.rmtree(scratch, ignore_errors=True)

    def entries(self) -> list[CachedEnv]:
        """Every entry, the most recently used first."""
        if not self.folder.is_dir():
            return []
        found = [self._read(p) for p in self.folder.iterdir() if not p.name.startswith(".")]
        return sorted((e for e in found if e is not None), key=lambda e: -e.last_used)

    def prune(self, older_than: float | None = None) -> list[CachedEnv]:
        """Remove the entries not used for ``older_than`` seconds (all when None), and any
        build left by a process that died; return the entries removed."""
        removed = []
        cutoff = None if older_than is None else time.time() - older_than
        for entry in self.entries():
            if cutoff is None or entry.last_used < cutoff:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry)
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                stale = path.name.startswith(_BUILDING) or not (path / MARKER).is_file()
                if stale and (cutoff is None or path.stat().st_mtime < cutoff):
                    shutil.rmtree(path, ignore_errors=True)
        return removed

    @staticmethod
    def _read(path: Path) -> CachedEnv | None:
        marker = path / MARKER
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            used = marker.stat().st_mtime
        except (OSError, ValueError):
            return None
        return CachedEnv(
            sha256=path.name,
            path=path,
            python=str(data.get("python") or ""),
            last_used=used,
            left_out=tuple(data.get("left_out") or ()),
        )


def _venv_python(folder: Path) -> str:
    """The Python version a virtual environment's ``pyvenv.cfg`` names ("" if none)."""
    try:
        lines = (folder / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    settings = dict(line.partition("=")[::2] for line in lines)
    return next(
        (v.strip() for k, v in settings.items() if k.strip() in ("version_info", "version")), ""
    )


def _size(folder: Path) -> int:
    total = 0
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            if not os.path.islink(path):
                total += os.stat(path).st_size
    return total
