"""`greenhouse publish / versions / alias / get / push / verify` end to end, in real processes."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faults import greenhouse
from notebooks import write_notebook

BODY = (
    "from pathlib import Path\n"
    "from greenhouse_ext import record, record_file\n"
    "record('score', epochs * 0.5)\n"
    "Path('table.csv').write_text('a,b\\n1,2\\n')\n"
    "record_file('table.csv')"
)
LOCK = [
    "environment/platform.json",
    "environment/python_env.yaml",
    "environment/requirements.txt",
]
FILES = sorted(
    ["files/table.csv", "manifest.json", "metrics.json", "notebook.ipynb", "report.html", *LOCK]
)


def ok(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = greenhouse(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


def as_json(*args: str, cwd: Path) -> Any:
    return json.loads(ok(*args, "--json", cwd=cwd).stdout)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A project with one succeeded and one failed run, made once with real kernels."""
    folder = tmp_path_factory.mktemp("template")
    (folder / ".greenhouse").mkdir()
    write_notebook(folder / "train.ipynb", "epochs = 3", BODY)
    write_notebook(folder / "bad.ipynb", "a = 1", "raise KeyError('missing column')")
    good = as_json("run", "train.ipynb", cwd=folder)
    bad = greenhouse("run", "bad.ipynb", "--json", cwd=folder)
    assert bad.returncode == 1
    return folder, {"succeeded": good["id"], "failed": json.loads(bad.stdout)["id"]}


@pytest.fixture
def project(template: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(template[0], target)
    return target


@pytest.fixture
def runs(template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return template[1]


def index_rows(project: Path) -> tuple[list[Any], list[Any], list[Any]]:
    with sqlite3.connect(project / ".greenhouse" / "index.sqlite") as db:
        versions = db.execute("SELECT name, number, record FROM versions ORDER BY 1, 2").fetchall()
        aliases = db.execute("SELECT name, alias, number FROM aliases ORDER BY 1, 2").fetchall()
        events = db.execute("SELECT * FROM alias_events ORDER BY id").fetchall()
    return versions, aliases, events


def objects(project: Path) -> list[str]:
    return sorted(p.name for p in (project / ".greenhouse" / "objects").glob("??/*"))


def object_file(project: Path, digest: str) -> Path:
    return project / ".greenhouse" / "objects" / digest[:2] / digest[2:]


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publish_twice_then_list_versions(project: Path, runs: dict[str, str]) -> None:
    first = as_json("publish", runs["succeeded"], "--name", "churn", cwd=project)
    text = ok(
        "publish", runs["succeeded"][:6], "--name", "churn", "--alias", "staging", cwd=project
    )
    assert first["number"] == 1 and first["run_id"] == runs["succeeded"]
    assert [f["path"] for f in first["files"]] == [
        "notebook.ipynb",
        "report.html",
        "metrics.json",
        "files/table.csv",
        "environment/requirements.txt",
        "environment/python_env.yaml",
        "environment/platform.json",
    ]
    assert "published churn@2" in text.stdout and "staging" in text.stdout
    listed = as_json("versions", "churn", cwd=project)
    assert [(v["number"], v["aliases"], v["metrics"]) for v in listed] == [
        (1, [], {"score": 1.5}),
        (2, ["staging"], {"score": 1.5}),
    ]
    assert listed[0]["manifest_sha256"] == first["manifest_sha256"]
    assert {v["published_by"] for v in listed} == {getpass.getuser()}
    table = ok("versions", "churn", cwd=project).stdout.splitlines()
    assert table[0].split() == ["VERSION", "CREATED", "(UTC)", "RUN", "BY", "ALIASES", "METRICS"]
    assert table[2].split()[0] == "2" and "staging" in table[2] and "score=1.5" in table[2]
    assert table[2].split()[4] == getpass.getuser()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["publish", "{failed}", "--name", "churn"], "is failed: only a succeeded run"),
        (["publish", "{succeeded}", "--name", "bad name"], "not a valid name"),
        (["publish", "{succeeded}", "--name", "churn", "--alias", "a/b"], "not a valid alias"),
        (["publish", "{succeeded}", "--name", "churn", "--alias", "2"], "means version 2"),
        (["publish", "feedfacecafe", "--name", "churn"], "feedfacecafe"),
        (["publish", "{succeeded}", "--name", "churn", "--to", "nosuch://x"], "nosuch"),
        (["versions", "nothing"], "Nothing is published as 'nothing'"),
        (["alias", "churn@1", "production"], "Nothing is published as 'churn'"),
        (["get", "churn@1", "--out", "out"], "Nothing is published as 'churn'"),
        (["verify", "churn"], "Nothing is published"),
        (["verify", "bad name"], "not a valid name"),
        (["verify", "churn", "--at", "file:///nonexistent"], "Nothing is published"),
        (["push", "churn", "--to", "memory://x"], "Nothing is published"),
    ],
    ids=[
        "failed-run",
        "bad-name",
        "bad-alias",
        "number-alias",
        "unknown-run",
        "unknown-protocol",
        "versions-unknown",
        "alias-unknown",
        "get-unknown",
        "verify-unknown",
        "verify-bad-name",
        "verify-at-empty",
        "push-unknown",
    ],
)
def test_bad_requests_exit_2_and_change_nothing(
    project: Path, runs: dict[str, str], args: list[str], message: str
) -> None:
    before = index_rows(project), objects(project)
    done = greenhouse(*(a.format(**runs) for a in args), cwd=project)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert (index_rows(project), objects(project)) == before
    assert not (project / "out").exists()


