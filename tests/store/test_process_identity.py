"""A process's identity: its start time read from /proc whatever its name, its machine."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess

import pytest

from greenhouse_ext.store import identity

ME = identity.current()
pytestmark = pytest.mark.skipif(ME is None, reason="needs Linux's /proc")


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
    assert (found.machine, found.boot, found.namespace) == (
        before.machine,
        before.boot,
        before.namespace,
    )


@pytest.mark.parametrize(
    ("change", "elsewhere"),
    [
        ({"started": 1}, False),
        ({"machine": "another", "boot": "another-boot"}, True),
        ({"namespace": 1}, True),
        ({"boot": "another-boot", "namespace": 1}, True),
    ],
    ids=["pid taken by another process", "another machine", "another container", "both"],
)
def test_a_process_that_differs_is_not_the_one_named(change, elsewhere):
    assert ME is not None
    other = dataclasses.replace(ME, **change)

    assert identity.is_alive(ME, os.getpid())
    assert not identity.is_alive(other, os.getpid())
    assert identity.is_elsewhere(other) is elsewhere
    assert not identity.is_elsewhere(ME) and not identity.is_elsewhere(None)


@pytest.mark.skipif(
    ME is None or not ME.machine or ME.namespace != identity.INIT_PID_NAMESPACE,
    reason="needs a machine id and the machine's own pid namespace",
)
def test_a_process_of_this_machine_before_it_rebooted_has_ended():
    assert ME is not None
    earlier = dataclasses.replace(ME, boot="an-earlier-boot")

    assert not identity.is_elsewhere(earlier)
    assert not identity.is_alive(earlier, os.getpid())


def test_a_record_without_an_identity_counts_any_process_of_its_pid():
    with subprocess.Popen(["sleep", "30"]) as sleeper:
        alive = identity.is_alive(None, sleeper.pid)
        sleeper.kill()
    assert alive
    assert not identity.is_alive(None, sleeper.pid)
