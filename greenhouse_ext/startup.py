"""What a greenhouse process that reads notebooks does before anything imports nbformat."""

from __future__ import annotations

import sys


def skip_iri_format_checker() -> None:
    """Keep jsonschema from compiling the IRI grammar (about 2 s) when nbformat is imported.

    jsonschema registers the ``iri`` format checker only if ``rfc3987_syntax`` imports, and
    that package builds a large parser at import time. No notebook schema uses the format,
    so the processes that call this (the ``greenhouse`` command and the run server that forks
    its runs; never a kernel or a Jupyter server) declare it absent.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
