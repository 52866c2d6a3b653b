"""Which machine and which process a run belongs to: more than a hostname and a pid."""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

from ..models import ProcessIdentity

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_PID_NAMESPACE = Path("/proc/self/ns/pid")
_START_TIME_FIELD = 22
"""The field of ``/proc/PID/stat`` holding when the process started (clock ticks since boot)."""


def host() -> str:
    """The machine's name: runs record it, and only its own runs are checked for orphans."""
    return socket.gethostname()


@functools.lru_cache(maxsize=1)
def machine() -> str | None:
    """This machine's id: its kernel's boot id and this process's pid namespace.

    Two machines, or two containers, may share a hostname; they never share both. None
    where ``/proc`` does not tell (not Linux).
    """
    try:
        boot = _BOOT_ID.read_text().strip()
        namespace = os.stat(_PID_NAMESPACE).st_ino
    except OSError:
        return None
    return f"{boot}/{namespace}"


def of(pid: int) -> ProcessIdentity | None:
    """The identity of process ``pid`` of this machine.

    Returns
    -------
    ProcessIdentity or None
        None when no such process exists here, or where ``/proc`` does not tell.
    """
    here = machine()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if here is None:
        return None
    # The command name (field 2) is in parentheses and may hold spaces and parentheses.
    fields = stat.rsplit(")", 1)[1].split()
    return ProcessIdentity(host=host(), machine=here, started=int(fields[_START_TIME_FIELD - 3]))


def current() -> ProcessIdentity | None:
    """The identity of this process, for the record of a run it is responsible for."""
    return of(os.getpid())


def is_here(identity: ProcessIdentity | None) -> bool:
    """False when ``identity`` names a process of another machine (unknown counts as here)."""
    return identity is None or identity.machine == machine()


def is_alive(identity: ProcessIdentity | None, pid: int) -> bool:
    """True while process ``pid`` of this machine is the process ``identity`` names.

    A pid that another process took since (a different start time) is not alive; without
    an identity (a record written before identities were kept) any process ``pid`` is.
    """
    if identity is None:
        return _exists(pid)
    found = of(pid)
    return found is not None and (found.machine, found.started) == (
        identity.machine,
        identity.started,
    )


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