def test_alias_points_and_moves(project: Path, runs: dict[str, str]) -> None:
    for _ in range(2):
        ok("publish", runs["succeeded"], "--name", "churn", cwd=project)
    assert ok("alias", "churn@1", "production", cwd=project).stdout.strip() == (
        "churn@production -> churn@1"
    )
    ok("alias", "churn@2", "production", cwd=project)
    ok("alias", "churn@production", "canary", cwd=project)
    listed = as_json("versions", "churn", cwd=project)
    assert [v["aliases"] for v in listed] == [[], ["canary", "production"]]
    assert greenhouse("alias", "churn@7", "production", cwd=project).returncode == 2


def test_alias_changes_keep_their_history(project: Path, runs: dict[str, str]) -> None:
    for _ in range(2):
        ok("publish", runs["succeeded"], "--name", "churn", cwd=project)
    ok("alias", "churn@1", "production", "--reason", "first model", cwd=project)
    moved = ok("alias", "churn@2", "production", "--reason", "better score", cwd=project)
    assert moved.stdout.strip() == "churn@production -> churn@2 (moved from version 1)"
    same = as_json("alias", "churn@2", "production", cwd=project)
    assert same["change"] is None and same["version"]["number"] == 2
    removed = as_json("alias", "--remove", "churn", "production", cwd=project)
    assert (removed["action"], removed["from_number"], removed["to_number"]) == ("removed", 2, None)

    table = ok("alias", "--history", "churn", cwd=project).stdout.splitlines()
    assert table[0].split() == ["WHEN", "(UTC)", "ALIAS", "CHANGE", "FROM", "TO", "BY", "REASON"]
    assert [line.split()[3:6] for line in table[1:]] == [
        ["set", "-", "1"],
        ["moved", "1", "2"],
        ["removed", "2", "-"],
    ]
    assert table[2].endswith("better score")
    history = as_json("alias", "--history", "churn", cwd=project)
    assert [e["reason"] for e in history["events"]] == ["first model", "better score", None]
    assert history["current"] == {}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["alias", "churn@1"], "Missing ALIAS"),
        (["alias", "--history", "churn", "production"], "--history takes only NAME"),
        (["alias", "--remove", "churn", "canary"], "has no alias 'canary' to remove"),
        (["alias", "churn@1", "production", "--reason", " "], "The reason is empty"),
        (["alias", "--history", "chrun"], "Nothing is published as 'chrun'"),
    ],
    ids=["no-alias", "history-extra", "remove-unknown", "empty-reason", "history-unknown"],
)
def test_alias_mistakes_exit_2_and_change_nothing(
    project: Path, runs: dict[str, str], args: list[str], said: str
) -> None:
    ok("publish", runs["succeeded"], "--name", "churn", "--alias", "production", cwd=project)
    before = index_rows(project)
    done = greenhouse(*args, cwd=project)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
    assert index_rows(project) == before


def test_get_writes_files_matching_the_manifest(project: Path, runs: dict[str, str]) -> None:
    ok("publish", runs["succeeded"], "--name", "churn", "--alias", "production", cwd=project)
    ok("get", "churn@production", "--out", "release", cwd=project)
    out = project / "release"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == FILES
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["id"] == runs["succeeded"]
    for entry in manifest["files"]:
        assert sha256(out / entry["path"]) == entry["sha256"]
        assert (out / entry["path"]).stat().st_size == entry["size"]

    clash = project / "clash"
    clash.mkdir()
    (clash / "report.html").write_text("mine")
    done = greenhouse("get", "churn", "--out", "clash", cwd=project)
    assert done.returncode == 2 and "report.html" in done.stderr
    assert [p.name for p in clash.iterdir()] == ["report.html"]
    assert (clash / "report.html").read_text() == "mine"


