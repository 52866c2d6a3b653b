"""Running a published version: its stored notebook and values, not the working copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from notebooks import write_notebook

from greenhouse_ext.artefacts import publish
from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.execution import (
    execute,
    names_file,
    prepare,
    prepare_version,
    version_filter,
)
from greenhouse_ext.models import SECRET_MASK, RunStatus, VersionRef
from greenhouse_ext.store import Store

PARAMETERS = 'epochs = 3  # int\ntoken = ""  # str | secret'
BODY = (
    "from pathlib import Path\n"
    "from greenhouse_ext import record\n"
    "record('score', epochs * 0.5)\n"
    "record('rows', len(Path('data.csv').read_text().splitlines()))\n"
    "record('token_length', len(token))"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose notebook ran with epochs=5 and is published as train@1 (production)."""
    folder = tmp_path_factory.mktemp("published")
    write_notebook(folder / "work" / "train.ipynb", PARAMETERS, BODY)
    (folder / "work" / "data.csv").write_text("a\n1\n")
    store = Store(folder / ".greenhouse")
    job = prepare(
        folder / "work" / "train.ipynb",
        {"epochs": 5, "token": "s3cret"},
        inputs=["data.csv"],
        project_root=folder,
    )
    run = store.save_execution(execute(job))
    assert run.status is RunStatus.SUCCEEDED, run.error
    publish(store, run.id, "train", aliases=["production"])
    store.close()
    return folder


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    """A copy of the project whose working notebook has changed since it was published."""
    target = tmp_path / "project"
    shutil.copytree(template, target)
    write_notebook(target / "work" / "train.ipynb", "rate = 0.1  # float", "raise SystemExit(1)")
    return target


@pytest.fixture
def store(project: Path) -> Store:
    return Store(project / ".greenhouse")


def test_a_version_runs_its_own_notebook_with_its_recorded_values(
    project: Path, store: Store
) -> None:
    """The working copy declares other parameters and fails: the stored source runs."""
    (project / "work" / "data.csv").write_text("a\n1\n2\n3\n")
    job = prepare_version(store, "train@production", {}, text_values={"token": "abc"})

    run = store.save_execution(execute(job))

    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.from_version == VersionRef("train", 1)
    assert run.notebook == "work/train.ipynb"
    assert run.parameters == {"epochs": 5, "token": SECRET_MASK}
    assert run.metrics == {"score": 2.5, "rows": 4, "token_length": 3}
    [data] = run.provenance.inputs
    assert (data.path, data.size) == ("data.csv", len("a\n1\n2\n3\n"))
    assert store.get_run(run.id).from_version == VersionRef("train", 1)
    assert sorted(p.name for p in (project / "work").iterdir()) == ["data.csv", "train.ipynb"]


def test_values_override_the_recorded_ones_and_inputs_add(project: Path, store: Store) -> None:
    (project / "work" / "more.csv").write_text("x\n")
    job = prepare_version(
        store,
        "train",
        {"epochs": 1},
        text_values={"epochs": "8", "token": "t"},
        inputs=["more.csv", "data.csv"],
    )

    assert job.parameters == {"epochs": 8, "token": "t"}
    assert [item.path for item in job.inputs] == ["data.csv", "more.csv"]
    assert job.from_version == VersionRef("train", 1)


@pytest.mark.parametrize(
    ("ref", "values", "text_values", "error", "words"),
    [
        ("train@1", {}, {}, InvalidInput, "secret parameter(s) token"),
        ("train@1", {}, {}, InvalidInput, "-p token VALUE"),
        ("train@1", {"rate": 0.5, "token": "t"}, {}, InvalidInput, "rate"),
        ("train@1", {}, {"epochs": "many", "token": "t"}, InvalidInput, "epochs"),
        ("train@2", {}, {"token": "t"}, NotFound, "'train' has no version 2"),
        ("train@staging", {}, {"token": "t"}, NotFound, "(aliases: production)"),
        ("trian", {}, {"token": "t"}, NotFound, "did you mean train?"),
        ("train@", {}, {"token": "t"}, InvalidInput, "not a valid alias"),
    ],
    ids=["secret", "secret-how", "unknown", "type", "number", "alias", "name", "empty-alias"],
)
def test_bad_requests_say_what_is_wrong(
    store: Store,
    ledger,
    ref: str,
    values: dict[str, object],
    text_values: dict[str, str],
    error: type[Exception],
    words: str,
) -> None:
    with pytest.raises(error) as caught:
        prepare_version(store, ref, values, text_values=text_values)

    held = words in str(caught.value)
    ledger.add("run a version", "bad request", held)
    assert held, str(caught.value)


def test_inputs_are_read_again_and_must_exist(project: Path, store: Store) -> None:
    (project / "work" / "data.csv").unlink()

    with pytest.raises(InvalidInput, match=r"input 'data\.csv' is not a file"):
        prepare_version(store, "train", {"token": "t"})


@pytest.mark.parametrize(
    ("ref", "is_file"),
    [
        ("train.ipynb", True),
        ("work/train", True),
        ("./train", True),
        ("train", False),
        ("train@3", False),
        ("train@production", False),
    ],
)
def test_a_separator_or_ipynb_names_a_file(ref: str, is_file: bool) -> None:
    assert names_file(ref) is is_file


def test_from_filters_by_name_number_and_alias(project: Path, store: Store) -> None:
    job = prepare_version(store, "train@1", {"token": "t"})
    run = store.save_execution(execute(job))

    assert version_filter(store, "train") == ("train", None)
    assert version_filter(store, "train@production") == ("train", 1)
    assert [r.id for r in store.list_runs(from_version=("train", 1))] == [run.id]
    assert [r.id for r in store.list_runs(from_version=("train", None))] == [run.id]
    assert store.list_runs(from_version=("train", 2)) == []
    assert store.list_runs(from_version=("other", None)) == []
