"""Which machine and which process a run belongs to: more than a hostname and a pid."""

from __future__ import annotations

import functools
import getpass
import os
import socket
from pathlib import Path

from ..models import ProcessIdentity

_MACHINE_ID = Path("/etc/machine-id")
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_PID_NAMESPACE = Path("/proc/self/ns/pid")
_START_TIME_FIELD = 22
"""The field of ``/proc/PID/stat`` holding when the process started (clock ticks since boot)."""
INIT_PID_NAMESPACE = 0xEFFFFFFC
"""The inode of the machine's own pid namespace (the kernel's ``PROC_PID_INIT_INO``): no
container's."""


def user() -> str:
    """The account running greenhouse: runs and alias changes record it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def host() -> str:
    """The machine's name: runs record it, and only its own runs are checked for orphans."""
    return socket.gethostname()


@functools.lru_cache(maxsize=1)
def _place() -> tuple[str, str, int] | None:
    """This machine's installation id (or ""), its kernel's boot id, its pid namespace."""
    try:
        boot = _BOOT_ID.read_text().strip()
        namespace = os.stat(_PID_NAMESPACE).st_ino
    except OSError:
        return None
    try:
        machine = _MACHINE_ID.read_text().strip()
    except OSError:
        machine = ""
    return machine, boot, namespace


def of(pid: int) -> ProcessIdentity | None:
    """The identity of process ``pid`` of this machine.

    Returns
    -------
    ProcessIdentity or None
        None when no such process exists here, or where ``/proc`` does not tell (not Linux).
    """
    place = _place()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if place is None:
        return None
    machine, boot, namespace = place
    # The command name (field 2) is in parentheses and may hold spaces and parentheses.
    started = int(stat.rsplit(")", 1)[1].split()[_START_TIME_FIELD - 3])
    return ProcessIdentity(host(), machine, boot, namespace, started)


def current() -> ProcessIdentity | None:
    """The identity of this process, for the record of a run it is responsible for."""
    return of(os.getpid())


def is_elsewhere(identity: ProcessIdentity | None) -> bool:
    """True when ``identity`` names a process that cannot be seen from here.

    That is a process of another machine, or of another container (another pid namespace),
    even one of the same hostname. A process of this machine before it rebooted (same
    installation id, both outside containers) is not elsewhere: it has ended. Without an
    identity (a record written before identities were kept) a process counts as here.
    """
    place = _place()
    if identity is None or place is None:
        return False
    return (identity.machine, identity.boot, identity.namespace) != place and not _booted_since(
        identity, place
    )


def is_alive(identity: ProcessIdentity | None, pid: int) -> bool:
    """True while process ``pid`` of this machine is the process ``identity`` names.

    A pid that another process took since (a different start time), or that names a
    process of an earlier boot, is not alive; without an identity (a record written before
    identities were kept) any process ``pid`` is.
    """
    if identity is None:
        return _exists(pid)
    found = of(pid)
    return found is not None and (found.boot, found.namespace, found.started) == (
        identity.boot,
        identity.namespace,
        identity.started,
    )


def _booted_since(identity: ProcessIdentity, place: tuple[str, str, int]) -> bool:
    """True when ``identity`` names a process of this machine before its last boot."""
    machine, boot, namespace = place
    return (
        bool(machine)
        and identity.machine == machine
        and identity.boot != boot
        and identity.namespace == namespace == INIT_PID_NAMESPACE
    )


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
