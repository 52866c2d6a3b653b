"""The probe reads distributions' metadata directly: the same names, versions and origins as
`importlib.metadata`, from real metadata folders, zip files and git working trees."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from kernel_envs import git

from greenhouse_ext.execution.kernel_probe import probe

# What the probe recorded before it read metadata itself: every distribution through
# `importlib.metadata`, the first of each name along sys.path.
REFERENCE = """
import json, re
from importlib import metadata
found = {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if not name:
        continue
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key not in found:
        found[key] = {
            "version": dist.version,
            "installer": (dist.read_text("INSTALLER") or "").strip(),
            "direct_url": dist.read_text("direct_url.json"),
        }
print(json.dumps(found))
"""

LONG_HEAD = "".join(f"Classifier: Topic :: Item {i}\n" for i in range(40))


def metadata_folder(parent: Path, folder: str, files: dict[str, str | bytes]) -> None:
    (parent / folder).mkdir(parents=True)
    for name, text in files.items():
        path = parent / folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())


def run_python(code: str, path: list[Path]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": ":".join(map(str, path)), "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def probed(path: list[Path]) -> dict[str, dict[str, object]]:
    source = Path(probe.__code__.co_filename).read_text()
    out = run_python(source + "\nprint(probe([]))", path)
    return {d["name"]: d for d in json.loads(out)["packages"]}


def test_names_versions_and_files_are_those_importlib_metadata_reads(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    metadata_folder(
        first,
        "plain-1.0.dist-info",
        {
            "METADATA": "Metadata-Version: 2.1\nName: Plain\nVersion: 1.0\n"
            f"{LONG_HEAD}\nName: not-the-name\nVersion: 9\n",
            "INSTALLER": "pip\n",
        },
    )
    metadata_folder(
        first,
        "late-2.0.dist-info",
        {"METADATA": f"Metadata-Version: 2.1\n{LONG_HEAD}version: 2.0\nname: Late_Name\n"},
    )
    metadata_folder(
        first, "twice-1.0.dist-info", {"METADATA": "Name: twice\nName: other\nVersion: 1.0\n"}
    )
    metadata_folder(
        first, "crlf-3.0.dist-info", {"METADATA": b"Name: crlf\r\nVersion: 3.0\r\n\r\n"}
    )
    metadata_folder(
        first,
        "folded-1.0.dist-info",
        {"METADATA": "Name: folded\nVersion: 1.0\nSummary: a summary\n  on two lines\n"},
    )
    metadata_folder(
        first,
        "fallback-1.0.dist-info",
        {"METADATA": "", "PKG-INFO": "Name: fallback\nVersion: 1.5\n", "INSTALLER": "uv"},
    )
    metadata_folder(first, "pkginfo-4.0.egg-info", {"PKG-INFO": "Name: pkginfo\nVersion: 4.0\n"})
    (first / "legacy-0.1-py3.egg-info").write_text("Metadata-Version: 1.0\nName: legacy\n")
    metadata_folder(first, "nameless-1.0.dist-info", {"METADATA": "Version: 1.0\n"})
    metadata_folder(first, "dup-1.0.dist-info", {"METADATA": "Name: dup\nVersion: 1.0\n"})
    metadata_folder(second, "dup-2.0.dist-info", {"METADATA": "Name: dup\nVersion: 2.0\n"})
    metadata_folder(
        second,
        "fromurl-1.0.dist-info",
        {
            "METADATA": "Name: fromurl\nVersion: 1.0\n",
            "direct_url.json": '{"url": "https://example.org/fromurl-1.0.tar.gz", '
            '"archive_info": {}}',
        },
    )
    zipped = tmp_path / "zipped.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("inzip-5.0.dist-info/METADATA", "Name: inzip\nVersion: 5.0\n")
    path = [zipped, first, second]

    packages = probed(path)
    reference = json.loads(run_python(REFERENCE, path))

    assert {name: d["version"] for name, d in packages.items()} == {
        name: d["version"] for name, d in reference.items()
    }
    expected = {
        "plain": "1.0",
        "late-name": "2.0",
        "twice": "1.0",
        "crlf": "3.0",
        "folded": "1.0",
        "fallback": "1.5",
        "pkginfo": "4.0",
        "legacy": None,
        "dup": "1.0",
        "fromurl": "1.0",
        "inzip": "5.0",
    }
    assert {name: packages[name]["version"] for name in expected} == expected
    assert "nameless" not in packages and "other" not in packages
    assert packages["plain"]["origin"] == {"kind": "index", "installer": "pip"}
    assert packages["fallback"]["origin"] == {"kind": "index", "installer": "uv"}
    assert packages["fromurl"]["origin"] == {
        "kind": "url",
        "url": "https://example.org/fromurl-1.0.tar.gz",
    }


def test_editable_installs_get_their_git_state_each(tmp_path: Path) -> None:
    def project(name: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "mod.py").write_text("X = 1\n")
        return folder

    clean, dirty, unborn, plain = (project(n) for n in ("clean", "dirty", "unborn", "plain"))
    commits = {}
    for folder in (clean, dirty, unborn):
        git(folder, "init", "-q")
    for folder in (clean, dirty):
        git(folder, "add", "mod.py")
        git(folder, "commit", "-qm", "first")
        commits[folder] = git(folder, "rev-parse", "HEAD")
    (dirty / "mod.py").write_text("X = 2\n")
    site = tmp_path / "site"
    for folder in (clean, dirty, unborn, plain, tmp_path / "gone"):
        metadata_folder(
            site,
            f"ed{folder.name}-1.0.dist-info",
            {
                "METADATA": f"Name: ed{folder.name}\nVersion: 1.0\n",
                "direct_url.json": json.dumps(
                    {"url": folder.as_uri(), "dir_info": {"editable": True}}
                ),
            },
        )

    packages = probed([site])

    assert packages["edclean"]["origin"] == {
        "kind": "editable",
        "path": str(clean),
        "commit": commits[clean],
        "dirty": False,
    }
    assert packages["eddirty"]["origin"] == {
        "kind": "editable",
        "path": str(dirty),
        "commit": commits[dirty],
        "dirty": True,
    }
    for name in ("unborn", "plain", "gone"):
        assert packages[f"ed{name}"]["origin"] == {
            "kind": "editable",
            "path": str(tmp_path / name),
        }
