"""Every reference form resolves to the right notebook, run and version, or says why not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.models import MIN_PREFIX, Run, RunStatus, Version
from greenhouse_ext.store import Store
from greenhouse_ext.store.refs import (
    check_name,
    find_run,
    find_sweep,
    find_version,
    resolve,
)

NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


RUNS = {
    # id: (succeeded, sweep)
    "abcd00000001": (True, None),
    "ffff00000002": (False, None),
    "beef00000003": (True, "5eed00000001"),
    "beef00000004": (True, "5eedf0000002"),
    "cafe00000005": (True, None),
}
# Twelve runs sharing the prefix 'dddd', more than a message lists.
CROWD = [f"dddd{n:08d}" for n in range(12)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Two versions of 'model' from one run, 'other@1' from another, sweeps, a crowd."""
    store = Store(tmp_path / ".greenhouse")
    output = store.put_object(json.dumps(NOTEBOOK).encode())
    for run_id, (succeeded, sweep) in {**RUNS, **dict.fromkeys(CROWD, (True, None))}.items():
        store.save_run(
            Run(
                id=run_id,
                notebook="nb.ipynb",
                status=RunStatus.SUCCEEDED if succeeded else RunStatus.FAILED,
                parameters={},
                created_at="2026-01-01T00:00:00",
                output_object=output if succeeded else None,
                sweep_id=sweep,
            )
        )
    for name, run_id in (
        ("model", "abcd00000001"),
        ("model", "abcd00000001"),
        ("other", "cafe00000005"),
    ):
        store.add_version(
            Version(
                name=name,
                number=0,
                run_id=run_id,
                created_at="2026-01-01T00:00:00",
                manifest_sha256=output,
            )
        )
    store.set_alias("model", "production", 1)
    (tmp_path / "local.ipynb").write_text(json.dumps(NOTEBOOK))
    return store


@pytest.mark.parametrize(
    ("ref", "kind", "label"),
    [
        ("abcd00000001", "run", "run abcd00000001"),
        ("abcd", "run", "run abcd00000001"),
        ("model@1", "version", "model@1"),
        ("model@production", "version", "model@1"),
        ("model", "version", "model@2"),
        ("local.ipynb", "file", "local.ipynb"),
    ],
)
def test_each_form_resolves(store: Store, ref: str, kind: str, label: str) -> None:
    subject = resolve(store, ref, base=store.root.parent)
    assert (subject.kind, subject.label) == (kind, label)
    assert subject.notebook == NOTEBOOK


@pytest.mark.parametrize(
    ("ref", "error", "words"),
    [
        ("", InvalidInput, "empty reference"),
        ("model@", InvalidInput, "not a valid alias"),
        ("bad name@1", InvalidInput, "not a valid name"),
        ("model@9", NotFound, "no version 9"),
        ("modle@1", NotFound, "Nothing is published as 'modle'; did you mean model"),
        ("modle", NotFound, "did you mean model"),
        ("dddd", InvalidInput, "ambiguous: it matches dddd00000000, .*dddd00000009, \\.\\.\\."),
        ("ab", InvalidInput, f"too short: give at least {MIN_PREFIX} characters"),
        ("locl.ipynb", NotFound, "does not exist; did you mean local.ipynb"),
        ("model@staging", NotFound, "aliases: production"),
        ("nothing", NotFound, "NAME@ALIAS"),
        ("missing.ipynb", NotFound, "does not exist"),
        ("ffff00000002", NotFound, "has no executed notebook"),
    ],
)
def test_bad_references_say_why(store: Store, ref: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        resolve(store, ref, base=store.root.parent)


@pytest.mark.parametrize("name", ["model", "a.b-c_d", "0x"])
def test_valid_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "-x", "a b", "a@b", "x" * 201])
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_name(name)


@pytest.mark.parametrize(
    ("ref", "run_id"),
    [
        ("abcd00000001", "abcd00000001"),
        ("abcd", "abcd00000001"),
        ("beef00000003", "beef00000003"),
        ("model@1", "abcd00000001"),
        ("model@production", "abcd00000001"),
        ("model", "abcd00000001"),
        ("other", "cafe00000005"),
        ("ffff", "ffff00000002"),
    ],
)
def test_find_run_takes_a_version_for_its_run(store: Store, ref: str, run_id: str) -> None:
    assert find_run(store, ref).id == run_id


@pytest.mark.parametrize(
    ("ref", "version"),
    [
        ("model@1", "model@1"),
        ("model@production", "model@1"),
        ("model", "model@2"),
        ("other", "other@1"),
        ("cafe00000005", "other@1"),
        ("cafe", "other@1"),
    ],
)
def test_find_version_takes_a_published_run(store: Store, ref: str, version: str) -> None:
    assert find_version(store, ref).ref == version


@pytest.mark.parametrize(
    ("ref", "error", "words"),
    [
        ("abcd", InvalidInput, r"published as several versions \(model@1, model@2\): give one"),
        ("beef00000003", NotFound, "Run beef00000003 is not published; `greenhouse publish"),
        ("linfit", NotFound, "Nothing is published as 'linfit'; `greenhouse publish` makes"),
        ("othr@production", NotFound, "did you mean other"),
        ("ab", InvalidInput, "too short"),
        ("", InvalidInput, "empty reference"),
    ],
)
def test_find_version_says_why_not(
    store: Store, ref: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        find_version(store, ref)


@pytest.mark.parametrize(
    ("ref", "sweep"),
    [
        ("5eed00000001", "5eed00000001"),
        ("5eedf0000002", "5eedf0000002"),
        ("5eed0", "5eed00000001"),
    ],
)
def test_find_sweep_takes_an_id_or_prefix(store: Store, ref: str, sweep: str) -> None:
    assert find_sweep(store, ref) == sweep


@pytest.mark.parametrize(
    ("ref", "error", "words"),
    [
        ("5eed", InvalidInput, "ambiguous: it matches 5eed00000001, 5eedf0000002; give more"),
        ("5e", InvalidInput, f"at least {MIN_PREFIX} characters"),
        ("0000", NotFound, "No sweep '0000'"),
    ],
)
def test_find_sweep_says_why_not(
    store: Store, ref: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        find_sweep(store, ref)


def test_an_ambiguous_prefix_lists_at_most_ten(store: Store) -> None:
    with pytest.raises(InvalidInput) as caught:
        find_run(store, "dddd")
    assert caught.value.message.count("dddd0000") == 10
