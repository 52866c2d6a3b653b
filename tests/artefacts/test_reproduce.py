"""Reproducing runs with real kernels: verdicts despite noise, secrets, inputs, sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from notebooks import write_notebook

from greenhouse_ext.artefacts.reproduce import reproduce, reproduction_of
from greenhouse_ext.errors import Conflict, InvalidInput, NotFound
from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.models import Run, RunStatus, Version
from greenhouse_ext.store import Store

NOISY_BUT_DETERMINISTIC = (
    "import datetime, time\n"
    "class Model: pass\n"
    "print(Model())\n"
    "print('started', datetime.datetime.now().isoformat())\n"
    "started = time.perf_counter()\n"
    "print(f'trained in {time.perf_counter() - started:.4f}s')\n"
    "Model()"
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / ".greenhouse")


def run_notebook(
    store: Store, path: Path, secrets: dict[str, str] | None = None, inputs: tuple[str, ...] = ()
) -> Run:
    job = prepare(path, {}, text_values=secrets, inputs=inputs, project_root=store.root.parent)
    return store.save_execution(execute(job))


def test_deterministic_notebook_reproduces_despite_noise(store: Store, tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "det.ipynb",
        "n = 3",
        NOISY_BUT_DETERMINISTIC,
        "from greenhouse_ext import record\nrecord('square', n * n)",
    )
    run = run_notebook(store, nb)
    store.add_version(
        Version(
            name="det",
            number=0,
            run_id=run.id,
            created_at=run.created_at,
            manifest_sha256=run.output_object or "",
            metrics=run.metrics,
        )
    )

    result = reproduce(store, "det@1")

    assert result.verdict == "reproducible", result.cells
    assert result.reproducible and result.reason is None
    assert result.cells == [] and result.metrics == {} and result.diff == []
    assert result.compared_cells == 3 and result.run_id == run.id and result.label == "det@1"
    rerun = store.get_run(result.rerun_id)
    assert rerun.id != run.id and rerun.status is RunStatus.SUCCEEDED
    assert rerun.notebook == run.notebook == "det.ipynb"
    assert rerun.parameters == run.parameters and rerun.metrics == {"square": 9}
    assert rerun.source_object == run.source_object
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".ipynb"] == ["det.ipynb"]
    executed = json.loads(store.get_object(run.output_object or ""))
    assert "0x" in json.dumps(executed["cells"][1]["outputs"])
    assert rerun.reproduces == run.id
    assert reproduction_of(store, rerun.id) == json.loads(json.dumps(result.to_dict()))


def test_only_a_finished_re_run_has_a_comparison(store: Store) -> None:
    plain = Run(
        id="plain0000001",
        notebook="nb.ipynb",
        status=RunStatus.SUCCEEDED,
        parameters={},
        created_at="2026-01-01T00:00:00",
    )
    rerun = Run(
        id="rerun0000001",
        notebook="nb.ipynb",
        status=RunStatus.RUNNING,
        parameters={},
        created_at="2026-01-01T00:00:01",
        reproduces=plain.id,
    )
    gone = Run(
        id="rerun0000002",
        notebook="nb.ipynb",
        status=RunStatus.INTERRUPTED,
        parameters={},
        created_at="2026-01-01T00:00:02",
        reproduces=plain.id,
    )
    for record in (plain, rerun, gone):
        store.save_run(record)

    with pytest.raises(NotFound, match="is not a re-run"):
        reproduction_of(store, plain.id)
    with pytest.raises(Conflict, match="is running: its comparison is there once it finishes"):
        reproduction_of(store, rerun.id)
    with pytest.raises(Conflict, match="ended interrupted before its outputs were compared"):
        reproduction_of(store, gone.id)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("import random\nprint(random.random())", "stdout"),
        ("import time\ntime.time()", "text/plain"),
    ],
    ids=["random", "time"],
)
def test_nondeterministic_cell_differs_and_is_named(
    store: Store, tmp_path: Path, source: str, what: str
) -> None:
    nb = write_notebook(tmp_path / "rnd.ipynb", None, "print('steady')", source, "1 + 1")
    run = run_notebook(store, nb)

    result = reproduce(store, run.id)

    assert result.verdict == "differs"
    assert result.reason == "1 of 3 code cells differ"
    [cell] = result.cells
    assert cell.index == 1 and cell.what == what
    assert cell.source == source.split("\n", maxsplit=1)[0]
    assert cell.before != cell.after and cell.before and cell.after
    [change] = result.diff
    assert change["key"] == "cells" and [c["key"] for c in change["diff"]] == [1]
    assert store.get_run(result.rerun_id).status is RunStatus.SUCCEEDED


def test_changed_metric_is_reported(store: Store, tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "m.ipynb",
        None,
        "import random\nfrom greenhouse_ext import record\nrecord('loss', random.random())",
    )
    run = run_notebook(store, nb)
    result = reproduce(store, run.id)
    assert list(result.metrics) == ["loss"]
    assert result.metrics["loss"][0] == run.metrics["loss"]
    [cell] = result.cells
    assert cell.what == "record" and cell.before.startswith("record('loss', ")


def test_changed_environment_is_reported_then_and_now(store: Store, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "env.ipynb", None, "print(6 * 7)")
    execution = execute(prepare(nb, {}, project_root=store.root.parent))
    recorded = execution.run.provenance
    assert recorded is not None
    kept, dropped = sorted(recorded.packages)[:2]
    recorded.python = "2.7.18"
    recorded.packages = {
        **{name: version for name, version in recorded.packages.items() if name != dropped},
        kept: "0.0.1",
        "a-package-since-removed": "1.0",
    }
    run = store.save_execution(execution)

    result = reproduce(store, run.id)

    now = store.get_run(result.rerun_id).provenance
    assert now is not None and result.verdict == "reproducible"
    environment = json.loads(json.dumps(result.to_dict()))["environment"]
    assert list(environment) == ["python", "packages"]
    assert environment["python"] == ["2.7.18", now.python]
    assert environment["packages"] == {
        "a-package-since-removed": ["1.0", None],
        dropped: [None, now.packages[dropped]],
        kept: ["0.0.1", now.packages[kept]],
    }


def test_secret_parameters_must_be_supplied_again(store: Store, tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "s.ipynb",
        'token = ""  # API token | secret\nsize = 2',
        "from greenhouse_ext import record\nrecord('token_length', len(token) * size)",
    )
    run = run_notebook(store, nb, {"token": "s3cret", "size": "5"})
    assert run.parameters == {"token": "***", "size": 5}

    with pytest.raises(InvalidInput, match="-p token VALUE"):
        reproduce(store, run.id)
    with pytest.raises(InvalidInput, match="size are re-used as recorded"):
        reproduce(store, run.id, {"token": "s3cret", "size": "6"})
    wrong = reproduce(store, run.id, {"token": "other-secret"})
    assert wrong.verdict == "differs" and wrong.metrics == {"token_length": [30, 60]}

    right = reproduce(store, run.id, {"token": "s3cret"})
    assert right.verdict == "reproducible"
    rerun = store.get_run(right.rerun_id)
    assert rerun.parameters == {"token": "***", "size": 5}
    assert b"s3cret" not in store.get_object(rerun.output_object or "")


def test_stored_source_is_used_after_the_file_changed(store: Store, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "e.ipynb", None, "print('original')")
    run = run_notebook(store, nb)
    write_notebook(nb, None, "print('edited since')")

    result = reproduce(store, run.id)

    assert result.verdict == "reproducible"
    assert store.get_run(result.rerun_id).source_object == run.source_object
    assert "edited since" in nb.read_text()


def test_changed_and_missing_inputs(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("3\n")
    nb = write_notebook(tmp_path / "i.ipynb", None, "print(int(open('data.csv').read()) * 2)")
    run = run_notebook(store, nb, inputs=("data.csv",))
    [recorded] = run.provenance.inputs if run.provenance else []

    data.write_text("4\n")
    changed = reproduce(store, run.id)
    assert changed.verdict == "differs"
    [change] = changed.inputs
    assert change.path == "data.csv" and change.recorded_sha256 == recorded.sha256
    assert change.current_sha256 not in (None, recorded.sha256)
    assert any("data.csv has changed" in w for w in changed.warnings)
    assert (changed.cells[0].before, changed.cells[0].after) == ("6", "8")

    data.unlink()
    missing = reproduce(store, run.id)
    assert missing.verdict == "differs"
    assert missing.inputs[0].current_sha256 is None
    assert missing.reason is not None and "FileNotFoundError" in missing.reason
    assert "the re-run failed" in missing.reason and "cell 1" in missing.reason
    assert store.get_run(missing.rerun_id).status is RunStatus.FAILED


def test_gone_folder_reruns_in_a_temporary_one(store: Store, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "gone" / "g.ipynb", None, "print(6 * 7)")
    run = run_notebook(store, nb)
    shutil.rmtree(nb.parent)

    result = reproduce(store, run.id)

    assert result.verdict == "reproducible"
    assert any("re-ran in a temporary folder" in w for w in result.warnings)


def test_references_that_cannot_be_reproduced(store: Store, tmp_path: Path) -> None:
    bad = write_notebook(tmp_path / "bad.ipynb", None, "raise ValueError('no')")
    failed = run_notebook(store, bad)
    assert failed.status is RunStatus.FAILED
    with pytest.raises(Conflict, match="only a succeeded run"):
        reproduce(store, failed.id)
    with pytest.raises(InvalidInput, match="is a notebook file"):
        reproduce(store, str(bad))
    with pytest.raises(NotFound):
        reproduce(store, "feedfacecafe")
    with pytest.raises(NotFound):
        reproduce(store, "nothing@1")
    with pytest.raises(InvalidInput):
        reproduce(store, "bad name@1")


def test_reproduce_reuses_the_runs_timeouts(store: Store, tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "slow.ipynb",
        "a = 1",
        "import pathlib, time\nif pathlib.Path('slow').exists():\n    time.sleep(600)",
    )
    job = prepare(nb, {}, timeout=3, timeout_run=90, project_root=store.root.parent)
    run = store.save_execution(execute(job))
    assert run.status is RunStatus.SUCCEEDED, run.error
    (tmp_path / "slow").write_text("")

    result = reproduce(store, run.id)

    rerun = store.get_run(result.rerun_id)
    assert (rerun.timeout, rerun.timeout_run) == (3, 90)
    assert rerun.error is not None and rerun.error.reason == "timeout"
    assert result.reason is not None and "(timeout in cell 2)" in result.reason
