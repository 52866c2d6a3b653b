"""Alerts for schedules: the public surface of events, messages, channels and delivery."""

from __future__ import annotations

from .channels import check_notify_url, mask_url
from .delivery import Delivery, deliver, deliver_later
from .messages import (
    DEFAULT_NOTIFY_ON,
    EVENTS,
    Alert,
    NotifyOn,
    events_for,
    parse_events,
    render,
    run_link,
)

__all__ = [
    "DEFAULT_NOTIFY_ON",
    "EVENTS",
    "Alert",
    "Delivery",
    "NotifyOn",
    "check_notify_url",
    "deliver",
    "deliver_later",
    "events_for",
    "mask_url",
    "parse_events",
    "render",
    "run_link",
]
