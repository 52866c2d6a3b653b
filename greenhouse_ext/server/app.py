"""The server extension's composition root: configuration, services and the route table."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Float, Int, Type, Unicode, default

from ..errors import OutdatedStore, StoreUnavailable
from ..execution import RunLauncher
from ..parameters import DEFAULT_MAX_SWEEP_RUNS, DEFAULT_MAX_VALUE_BYTES, GridLimit, ValueLimit
from ..scheduling.scheduler import Scheduler
from ..store import Store, config_path
from .handlers import VersionHandler
from .handlers.artefacts import (
    AliasHandler,
    AliasHistoryHandler,
    ArtefactsHandler,
    PublishHandler,
    VerifyHandler,
    VersionsHandler,
)
from .handlers.diff import DiffHandler
from .handlers.reproduce import ReproduceHandler, ReproductionHandler
from .handlers.runs import (
    CancelHandler,
    LogHandler,
    NotebookHandler,
    ParametersHandler,
    ReportHandler,
    RunHandler,
    RunsHandler,
)
from .handlers.schedules import (
    OccurrencesHandler,
    ScheduleHandler,
    SchedulePreviewHandler,
    SchedulersHandler,
    SchedulesHandler,
    TriggerHandler,
)
from .handlers.sweeps import SweepCancelHandler, SweepHandler, SweepsHandler

API = "/greenhouse/api"
ROUTES = [
    (rf"{API}/version", VersionHandler),
    (rf"{API}/parameters", ParametersHandler),
    (rf"{API}/runs", RunsHandler),
    (rf"{API}/runs/([^/]+)", RunHandler),
    (rf"{API}/runs/([^/]+)/cancel", CancelHandler),
    (rf"{API}/runs/([^/]+)/log", LogHandler),
    (rf"{API}/runs/([^/]+)/notebook", NotebookHandler),
    (rf"{API}/runs/([^/]+)/html", ReportHandler),
    (rf"{API}/sweeps", SweepsHandler),
    (rf"{API}/sweeps/([^/]+)", SweepHandler),
    (rf"{API}/sweeps/([^/]+)/cancel", SweepCancelHandler),
    (rf"{API}/runs/([^/]+)/reproduction", ReproductionHandler),
    (rf"{API}/diff", DiffHandler),
    (rf"{API}/publish", PublishHandler),
    (rf"{API}/artefacts", ArtefactsHandler),
    (rf"{API}/artefacts/([^/]+)/versions", VersionsHandler),
    (rf"{API}/artefacts/([^/]+)/aliases/([^/]+)", AliasHandler),
    (rf"{API}/artefacts/([^/]+)/alias-history", AliasHistoryHandler),
    (rf"{API}/verify", VerifyHandler),
    (rf"{API}/reproduce", ReproduceHandler),
    (rf"{API}/schedules", SchedulesHandler),
    (rf"{API}/schedules/preview", SchedulePreviewHandler),
    (rf"{API}/schedules/([^/]+)", ScheduleHandler),
    (rf"{API}/schedules/([^/]+)/occurrences", OccurrencesHandler),
    (rf"{API}/schedules/([^/]+)/trigger", TriggerHandler),
    (rf"{API}/schedulers", SchedulersHandler),
]
"""The REST routes, relative to the server's base URL."""


