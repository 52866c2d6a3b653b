"""Real-kernel tests of one run: values, metrics, files, provenance, secrets and failures."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from notebooks import write_notebook

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.execution.execute import check_kernel, execute, prepare
from greenhouse_ext.models import RunStatus

RUN_BUDGET_S = 8.0
"""A whole-run timeout long enough for a kernel to start on a busy machine."""
PARAMS = 'alpha = 1  # how much\nname = "x"\ntoken = ""  # API token | secret'


def test_run_records_values_metrics_timings_and_provenance(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        PARAMS,
        "from greenhouse_ext import record\nrecord('double', alpha * 2)\nrecord('name', name)",
        "print('done')",
    )
    job = prepare(nb, {}, text_values={"alpha": "21"}, project_root=tmp_path)
    progress: list[tuple[int, int, int | None]] = []
    execution = execute(job, on_progress=lambda *a: progress.append(a))
    run = execution.run

    assert run.status is RunStatus.SUCCEEDED
    assert run.error is None
    assert run.notebook == "nb.ipynb"
    assert run.parameters == {"alpha": 21}
    assert run.metrics == {"double": 42, "name": "x"}
    assert [t.cell_index for t in run.timings] == [0, 1, 2]
    assert progress[0] == (0, 4, 0) and progress[-1] == (4, 4, None)
    assert run.duration_s is not None and run.duration_s > 0
    assert run.started_at and run.finished_at and run.finished_at >= run.started_at
    prov = run.provenance
    assert prov is not None
    assert prov.kernel == "python3"
    assert prov.python.startswith("3.")
    assert "papermill" in prov.packages and "greenhouse-ext" in prov.packages
    assert len(prov.packages_sha256) == 64
    assert prov.host and prov.user and prov.greenhouse_version and prov.papermill_version
    executed = json.loads(execution.output or b"{}")
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"]["tags"]]
    assert len(injected) == 1 and "alpha = 21" in "".join(injected[0]["source"])
    assert execution.source == nb.read_bytes()


def test_source_hash_ignores_outputs(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "a = 1", "a")
    first = execute(prepare(nb, {})).run
    data = json.loads(nb.read_text())
    data["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    data["cells"][1]["execution_count"] = 7
    nb.write_text(json.dumps(data))
    second = execute(prepare(nb, {})).run
    assert first.provenance and second.provenance
    assert first.provenance.source_sha256 == second.provenance.source_sha256


def test_kernel_runs_in_notebook_folder_without_moving_the_caller(tmp_path: Path) -> None:
    folder = tmp_path / "project" / "analysis"
    nb = write_notebook(
        folder / "nb.ipynb",
        None,
        "import os\nfrom greenhouse_ext import record\nrecord('cwd', os.getcwd())",
    )
    before = os.getcwd()
    run = execute(prepare(nb, {})).run
    assert os.getcwd() == before
    assert run.metrics["cwd"] == str(folder.resolve())


@pytest.mark.parametrize(
    ("cell", "timeout", "reason", "ename", "evalue"),
    [
        ("raise ValueError('boom')", None, "exception", "ValueError", "boom"),
        ("import time\ntime.sleep(60)", 2, "timeout", "CellTimeoutError", "2 seconds"),
        ("import os\nos._exit(3)", None, "kernel died", "DeadKernelError", "died"),
    ],
    ids=["exception", "timeout", "dead-kernel"],
)
def test_failures_are_recorded_with_reason_and_cell(
    tmp_path: Path, cell: str, timeout: float | None, reason: str, ename: str, evalue: str
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "a = 1", "print('before')", cell, "print('never')")
    execution = execute(prepare(nb, {}, timeout=timeout))
    run = execution.run
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert (run.error.reason, run.error.ename, run.error.cell_index) == (reason, ename, 2)
    assert evalue in (run.error.evalue or "")
    executed = json.loads(execution.output or b"{}")
    by_source = {"".join(c["source"]): c for c in executed["cells"] if c["cell_type"] == "code"}
    assert by_source["print('before')"]["outputs"][0]["text"] == ["before\n"]
    assert by_source["print('never')"]["outputs"] == []
    assert by_source[cell]["metadata"]["papermill"]["status"] == "failed"


def test_a_run_over_its_whole_run_timeout_fails_and_its_kernel_stops(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        "a = 1",
        "import os, pathlib\npathlib.Path('kernel.pid').write_text(str(os.getpid()))\n"
        "print('before')",
        "import time\ntime.sleep(600)",
        "print('never')",
    )
    started = time.monotonic()

    execution = execute(prepare(nb, {}, timeout=300, timeout_run=RUN_BUDGET_S))

    assert time.monotonic() - started < RUN_BUDGET_S + 30
    run = execution.run
    assert (run.status, run.timeout, run.timeout_run) == (RunStatus.FAILED, 300, RUN_BUDGET_S)
    assert run.error is not None
    assert (run.error.reason, run.error.ename, run.error.cell_index) == (
        "whole-run timeout",
        "RunTimeoutError",
        2,
    )
    assert f"whole-run timeout of {RUN_BUDGET_S:g} s" in (run.error.evalue or "")
    executed = json.loads(execution.output or b"{}")
    outputs = [cell["outputs"] for cell in executed["cells"] if cell["cell_type"] == "code"]
    assert [output["text"] for output in outputs[1]] == [["before\n"]]
    assert outputs[3] == []
    kernel = int((tmp_path / "kernel.pid").read_text())
    deadline = time.monotonic() + 30
    while _running(kernel):
        assert time.monotonic() < deadline, "the kernel outlived the run's timeout"
        time.sleep(0.2)


def test_a_whole_run_timeout_spent_before_a_cell_stops_the_run_there(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", "a = 1", "print('never')")

    run = execute(prepare(nb, {}, timeout_run=0.001)).run

    assert run.status is RunStatus.FAILED and run.timings[0].cell_index == 0
    assert run.error is not None
    assert (run.error.reason, run.error.cell_index) == ("whole-run timeout", 0)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie awaiting its parent counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_secret_value_reaches_kernel_but_never_a_record(tmp_path: Path) -> None:
    secret = "s3cr3t-Value-42"
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        PARAMS,
        "from greenhouse_ext import record\nrecord('token_length', len(token))\n"
        "print('token is', token)",
        "raise RuntimeError('bad token ' + token)",
    )
    execution = execute(prepare(nb, {"token": secret}))
    run = execution.run
    assert run.metrics == {"token_length": len(secret)}
    assert run.parameters["token"] == "***"
    assert run.error is not None and "***" in (run.error.evalue or "")
    for blob in (execution.output or b"", json.dumps(run.to_dict()).encode()):
        assert secret.encode() not in blob
    assert b"token is ***" in (execution.output or b"")


def test_record_file_keeps_the_bytes_as_they_were_when_recorded(tmp_path: Path) -> None:
    """A later write to the path (here by the notebook itself; in a sweep by another run
    working in the same folder) never changes what the run keeps."""
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        None,
        "from greenhouse_ext import record_file\n"
        "open('out.txt', 'w').write('hello')\nrecord_file('out.txt')",
        "open('out.txt', 'w').write('another run wrote this')",
    )
    execution = execute(prepare(nb, {}))
    [entry] = execution.run.files
    assert entry.name == "out.txt"
    assert entry.sha256 == hashlib.sha256(b"hello").hexdigest() and entry.size == 5
    assert execution.files == {"out.txt": b"hello"}
    [payload] = [
        output["data"]["application/vnd.greenhouse.file+json"]
        for cell in json.loads(execution.output or b"{}")["cells"]
        for output in cell.get("outputs", [])
        if "application/vnd.greenhouse.file+json" in output.get("data", {})
    ]
    assert set(payload) == {"name", "path", "sha256", "size"}


def test_declared_inputs_are_hashed(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", None, "1")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    run = execute(prepare(nb, {}, inputs=["data.csv"])).run
    assert run.provenance is not None
    [item] = run.provenance.inputs
    assert (item.path, item.size) == ("data.csv", 8)
    assert item.sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_git_state_is_recorded(tmp_path: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    nb = write_notebook(tmp_path / "nb.ipynb", None, "1")
    for args in (["init", "-q", "-b", "main"], ["add", "nb.ipynb"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env=env)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    run = execute(prepare(nb, {})).run
    assert run.provenance is not None
    assert run.provenance.git == {
        "commit": commit,
        "branch": "main",
        "dirty": False,
        "notebook": "clean",
        "inputs": {},
    }


@pytest.mark.parametrize(
    ("values", "text_values", "inputs", "timeouts", "expected"),
    [
        ({"nope": 1}, {}, [], {}, "nope"),
        ({}, {"alpha": "many"}, [], {}, "alpha"),
        ({"alpha": "2"}, {}, [], {}, "alpha"),
        ({}, {}, ["missing.csv"], {}, "missing.csv"),
        ({}, {}, [], {"timeout": -1.0}, "timeout must be a positive number of seconds"),
        ({}, {}, [], {"timeout_run": 0.0}, "timeout_run must be a positive number"),
    ],
    ids=["unknown", "bad-text", "bad-type", "missing-input", "bad-timeout", "bad-timeout-run"],
)
def test_prepare_rejects_bad_input_before_any_kernel(
    tmp_path: Path,
    values: dict[str, object],
    text_values: dict[str, str],
    inputs: list[str],
    timeouts: dict[str, float],
    expected: str,
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", PARAMS, "1")
    with pytest.raises(InvalidInput) as caught:
        prepare(nb, values, text_values=text_values, inputs=inputs, **timeouts)  # type: ignore[arg-type]
    assert expected in str(caught.value)


def test_all_value_problems_are_reported_together(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", PARAMS, "1")
    with pytest.raises(InvalidInput) as caught:
        prepare(nb, {"nope": 1}, text_values={"alpha": "many", "2bad": "x"})
    assert len(caught.value.problems) == 3
    for name in ("nope", "alpha", "2bad", "name"):
        assert name in caught.value.message


@pytest.mark.parametrize(
    ("content", "error"),
    [(None, NotFound), ("not json", InvalidInput), ('{"cells": 3}', InvalidInput)],
    ids=["missing", "not-json", "no-cells"],
)
def test_prepare_rejects_bad_notebooks(
    tmp_path: Path, content: str | None, error: type[Exception]
) -> None:
    path = tmp_path / "nb.ipynb"
    if content is not None:
        path.write_text(content)
    with pytest.raises(error):
        prepare(path, {})


def test_short_secret_never_corrupts_output_structure(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", PARAMS, "print('t is', token)")
    execution = execute(prepare(nb, {"token": "t"}))
    executed = json.loads(execution.output or b"{}")
    [output] = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert output["output_type"] == "stream" and output["name"] == "stdout"
    assert "".join(output["text"]) == "*** is ***\n"


def test_log_output_copies_cell_output_with_secrets_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", PARAMS, "print('visible', token)")
    execute(prepare(nb, {"token": "hush-hush"}), log_output=True)
    assert "visible ***" in capsys.readouterr().out


def test_check_kernel_names_the_installed_kernels() -> None:
    assert check_kernel("python3") == "python3"
    with pytest.raises(InvalidInput, match=r"No kernel named 'no-such-kernel'.*python3"):
        check_kernel("no-such-kernel")
