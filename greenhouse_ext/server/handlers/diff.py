"""REST handler comparing two runs, versions or notebook files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...artefacts import binary_payloads, compare, restore_payloads
from ...store import Store, resolve
from .base import GreenhouseHandler


class DiffHandler(GreenhouseHandler):
    """``GET diff?a=REF&b=REF``: compare two runs, versions or notebook files."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Answer the diff (as ``greenhouse diff --json``) plus ``base``, nbdime's base.

        Unlike the CLI's answer, binary payloads (images) up to ``PAYLOAD_SEND_CAP`` are
        sent whole, in the diff and in ``base``, so the browser can show them.
        """
        a = self.confined_ref(self.query("a"))
        b = self.confined_ref(self.query("b"))
        self.reply(await self.with_store(_diff, a, b, self.greenhouse.root))


def _diff(store: Store, a: str, b: str, base: Path) -> dict[str, Any]:
    """Resolve both references from ``base`` and compare them, with nbdime's base notebook."""
    subject_a, subject_b = resolve(store, a, base), resolve(store, b, base)
    comparison = compare(subject_a, subject_b)
    payloads = binary_payloads(subject_a.notebook, subject_b.notebook)
    answer = comparison.to_dict()
    answer["notebook"]["nbdime"] = restore_payloads(comparison.notebook_diff, payloads)
    return {**answer, "base": restore_payloads(comparison.base, payloads)}
