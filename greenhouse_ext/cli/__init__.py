"""The ``greenhouse`` command: parameters, runs and their records from a terminal or CI."""

from __future__ import annotations

from . import runs
from .group import cli

__all__ = ["cli", "main", "runs"]


def main() -> None:
    """Entry point of the ``greenhouse`` console script."""
    cli(prog_name="greenhouse")
