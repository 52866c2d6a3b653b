"""Greenhouse: reproducible, parameterised, versioned notebook runs inside Jupyter."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .notebook_api import record, record_file

__all__ = ["__version__", "record", "record_file"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "greenhouse-ext"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import GreenhouseApp

    return [{"module": "greenhouse_ext.server.app", "app": GreenhouseApp}]
