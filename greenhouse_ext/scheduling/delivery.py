"""Alert delivery through Apprise: off the run path, with a timeout and retries, never raising."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from .channels import MASK, expand_url, mask_url
from .messages import Alert, render

_log = logging.getLogger(__name__)

_RECORDING_S = 0.1
"""Time kept at the end of the budget for a channel to record its last error itself."""

_NOTIFY_TYPES = {
    "start": "info",
    "success": "success",
    "recovery": "success",
    "failure": "failure",
    "gate": "warning",
    "duration": "warning",
}


@dataclass(frozen=True)
class Delivery:
    """One alert sent (or not) to one channel: what is recorded on the occurrence."""

    channel: str
    """The notify URL, credentials masked."""
    event: str
    delivered: bool
    attempts: int
    error: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_dict(self) -> dict[str, Any]:
        """The delivery as JSON-ready fields."""
        return {**asdict(self), "at": self.at.isoformat()}


def deliver(
    urls: Sequence[str],
    alert: Alert,
    *,
    timeout: float = 10.0,
    attempts: int = 3,
    backoff: float = 1.0,
    environ: Mapping[str, str] | None = None,
) -> list[Delivery]:
    """Send an alert to each channel, with a timeout and retries; never raises.

    The channels are served in parallel, each within ``timeout * attempts`` seconds,
    and so is the whole call: a channel still silent then is recorded as failed.

    Parameters
    ----------
    urls : sequence of str
        Checked notify URLs; their ``${VAR}`` placeholders are expanded now.
    alert : Alert
        What to say.
    timeout : float
        Seconds allowed for one attempt.
    attempts : int
        Attempts per channel.
    backoff : float
        Seconds before the second attempt, doubled before each further one.
    environ : mapping, optional
        Where ``${VAR}`` is read; ``os.environ`` by default.

    Returns
    -------
    list of Delivery
        One per URL, in order: delivered or the error, the channel masked.
    """
    env = os.environ if environ is None else environ
    attempts = max(attempts, 1)
    deadline = time.monotonic() + timeout * attempts
    results: list[Delivery | None] = [None] * len(urls)

    def serve(index: int, url: str) -> None:
        results[index] = _deliver_one(
            url, alert, timeout, attempts, backoff, env, deadline - _RECORDING_S
        )

    workers = [
        threading.Thread(target=serve, args=(i, url), name="greenhouse-alert", daemon=True)
        for i, url in enumerate(urls)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(max(deadline - time.monotonic(), 0))
    budget = f"no answer within {timeout * attempts:g} s"
    return [
        result or Delivery(mask_url(url), alert.event, False, attempts, budget)
        for url, result in zip(urls, results, strict=True)
    ]


def deliver_later(urls: Sequence[str], alert: Alert, **options: Any) -> Future[list[Delivery]]:
    """Run :func:`deliver` in a background thread, off the run path.

    Parameters
    ----------
    urls : sequence of str
        Checked notify URLs.
    alert : Alert
        What to say.
    **options
        :func:`deliver`'s keyword arguments.

    Returns
    -------
    concurrent.futures.Future
        Resolves to the list of :class:`Delivery`; it holds an exception only when
        ``options`` are not :func:`deliver`'s.
    """
    future: Future[list[Delivery]] = Future()
    future.set_running_or_notify_cancel()

    def work() -> None:
        try:
            future.set_result(deliver(urls, alert, **options))
        except BaseException as error:  # a wrong option: the caller sees it on the future
            future.set_exception(error)

    threading.Thread(target=work, name="greenhouse-alerts", daemon=True).start()
    return future


def _deliver_one(
    url: str,
    alert: Alert,
    timeout: float,
    attempts: int,
    backoff: float,
    environ: Mapping[str, str],
    deadline: float,
) -> Delivery:
    """Send to one channel, retrying with backoff until delivered or out of time."""
    channel = mask_url(url)
    expanded, missing, secrets = expand_url(url, environ)
    if missing:
        error = (
            f"environment variable {', '.join(missing)} is not set in the scheduler's"
            " environment; set it to send to this channel"
        )
        return _recorded(Delivery(channel, alert.event, False, 0, error))
    error = "not attempted: no time was left"
    made = 0
    while made < attempts:
        limit = min(timeout, deadline - time.monotonic())
        if limit <= 0:
            break
        made += 1
        failure = _attempt(expanded, alert, limit, secrets)
        if failure is None:
            return _recorded(Delivery(channel, alert.event, True, made))
        error = _scrub(failure, secrets)
        pause = backoff * 2 ** (made - 1)
        if made == attempts or time.monotonic() + pause >= deadline:
            break
        time.sleep(pause)
    return _recorded(Delivery(channel, alert.event, False, made, error))


def _attempt(url: str, alert: Alert, limit: float, secrets: Sequence[str]) -> str | None:
    """One attempt within ``limit`` seconds; the error text, or None when delivered."""
    outcome: list[str | None] = []

    def send() -> None:
        with _REDACTOR.hiding(secrets):
            outcome.append(_send(url, alert, limit))

    sender = threading.Thread(
        target=send,
        name="greenhouse-alert-send",
        daemon=True,
    )
    sender.start()
    sender.join(limit)
    if not outcome:
        return f"no answer within {limit:.3g} s"
    return outcome[0]


def _send(url: str, alert: Alert, limit: float) -> str | None:
    """Send through Apprise; the error text, or None when delivered. Never raises."""
    try:
        import apprise
        from apprise.plugins.custom_json import NotifyJSON

        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if not plugin:
            return "Apprise cannot read the URL once its ${VAR} placeholders are expanded"
        plugin.socket_connect_timeout = limit
        plugin.socket_read_timeout = limit
        if isinstance(plugin, NotifyJSON):
            # The structured fields go beside Apprise's own; the URL's `:key=value` extras
            # come after them, so a user's own mapping still wins.
            plugin.payload_extras = {"alert": alert.fields(), **plugin.payload_extras}
        sender = apprise.Apprise()
        sender.add(plugin)
        title, body = render(alert)
        result = sender.notify(
            body,
            title,
            notify_type=_NOTIFY_TYPES.get(alert.event, "info"),
            body_format="text",
            timeout=limit,
        )
    except Exception as error:  # a channel's failure must never reach the run
        return f"{type(error).__name__}: {error}"
    if result:
        return None
    messages = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR")]
    return "; ".join(dict.fromkeys(messages)) or f"Apprise reported {result.status.name}"


class _Redactor(logging.Filter):
    """Masks the secrets being sent in the log records of Apprise and of the HTTP client it
    uses, which name a URL's path and tokens at DEBUG level."""

    LOGGERS = ("apprise", "urllib3.connectionpool")

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: Counter[str] = Counter()
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    @contextlib.contextmanager
    def hiding(self, secrets: Sequence[str]) -> Iterator[None]:
        """Mask ``secrets`` in those records while the block runs."""
        with self._lock:
            self._secrets.update(secrets)
        try:
            yield
        finally:
            with self._lock:
                self._secrets.subtract(secrets)
                self._secrets = +self._secrets

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = list(self._secrets)
        if secrets:
            record.msg = _scrub(record.getMessage(), secrets)
            record.args = None
        return True


_REDACTOR = _Redactor()


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every expanded secret value masked."""
    for secret in secrets:
        for form in (secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret)):
            text = text.replace(form, MASK)
    return text


def _recorded(delivery: Delivery) -> Delivery:
    """Log one line for a delivery, and return it."""
    if delivery.delivered:
        _log.info("alert %s sent to %s", delivery.event, delivery.channel)
    else:
        _log.warning("alert %s to %s failed: %s", delivery.event, delivery.channel, delivery.error)
    return delivery
