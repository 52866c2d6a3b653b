"""The lock written from a recorded environment: one line per origin, MLflow's python_env."""

from __future__ import annotations

from typing import Any

import pytest

from greenhouse_ext.artefacts.environment import python_env_yaml, requirement
from greenhouse_ext.models import Distribution, KernelEnvironment


@pytest.mark.parametrize(
    ("origin", "line"),
    [
        ({"kind": "index", "installer": "pip"}, "pkg==1.0+cu121"),
        ({"kind": "conda"}, "pkg==1.0+cu121"),
        (
            {"kind": "git", "url": "https://example.org/r.git", "commit": "abc123"},
            "pkg @ git+https://example.org/r.git@abc123",
        ),
        ({"kind": "url", "url": "https://example.org/p.whl"}, "pkg @ https://example.org/p.whl"),
        (
            {"kind": "editable", "path": "/src/pkg", "commit": "abc", "dirty": False},
            "# pkg==1.0+cu121: an editable install of /src/pkg, "
            "which cannot be rebuilt from an index",
        ),
        (
            {"kind": "local-file", "path": "/w/pkg.whl"},
            "# pkg==1.0+cu121: a local-file install of /w/pkg.whl, "
            "which cannot be rebuilt from an index",
        ),
    ],
    ids=["index", "conda", "git", "url", "editable", "local-file"],
)
def test_each_origin_has_its_line(origin: dict[str, Any], line: str) -> None:
    assert requirement(Distribution("pkg", "1.0+cu121", origin)) == line


def test_python_env_yaml_has_mlflows_shape() -> None:
    env = KernelEnvironment(
        status="recorded",
        version="3.11.7",
        implementation="CPython",
        packages=[Distribution("pip", "24.0", {"kind": "index"})],
    )
    assert python_env_yaml(env) == (
        "python: 3.11.7\nbuild_dependencies:\n  - pip==24.0\n  - setuptools\n  - wheel\n"
        "dependencies:\n  - -r requirements.txt\n"
    )
