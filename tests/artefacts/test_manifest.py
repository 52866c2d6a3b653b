"""Checking files against a manifest: intact, missing, changed or unsafe; damaged manifests."""

from __future__ import annotations

import pytest

from greenhouse_ext.artefacts.manifest import check_files, manifest_files
from greenhouse_ext.store import sha256_bytes

DATA = b"epoch,score\n1,0.5\n"


@pytest.mark.parametrize(
    ("path", "stored", "problem"),
    [
        ("files/a.csv", DATA, None),
        ("files/a.csv", None, "missing"),
        ("files/a.csv", DATA + b"2,0.7\n", "changed"),
        ("../a.csv", DATA, "unsafe path"),
        ("/etc/a.csv", DATA, "unsafe path"),
        (".", DATA, "unsafe path"),
        ("", DATA, "unsafe path"),
    ],
    ids=["intact", "missing", "changed", "parent", "absolute", "dot", "empty"],
)
def test_check_files(path: str, stored: bytes | None, problem: str | None) -> None:
    read: list[str] = []

    def reader(name: str, _: str) -> bytes | None:
        read.append(name)
        return stored

    problems = check_files([(path, sha256_bytes(DATA))], reader)
    assert [p.problem for p in problems] == ([problem] if problem else [])
    assert read == ([] if problem == "unsafe path" else [path])


@pytest.mark.parametrize(
    ("manifest", "paths"),
    [
        (b'{"files": [{"path": "a", "sha256": "0"}, {"path": "b"}, "c"]}', ["a"]),
        (b'{"files": null}', []),
        (b"[]", []),
        (b"{not json", []),
    ],
    ids=["partly-damaged", "no-files", "not-an-object", "not-json"],
)
def test_manifest_files_leaves_out_what_is_damaged(manifest: bytes, paths: list[str]) -> None:
    assert [f["path"] for f in manifest_files(manifest)] == paths
