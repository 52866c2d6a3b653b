"""The ``greenhouse`` command: parameters, runs and their records from a terminal or CI."""

from __future__ import annotations

import sys

from .group import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the ``greenhouse`` console script."""
    _skip_iri_format_checker()
    cli(prog_name="greenhouse")


def _skip_iri_format_checker() -> None:
    """Keep jsonschema from compiling the IRI grammar (about 2 s) when nbformat is imported.

    jsonschema registers the ``iri`` format checker only if ``rfc3987_syntax`` imports, and
    that package builds a large parser at import time. No notebook schema uses the format,
    so this command (its own process; never the kernel or a server) declares it absent.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
