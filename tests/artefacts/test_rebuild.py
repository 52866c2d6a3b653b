"""``reproduce --env recorded``: the recorded environment rebuilt with uv in real venvs
(see `pinned_kernels` for the package that changes and where uv finds it)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest
from kernel_envs import register_kernel, source_project, uv
from notebooks import write_notebook
from pinned_kernels import (
    KERNEL,
    PinnedKernel,
    Project,
    build_pinned_kernel,
    new_project,
    rerun_id,
)

from greenhouse_ext.artefacts.rebuild import UV_ENV, find_uv, plan_environment
from greenhouse_ext.artefacts.reproduce import reproduction_of
from greenhouse_ext.errors import InvalidInput
from greenhouse_ext.store import resolve

OTHER_LANGUAGE = """
from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

class OtherLanguage(IPythonKernel):
    language_info = {**IPythonKernel.language_info, "name": "otherlang"}

IPKernelApp.launch_instance(kernel_class=OtherLanguage)
"""


def test_a_version_reproduces_in_its_rebuilt_environment_then_from_the_cache(
    tmp_path: Path,
) -> None:
    project = new_project(tmp_path / "project", build_pinned_kernel(tmp_path))
    run = project.json("run", "nb.ipynb", "--kernel", KERNEL)
    assert run["metrics"] == {"ghtestpkg": "1.0"}
    project.json("publish", run["id"], "--name", "rb")
    uv(
        "pip",
        "install",
        "-q",
        "--python",
        str(project.kernel.python),
        "--find-links",
        str(project.kernel.wheels),
        "ghtestpkg==2.0",
    )

    today = project.greenhouse("reproduce", "rb@1", "--json")
    assert today.returncode == 1, today.stderr
    differs = json.loads(today.stdout)
    assert differs["environment_from"] == "current" and differs["rebuilt"] is None
    assert differs["metrics"] == {"ghtestpkg": ["1.0", "2.0"]}
    assert differs["environment"]["packages"] == {"ghtestpkg": ["1.0", "2.0"]}

    # A lock uv cannot install: the re-run fails with uv's message, and no entry is left.
    hidden = project.kernel.wheels / "ghtestpkg-1.0-py3-none-any.whl"
    hidden.rename(tmp_path / hidden.name)
    failed = project.greenhouse("reproduce", "rb@1", "--env", "recorded")
    assert failed.returncode == 1, failed.stderr
    assert "the recorded environment could not be built: uv pip install failed" in failed.stdout
    assert "ghtestpkg" in failed.stdout
    assert project.envs == []
    record = project.store.get_run(rerun_id(failed.stdout))
    assert record.status.value == "failed" and record.error is not None
    assert "ghtestpkg" in (record.error.evalue or "")
    assert reproduction_of(project.store, record.id)["environment_from"] == "recorded"
    (tmp_path / hidden.name).rename(hidden)

    cold = project.greenhouse("reproduce", "rb@1", "--env", "recorded", "--json")
    assert cold.returncode == 0, cold.stdout + cold.stderr
    assert "building the recorded environment with uv" in cold.stderr
    result = json.loads(cold.stdout)
    assert result["verdict"] == "reproducible" and result["environment_from"] == "recorded"
    assert result["metrics"] == {} and result["environment"] == {}
    version = project.json("versions", "rb")[0]
    lock = {f["path"]: f["sha256"] for f in version["files"]}["environment/requirements.txt"]
    assert result["rebuilt"]["sha256"] == lock and result["rebuilt"]["cached"] is False
    assert project.envs == [lock]
    rerun = project.store.get_run(result["rerun_id"])
    assert rerun.metrics == {"ghtestpkg": "1.0"} and rerun.provenance is not None
    assert rerun.provenance.packages["ghtestpkg"] == "1.0"
    executable = Path(rerun.provenance.environment.executable or "")  # type: ignore[union-attr]
    assert executable.parent.parent == project.folder / ".greenhouse" / "envs" / lock
    site = next((project.folder / ".greenhouse" / "envs" / lock / "lib").glob("*/site-packages"))
    installed = site.stat().st_mtime_ns

    warm = project.greenhouse("reproduce", "rb@1", "--env", "recorded")
    assert warm.returncode == 0, warm.stdout + warm.stderr
    assert "building" not in warm.stderr
    lines = warm.stdout.splitlines()
    assert "in the recorded environment: all 1 code cells match" in lines[0]
    assert (
        lines[1].startswith(f"  env      lock {lock[:12]}, Python 3.")
        and "from the cache" in lines[1]
    )
    assert site.stat().st_mtime_ns == installed

    [entry] = project.json("env", "cache", "list")
    assert entry["sha256"] == lock and entry["python"] == rerun.provenance.environment.version  # type: ignore[union-attr]
    assert entry["size"] > 1_000_000
    listed = project.greenhouse("env", "cache", "list").stdout.splitlines()
    assert listed[0].split() == ["SHA256", "SIZE", "PYTHON", "LAST", "USED"]
    assert listed[1].startswith(lock[:12])
    kept = project.greenhouse("env", "cache", "prune", "--older-than", "1d")
    assert kept.returncode == 0 and kept.stdout.strip() == "0 environment(s) removed"
    assert project.greenhouse("env", "cache", "prune").returncode == 2
    pruned = project.greenhouse("env", "cache", "prune", "--all")
    assert pruned.stdout.splitlines()[-1] == "1 environment(s) removed"
    assert project.envs == []


def test_an_editable_install_is_refused_before_anything_runs_unless_partial(
    tmp_path: Path,
) -> None:
    source_project(tmp_path / "ghedit", "ghedit")
    kernel = build_pinned_kernel(tmp_path, "-e", str(tmp_path / "ghedit"))
    project = new_project(tmp_path / "project", kernel)
    run = project.json("run", "nb.ipynb", "--kernel", KERNEL)
    runs_before = len(project.json("runs"))

    refused = project.greenhouse("reproduce", run["id"], "--env", "recorded")
    assert refused.returncode == 2
    assert "cannot be rebuilt here as recorded (1 problem(s))" in refused.stderr
    assert f"  - ghedit==0.1.0: an editable install of {tmp_path / 'ghedit'}" in refused.stderr
    assert "--allow-partial" in refused.stderr
    assert len(project.json("runs")) == runs_before and project.envs == []
    no_uv = project.greenhouse(
        "reproduce", run["id"], "--env", "recorded", **{UV_ENV: str(tmp_path / "no-uv")}
    )
    assert no_uv.returncode == 2 and "$GREENHOUSE_UV names" in no_uv.stderr

    partial = project.greenhouse("reproduce", run["id"], "--env", "recorded", "--allow-partial")
    assert partial.returncode == 0, partial.stdout + partial.stderr
    assert f"  left out ghedit==0.1.0: an editable install of {tmp_path / 'ghedit'}" in (
        partial.stdout.splitlines()
    )
    assert "  package  ghedit 0.1.0 -> (none)" in partial.stdout.splitlines()
    result = reproduction_of(project.store, rerun_id(partial.stdout))
    assert result["left_out"] == [f"ghedit==0.1.0: an editable install of {tmp_path / 'ghedit'}"]
    assert result["rebuilt"]["left_out"] == result["left_out"]

    # The same record, as if made on another machine or with a Python uv cannot find here.
    store = project.store
    subject = resolve(store, run["id"])
    assert subject.run is not None and subject.run.provenance is not None
    env = subject.run.provenance.environment
    assert env is not None
    elsewhere = dataclasses.replace(env, platform={**env.platform, "machine": "s390x"})
    subject.run.provenance.environment = elsewhere
    with pytest.raises(InvalidInput) as refusal:
        plan_environment(store, subject, subject.run, allow_partial=False)
    assert refusal.value.problems[0] == (
        f"platform: recorded architecture s390x, this machine's is {os.uname().machine}"
    )
    planned = plan_environment(store, subject, subject.run, allow_partial=True)
    assert len(planned.left_out) == 2
    subject.run.provenance.environment = dataclasses.replace(env, version="3.4.0")
    with pytest.raises(InvalidInput) as missing:
        plan_environment(store, subject, subject.run, allow_partial=True)
    assert missing.value.problems == ["python 3.4.0: not found by uv"]


def test_no_lock_and_no_uv_are_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "other.py").write_text(OTHER_LANGUAGE)
    jupyter = tmp_path / "jupyter"
    register_kernel(
        jupyter,
        "otherlang",
        [sys.executable, str(tmp_path / "other.py"), "-f", "{connection_file}"],
        "python",
    )
    folder = tmp_path / "project"
    write_notebook(folder / "nb.ipynb", None, "1 + 1")
    (folder / ".greenhouse").mkdir()
    project = Project(folder, PinnedKernel(tmp_path, Path(sys.executable), jupyter))
    run = project.json("run", "nb.ipynb", "--kernel", "otherlang")
    assert run["provenance"]["environment"]["status"] == "unknown"

    no_lock = project.greenhouse("reproduce", run["id"], "--env", "recorded")
    assert no_lock.returncode == 2
    assert "has no lock to rebuild" in no_lock.stderr and "--env current" in no_lock.stderr
    partial_alone = project.greenhouse("reproduce", run["id"], "--allow-partial")
    assert partial_alone.returncode == 2 and "--env recorded only" in partial_alone.stderr

    project.json("publish", run["id"], "--name", "nolock")
    version = project.greenhouse("reproduce", "nolock@1", "--env", "recorded")
    assert version.returncode == 2 and "nolock@1 has no lock to rebuild" in version.stderr

    monkeypatch.setenv(UV_ENV, str(tmp_path / "no-uv"))
    with pytest.raises(InvalidInput, match=r"\$GREENHOUSE_UV names .*no-uv"):
        find_uv()
    monkeypatch.delenv(UV_ENV)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    with pytest.raises(InvalidInput, match=r"install it with pip install 'greenhouse_ext\[env\]'"):
        find_uv()
