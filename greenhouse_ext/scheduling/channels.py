"""Alert channels: Apprise URLs checked, masked for display and expanded from the environment."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import InvalidInput

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""``${VAR}``: a value read from the scheduler's environment at send time."""

MASK = "***"
_SENTINELS = ("GHPLACEHOLDERX", "1234567890")
"""Values tried in place of each ``${VAR}`` so that Apprise can parse the URL: one passes
the plugins' token patterns, the other their numeric fields (ports, ids)."""

_SECRET_NAME = re.compile(r"pass|secret|token|key|auth|sig|cred", re.IGNORECASE)
"""Query and header names whose literal values are secrets though Apprise does not say so."""

_WEBHOOKS = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
"""Schemes that post to any URL, sending the user-info as HTTP basic authentication."""

_COMMON_SCHEMES = (
    "json",
    "jsons",
    "form",
    "forms",
    "xml",
    "xmls",
    "mailto",
    "mailtos",
    "slack",
    "workflows",
    "discord",
    "ntfy",
    "ntfys",
    "pagerduty",
    "opsgenie",
    "tgram",
    "mmost",
    "matrix",
    "gchat",
)
"""Schemes named in a refusal; Apprise knows many more (`apprise --details`)."""


def check_notify_url(url: str) -> str:
    """Check an alert URL before it is stored, and return it unchanged.

    Parameters
    ----------
    url : str
        An Apprise URL (``json://host/path``, ``mailto://...``, ``slack://...``) whose
        credentials are written as ``${VAR}`` placeholders.

    Returns
    -------
    str
        The URL, stripped of surrounding blanks.

    Raises
    ------
    InvalidInput
        The scheme is not one Apprise supports, Apprise cannot parse the URL, or the URL
        holds a literal password, token or key (write ``${VAR}`` instead).
    """
    url = url.strip()
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    schemes = supported_schemes()
    if scheme not in schemes:
        known = [f"{s}://" for s in _COMMON_SCHEMES if s in schemes]
        raise InvalidInput(
            f"notify URL {mask_url(url)!r}: "
            + (f"unknown scheme {scheme + '://'!r}" if scheme else "no scheme")
            + f"; Apprise knows {', '.join(known)} and {len(schemes) - len(known)} more"
            " (see `apprise --details`)"
        )
    parsed = _parse(url)
    if parsed is None:
        raise InvalidInput(
            f"notify URL {mask_url(url)!r}: Apprise cannot read it as a {scheme}:// URL;"
            f" see https://appriseit.com/services/ for the {scheme}:// form"
        )
    literal = list(dict.fromkeys(name for name, _ in _literal_secrets(url, parsed)))
    if literal:
        raise InvalidInput(
            f"notify URL {mask_url(url)!r} holds a literal secret ({', '.join(literal)}):"
            " credentials must not be stored; write ${VAR} in its place"
            " (e.g. json://user:${HOOK_PASSWORD}@host/path), and set VAR in the scheduler's"
            " environment"
        )
    return url


def mask_url(url: str) -> str:
    """Return ``url`` with every literal credential replaced by ``***``, for display.

    ``${VAR}`` placeholders are kept: they name a variable, not its value. Never raises.

    Parameters
    ----------
    url : str
        An Apprise URL, checked or not.

    Returns
    -------
    str
        The URL with passwords, tokens and keys masked.
    """
    masked = url
    try:
        secrets = [value for _, value in _literal_secrets(url, _parse(url.strip()) or (None, {}))]
    except ValueError:
        # Unreadable (a broken IPv6 host): show its scheme only, since any part may be secret.
        return f"{url.partition('://')[0]}://{MASK}"
    for value in secrets:
        for form in {value, urllib.parse.quote(value, safe=""), urllib.parse.quote(value)}:
            masked = masked.replace(form, MASK)
    return masked


def placeholders(url: str) -> list[str]:
    """Return the names of the ``${VAR}`` placeholders in ``url``, in order."""
    return PLACEHOLDER.findall(url)


def expand_url(url: str, environ: Mapping[str, str]) -> tuple[str, list[str], list[str]]:
    """Expand the ``${VAR}`` placeholders of ``url`` from ``environ``.

    Parameters
    ----------
    url : str
        A checked notify URL.
    environ : mapping
        The variables (the scheduler's ``os.environ`` at send time).

    Returns
    -------
    tuple
        The expanded URL, the names of the variables that are not set, and the values that
        were put in (to be scrubbed from any error text).
    """
    missing = [name for name in placeholders(url) if name not in environ]
    values = [environ[name] for name in placeholders(url) if environ.get(name)]
    expanded = PLACEHOLDER.sub(lambda m: environ.get(m.group(1), m.group(0)), url)
    return expanded, missing, values


def supported_schemes() -> set[str]:
    """Return every URL scheme the installed Apprise can send to."""
    from apprise.manager_plugins import NotificationManager

    return {str(s).lower() for s in NotificationManager().schemas(include_disabled=False)}


def _parse(url: str) -> tuple[Any, dict[str, Any]] | None:
    """Parse ``url`` with Apprise, placeholders filled by each sentinel in turn.

    Returns the plugin class and its parsed arguments, or None when no filling parses.
    """
    import apprise

    for sentinel in _SENTINELS:
        filled = PLACEHOLDER.sub(sentinel, url)
        plugin = apprise.Apprise.instantiate(filled, suppress_exceptions=True)
        if plugin:
            return type(plugin), type(plugin).parse_url(filled) or {}
    return None


def _literal_secrets(url: str, parsed: tuple[Any, dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """Yield (what, value) for each secret written literally in ``url``.

    Secrets are the fields Apprise's plugin marks private, a password in the user-info, and
    query or header values whose name says secret (token, key, password...).
    """
    plugin_class, parsed_args = parsed
    if plugin_class is not None:
        fields = {**plugin_class.template_tokens, **plugin_class.template_args}
        for name, spec in fields.items():
            value = parsed_args.get(spec.get("map_to", name))
            if spec.get("private") and isinstance(value, str) and _is_literal(value):
                yield name, value
    split = urllib.parse.urlsplit(PLACEHOLDER.sub(_SENTINELS[0], url.strip()))
    userinfo = split.netloc.rpartition("@")[0]
    user, has_password, password = (urllib.parse.unquote(p) for p in userinfo.partition(":"))
    if password and _is_literal(password):
        yield "password", password
    elif user and not has_password and split.scheme in _WEBHOOKS and _is_literal(user):
        # A webhook sends a lone user name as a password-less credential: a token.
        yield "token in the user-info", user
    for pair in split.query.split("&"):
        # Not parse_qsl: Apprise's header prefix ``+`` must not turn into a blank.
        key, _, value = (urllib.parse.unquote(part) for part in pair.partition("="))
        if _SECRET_NAME.search(key) and value and _is_literal(value):
            yield key.lstrip("+-:"), value


def _is_literal(value: str) -> bool:
    """Whether ``value`` was written in the URL rather than filled from a placeholder."""
    return not any(sentinel in value for sentinel in _SENTINELS)
