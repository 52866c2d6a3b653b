"""Export a version as a folder that repo2docker (and so Binder) builds, or a person runs by hand.

The folder holds the version's executed notebook, ``binder/requirements.txt`` and
``binder/runtime.txt`` from its lock, the declared input files the store kept (at the
paths the notebook reads them from), ``values.yaml`` with the recorded parameter values
(secrets left out and named) and a README saying how to run it and what the lock leaves
out. The notebook names the ``python3`` kernel, the one a rebuilt environment provides,
whatever kernel it ran in here.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from ..errors import InvalidInput
from ..models import SECRET_MASK, InputFile, Run, Version
from ..store import Store, find_version
from .environment import REQUIREMENTS, lock_files, not_rebuildable
from .manifest import read_checked

VALUES = "values.yaml"
README = "README.md"
BINDER_KERNEL = "python3"


def export_binder(store: Store, ref: str, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the folder for ``ref`` into ``out_dir``, which must be new or empty.

    Everything is written in a staging folder first, then moved into place.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InvalidInput
        ``out_dir`` is a file or a folder that is not empty, or the version has no
        recorded environment to build from.
    NotFound, Conflict
        No such version, or its stored files are lost or damaged.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(
            f"{out} is not an empty folder: give a new or empty folder to export into"
        )
    version = find_version(store, ref)
    run = store.get_run(version.run_id)
    contents = _contents(store, version, run)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".greenhouse-export-", dir=out.parent))
    try:
        for path, data in contents.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_bytes(data)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / p for p in contents]


def _contents(store: Store, version: Version, run: Run) -> dict[str, bytes]:
    prov = run.provenance
    env = prov.environment if prov else None
    locks = lock_files(prov) if prov else {}
    files = {f.path: f for f in version.files}
    if REQUIREMENTS not in files and not locks:
        raise InvalidInput(
            f"{version.ref} has no recorded environment (its kernel did not report one), "
            "so there is no requirements.txt to build from"
        )
    requirements = (
        read_checked(store, files[REQUIREMENTS].sha256, REQUIREMENTS)
        if REQUIREMENTS in files
        else locks[REQUIREMENTS]
    )
    notebook = f"{PurePosixPath(run.notebook).stem}.ipynb"
    executed = read_checked(store, files["notebook.ipynb"].sha256, "notebook.ipynb")
    contents = {notebook: _on_binder_kernel(executed), "binder/requirements.txt": requirements}
    if env is not None and env.version:
        minor = ".".join(env.version.split(".")[:2])
        contents["binder/runtime.txt"] = f"python-{minor}\n".encode()
    missing = []
    for item in prov.inputs if prov else []:
        target = PurePosixPath(item.path)
        if target.is_absolute() or ".." in target.parts:
            missing.append(f"- `{item.path}` (outside the notebook's folder): sha256 {item.sha256}")
        elif store.has_object(item.sha256):
            contents[str(target)] = read_checked(store, item.sha256, f"input {item.path}")
        else:
            missing.append(f"- `{item.path}`: sha256 {item.sha256} (not kept in the store)")
    secrets = sorted(k for k, v in run.parameters.items() if v == SECRET_MASK)
    values = {k: v for k, v in run.parameters.items() if k not in secrets}
    contents[VALUES] = _values_yaml(values, secrets)
    readme = _readme(version, notebook, secrets, missing, prov.inputs if prov else [])
    contents[README] = readme + _environment_section(
        prov.kernel if prov else None, requirements.decode()
    )
    return contents


def _on_binder_kernel(executed: bytes) -> bytes:
    """The notebook naming the ``python3`` kernel: the kernel it ran in here (a kernelspec
    of this machine) does not exist where the folder is rebuilt, and papermill and Lab
    start the kernel a notebook names."""
    nb = json.loads(executed)
    spec = nb.setdefault("metadata", {}).get("kernelspec") or {}
    if spec.get("name") == BINDER_KERNEL:
        return executed
    nb["metadata"]["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": BINDER_KERNEL,
    }
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _environment_section(kernel: str | None, requirements: str) -> bytes:
    """The README's last section: the kernel the version ran in, and the installs the lock
    names only in comments (an editable or local install cannot be rebuilt elsewhere)."""
    names = (
        f"`{BINDER_KERNEL}`, the kernel of the environment built from `binder/requirements.txt`."
    )
    if kernel == BINDER_KERNEL:
        said = [f"The notebook names {names}"]
    else:
        ran_in = f"the kernel `{kernel}`" if kernel else "a kernel it did not record"
        said = [f"The version ran in {ran_in}; the notebook here names", names]
    lines = ["", "## The environment", "", *said]
    local = not_rebuildable(requirements)
    if local:
        lines += [
            "",
            "Left out of that environment (the lock names them in comments only):",
            "",
            *(f"- {item}" for item in local),
        ]
    return ("\n".join(lines) + "\n").encode()


def _values_yaml(values: dict[str, object], secrets: list[str]) -> bytes:
    import yaml

    head = "# The parameter values the version ran with.\n"
    if secrets:
        head += f"# Secrets left out (give them again): {', '.join(secrets)}\n"
    body = yaml.safe_dump(values, sort_keys=True) if values else ""
    return (head + body).encode()


def _readme(
    version: Version, notebook: str, secrets: list[str], missing: list[str], inputs: list[InputFile]
) -> bytes:
    secret_flags = "".join(f" -p {name} VALUE" for name in secrets)
    input_flags = "".join(f" --input {item.path}" for item in inputs)
    lines = [
        f"# {version.ref}",
        "",
        f"Exported by greenhouse from {version.ref} (run {version.run_id}). repo2docker and",
        "Binder build this folder from `binder/requirements.txt` and `binder/runtime.txt`.",
        "",
        "## Run it with papermill",
        "",
        "```console",
        "$ pip install -r binder/requirements.txt papermill",
        f"$ papermill {notebook} output.ipynb -f {VALUES}{secret_flags}",
        "```",
        "",
        "## Run it with greenhouse",
        "",
        "```console",
        f"$ greenhouse run {notebook} -f {VALUES}{input_flags}{secret_flags}",
        "```",
    ]
    if secrets:
        lines += ["", f"Secret parameters, never stored: {', '.join(secrets)}."]
    if missing:
        lines += ["", "## Inputs not included", "", *missing]
    return ("\n".join(lines) + "\n").encode()