class GreenhouseApp(ExtensionApp):
    """The greenhouse Jupyter Server extension.

    It holds the configuration and creates the services once: the `Store` (opened on
    first use, so a server that never runs a notebook leaves no store behind) and the
    `RunLauncher`. Handlers reach them through their ``greenhouse`` property.
    """

    name = "greenhouse_ext"

    store_path = Unicode(
        config=True,
        help="Folder of the greenhouse store the server reads and writes, absolute or "
        "relative to the server's root (default: the .greenhouse folder in the root). "
        "Where the folder's parent holds a greenhouse.toml naming a team store, the "
        "server uses that store's index and objects.",
    )
    launcher_class = Type(
        default_value=RunLauncher,
        klass=RunLauncher,
        config=True,
        help="The class that starts, cancels and reads the logs of the server's runs.",
    )

    max_body_bytes = Int(
        1024 * 1024,
        min=1,
        config=True,
        help="The largest request body any greenhouse route accepts, in bytes; a larger "
        "one is answered 413.",
    )
    max_json_depth = Int(
        32,
        min=1,
        config=True,
        help="How deeply a request body may nest JSON arrays and objects; a deeper one is "
        "answered 400 before it is decoded.",
    )
    max_value_bytes = Int(
        DEFAULT_MAX_VALUE_BYTES,
        min=1,
        config=True,
        help="The largest parameter value a run accepts, in bytes of its JSON form; a "
        "larger one is refused (400) with the other problems of the request.",
    )
    max_sweep_runs = Int(
        DEFAULT_MAX_SWEEP_RUNS,
        min=1,
        config=True,
        help="The most runs one sweep may make; a larger sweep is refused (400), counted "
        "before any of its parameter sets is built.",
    )

    orphan_check_interval = Float(
        10.0,
        min=0.1,
        config=True,
        help="Seconds between two checks for runs of this machine whose process has gone, "
        "which are then marked interrupted (reading runs never changes them).",
    )

    scheduler = Bool(
        False,
        config=True,
        help="Run a scheduler inside the server: it fires the store's schedules with the "
        "same claims as `greenhouse scheduler`, so servers and standalone schedulers on one "
        "store fire each occurrence once.",
    )
    scheduler_grace = Float(
        10.0,
        min=0,
        config=True,
        help="Seconds the server's scheduler gives running runs when the server stops, "
        "before it cancels them and hands their occurrences on to the next scheduler.",
    )

    @property
    def value_limit(self) -> ValueLimit:
        """The per-value size limit of parameters, naming the setting that raises it."""
        return ValueLimit(self.max_value_bytes, "the server setting GreenhouseApp.max_value_bytes")

    @property
    def grid_limit(self) -> GridLimit:
        """The size limit of a sweep, naming the setting that raises it."""
        return GridLimit(self.max_sweep_runs, "the server setting GreenhouseApp.max_sweep_runs")

    @default("store_path")
    def _default_store_path(self) -> str:
        # Defaults are computed on first use, after the server has linked the extension.
        assert self.serverapp is not None
        return os.path.join(self.serverapp.root_dir, ".greenhouse")

    @property
    def root(self) -> Path:
        """The server's root directory as a real path: no path the API takes leaves it."""
        assert self.serverapp is not None
        return Path(os.path.realpath(self.serverapp.root_dir))

    @property
    def configured_root(self) -> str:
        """The server's root directory as configured (absolute, links not resolved)."""
        assert self.serverapp is not None
        return os.path.abspath(self.serverapp.root_dir)

    @property
    def store(self) -> Store:
        """The store at `store_path`, opened on first use."""
        return self._services()[0]

    @property
    def launcher(self) -> RunLauncher:
        """The launcher of the server's runs, working on `store`."""
        return self._services()[1]

    def initialize_settings(self) -> None:
        """Tidy up after an earlier server of an existing store, and start the orphan checks.

        Runs whose process has gone are marked interrupted, and the values files of
        runs that left the queue after that server stopped are deleted. From then on
        the check for runs whose process has gone repeats every
        `orphan_check_interval` seconds, in a worker thread.
        """
        self._opening = threading.Lock()
        self._opened: tuple[Store, RunLauncher] | None = None
        self._orphan_checks = PeriodicCallback(
            self._check_orphans_off_loop, self.orphan_check_interval * 1000
        )
        assert self.serverapp is not None
        self.serverapp.io_loop.add_callback(self._orphan_checks.start)
        self._scheduling: tuple[Scheduler, threading.Thread] | None = None
        if self.scheduler:
            self._start_scheduler()
        if not self._store_exists():
            return
        try:
            self.check_orphans()
            self.launcher.discard_stale_values()
        except (OutdatedStore, StoreUnavailable) as exc:
            # The API answers 409 (outdated) or 503 (unreachable) with this message until
            # the store is upgraded or reachable; the periodic check then tidies up.
            self.log.error("greenhouse: %s", exc.message)

    def check_orphans(self) -> list[str]:
        """Mark this machine's runs whose process has gone as interrupted, if a store exists.

        Returns
        -------
        list of str
            The ids of the runs now recorded as interrupted.
        """
        if self._opened is None and not self._store_exists():
            return []
        interrupted = self.store.mark_interrupted()
        if interrupted:
            self.log.warning(
                "greenhouse: runs whose process ended with no outcome are now interrupted: %s",
                ", ".join(interrupted),
            )
        return interrupted

    async def _check_orphans_off_loop(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.check_orphans)
        except OutdatedStore:
            # Named once at start-up; the API answers 409 until the store is upgraded.
            return
        except StoreUnavailable as exc:
            self.log.warning(
                "greenhouse: the check for runs whose process has gone: %s", exc.message
            )
        except Exception:
            self.log.exception("greenhouse: the check for runs whose process has gone failed")

    def initialize_handlers(self) -> None:
        """Register the REST routes, relative to the server's base URL."""
        self.handlers.extend(ROUTES)

    def _start_scheduler(self) -> None:
        """Run the scheduler loop in a thread of its own, on the server's store."""
        scheduler = Scheduler(self.store, log=lambda line: self.log.info("greenhouse: %s", line))
        thread = threading.Thread(
            target=scheduler.run,
            kwargs={"grace": self.scheduler_grace},
            name="greenhouse-scheduler",
            daemon=True,
        )
        thread.start()
        self._scheduling = (scheduler, thread)

    async def stop_extension(self) -> None:
        """Stop the scheduler (its runs get `scheduler_grace`) and release the store's
        connections; runs started by hand go on in their own processes."""
        self._orphan_checks.stop()
        if self._scheduling is not None:
            scheduler, thread = self._scheduling
            scheduler.stop()
            await asyncio.get_running_loop().run_in_executor(
                None, thread.join, self.scheduler_grace + 30
            )
        if self._opened is not None:
            self._opened[0].close()

    def _store_location(self) -> str:
        assert self.serverapp is not None
        return os.path.join(self.serverapp.root_dir, os.path.expanduser(self.store_path))

    def _store_exists(self) -> bool:
        """Whether there is a store to look after: the folder, or a team store configured
        for the project holding it (see `greenhouse_ext.store.config`)."""
        location = Path(self._store_location())
        return location.is_dir() or config_path(location.parent).is_file()

    def _services(self) -> tuple[Store, RunLauncher]:
        # Handlers may first ask from a worker thread and from the event loop at once.
        with self._opening:
            if self._opened is None:
                store = Store.open(self._store_location())
                launcher = self.launcher_class(store, max_value_bytes=self.max_value_bytes)
                self._opened = (store, launcher)
            return self._opened
