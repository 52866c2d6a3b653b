"""The time a scheduler reads: the system's, or a fake one that tests move by hand."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """What a scheduler asks of time."""

    def now(self) -> datetime:
        """The moment now, timezone-aware."""
        ...

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        """Wait ``seconds``, or until ``stop`` is set."""
        ...


class SystemClock:
    """The machine's time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(seconds)


class FakeClock:
    """A clock that stands still until moved: `sleep` moves it on by the time asked, while
    waiting a little real time (runs are real processes)."""

    def __init__(self, start: datetime) -> None:
        self.moment = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        self.advance(seconds)
        stop.wait(min(seconds, 0.2))

    def advance(self, seconds: float) -> None:
        """Move the clock on by ``seconds``."""
        self.moment += timedelta(seconds=seconds)
