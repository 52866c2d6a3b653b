"""Every reference form resolves to the right notebook, run and version, or says why not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.models import Run, RunStatus, Version
from greenhouse_ext.store import Store
from greenhouse_ext.store.refs import check_name, resolve

NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / ".greenhouse")
    output = store.put_object(json.dumps(NOTEBOOK).encode())
    for run_id, digest in (("abcd00000001", output), ("ffff00000002", None)):
        store.save_run(
            Run(
                id=run_id,
                notebook="nb.ipynb",
                status=RunStatus.SUCCEEDED if digest else RunStatus.FAILED,
                parameters={},
                created_at="2026-01-01T00:00:00",
                output_object=digest,
            )
        )
    for _ in range(2):
        store.add_version(
            Version(
                name="model",
                number=0,
                run_id="abcd00000001",
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
