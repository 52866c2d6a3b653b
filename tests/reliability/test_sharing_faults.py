"""Sharing, probed again: every object a record names travels with it on push and pull, two
writers of one version number at a location never both win, and ``open`` hands back
the stored notebook itself."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from faults import Ledger, greenhouse
from notebooks import write_notebook

from greenhouse_ext.artefacts.locations import Location
from greenhouse_ext.artefacts.reproduce import reproduction_of
from greenhouse_ext.store import Store

FILES = 150
"""Files the run captures: enough that copying a version takes a while, so two copies overlap."""
BODY = (
    "from pathlib import Path\n"
    "from greenhouse_ext import record, record_file\n"
    "record('score', epochs * 0.5)\n"
    "for i in range(files):\n"
    "    Path(f'part{i}.txt').write_text(f'part {i} of epoch {epochs}\\n' * 200)\n"
    "    record_file(f'part{i}.txt', f'parts/part{i}.txt')"
)
RACES = {"folder": 6, "s3": 3}
"""Rounds of racing pushes per kind of location (an S3 round is slower, each file a request)."""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``greenhouse`` in ``cwd``, asserting that it exits 0."""
    return greenhouse(*args, cwd=cwd, check=True)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A project with a real run and a real reproduction of it: (folder, run id, re-run id)."""
    folder = tmp_path_factory.mktemp("sharing")
    (folder / ".git").mkdir()
    (folder / ".greenhouse").mkdir()
    write_notebook(folder / "train.ipynb", f"epochs = 3\nfiles = {FILES}", BODY)
    run_id = json.loads(cli("run", "train.ipynb", "--json", cwd=folder).stdout)["id"]
    rerun_id = json.loads(cli("reproduce", run_id, "--json", cwd=folder).stdout)["rerun_id"]
    return folder, run_id, rerun_id


def copy_project(recorded: tuple[Path, str, str], target: Path) -> Path:
    shutil.copytree(recorded[0], target)
    return target


def with_team_store(project: Path, team: Path) -> Path:
    """Make ``project`` use the folder store ``team`` as its team store; return ``team``."""
    team.mkdir(exist_ok=True)
    cli("store", "init", "--index", f"sqlite:///{team}/index.sqlite", "--objects",
        str(team / "objects"), cwd=project)  # fmt: skip
    return team


def object_file(store_root: Path, digest: str) -> Path:
    return store_root / "objects" / digest[:2] / digest[2:]


def test_push_and_pull_carry_a_reproductions_comparison_and_push_repairs_lost_objects(
    recorded: tuple[Path, str, str], tmp_path: Path, ledger: Ledger
) -> None:
    """Issue 22, item 8: the re-run's comparison object was left behind by push and pull."""
    _, run_id, rerun_id = recorded
    mine = copy_project(recorded, tmp_path / "mine")
    team = with_team_store(mine, tmp_path / "team")
    local = Store.open(mine / ".greenhouse", local=True)
    expected = reproduction_of(local, rerun_id)

    first = cli("push", "--json", cwd=mine)
    assert sorted(json.loads(first.stdout)["runs_copied"]) == sorted([run_id, rerun_id])
    shared = Store(team)
    try:
        pushed = reproduction_of(shared, rerun_id)
    except Exception as exc:  # the old code: "The store has no object ..."
        pushed = {"error": str(exc)}
    ledger.add("sharing", "push carries a reproduction's comparison", pushed == expected)
    assert pushed == expected

    lost = [local.get_run(rerun_id).reproduction, local.get_run(run_id).output_object]
    for digest in lost:
        assert digest is not None
        object_file(team, digest).unlink()
    again = json.loads(cli("push", "--json", cwd=mine).stdout)
    repaired = (
        again["runs_present"] == 2
        and again["objects_copied"] == len(lost)
        and all(shared.has_object(d) for d in lost)
    )
    ledger.add("sharing", "a second push restores objects the team store lost", repaired)
    assert repaired, again
    assert reproduction_of(shared, rerun_id) == expected

    theirs = tmp_path / "theirs"
    (theirs / ".git").mkdir(parents=True)
    with_team_store(theirs, team)
    cli("pull", cwd=theirs)
    pulled_store = Store.open(theirs / ".greenhouse", local=True)
    try:
        pulled = reproduction_of(pulled_store, rerun_id)
    except Exception as exc:
        pulled = {"error": str(exc)}
    ledger.add("sharing", "pull carries a reproduction's comparison", pulled == expected)
    assert pulled == expected


