"""``export --binder`` rebuilt as repo2docker would, without Docker: a fresh uv venv built
only from the exported ``binder/requirements.txt`` (with ``binder/runtime.txt``'s Python),
registered as the ``python3`` kernel, then the README's plain papermill command.

The notebook runs in a kernel venv of its own (ipykernel and ``termcolor`` from the local
index, plus a local wheel the lock can only name in a comment), and records its metrics in
scrapbook's format without importing greenhouse, so nothing of greenhouse's environment
can leak into the rebuilt one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from kernel_envs import INDEX, build_wheel, register_kernel, uv
from notebooks import write_notebook

KERNEL = "ghbinder"
TERMCOLOR = "termcolor==3.3.0"
SCRAP_MIME = "application/scrapbook.scrap.json+json"
PARAMETERS = "factor = 1"
BODY = """\
import sys
from importlib import metadata
from IPython.display import display
import termcolor

def record(name, value):
    payload = {"name": name, "data": value, "encoder": "json", "version": 1}
    meta = {"scrapbook": {"name": name, "data": True, "display": False}}
    display({"application/scrapbook.scrap.json+json": payload}, raw=True, metadata=meta)

record("total", sum(range(10)) * factor)
record("termcolor", metadata.version("termcolor"))
record("coloured", termcolor.colored("ok", "green"))
record("prefix", sys.prefix)
"""


def sh(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def scraps(notebook: Path) -> dict[str, Any]:
    """The values an executed notebook recorded, read from its outputs as scrapbook does."""
    found = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(SCRAP_MIME)
            if payload is not None:
                assert output["metadata"]["scrapbook"]["name"] == payload["name"]
                found[payload["name"]] = payload["data"]
    return found


def kernel_venv(root: Path) -> None:
    """A uv venv with ipykernel and termcolor from the local index and a local wheel,
    registered as the kernel ``ghbinder`` in ``root/jupyter``."""
    uv("venv", "-q", "--python", sys.executable, str(root / "kernel-venv"))
    python = root / "kernel-venv" / "bin" / "python"
    wheel = build_wheel(root / "wheels", "ghlocal", "0.1.0")
    uv("pip", "install", "-q", "--python", str(python), *INDEX, "ipykernel", TERMCOLOR, str(wheel))
    register_kernel(
        root / "jupyter",
        KERNEL,
        [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "python",
    )


def rebuild(folder: Path, venv: Path, jupyter: Path) -> None:
    """What repo2docker does with ``folder``, without Docker: a venv of the Python that
    ``binder/runtime.txt`` names, ``binder/requirements.txt`` installed into it and nothing
    else, and that venv as the ``python3`` kernel (its image runs Jupyter apart)."""
    runtime = (folder / "binder" / "runtime.txt").read_text().strip()
    assert runtime == "python-{}.{}".format(*sys.version_info[:2])
    uv("venv", "-q", "--python", runtime.removeprefix("python-"), str(venv))
    python = str(venv / "bin" / "python")
    uv(
        "pip",
        "install",
        "-q",
        "--python",
        python,
        *INDEX,
        "-r",
        str(folder / "binder" / "requirements.txt"),
    )
    register_kernel(
        jupyter,
        "python3",
        [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "python",
    )


def test_an_exported_folder_rebuilt_from_its_lock_gives_the_versions_metrics(
    tmp_path: Path,
) -> None:
    kernel_venv(tmp_path)
    project = tmp_path / "project"
    notebook = write_notebook(project / "score.ipynb", PARAMETERS, BODY)
    # Saved as Lab saves a notebook whose kernel was chosen: naming this machine's kernel.
    nb = json.loads(notebook.read_text())
    nb["metadata"]["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    notebook.write_text(json.dumps(nb))
    (project / ".greenhouse").mkdir()
    environ = {k: v for k, v in os.environ.items() if k not in ("GREENHOUSE_STORE", "PYTHONPATH")}
    here = {**environ, "JUPYTER_PATH": str(tmp_path / "jupyter")}

    def greenhouse(*args: str) -> Any:
        done = sh(sys.executable, "-m", "greenhouse_ext", *args, "--json", cwd=project, env=here)
        return json.loads(done.stdout)

    made = greenhouse("run", "score.ipynb", "--kernel", KERNEL, "-p", "factor", "3")
    assert made["metrics"]["total"] == 135
    greenhouse("publish", made["id"], "--name", "score")
    [version] = greenhouse("versions", "score")
    assert version["metrics"]["termcolor"] == "3.3.0"
    assert version["metrics"]["prefix"] == str(tmp_path / "kernel-venv")

    out = tmp_path / "export"
    greenhouse("export", "score@1", "--binder", str(out))
    lock = (out / "binder" / "requirements.txt").read_text()
    assert TERMCOLOR in lock.splitlines() and "ipykernel==" in lock
    readme = (out / "README.md").read_text()
    assert (
        f"The version ran in the kernel `{KERNEL}`; the notebook here names\n`python3`, the "
        "kernel of the environment built from `binder/requirements.txt`."
    ) in readme
    wheel = tmp_path / "wheels" / "ghlocal-0.1.0-py3-none-any.whl"
    assert f"- ghlocal==0.1.0: a local-file install of {wheel}" in readme.splitlines()

    rebuilt, binder_jupyter = tmp_path / "rebuilt", tmp_path / "binder-jupyter"
    rebuild(out, rebuilt, binder_jupyter)
    python = str(rebuilt / "bin" / "python")
    freeze = sh(
        sys.executable, "-m", "uv", "pip", "freeze", "--python", python, cwd=out, env=environ
    )
    pins = [line for line in lock.splitlines() if not line.startswith("#")]
    assert sorted(freeze.stdout.splitlines()) == sorted(pins)

    # The README's own command, word for word, with papermill from outside the rebuilt venv.
    [command] = [line[2:] for line in readme.splitlines() if line.startswith("$ papermill ")]
    assert command == "papermill score.ipynb output.ipynb -f values.yaml"
    papermill = str(Path(sys.executable).parent / "papermill")
    sh(
        papermill,
        *command.split()[1:],
        cwd=out,
        env={**environ, "JUPYTER_PATH": str(binder_jupyter)},
    )
    recorded = scraps(out / "output.ipynb")
    assert recorded.pop("prefix") == str(rebuilt)
    assert recorded == {k: v for k, v in version["metrics"].items() if k != "prefix"}
