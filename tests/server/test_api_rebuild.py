"""``POST reproduce`` with ``env: "recorded"`` on a real server: the version's lock rebuilt
with uv in a real venv, the re-run followed through the API, then the cache reused; and
``allow_partial`` for a lock that holds an editable install."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, wait_for_run
from kernel_envs import register_kernel, source_project
from pinned_kernels import KERNEL, PinnedKernel, Project, build_pinned_kernel, new_project

BUILDING = "greenhouse: building the recorded environment with uv"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> PinnedKernel:
    return build_pinned_kernel(tmp_path_factory.mktemp("pinned"))


@pytest.fixture(scope="module")
def editable_kernel(tmp_path_factory: pytest.TempPathFactory) -> PinnedKernel:
    """The pinned kernel with ``ghedit`` installed editable from a folder beside it."""
    root = tmp_path_factory.mktemp("pinned-editable")
    source_project(root / "ghedit", "ghedit")
    return build_pinned_kernel(root, "-e", str(root / "ghedit"))


@pytest.fixture
def server_kernels(tmp_path: Path) -> Path:
    """The server's own ``ghrebuild``: its Python, which has no ``ghtestpkg``; the processes
    it starts find it, and reach the kernels' packages the way `PinnedKernel` says."""
    assert importlib.util.find_spec("ghtestpkg") is None
    jupyter = tmp_path / "server-jupyter"
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    register_kernel(jupyter, KERNEL, argv, "python")
    return jupyter


def recorded_in(
    root: Path, kernel: PinnedKernel, server_kernels: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Project, dict[str, Any]]:
    """A project in the server's root and a run of its notebook in ``kernel``, recorded by
    the command line; the server's processes then reach the server's own kernel."""
    project = new_project(root, kernel)
    run = project.json("run", "nb.ipynb", "--kernel", KERNEL)
    assert run["metrics"] == {"ghtestpkg": "1.0"}
    for name, value in {**kernel.environ(), "JUPYTER_PATH": str(server_kernels)}.items():
        monkeypatch.setenv(name, value)
    return project, run


async def reproduced(api: Api, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Start a reproduction, follow its re-run to the end: the re-run, comparison and log."""
    queued = await api("POST", "reproduce", body=body)
    assert queued.code == 202, queued.body
    rerun = await wait_for_run(api, queued.json["id"])
    log = (await api("GET", f"runs/{rerun['id']}/log")).json["text"]
    assert rerun["status"] == "succeeded", log
    comparison = await api("GET", f"runs/{rerun['id']}/reproduction")
    assert comparison.code == 200, comparison.body
    return rerun, comparison.json, log


async def test_a_version_reproduces_in_its_rebuilt_environment_then_from_the_cache(
    api: Api,
    jp_root_dir: Path,
    kernel: PinnedKernel,
    server_kernels: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, run = recorded_in(jp_root_dir, kernel, server_kernels, monkeypatch)
    published = await api("POST", "publish", body={"run": run["id"], "name": "pinned"})
    assert published.code == 201, published.body
    lock = {f["path"]: f["sha256"] for f in published.json["files"]}["environment/requirements.txt"]

    rerun, result, log = await reproduced(api, {"ref": "pinned@1", "env": "recorded"})

    assert rerun["metrics"] == {"ghtestpkg": "1.0"} and rerun["reproduces"] == run["id"]
    executable = Path(rerun["provenance"]["environment"]["executable"])
    assert executable.parent.parent == jp_root_dir / ".greenhouse" / "envs" / lock
    assert (result["verdict"], result["reason"]) == ("reproducible", None)
    assert result["environment_from"] == "recorded" and result["left_out"] == []
    assert result["metrics"] == {} and result["environment"] == {}
    assert (result["rebuilt"]["sha256"], result["rebuilt"]["cached"]) == (lock, False)
    assert BUILDING in log
    assert project.envs == [lock]
    site = next((jp_root_dir / ".greenhouse" / "envs" / lock / "lib").glob("*/site-packages"))
    installed = site.stat().st_mtime_ns

    again, cached, log = await reproduced(api, {"ref": "pinned@1", "env": "recorded"})

    assert again["metrics"] == {"ghtestpkg": "1.0"} and again["id"] != rerun["id"]
    assert cached["verdict"] == "reproducible"
    assert (cached["rebuilt"]["sha256"], cached["rebuilt"]["cached"]) == (lock, True)
    assert BUILDING not in log
    assert project.envs == [lock] and site.stat().st_mtime_ns == installed


async def test_an_editable_install_is_refused_unless_partial_and_the_record_says_so(
    api: Api,
    jp_root_dir: Path,
    editable_kernel: PinnedKernel,
    server_kernels: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, run = recorded_in(jp_root_dir, editable_kernel, server_kernels, monkeypatch)
    editable = editable_kernel.python.parents[2] / "ghedit"
    left_out = f"ghedit==0.1.0: an editable install of {editable}"
    runs = (await api("GET", "runs")).json

    refused = await api("POST", "reproduce", body={"ref": run["id"], "env": "recorded"})

    assert refused.code == 400, refused.body
    assert refused.json["message"] == (
        f"run {run['id']} cannot be rebuilt here as recorded (1 problem(s)): give "
        "allow_partial to install the rest, or reproduce it with env current"
    )
    assert refused.json["problems"] == [left_out]
    assert (await api("GET", "runs")).json == runs and project.envs == []

    body = {"ref": run["id"], "env": "recorded", "allow_partial": True}
    rerun, result, log = await reproduced(api, body)

    assert rerun["metrics"] == {"ghtestpkg": "1.0"}
    assert "ghedit" not in rerun["provenance"]["packages"]
    assert result["verdict"] == "reproducible"
    assert result["left_out"] == [left_out] and result["rebuilt"]["left_out"] == [left_out]
    assert result["environment"] == {"packages": {"ghedit": ["0.1.0", None]}}
    assert BUILDING in log and project.envs == [result["rebuilt"]["sha256"]]
