"""Git that understands notebooks after `greenhouse init`: real repositories, real merges.

Notebooks are re-executed with nbclient in a real ``python3`` kernel; their cells print a
random value, so every re-execution changes every output and execution count, as it does
for a user. By default no cell timings are recorded, as JupyterLab does unless its "record
cell timing" setting is on; nbclient's own default (as nbconvert's and papermill's) records
them in each cell's metadata, which one test does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from faults import greenhouse
from notebooks import write_notebook
from repos import git, isolate_git, new_repo

CELLS = (
    "import uuid\nprint('first', uuid.uuid4())",
    "print('second', uuid.uuid4())",
    "print('third', uuid.uuid4())",
)


def execute(path: Path, passes: int = 1, record_timing: bool = False) -> None:
    """Re-run every cell of the notebook at ``path`` in a fresh kernel and save it.

    ``passes`` runs of all the cells in one kernel: the saved execution counts are those
    of the last pass, so two passes give other counts than one.
    """
    import nbclient

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=60, record_timing=record_timing
    )
    with client.setup_kernel():
        for _ in range(passes):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    nbformat.write(nb, path)


def edit(path: Path, index: int, source: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[index].source = source
    nbformat.write(nb, path)


def make_project(root: Path, *options: str, record_timing: bool = False) -> Path:
    """A repository after `greenhouse init OPTIONS`, with an executed notebook committed."""
    repo = new_repo(root)
    greenhouse("init", *options, cwd=repo, check=True)
    write_notebook(repo / "analysis.ipynb", None, *CELLS)
    execute(repo / "analysis.ipynb", record_timing=record_timing)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "base", cwd=repo)
    return repo


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_git(monkeypatch, tmp_path / "home")
    return make_project(tmp_path / "project")


def diverge(
    repo: Path, ours: tuple[int, str], theirs: tuple[int, str], record_timing: bool = False
) -> None:
    """Branch ``theirs`` edits one cell, main another; each re-executes the whole notebook."""
    notebook = repo / "analysis.ipynb"
    git("checkout", "-q", "-b", "theirs", cwd=repo)
    edit(notebook, *theirs)
    execute(notebook, passes=2, record_timing=record_timing)
    git("commit", "-q", "-am", "theirs", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    edit(notebook, *ours)
    execute(notebook, record_timing=record_timing)
    git("commit", "-q", "-am", "ours", cwd=repo)


def test_branches_editing_different_cells_and_re_executing_merge_cleanly(
    project: Path, tmp_path: Path, ledger
) -> None:
    """A plain `git merge` succeeds, both edits kept; the outputs both branches changed in
    the cell neither edited are dropped, not marked (nbdime keeps an edited cell's outputs
    from the branch that edited it). The same merge in a clone without the drivers (the
    control: git's text merge) conflicts inside the JSON."""
    diverge(project, ours=(2, "print('third, edited on main')"), theirs=(0, "import uuid"))
    control = tmp_path / "control"
    git("clone", "-q", str(project), str(control), cwd=tmp_path)
    text_merge = git("merge", "--no-edit", "origin/theirs", cwd=control, check=False)
    merged = git("merge", "--no-edit", "theirs", cwd=project, check=False)
    nb = nbformat.read(project / "analysis.ipynb", as_version=4)
    nbformat.validate(nb)
    held = (
        text_merge.returncode != 0
        and merged.returncode == 0
        and [c.source for c in nb.cells]
        == ["import uuid", CELLS[1], "print('third, edited on main')"]
        and [c.id for c in nb.cells] == ["cell-0", "cell-1", "cell-2"]
        and nb.cells[1].outputs == []
        and not any("nbdime-conflicts" in c.metadata for c in nb.cells)
        and not git("status", "--porcelain", cwd=project).stdout
    )
    ledger.add("git", "branches that both re-executed merge cleanly", held)
    assert held, (text_merge.stdout, merged.stdout + merged.stderr, nb.cells)


def test_with_stripping_branches_that_recorded_cell_timings_merge_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger
) -> None:
    """Cell timings (nbclient's default) that both branches changed are metadata nbdime's
    driver marks as a conflict; nbstripout's filter keeps them out of the commits."""
    isolate_git(monkeypatch, tmp_path / "home")
    repo = make_project(tmp_path / "project", "--strip-outputs", record_timing=True)
    ours, theirs = (2, "print('third, edited on main')"), (0, "import uuid")
    diverge(repo, ours, theirs, record_timing=True)
    merged = git("merge", "--no-edit", "theirs", cwd=repo, check=False)
    committed = nbformat.reads(git("show", "HEAD:analysis.ipynb", cwd=repo).stdout, 4)
    nbformat.validate(committed)
    held = merged.returncode == 0 and [c.source for c in committed.cells] == [
        "import uuid",
        CELLS[1],
        "print('third, edited on main')",
    ]
    ledger.add("git", "with stripping, branches that recorded timings merge cleanly", held)
    assert held, merged.stdout + merged.stderr