def publish_copy(recorded: tuple[Path, str, str], target: Path) -> tuple[Path, str]:
    """A copy of the project with the run published as ``model@1``: (folder, manifest sha256)."""
    project = copy_project(recorded, target)
    done = cli("publish", recorded[1], "--name", "model", "--json", cwd=project)
    return project, json.loads(done.stdout)["manifest_sha256"]


def race(projects: list[Path], location: str) -> list[tuple[int, str]]:
    """Start ``greenhouse push model@1 --to location`` in every project at once: (exit, stderr)."""
    command = [sys.executable, "-m", "greenhouse_ext", "push", "model@1", "--to", location]
    processes = [
        subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for project in projects
    ]
    return [(p.wait(timeout=240), p.communicate()[1].decode()) for p in processes]


@pytest.fixture(params=["folder", "s3"])
def shelves(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """New locations of one kind: local folders, or a bucket on a real (moto) S3 server."""
    rounds = range(RACES[request.param])
    if request.param == "folder":
        return [str(tmp_path / f"shelf{round_}") for round_ in rounds]
    s3 = request.getfixturevalue("s3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint_url)
    bucket = s3.bucket()
    return [f"s3://{bucket}/shelf{round_}" for round_ in rounds]


def test_two_pushes_of_one_number_to_a_location_never_both_win(
    recorded: tuple[Path, str, str],
    tmp_path: Path,
    shelves: list[str],
    ledger: Ledger,
) -> None:
    """Issue 22, item 9: two stores' ``model@1`` raced to one location, and both "won".

    Each round starts two real ``greenhouse push model@1 --to`` processes at once, from
    two stores whose ``model@1`` differ, at a new location.
    """
    contenders = [publish_copy(recorded, tmp_path / name) for name in ("a", "b")]
    outcomes = []
    for url in shelves:
        results = race([project for project, _ in contenders], url)
        winners = [contenders[i][1] for i, (code, _) in enumerate(results) if code == 0]
        losers = [err for code, err in results if code != 0]
        checked = greenhouse("verify", "model@1", "--at", url, cwd=tmp_path)
        location = Location(url)
        index = json.loads(location.read("model", "index.json") or b"{}")
        manifest = location.read("model", "1", "manifest.json") or b""
        held = (
            len(winners) == 1
            and all("already holds a different version" in err for err in losers)
            and [code for code, _ in results].count(2) == 1
            and checked.returncode == 0
            and index["versions"][0]["manifest_sha256"] == winners[0]
            and hashlib.sha256(manifest).hexdigest() == winners[0]
        )
        ledger.add("sharing", "racing pushes of one number: one wins, intact", held)
        outcomes.append((held, [code for code, _ in results], checked.stdout))
    assert all(held for held, _, _ in outcomes), outcomes


def test_open_hands_back_the_stored_notebook_read_only(
    recorded: tuple[Path, str, str], tmp_path: Path, ledger: Ledger
) -> None:
    """Issue 22, item 12: ``open`` handed back whatever file sat at the checkout path."""
    _, run_id, _ = recorded
    project = copy_project(recorded, tmp_path / "project")
    run = Store.open(project / ".greenhouse", local=True).get_run(run_id)
    for flags, digest in (((), run.output_object), (("--source",), run.source_object)):
        opened = Path(cli("open", run_id, *flags, cwd=project).stdout.strip())
        read_only = opened.stat().st_mode & 0o777 == 0o444
        ledger.add("sharing", "open writes a read-only checkout", read_only)
        opened.chmod(0o644)
        opened.write_text(opened.read_text().replace("epochs", "EDITED"))
        again = Path(cli("open", run_id, *flags, cwd=project).stdout.strip())
        fresh = (
            again == opened
            and hashlib.sha256(again.read_bytes()).hexdigest() == digest
            and again.stat().st_mode & 0o777 == 0o444
        )
        ledger.add("sharing", "open writes an edited checkout afresh", fresh)
        assert read_only and fresh, (flags, oct(again.stat().st_mode))
