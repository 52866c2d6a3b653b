"""``greenhouse reproduce --env recorded`` refuses, before anything runs, a version whose
lock was recorded on another architecture or OS, or under a Python that uv cannot find."""

from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path
from typing import Any

import pytest
from kernel_envs import register_kernel
from pinned_kernels import KERNEL, PinnedKernel, Project, build_pinned_kernel, new_project

from greenhouse_ext.artefacts import publish, verify
from greenhouse_ext.artefacts.environment import PLATFORM, PYTHON_ENV
from greenhouse_ext.artefacts.manifest import read_checked
from greenhouse_ext.models import Execution, new_run_id

LINUX32 = "ghlinux32"
"""The pinned kernel under ``setarch linux32``: its Python reports the 32-bit architecture
(``i686`` on x86_64), as a kernel on such a machine would."""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> PinnedKernel:
    pinned = build_pinned_kernel(tmp_path_factory.mktemp("pinned"))
    register_kernel(pinned.jupyter, LINUX32, pinned.argv("setarch", "linux32"), "python")
    return pinned


@pytest.fixture
def project(kernel: PinnedKernel, tmp_path: Path) -> Project:
    return new_project(tmp_path / "project", kernel)


def recorded_elsewhere(project: Project, run_id: str, **environment: Any) -> str:
    """Record again the run ``run_id``, its environment changed as another machine would
    have recorded it (a run copied from there); the new run's id."""
    store = project.store
    run = store.get_run(run_id)
    assert run.provenance is not None and run.provenance.environment is not None
    assert run.source_object is not None and run.output_object is not None
    env = dataclasses.replace(run.provenance.environment, **environment)
    copy = dataclasses.replace(
        run,
        id=new_run_id(),
        provenance=dataclasses.replace(run.provenance, environment=env),
    )
    source, output = store.get_object(run.source_object), store.get_object(run.output_object)
    return store.save_execution(Execution(run=copy, source=source, output=output)).id


def published_lock(project: Project, run_id: str, name: str) -> tuple[dict[str, Any], str]:
    """Publish the run as ``NAME@1``; its ``platform.json`` and ``python_env.yaml``, read
    once every file of the version was found as its manifest says."""
    store = project.store
    version = publish(store, run_id, name)
    assert verify(store, version.ref).ok
    files = {f.path: read_checked(store, f.sha256, f.path) for f in version.files}
    return json.loads(files[PLATFORM]), files[PYTHON_ENV].decode()


def written(project: Project) -> tuple[list[str], list[str], list[str]]:
    """What the store holds: its runs, its objects and its rebuilt environments."""
    store = project.store
    objects = sorted(p.name for p in (store.root / "objects").rglob("*") if p.is_file())
    assert objects, "the published version's files are objects of the store"
    return sorted(r.id for r in store.list_runs()), objects, project.envs


def test_a_version_recorded_on_another_architecture_is_refused_and_nothing_is_written(
    project: Project,
) -> None:
    run = project.json("run", "nb.ipynb", "--kernel", LINUX32)
    recorded, _ = published_lock(project, run["id"], "narrow")
    here = platform.machine()
    assert recorded["machine"] not in {None, here}
    before = written(project)

    refused = project.greenhouse("reproduce", "narrow@1", "--env", "recorded")

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.splitlines() == [
        "error: narrow@1 cannot be rebuilt here as recorded (1 problem(s)): give "
        "--allow-partial to install the rest, or reproduce it with --env current",
        f"  - platform: recorded architecture {recorded['machine']}, this machine's is {here}",
    ]
    assert refused.stdout == ""
    assert written(project) == before and before[2] == []


def test_a_version_recorded_on_another_os_names_both_differences(project: Project) -> None:
    run = project.json("run", "nb.ipynb", "--kernel", KERNEL)
    mac = recorded_elsewhere(
        project, run["id"], platform={"system": "Darwin", "release": "24.1.0", "machine": "arm64"}
    )
    recorded, _ = published_lock(project, mac, "mac")
    assert (recorded["system"], recorded["machine"]) == ("Darwin", "arm64")
    before = written(project)

    refused = project.greenhouse("reproduce", "mac", "--env", "recorded")

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "error: mac@1 cannot be rebuilt here as recorded (2 problem(s))" in refused.stderr
    assert refused.stderr.splitlines()[1:] == [
        f"  - platform: recorded OS Darwin, this machine's is {platform.system()}",
        f"  - platform: recorded architecture arm64, this machine's is {platform.machine()}",
    ]
    assert written(project) == before and before[2] == []


def test_a_version_recorded_under_a_python_uv_cannot_find_is_refused(project: Project) -> None:
    run = project.json("run", "nb.ipynb", "--kernel", KERNEL)
    old = recorded_elsewhere(project, run["id"], version="3.4.10")
    _, python_env = published_lock(project, old, "old")
    assert python_env.splitlines()[0] == "python: 3.4.10"
    here = ".".join(platform.python_version_tuple()[:2])
    before = written(project)

    refused = project.greenhouse("reproduce", "old@1", "--env", "recorded")

    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = refused.stderr.splitlines()[0]
    assert message.startswith(
        "error: old@1 cannot be rebuilt here: it ran on Python 3.4.10 (CPython) and uv "
        "finds no cpython@3.4 interpreter, only CPython 3."
    )
    assert f"CPython {here}." in message
    assert message.endswith("reproduce it with --env current")
    assert written(project) == before and before[2] == []
