"""Ask the kernel that runs a notebook what it runs on, through the kernel protocol.

One silent ``execute_request`` carrying a user expression, sent before the first cell:
it never becomes a cell of the executed notebook nor leaves a name in the kernel. A
kernel that is not Python, or that does not answer within a short timeout, gets a record
that says so; greenhouse's own environment never stands in for it.
"""

from __future__ import annotations

import ast
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

from ..models import (
    ENVIRONMENT_RECORDED,
    ENVIRONMENT_UNKNOWN,
    SECRET_MASK,
    Distribution,
    KernelEnvironment,
)
from . import kernel_probe

QUERY_TIMEOUT_S = 10.0
_PROBE_NAMESPACE = "__greenhouse_probe__"


@dataclass(frozen=True)
class EnvironmentQuery:
    """What to ask the kernel: the environment variables to record, and for how long to wait.

    Variables named in ``secret`` are recorded masked.
    """

    variables: tuple[str, ...] = ()
    secret: frozenset[str] = field(default_factory=frozenset)
    timeout: float = QUERY_TIMEOUT_S


def probe_expression(variables: tuple[str, ...] | list[str]) -> str:
    """The user expression that runs `kernel_probe` in a namespace of its own."""
    source = Path(kernel_probe.__file__).read_text(encoding="utf-8")
    return (
        f"(lambda ns: (exec({source!r}, ns), ns['probe']({list(variables)!r}))[1])"
        f"({{'__name__': {_PROBE_NAMESPACE!r}}})"
    )


def unknown(reason: str) -> KernelEnvironment:
    """The record of a kernel that did not say what it runs on."""
    return KernelEnvironment(status=ENVIRONMENT_UNKNOWN, reason=reason)


def from_probe(data: dict[str, Any], query: EnvironmentQuery) -> KernelEnvironment:
    """The record made of `kernel_probe.probe`'s answer, secret variables masked."""
    variables = {
        name: (SECRET_MASK if name in query.secret and value is not None else value)
        for name, value in (data.get("variables") or {}).items()
    }
    return KernelEnvironment(
        status=ENVIRONMENT_RECORDED,
        executable=data.get("executable"),
        version=data.get("version"),
        implementation=data.get("implementation"),
        prefix=data.get("prefix"),
        base_prefix=data.get("base_prefix"),
        packages=[Distribution(**d) for d in data.get("packages") or []],
        platform=dict(data.get("platform") or {}),
        variables=variables,
    )


async def _reply(client: Any, msg_id: str, deadline: float) -> dict[str, Any] | None:
    """The shell reply to ``msg_id``, or None once ``deadline`` (monotonic) passes."""
    from jupyter_core.utils import ensure_async

    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            msg: dict[str, Any] = await ensure_async(
                client.shell_channel.get_msg(timeout=min(remaining, 1.0))
            )
        except Empty:
            continue
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            return msg


async def query_kernel(client: Any, query: EnvironmentQuery) -> KernelEnvironment:
    """Ask the kernel behind ``client`` (a started kernel client) for its environment."""
    deadline = time.monotonic() + query.timeout
    late = f"the kernel did not describe its environment within {query.timeout:g} s"
    info = await _reply(client, client.kernel_info(), deadline)
    if info is None:
        return unknown(late)
    language = info["content"].get("language_info", {}).get("name")
    if language != "python":
        return unknown(f"the kernel's language is {language or 'not given'}, not Python")
    msg_id = client.execute(
        "",
        silent=True,
        store_history=False,
        user_expressions={"environment": probe_expression(query.variables)},
    )
    reply = await _reply(client, msg_id, deadline)
    if reply is None:
        return unknown(late)
    result = reply["content"].get("user_expressions", {}).get("environment", {})
    if result.get("status") != "ok":
        what = f"{result.get('ename')}: {result.get('evalue')}"
        return unknown(f"the kernel could not describe its environment ({what})")
    try:
        data = json.loads(ast.literal_eval(result["data"]["text/plain"]))
    except (KeyError, ValueError, SyntaxError) as exc:
        return unknown(f"the kernel's description of its environment is unreadable ({exc})")
    return from_probe(data, query)
