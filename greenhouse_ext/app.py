"""The server extension's composition root: configuration traits and the route table."""

from __future__ import annotations

import os

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode, default

from .handlers import VersionHandler


class GreenhouseApp(ExtensionApp):
    """The greenhouse Jupyter Server extension."""

    name = "greenhouse_ext"

    store_path = Unicode(
        config=True,
        help="Folder of the greenhouse store the server reads and writes "
        "(default: the .greenhouse folder in the server's root directory).",
    )

    @default("store_path")
    def _default_store_path(self) -> str:
        # Defaults are computed on first use, after the server has linked the extension.
        assert self.serverapp is not None
        return os.path.join(self.serverapp.root_dir, ".greenhouse")

    def initialize_handlers(self) -> None:
        """Register the REST routes, relative to the server's base URL."""
        self.handlers.extend(
            [
                (r"/greenhouse/api/version", VersionHandler),
            ]
        )