def test_the_same_cell_edited_on_both_branches_is_a_cell_conflict_in_valid_json(
    project: Path, ledger
) -> None:
    diverge(project, ours=(1, "print('main says')"), theirs=(1, "print('theirs says')"))
    merged = git("merge", "--no-edit", "theirs", cwd=project, check=False)
    text = (project / "analysis.ipynb").read_text()
    json.loads(text)
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    conflicted = nb.cells[1].source
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=project).stdout.split()
    held = (
        merged.returncode == 1
        and unmerged == ["analysis.ipynb"]
        and conflicted.startswith("<<<<<<< local\nprint('main says')\n=======\n")
        and "print('theirs says')\n>>>>>>> remote" in conflicted
        and [nb.cells[0].source, nb.cells[2].source] == [CELLS[0], CELLS[2]]
    )
    ledger.add("git", "one cell edited on both branches: cell conflict, valid JSON", held)
    assert held, (merged.stdout, conflicted)


@pytest.mark.parametrize("options", [(), ("--strip-outputs",)], ids=["drivers", "stripping"])
def test_git_diff_of_a_notebook_is_nbdimes(project: Path, options: tuple[str, ...], ledger) -> None:
    greenhouse("init", *options, cwd=project, check=True)
    edit(project / "analysis.ipynb", 1, "print('second, edited')")
    shown = git("diff", "analysis.ipynb", cwd=project).stdout
    held = (
        shown.startswith("nbdiff ")
        and "## modified /cells/1/source:" in shown
        and '"cell_type"' not in shown
    )
    ledger.add("git", f"git diff shows nbdime's diff ({'+'.join(options) or 'drivers'})", held)
    assert held, shown


def test_strip_outputs_commits_notebooks_without_outputs_keeping_cell_ids(
    project: Path, ledger
) -> None:
    greenhouse("init", "--strip-outputs", cwd=project, check=True)
    notebook = project / "analysis.ipynb"
    edit(notebook, 2, "print('third, re-run')")
    execute(notebook)
    git("add", "analysis.ipynb", cwd=project)
    staged = json.loads(git("show", ":analysis.ipynb", cwd=project).stdout)
    kept = nbformat.read(notebook, as_version=4)
    held = (
        ["".join(c["source"]) for c in staged["cells"]]
        == [CELLS[0], CELLS[1], "print('third, re-run')"]
        and all(c["outputs"] == [] and c["execution_count"] is None for c in staged["cells"])
        and [c["id"] for c in staged["cells"]] == ["cell-0", "cell-1", "cell-2"]
        and all(c.outputs for c in kept.cells)
    )
    ledger.add("git", "--strip-outputs: notebooks committed without outputs", held)
    assert held, staged


def test_the_pre_commit_hook_checks_staged_notebooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger
) -> None:
    """The hook is added after the project's own (comments kept) and runs offline."""
    isolate_git(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    repo = new_repo(tmp_path / "project")
    config = (
        "# checks run before each commit\nrepos:\n  # the project's own\n  - repo: local\n"
        "    hooks:\n      - id: no-op\n        name: no-op\n        entry: 'true'\n"
        "        language: system\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(config)
    write_notebook(repo / "good.ipynb", "n: int = 3  # how many", "print(n)")
    greenhouse("init", cwd=repo, check=True)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "base", cwd=repo)
    passed = pre_commit("run", "--all-files", cwd=repo)
    write_notebook(repo / "bad.ipynb", 'n: int = "abc"', "print(n)")
    git("add", "bad.ipynb", cwd=repo)
    failed = pre_commit("run", cwd=repo)
    held = (
        (repo / ".pre-commit-config.yaml").read_text().startswith(config)
        and passed.returncode == 0
        and "greenhouse params --check" in passed.stdout
        and failed.returncode == 1
        and "bad.ipynb: Line 1: the default does not fit the declaration" in failed.stdout
    )
    ledger.add("git", "the greenhouse-params pre-commit hook runs", held)
    assert held, (passed.stdout + passed.stderr, failed.stdout + failed.stderr)


def pre_commit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
