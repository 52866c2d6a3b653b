"""The ``greenhouse`` command: parameters, runs and their records from a terminal or CI."""

from __future__ import annotations

from ..startup import skip_iri_format_checker
from .group import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the ``greenhouse`` console script."""
    skip_iri_format_checker()
    cli(prog_name="greenhouse")
