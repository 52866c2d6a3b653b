"""The ``greenhouse`` command: parameters, runs and their records from a terminal or CI."""

from __future__ import annotations

from . import artefacts, compare, operate, runs
from .group import cli

__all__ = ["artefacts", "cli", "compare", "main", "operate", "runs"]


def main() -> None:
    """Entry point of the ``greenhouse`` console script."""
    cli(prog_name="greenhouse")
