"""Alerts: events, messages, channel URLs, and delivery to real servers on localhost (an HTTP
webhook, an SMTP server, a closed port, a port that never answers)."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from greenhouse_ext.errors import InvalidInput
from greenhouse_ext.scheduling.alerts import (
    Alert,
    check_notify_url,
    deliver,
    deliver_later,
    events_for,
    mask_url,
    parse_events,
    render,
    run_link,
)

SECRET = "s3cr3t-Hook-Pa55"


LOCAL = ("127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def localhost_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test in which anything (Apprise included) looked up or reached another host."""
    elsewhere: list[object] = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in LOCAL:
            elsewhere.append(address)
        connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOCAL:
            elsewhere.append(host)
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield
    assert not elsewhere, f"reached beyond localhost: {elsewhere}"


@dataclass
class Sink:
    """A webhook on localhost that records what it was sent and answers ``statuses`` in turn."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Sink]:
    """A real HTTP server in a thread."""
    sink = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            sink.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(sink.statuses.pop(0) if sink.statuses else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox() -> Iterator[tuple[int, list[Any]]]:
    """A real SMTP server (aiosmtpd) on localhost: its port and the envelopes it received."""
    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope)
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def _free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alert(**changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "schedule": "drift-check",
        "event": "gate",
        "fire_time": datetime(2026, 12, 5, 13, 0, tzinfo=timezone.utc),
        "zone": "Europe/Berlin",
        "version": "penguins@3",
        "outcome": "gate_failed",
        "reason": "1 of 2 conditions failed",
        "failed_conditions": ("accuracy >= 0.9 (was 0.82)",),
        "duration_s": 12.5,
        "run_id": "run-7f3a",
        "attempt": 2,
        "link": run_link("run-7f3a", "http://lab.example:8888/"),
    }
    return Alert(**{**fields, **changes})


def test_webhook_receives_the_alert_as_json_fields(webhook: Sink) -> None:
    """json:// posts Apprise's title and message plus the alert's own fields under ``alert``."""
    (delivery,) = deliver([f"json://127.0.0.1:{webhook.port}/hook"], _alert())
    assert delivery.delivered and delivery.attempts == 1 and delivery.error is None
    (request,) = webhook.requests
    body = request["body"]
    assert request["path"] == "/hook"
    assert body["title"] == "greenhouse: drift-check failed its gate (penguins@3)"
    assert "Outcome: gate_failed: 1 of 2 conditions failed" in body["message"]
    assert body["type"] == "warning"
    fields = body["alert"]
    assert fields["schedule"] == "drift-check" and fields["outcome"] == "gate_failed"
    assert fields["run_id"] == "run-7f3a" and fields["attempt"] == 2
    assert fields["version"] == "penguins@3" and fields["duration_s"] == 12.5
    assert fields["failed_conditions"] == ["accuracy >= 0.9 (was 0.82)"]
    assert fields["fire_time"] == "2026-12-05T13:00:00+00:00"
    assert fields["fire_time_local"] == "2026-12-05T14:00:00+01:00"
    assert fields["link"] == "http://lab.example:8888/greenhouse/api/runs/run-7f3a"


