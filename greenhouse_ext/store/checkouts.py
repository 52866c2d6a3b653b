"""Checkouts: read-only copies of stored objects in the store folder, for other tools to open."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

CHECKOUT_MODE = 0o444


def checkout(root: Path, digest: str, name: str, read: Callable[[str], bytes]) -> Path:
    """Copy an object to ``root/checkouts/NAME`` for opening in other tools (`Store.checkout`).

    A read-only copy (mode 0444), not a link, so that editing the file can never change
    the stored object. A file already there is handed back only when its sha256 is
    ``digest``; one edited since (or damaged) is written afresh.
    """
    target = root / "checkouts" / name
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    tmp.write_bytes(read(digest))
    tmp.chmod(CHECKOUT_MODE)
    os.replace(tmp, target)
    return target