def test_verify_catches_a_flipped_byte_and_a_missing_file(
    project: Path, runs: dict[str, str]
) -> None:
    version = as_json("publish", runs["succeeded"], "--name", "churn", cwd=project)
    intact = f"churn@1 intact: {len(version['files'])} files match the manifest\n"
    assert ok("verify", "churn@1", cwd=project).stdout == intact
    report = next(f for f in version["files"] if f["path"] == "report.html")
    flip_byte(object_file(project, report["sha256"]))
    done = greenhouse("verify", "churn", cwd=project)
    assert done.returncode == 1
    files = len(version["files"])
    assert done.stdout.startswith(
        f"churn@1 damaged: 1 of {files + 1} files (the manifest and the {files} it lists)\n"
    )
    assert "changed  report.html" in done.stdout
    object_file(project, version["manifest_sha256"]).unlink()
    result = json.loads(greenhouse("verify", "churn@1", "--json", cwd=project).stdout)
    assert result["ok"] is False
    assert sorted((p["path"], p["problem"]) for p in result["problems"]) == [
        ("manifest.json", "missing"),
        ("report.html", "changed"),
    ]


def test_publish_to_a_folder_then_verify_the_copy(project: Path, runs: dict[str, str]) -> None:
    url = (project / "shared").as_uri()
    done = ok(
        "publish",
        runs["succeeded"],
        "--name",
        "churn",
        "--alias",
        "production",
        "--to",
        url,
        cwd=project,
    )
    assert f"copied to  {url}/churn/1" in done.stdout
    copy = project / "shared" / "churn"
    index = json.loads((copy / "index.json").read_text())
    assert [v["number"] for v in index["versions"]] == [1] and index["aliases"] == {"production": 1}
    listed = sorted(p.relative_to(copy / "1").as_posix() for p in (copy / "1").rglob("*"))
    assert [p for p in listed if "." in p] == sorted([*FILES, "version.json"])
    assert ok("verify", "churn@production", "--at", url, cwd=project).stdout.startswith(
        "churn@1 intact"
    )
    flip_byte(copy / "1" / "files" / "table.csv")
    damaged = greenhouse("verify", "churn", "--at", url, cwd=project)
    assert damaged.returncode == 1 and "changed  files/table.csv" in damaged.stdout
    assert ok("push", "churn@1", "--to", url, cwd=project).stdout.strip() == f"{url}/churn/1"
    assert greenhouse("verify", "churn", "--at", url, cwd=project).returncode == 0
    refused = greenhouse("push", "churn@1", "--to", "nosuch://x", cwd=project)
    assert refused.returncode == 2 and "nosuch" in refused.stderr


def test_report_renders_offline(project: Path, runs: dict[str, str]) -> None:
    ok("publish", runs["succeeded"], "--name", "churn", cwd=project)
    ok("get", "churn", "--out", "release", cwd=project)
    html = (project / "release" / "report.html").read_text()
    for needle in ("cdnjs", "unpkg", "jsdelivr", "<script src", "@import"):
        assert needle not in html
    assert "<h1>churn</h1>" in html and "<th>score</th><td>1.5</td>" in html


def test_concurrent_publishes_get_consecutive_numbers(project: Path, runs: dict[str, str]) -> None:
    count = 6
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "greenhouse_ext",
                "publish",
                runs["succeeded"],
                "--name",
                "churn",
                "--json",
            ],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "GREENHOUSE_STORE"},
        )
        for _ in range(count)
    ]
    numbers = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        numbers.append(json.loads(out)["number"])
    assert sorted(numbers) == list(range(1, count + 1))
    listed = as_json("versions", "churn", cwd=project)
    assert [v["number"] for v in listed] == list(range(1, count + 1))
    assert len({v["manifest_sha256"] for v in listed}) == count
    assert all(greenhouse("verify", f"churn@{n}", cwd=project).returncode == 0 for n in (1, count))


def test_help_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "greenhouse_ext", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("publish", "versions", "alias", "get", "push", "verify"):
        assert command in done.stdout
