"""Stored records: tagged with their format, kept apart from the API form."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from greenhouse_ext.errors import OutdatedStore
from greenhouse_ext.models import (
    INTERNAL_RUN_FIELDS,
    CellTiming,
    ManifestFile,
    Progress,
    Provenance,
    RecordedFile,
    Run,
    RunError,
    RunStatus,
    Version,
    VersionRef,
)
from greenhouse_ext.store.records import (
    RUN_FORMAT,
    VERSION_FORMAT,
    run_from_record,
    run_record,
    version_from_record,
    version_record,
)


def make_run(output: str | None) -> Run:
    return Run(
        id="abc123",
        notebook="nb.ipynb",
        status=RunStatus.SUCCEEDED,
        parameters={"a": 1},
        created_at="2026-01-01T00:00:00",
        source_object="1" * 64,
        output_object=output,
        pid=77,
    )


def test_a_stored_run_is_tagged_and_keeps_its_internal_fields() -> None:
    run = make_run("2" * 64)
    stored = json.loads(run_record(run))
    assert stored["format"] == RUN_FORMAT
    assert (stored["pid"], stored["source_object"], stored["output_object"]) == (
        77,
        "1" * 64,
        "2" * 64,
    )
    assert run_from_record(run_record(run)) == run


@pytest.mark.parametrize(("output", "has_notebook"), [("2" * 64, True), (None, False)])
def test_the_api_form_leaves_internal_fields_out(output: str | None, has_notebook: bool) -> None:
    run = make_run(output)
    for form in (run.to_dict(), run.to_summary()):
        assert not set(INTERNAL_RUN_FIELDS) & set(form)
        assert form["has_notebook"] is has_notebook
        assert "format" not in form


def test_a_summary_is_the_api_form_without_provenance_timings_and_kept_inputs() -> None:
    provenance = Provenance(
        source_sha256="5" * 64,
        kernel="python3",
        python="3.11.7",
        packages={"numpy": "2.1.0"},
        packages_sha256="6" * 64,
        git=None,
        inputs=[],
        host="h",
        user="ada",
        greenhouse_version="1",
        papermill_version="2",
    )
    run = replace(
        make_run("2" * 64),
        status=RunStatus.FAILED,
        parameters={"a": 1, "long": "x" * 300},
        metrics={"m": [1, 2]},
        error=RunError("boom", "ValueError", "bad", 3),
        provenance=provenance,
        timings=[CellTiming(0, 1.5)],
        files=[RecordedFile("plot.png", "7" * 64, 9)],
        progress=Progress(4, 4),
        from_version=VersionRef("model", 2),
        kept_inputs=["data.csv"],
    )
    full = run.to_dict()

    summary = run.to_summary(max_chars=50)

    for left_out in ("provenance", "timings", "kept_inputs"):
        del full[left_out]
    assert summary == {
        **full,
        "parameters": {"a": 1, "long": "x" * 50 + "…"},
        "user": "ada",
        "truncated": ["parameters.long"],
    }
    assert summary["parameters"] is not run.parameters and run.parameters["long"] == "x" * 300


@pytest.mark.parametrize("tag", [None, "greenhouse.run/0", "greenhouse.run/2"])
def test_a_record_of_another_format_is_refused_naming_the_upgrade(tag: str | None) -> None:
    stored = json.loads(run_record(make_run(None)))
    stored.pop("format")
    if tag is not None:
        stored["format"] = tag
    with pytest.raises(OutdatedStore, match="greenhouse store upgrade"):
        run_from_record(json.dumps(stored))


def test_a_stored_version_is_tagged_without_number_or_aliases() -> None:
    version = Version(
        name="model",
        number=3,
        run_id="abc123",
        created_at="2026-01-01T00:00:00",
        manifest_sha256="3" * 64,
        files=[ManifestFile("notebook.ipynb", "4" * 64, 10)],
        metrics={"m": 1},
        aliases=["production"],
    )
    stored = json.loads(version_record(version))
    assert stored["format"] == VERSION_FORMAT
    assert not {"number", "aliases"} & set(stored)
    assert version_from_record(version_record(version), 3) == replace(version, aliases=[])
