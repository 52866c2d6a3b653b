"""Declared input files kept with a version or a run, and reproducing on them, in real processes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from notebooks import write_notebook

BODY = (
    "from greenhouse_ext import record\n"
    "rows = open(path).read().split()\n"
    "print('total', sum(int(r) for r in rows))\n"
    "record('total', sum(int(r) for r in rows))"
)


def ok(*args: str, cwd: Path) -> Any:
    done = greenhouse(*args, "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest(project: Path, ref: str) -> Any:
    out = project.parent / f"got-{ref.replace('@', '-')}"
    ok("get", ref, "--out", str(out), cwd=project)
    return json.loads((out / "manifest.json").read_text()), out


def store_size(project: Path) -> int:
    return sum(p.stat().st_size for p in (project / ".greenhouse").rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project with one succeeded run that read its declared input data/rows.txt."""
    folder = tmp_path_factory.mktemp("template")
    (folder / ".greenhouse").mkdir()
    (folder / "data").mkdir()
    (folder / "data" / "rows.txt").write_text("1\n2\n3\n")
    (folder / "data" / "other.txt").write_text("9\n")
    write_notebook(folder / "sum.ipynb", "path = 'data/other.txt'", BODY)
    run = ok(
        "run", "sum.ipynb", "-p", "path", "data/rows.txt", "--input", "data/rows.txt", cwd=folder
    )
    assert run["metrics"] == {"total": 6}
    return folder, run["id"]


