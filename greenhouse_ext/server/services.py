"""What the REST handlers need of the extension: its settings and services, as a protocol.

`GreenhouseApp` provides them; handlers depend on this protocol, never on the app class,
so the app can import every handler without a circle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..execution import RunLauncher
from ..parameters import GridLimit, ValueLimit
from ..store import Store


class Services(Protocol):
    """The configuration and services of one greenhouse server."""

    store_path: str
    """The store folder as configured."""
    max_body_bytes: int
    """The largest request body, in bytes."""
    max_json_depth: int
    """How deeply a request body may nest JSON arrays and objects."""

    @property
    def root(self) -> Path:
        """The server's root directory as a real path: no path the API takes leaves it."""

    @property
    def configured_root(self) -> str:
        """The server's root directory as configured (absolute, links not resolved)."""

    @property
    def store(self) -> Store:
        """The server's store."""

    @property
    def launcher(self) -> RunLauncher:
        """What starts and cancels the server's runs."""

    @property
    def value_limit(self) -> ValueLimit:
        """The per-value size limit of parameters."""

    @property
    def grid_limit(self) -> GridLimit:
        """The size limit of a sweep."""
