"""Where a store is: named, or found upwards from the working folder the way git finds ``.git``."""

from __future__ import annotations

import os
from pathlib import Path

from .config import CONFIG_FILENAME

STORE_DIRNAME = ".greenhouse"
STORE_ENV = "GREENHOUSE_STORE"


def find_store_root(start: str | os.PathLike[str] | None = None) -> Path:
    """Locate the store the way git finds ``.git``.

    ``$GREENHOUSE_STORE`` wins; otherwise the nearest ``.greenhouse`` folder in ``start``
    or one of its parents, searching no higher than the git work tree ``start`` is in
    (its root holds ``.git``) or the file system ``start`` is on; otherwise
    ``start/.greenhouse`` (created on first write). A folder holding a store
    configuration (``greenhouse.toml``) is a project root too: its store is
    ``.greenhouse`` there, whose index and objects the configuration names. So a project
    never silently uses the store of a folder around it.
    """
    named = os.environ.get(STORE_ENV)
    if named:
        return Path(named).expanduser().resolve()
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / STORE_DIRNAME
        if candidate.is_dir() or (folder / CONFIG_FILENAME).is_file():
            return candidate
        if is_search_boundary(folder):
            break
    return here / STORE_DIRNAME


def is_search_boundary(folder: Path) -> bool:
    """Whether the upward search for a store ends at ``folder``: a git work tree's root,
    or the top of a file system."""
    return (folder / ".git").exists() or os.path.ismount(folder)
