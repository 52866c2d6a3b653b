"""The kernel's own environment, asked through the kernel protocol: real kernels in real venvs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_envs import KernelEnv, build_kernel_env, git, register_kernel
from notebooks import write_notebook

from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.execution.kernel_env import EnvironmentQuery
from greenhouse_ext.execution.kernel_probe import probe
from greenhouse_ext.models import SECRET_MASK, Run

KERNELS = """
import sys, time
from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

class OtherLanguage(IPythonKernel):
    language_info = {**IPythonKernel.language_info, "name": "otherlang"}

class SlowToDescribe(IPythonKernel):
    async def do_execute(self, code, silent, *args, **kwargs):
        if silent and code == "":
            time.sleep(3)
        return await super().do_execute(code, silent, *args, **kwargs)

if __name__ == "__main__":
    kind = {"other": OtherLanguage, "slow": SlowToDescribe}[sys.argv.pop(1)]
    IPKernelApp.launch_instance(kernel_class=kind)
"""


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> KernelEnv:
    """Built once for the module: a venv takes a few seconds even from the local index."""
    return build_kernel_env(tmp_path_factory.mktemp("kernel-env"))


@pytest.fixture
def odd_kernels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two kernels of greenhouse's own Python: one not Python, one slow to answer the query."""
    (tmp_path / "odd_kernels.py").write_text(KERNELS)
    jupyter = tmp_path / "jupyter"
    for kind in ("other", "slow"):
        argv = [sys.executable, str(tmp_path / "odd_kernels.py"), kind, "-f", "{connection_file}"]
        register_kernel(jupyter, kind, argv, "python")
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    yield


def run_cli(env: KernelEnv, cwd: Path, *args: str, **extra: str) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", *args, "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env=env.environ(**extra),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return Run.from_dict(json.loads(done.stdout))


def test_a_run_records_its_kernels_packages_and_interpreter_not_greenhouses(
    kernel_env: KernelEnv, tmp_path: Path
) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        None,
        "import termcolor, ghtiny\nfrom greenhouse_ext import record\n"
        "record('left', sorted(k for k in globals() if 'probe' in k or k == 'ns'))",
    )
    (tmp_path / ".greenhouse").mkdir()
    # greenhouse_ext reaches the kernel for `record` only: the venv itself does not have it.
    pythonpath = str(Path(__file__).resolve().parents[2])
    run = run_cli(
        kernel_env,
        tmp_path,
        "run",
        "nb.ipynb",
        "--kernel",
        kernel_env.kernel,
        "--env-var",
        "GH_PLAIN",
        "--env-var",
        "GH_UNSET",
        "--secret-env-var",
        "GH_TOKEN",
        GH_PLAIN="visible",
        GH_TOKEN="s3cret-value",
        PYTHONPATH=pythonpath,
    )
    assert run.status.value == "succeeded", run.error
    assert run.metrics == {"left": []}
    prov = run.provenance
    assert prov is not None and prov.environment is not None
    env = prov.environment
    assert env.status == "recorded"
    assert Path(env.executable or "").parent == kernel_env.python.parent
    assert Path(env.prefix or "").resolve() == kernel_env.venv.resolve()
    assert Path(env.executable or "").parent != Path(sys.executable).parent
    assert prov.python == f"{env.version} (CPython)"
    packages = {d.name: d for d in env.packages}
    assert "sqlalchemy" not in packages and "sqlalchemy" not in prov.packages
    assert packages["termcolor"].origin == {"kind": "index", "installer": "uv"}
    assert prov.packages["termcolor"] == packages["termcolor"].version
    assert packages["ghtiny"].version == "1.2.3+cu121"
    assert packages["ghtiny"].origin == {"kind": "local-file", "path": str(kernel_env.wheel)}
    assert packages["ghedit"].origin == {
        "kind": "editable",
        "path": str(kernel_env.editable),
        "commit": kernel_env.editable_commit,
        "dirty": False,
    }
    ghgit = packages["ghgit"].origin
    assert ghgit["kind"] == "git" and ghgit["commit"] == kernel_env.git_commit
    assert ghgit["url"] == f"file://{kernel_env.git_repo}"
    assert env.platform["system"] == os.uname().sysname
    assert env.platform["machine"] == os.uname().machine
    assert env.platform["cpus"] == os.cpu_count()
    assert env.platform["libc"]["name"] == "glibc"
    assert env.platform["gpu"] is None
    assert env.variables == {"GH_PLAIN": "visible", "GH_UNSET": None, "GH_TOKEN": SECRET_MASK}
    assert "s3cret-value" not in json.dumps(run.to_dict())


def test_the_query_leaves_no_cell_and_no_execution_count(
    kernel_env: KernelEnv, tmp_path: Path
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", None, "1 + 1")
    (tmp_path / ".greenhouse").mkdir()
    run = run_cli(kernel_env, tmp_path, "run", "nb.ipynb", "--kernel", kernel_env.kernel)
    opened = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "open", run.id],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=kernel_env.environ(),
    )
    executed = json.loads(Path(opened.stdout.strip().split()[-1]).read_text())
    assert len(executed["cells"]) == len(json.loads(nb.read_text())["cells"])
    assert executed["cells"][0]["execution_count"] == 1


def test_a_dirty_editable_install_is_recorded_dirty(kernel_env: KernelEnv) -> None:
    source = kernel_env.editable / "ghedit.py"
    source.write_text("X = 2\n")
    try:
        done = subprocess.run(
            [str(kernel_env.python), "-c", "import sys; exec(sys.stdin.read())"],
            input=Path(probe.__code__.co_filename).read_text() + "\nprint(probe([]))",
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        git(kernel_env.editable, "checkout", "ghedit.py")
    packages = {d["name"]: d for d in json.loads(done.stdout)["packages"]}
    assert packages["ghedit"]["origin"]["dirty"] is True


def test_a_kernel_that_is_not_python_is_recorded_unknown(odd_kernels: None, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", None, "1")
    run = execute(prepare(nb, {}, kernel="other")).run
    assert run.status.value == "succeeded", run.error
    assert run.provenance is not None and run.provenance.environment is not None
    env = run.provenance.environment
    assert env.status == "unknown"
    assert env.reason == "the kernel's language is otherlang, not Python"
    assert run.provenance.packages == {} and run.provenance.python == "unknown"


def test_a_kernel_that_does_not_answer_in_time_is_recorded_unknown_and_still_runs(
    odd_kernels: None, tmp_path: Path
) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb", None, "from greenhouse_ext import record\nrecord('x', 1)"
    )
    job = prepare(nb, {}, kernel="slow")
    job.environment_query = EnvironmentQuery(timeout=1.0)
    run = execute(job).run
    assert run.status.value == "succeeded", run.error
    assert run.metrics == {"x": 1}
    assert run.provenance is not None and run.provenance.environment is not None
    assert run.provenance.environment.status == "unknown"
    assert run.provenance.environment.reason == (
        "the kernel did not describe its environment within 1 s"
    )
    assert run.provenance.packages == {}


def test_bad_variable_names_are_refused_before_any_kernel(tmp_path: Path) -> None:
    from greenhouse_ext.errors import InvalidInput

    nb = write_notebook(tmp_path / "nb.ipynb", None, "1")
    with pytest.raises(InvalidInput, match="'1BAD', 'A-B'"):
        prepare(nb, {}, env_vars=["OK", "1BAD", "A-B"])