@pytest.fixture
def project(template: tuple[Path, str], tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(template[0], target)
    return target


@pytest.fixture
def run_id(template: tuple[Path, str]) -> str:
    return template[1]


def test_publish_keeps_the_input_and_reproduce_runs_on_it(project: Path, run_id: str) -> None:
    data = project / "data" / "rows.txt"
    recorded = sha256(data)
    version = ok("publish", run_id, "--name", "sums", cwd=project)
    assert {"path": "inputs/data/rows.txt", "sha256": recorded, "size": 6} in version["files"]
    found, out = manifest(project, "sums@1")
    assert found["inputs"] == [
        {"path": "data/rows.txt", "sha256": recorded, "size": 6, "kept": True, "location": None}
    ]
    assert (out / "inputs" / "data" / "rows.txt").read_text() == "1\n2\n3\n"
    assert ok("verify", "sums@1", cwd=project)["ok"] is True

    data.write_text("1\n2\n3\n4\n")
    changed = sha256(data)
    stored = greenhouse("reproduce", "sums@1", cwd=project)
    assert stored.returncode == 0, stored.stdout + stored.stderr
    assert stored.stdout.startswith("reproducible: sums@1")
    assert "the files kept in the store" in stored.stdout
    assert data.read_text() == "1\n2\n3\n4\n", "the user's file is never replaced"
    assert not [p for p in project.rglob("*reproduce*") if ".greenhouse" not in p.parts]

    current = greenhouse("reproduce", "sums@1", "--inputs", "current", cwd=project)
    assert current.returncode == 1, current.stdout + current.stderr
    assert f"input    data/rows.txt: sha256 {recorded[:12]} -> {changed[:12]}" in current.stdout
    assert "metric   total: 6 -> 10" in current.stdout

    kept = project / ".greenhouse" / "objects" / recorded[:2] / recorded[2:]
    kept.write_bytes(kept.read_bytes()[:-1] + bytes([kept.read_bytes()[-1] ^ 1]))
    damaged = greenhouse("verify", "sums@1", cwd=project)
    assert damaged.returncode == 1 and "inputs/data/rows.txt" in damaged.stdout


def test_a_changed_input_is_refused_at_publish(project: Path, run_id: str) -> None:
    (project / "data" / "rows.txt").write_text("7\n")
    done = greenhouse("publish", run_id, "--name", "sums", cwd=project)
    assert done.returncode == 2, done.stderr
    assert "data/rows.txt" in done.stderr and "changed since it ran" in done.stderr
    digest = hashlib.sha256(b"7\n").hexdigest()
    assert not (project / ".greenhouse" / "objects" / digest[:2] / digest[2:]).exists()
    listed = greenhouse("versions", "sums", cwd=project)
    assert "sums@1" not in listed.stdout + listed.stderr


def test_a_large_input_is_recorded_by_hash_and_location(project: Path, run_id: str) -> None:
    (project / "greenhouse.toml").write_text('[inputs]\nmax_input_bytes = "big"\n')
    bad = greenhouse("publish", run_id, "--name", "sums", cwd=project)
    assert bad.returncode == 2 and "max_input_bytes must be a whole number" in bad.stderr
    (project / "greenhouse.toml").write_text("[inputs]\nmax_input_bytes = 5\n")
    recorded = sha256(project / "data" / "rows.txt")
    archive = project.parent / "archive" / "rows.txt"
    archive.parent.mkdir()
    shutil.copy(project / "data" / "rows.txt", archive)
    version = ok(
        "publish",
        run_id,
        "--name",
        "sums",
        "--input-location",
        f"data/rows.txt={archive.as_uri()}",
        cwd=project,
    )
    assert not [f for f in version["files"] if f["path"].startswith("inputs/")]
    found, _ = manifest(project, "sums@1")
    assert found["inputs"] == [
        {
            "path": "data/rows.txt",
            "sha256": recorded,
            "size": 6,
            "kept": False,
            "location": archive.as_uri(),
        }
    ]
    unknown = greenhouse(
        "publish", run_id, "--name", "sums", "--input-location", "x=s3://b/x", cwd=project
    )
    assert unknown.returncode == 2 and "did not declare" in unknown.stderr

    # The project's copy changes: a reproduction fetches the run's data from its location.
    (project / "data" / "rows.txt").write_text("1\n2\n3\n4\n")
    fetched = ok("reproduce", "sums@1", cwd=project)
    assert (fetched["verdict"], fetched["inputs_from"]) == ("reproducible", "stored")
    assert f"input data/rows.txt is fetched from {archive.as_uri()}" in fetched["warnings"]
    assert (project / "data" / "rows.txt").read_text() == "1\n2\n3\n4\n"

    # The location no longer holds that data: refused, naming both hashes, nothing run.
    archive.write_text("7\n")
    moved = greenhouse("reproduce", "sums@1", cwd=project)
    assert moved.returncode != 0 and "no longer holds the run's data" in moved.stderr
    assert recorded in moved.stderr and sha256(archive) in moved.stderr
    archive.unlink()
    gone = greenhouse("reproduce", "sums@1", cwd=project)
    assert gone.returncode != 0 and "cannot be fetched from" in gone.stderr
    current = greenhouse("reproduce", "sums@1", "--inputs", "current", "--json", cwd=project)
    assert current.returncode == 1, current.stderr
    assert [c["path"] for c in json.loads(current.stdout)["inputs"]] == ["data/rows.txt"]


def test_run_keep_inputs(project: Path) -> None:
    data = project / "data" / "rows.txt"
    run = ok(
        "run",
        "sum.ipynb",
        "-p",
        "path",
        "data/rows.txt",
        "--input",
        "data/rows.txt",
        "--keep-inputs",
        cwd=project,
    )
    assert run["kept_inputs"] == ["data/rows.txt"]
    data.write_text("5\n")
    again = greenhouse("reproduce", run["id"], cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr


def test_ten_versions_of_one_large_input_store_it_once(tmp_path: Path) -> None:
    project = tmp_path / "big"
    (project / ".greenhouse").mkdir(parents=True)
    (project / "data").mkdir()
    (project / "data" / "rows.txt").write_text("1\n")
    (project / "data" / "blob.bin").write_bytes(os.urandom(20 * 1024 * 1024))
    write_notebook(project / "sum.ipynb", "path = 'data/rows.txt'", BODY)
    run = ok("run", "sum.ipynb", "--input", "data/blob.bin", cwd=project)
    ok("publish", run["id"], "--name", "blobs", cwd=project)
    first = store_size(project)
    assert first > 20 * 1024 * 1024
    for _ in range(9):
        ok("publish", run["id"], "--name", "blobs", cwd=project)
    assert ok("versions", "blobs", cwd=project)[-1]["number"] == 10
    assert store_size(project) - first < 2 * 1024 * 1024


def test_export_binder_carries_the_kept_input_and_the_values(project: Path, run_id: str) -> None:
    ok("publish", run_id, "--name", "sums", cwd=project)
    (project / "data" / "rows.txt").write_text("100\n")
    out = project.parent / "binder-export"
    answer = ok("export", "sums@1", "--binder", str(out), cwd=project)
    written = sorted(str(Path(p).relative_to(out)) for p in answer["files"])
    assert written == [
        "README.md",
        "binder/requirements.txt",
        "binder/runtime.txt",
        "data/rows.txt",
        "sum.ipynb",
        "values.yaml",
    ]
    assert (out / "data" / "rows.txt").read_text() == "1\n2\n3\n"
    assert (out / "binder" / "runtime.txt").read_text() == "python-{}.{}\n".format(
        *sys.version_info[:2]
    )
    assert "papermill==" in (out / "binder" / "requirements.txt").read_text()
    assert "path: data/rows.txt" in (out / "values.yaml").read_text()
    readme = (out / "README.md").read_text()
    assert "pip install -r binder/requirements.txt papermill" in readme
    assert "The notebook names `python3`, the kernel of the environment built from" in readme
    repo = Path(__file__).resolve().parents[2]
    assert f"an editable install of {repo}" in readme.split("Left out of that environment")[1]
    assert "papermill sum.ipynb output.ipynb -f values.yaml" in readme
    assert "greenhouse run sum.ipynb -f values.yaml --input data/rows.txt" in readme

    papermill = subprocess.run(
        [sys.executable, "-m", "papermill", "sum.ipynb", "output.ipynb", "-f", "values.yaml"],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert papermill.returncode == 0, papermill.stderr
    assert "total 6" in (out / "output.ipynb").read_text()

    again = greenhouse("export", "sums@1", "--binder", str(out), cwd=project)
    assert again.returncode == 2 and "not an empty folder" in again.stderr
