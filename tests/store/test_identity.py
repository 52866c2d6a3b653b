"""A process's identity: its start time read from /proc whatever its name, its machine."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from greenhouse_ext.models import ProcessIdentity
from greenhouse_ext.store import identity

pytestmark = pytest.mark.skipif(identity.machine() is None, reason="needs Linux's /proc")


def test_the_start_time_is_read_past_a_command_name_with_spaces_and_parentheses(tmp_path):
    odd = tmp_path / "a) b (c"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", odd)
    before = identity.current()
    with subprocess.Popen([str(odd), "30"]) as named, subprocess.Popen(["sleep", "30"]) as after:
        try:
            found, later = identity.of(named.pid), identity.of(after.pid)
        finally:
            named.kill()
            after.kill()

    assert before is not None and found is not None and later is not None
    assert before.started <= found.started <= later.started
    assert found.machine == before.machine == identity.machine()


def test_a_process_with_another_start_time_or_machine_is_not_the_one_named():
    me = identity.current()
    assert me is not None
    other_machine = ProcessIdentity(me.host, "another-boot/1", me.started)

    assert identity.is_alive(me, os.getpid())
    assert not identity.is_alive(ProcessIdentity(me.host, me.machine, me.started + 1), os.getpid())
    assert not identity.is_alive(other_machine, os.getpid())
    assert not identity.is_here(other_machine)
    assert identity.is_here(None) and identity.is_here(me)


def test_a_record_without_an_identity_counts_any_process_of_its_pid():
    with subprocess.Popen(["sleep", "30"]) as sleeper:
        alive = identity.is_alive(None, sleeper.pid)
        sleeper.kill()
    assert alive
    assert not identity.is_alive(None, sleeper.pid)