def test_mail_carries_the_title_as_subject_and_the_facts_in_its_body(
    mailbox: tuple[int, list[Any]],
) -> None:
    port, received = mailbox
    url = f"mailto://127.0.0.1:{port}?from=greenhouse@example.com&to=ops@example.com&mode=insecure"
    alert = _alert(event="failure", outcome="failed", reason="ZeroDivisionError")
    (delivery,) = deliver([url], alert)
    assert delivery.delivered, delivery.error
    (envelope,) = received
    assert envelope.rcpt_tos == ["ops@example.com"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "greenhouse: drift-check failed (penguins@3)"
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    lines = text.splitlines()
    for fact in (
        "Schedule: drift-check",
        "Fire time: 2026-12-05 13:00:00 UTC (2026-12-05 14:00:00 CET Europe/Berlin)",
        "Version: penguins@3",
        "Outcome: failed: ZeroDivisionError",
        "  - accuracy >= 0.9 (was 0.82)",
        "Duration: 12.5 s",
        "Run: run-7f3a (attempt 2)",
        "Link: http://lab.example:8888/greenhouse/api/runs/run-7f3a",
    ):
        assert fact in lines


def test_a_server_error_is_retried(webhook: Sink) -> None:
    webhook.statuses = [500]
    (delivery,) = deliver([f"json://127.0.0.1:{webhook.port}/"], _alert(), backoff=0.05)
    assert delivery.delivered and delivery.attempts == 2
    assert len(webhook.requests) == 2


def test_a_dead_target_is_a_failed_delivery_within_the_budget(ledger: Any) -> None:
    """A closed port: every attempt fails, the error is returned, nothing is raised."""
    url = f"json://127.0.0.1:{_free_port()}/hook"
    started = time.monotonic()
    (delivery,) = deliver([url], _alert(), timeout=2, attempts=3, backoff=0.1)
    elapsed = time.monotonic() - started
    held = (
        not delivery.delivered
        and delivery.attempts == 3
        and "Connection error" in (delivery.error or "")
        and delivery.channel == url
        and elapsed < 6
    )
    ledger.add("alerts", "dead target recorded as failed", held)
    assert held, (delivery, elapsed)


def test_a_silent_target_never_holds_the_caller_beyond_the_budget(ledger: Any) -> None:
    """A port that accepts connections and never answers; deliver_later returns at once."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"json://127.0.0.1:{silent.getsockname()[1]}/hook"
        started = time.monotonic()
        future = deliver_later([url], _alert(), timeout=1, attempts=2, backoff=0.1)
        returned_after = time.monotonic() - started
        (delivery,) = future.result(timeout=10)
        elapsed = time.monotonic() - started
    held = (
        returned_after < 0.5
        and not delivery.delivered
        and bool(delivery.error)
        and elapsed < 1 * 2 + 0.5
    )
    ledger.add("alerts", "silent target bounded by timeout * attempts", held)
    assert held, (delivery, returned_after, elapsed)


def test_variables_are_expanded_at_send_time_and_never_shown(
    webhook: Sink, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, ledger: Any
) -> None:
    """The URL is checked without the secret; the secret is read when sending, reaches the
    server, and appears in no delivery and no log line, delivered or failed."""
    url = check_notify_url(f"json://greenhouse:${{GH_HOOK_PW}}@127.0.0.1:{webhook.port}/hook")
    dead = f"json://greenhouse:${{GH_HOOK_PW}}@127.0.0.1:{_free_port()}/${{GH_HOOK_PW}}"
    monkeypatch.setenv("GH_HOOK_PW", SECRET)
    caplog.set_level(logging.DEBUG)
    sent, failed = deliver([url, dead], _alert(), attempts=1)
    (request,) = webhook.requests
    authorization = request["headers"]["Authorization"].removeprefix("Basic ")
    shown = json.dumps([sent.to_dict(), failed.to_dict()]) + caplog.text
    held = (
        sent.delivered
        and base64.b64decode(authorization).decode() == f"greenhouse:{SECRET}"
        and not failed.delivered
        and "${GH_HOOK_PW}" in sent.channel
        and SECRET not in shown
    )
    ledger.add("alerts", "a ${VAR} secret is sent and never shown", held)
    assert held, shown


def test_a_missing_variable_is_a_failed_delivery_naming_it(webhook: Sink, ledger: Any) -> None:
    url = f"json://greenhouse:${{GH_UNSET_PW}}@127.0.0.1:{webhook.port}/hook"
    (delivery,) = deliver([url], _alert(), environ={})
    held = (
        not delivery.delivered
        and delivery.attempts == 0
        and "GH_UNSET_PW" in (delivery.error or "")
        and not webhook.requests
    )
    ledger.add("alerts", "a missing ${VAR} is a failed delivery", held)
    assert held, delivery


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("json://user:hunter2@hooks.example/alert", "hunter2"),
        ("jsons://user:hunter2@hooks.example:8443/alert", "hunter2"),
        ("mailto://me:hunter2@mail.example?to=ops@example.com", "hunter2"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "TIiajkdnlazkcOXrIdevi7FQ"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "JHMHI8qBe7bk2ZwO5U711o3dV_js"),
        ("json://hooks.example/alert?+Authorization=Bearer%20abc123", "abc123"),
        ("jsons://xoxb-1234token@hooks.example/alert", "xoxb-1234token"),
    ],
)
def test_a_literal_secret_is_refused_and_masked(url: str, secret: str, ledger: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_notify_url(url)
    message = refused.value.message
    held = "${VAR}" in message and secret not in message and secret not in mask_url(url)
    ledger.add("alerts", "literal secret in a notify URL refused", held)
    assert held, message


@pytest.mark.parametrize(
    "url",
    [
        "json://127.0.0.1:8080/hook",
        "json://greenhouse:${HOOK_PW}@hooks.example/alert",
        "jsons://${HOOK_TOKEN}@hooks.example/alert",
        "json://${HOOK_HOST}:${HOOK_PORT}/alert",
        "mailto://me:${SMTP_PW}@mail.example?to=ops@example.com",
        "mailto://localhost:2525?from=a@example.com&to=b@example.com&mode=insecure",
        "slack://${SLACK_A}/${SLACK_B}/${SLACK_C}",
        "discord://${DISCORD_ID}/${DISCORD_TOKEN}",
        "json://hooks.example/alert?+Authorization=Bearer%20${HOOK_TOKEN}",
    ],
)
def test_urls_with_placeholders_are_accepted_and_shown_as_written(url: str) -> None:
    assert check_notify_url(f"  {url} ") == url
    assert mask_url(url) == url


def test_an_unknown_scheme_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_notify_url("webhook://hooks.example/alert")
    for named in ("'webhook://'", "json://", "jsons://", "mailto://", "slack://"):
        assert named in refused.value.message


@pytest.mark.parametrize("url", ["json://", "json://user:pw@[::1/hook"])
def test_a_url_apprise_cannot_read_is_refused_and_shown_masked(url: str) -> None:
    with pytest.raises(InvalidInput, match=r"notify URL 'json://(\*\*\*)?'"):
        check_notify_url(url)


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("failure,crash", "'crash'"),
        ("duration", "duration>600"),
        ("duration>-5", "duration>600"),
        ("success>3", "'success>3'"),
        ("", "no event given"),
    ],
)
def test_an_unknown_event_is_refused_listing_the_valid_ones(spec: str, named: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_events(spec)
    message = refused.value.message
    assert named in message
    assert "start, success, failure, recovery, gate, duration>SECONDS" in message


def test_events_parse_and_print_back() -> None:
    assert str(parse_events()) == "failure,recovery,gate"
    notify_on = parse_events(" Duration>90, start,gate ")
    assert notify_on.duration_over_s == 90 and str(notify_on) == "start,gate,duration>90"


@pytest.mark.parametrize(
    ("spec", "previous", "outcome", "duration", "expected"),
    [
        ("failure,recovery,gate", None, "started", None, []),
        ("start", None, "started", None, ["start"]),
        ("failure,recovery,gate", "succeeded", "failed", 3.0, ["failure"]),
        ("failure,recovery,gate", "succeeded", "interrupted", 3.0, ["failure"]),
        ("failure,recovery,gate", "succeeded", "succeeded", 3.0, []),
        ("failure,recovery,gate", "failed", "succeeded", 3.0, ["recovery"]),
        ("failure,recovery,gate", "gate_failed", "succeeded", 3.0, ["recovery"]),
        ("success,recovery", "failed", "succeeded", 3.0, ["recovery"]),
        ("success", "failed", "succeeded", 3.0, ["success"]),
        ("failure,recovery,gate", "succeeded", "gate_failed", 3.0, ["gate"]),
        ("failure,duration>60", None, "failed", 61.0, ["failure", "duration"]),
        ("duration>60", None, "succeeded", 60.0, []),
        ("failure,recovery,gate", None, "cancelled", 3.0, []),
    ],
)
def test_events_for_an_outcome(
    spec: str, previous: str | None, outcome: str, duration: float | None, expected: list[str]
) -> None:
    assert events_for(previous, outcome, duration, parse_events(spec)) == expected


def test_render_without_run_or_link() -> None:
    """An occurrence that failed before its run started: no run line, no link line."""
    alert = _alert(event="failure", outcome="failed", run_id=None, link=None, zone="UTC")
    title, body = render(alert)
    assert title == "greenhouse: drift-check failed (penguins@3)"
    assert "Run:" not in body and "Link:" not in body
    assert "Fire time: 2026-12-05 13:00:00 UTC\n" in body


def test_run_link_reads_the_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GREENHOUSE_BASE_URL", raising=False)
    assert run_link("run-1") is None
    monkeypatch.setenv("GREENHOUSE_BASE_URL", "https://hub.example/user/ana/")
    assert run_link("run-1") == "https://hub.example/user/ana/greenhouse/api/runs/run-1"
