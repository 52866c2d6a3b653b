"""Greenhouse: reproducible, parameterised, versioned notebook runs inside Jupyter."""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["__version__", "record", "record_file"]


def __getattr__(name: str) -> Any:
    # The notebook API is imported on first use: the command line never needs it.
    if name in ("record", "record_file"):
        from . import notebook_api

        return getattr(notebook_api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "greenhouse-ext"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import GreenhouseApp

    return [{"module": "greenhouse_ext.server.app", "app": GreenhouseApp}]
