"""How a command hears that it is cancelled: Ctrl-C, or SIGTERM from `kill` or a server."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..models import ProgressCallback

EXIT_CANCELLED = 130
"""The exit status of a cancelled command, as a shell gives one that Ctrl-C ended."""


class Cancellation:
    """Ctrl-C and `kill PID` cancel a run while its cells execute, and only then.

    Once the engine reports the end of the cells (progress with no current cell), the
    notebook has finished: its results are saved whatever comes next, and a cancel says
    that it came too late.
    """

    def __init__(self) -> None:
        self.too_late = False

    def watching(self, on_progress: ProgressCallback) -> ProgressCallback:
        """``on_progress``, called once this has noted whether the cells have ended.

        The note comes first: whoever ``on_progress`` tells (the index, which a server's
        cancel reads) must never hear of the end before a cancel here would be too late.
        """

        def progressed(done: int, total: int, current: int | None) -> None:
            if current is None:
                self.too_late = True
            on_progress(done, total, current)

        return progressed

    @contextmanager
    def handled(self) -> Iterator[None]:
        """Handle SIGINT and SIGTERM in the block: a cancellation, or a note that it is late."""

        def handler(signum: int, frame: FrameType | None) -> None:
            if not self.too_late:
                raise KeyboardInterrupt
            click.echo(
                "greenhouse: the run had already finished: it is too late to cancel it; "
                "its results are being saved",
                err=True,
            )

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, action in previous.items():
                signal.signal(sig, action)


def cancel_event() -> threading.Event:
    """An event that SIGTERM (what a server sends) and Ctrl-C set; a second one stops at once.

    Ctrl-C is left alone where it was ignored when this process started (a background job).
    """
    cancel = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    signal.signal(signal.SIGTERM, handle)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, handle)
    return cancel
