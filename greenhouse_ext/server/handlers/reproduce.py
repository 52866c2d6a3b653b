"""REST handlers re-running a recorded run and answering the comparison it recorded."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ...artefacts import plan, reproduction_of
from ...execution import RunLauncher
from .base import GreenhouseHandler

OPTIONAL = {
    "secrets": "string map",
    "inputs": "string",
    "env": "string",
    "allow_partial": "boolean",
}


class ReproduceHandler(GreenhouseHandler):
    """``POST reproduce {ref, secrets?, inputs?, env?, allow_partial?}``: start re-running
    a recorded run, with its kept or today's inputs, in today's or its recorded environment.

    The body's fields are ``greenhouse reproduce``'s options: a refusal names the field.
    """

    names_fields = True

    @tornado.web.authenticated
    @authorized(action="execute")
    async def post(self) -> None:
        """Check the request, start the re-run like any run and answer its record (202).

        The re-run has a log, progress and cancel like any run; once it has finished,
        ``GET runs/{id}/reproduction`` answers the comparison.
        """
        request = self.body(required={"ref": "string"}, optional=OPTIONAL)
        ref = self.confined_ref(request["ref"])
        secrets = request["secrets"] or {}
        base = self.greenhouse.root
        choices = {
            "inputs": request["inputs"],
            "env": request["env"],
            "allow_partial": bool(request["allow_partial"]),
        }
        # Checked here, so what cannot be rebuilt is a 400 before anything is queued.
        original = (await self.with_store(plan, ref, secrets, base, **choices)).run
        rerun = await self.with_launcher(
            RunLauncher.reproduce, original, ref, secrets, base, **choices
        )
        self.set_header("Location", url_path_join(self.base_url, "greenhouse/api/runs", rerun.id))
        self.reply(rerun.to_dict(), 202)


class ReproductionHandler(GreenhouseHandler):
    """``GET runs/{id}/reproduction``: the comparison a finished re-run recorded."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        """Answer the verdict and its evidence; 409 while the re-run has not finished."""
        self.reply(await self.with_store(reproduction_of, run_id))
