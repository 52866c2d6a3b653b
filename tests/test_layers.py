"""The import rule: the core never imports the server, widget or CLI layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "greenhouse_ext"
ENTRY_POINTS = {"cli", "app", "handlers", "widgets", "__main__"}
FORBIDDEN_IN_CORE = {"tornado", "jupyter_server", "ipywidgets", "click"} | {
    f"greenhouse_ext.{m}" for m in ENTRY_POINTS
}
# __init__ hosts Jupyter's discovery hooks, which name the server app by design.
NOT_CORE = ENTRY_POINTS | {"__init__", "_version"}
CORE = sorted(p for p in PACKAGE.glob("*.py") if p.stem not in NOT_CORE)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                names.add(f"greenhouse_ext.{base}".rstrip("."))
                names.update(f"greenhouse_ext.{alias.name}" for alias in node.names if not base)
            else:
                names.add(base)
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.stem)
def test_core_module_imports_no_entry_point(path: Path) -> None:
    bad = {
        name
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_CORE)
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_core_modules_exist() -> None:
    assert {p.stem for p in CORE} >= {"models", "errors", "params", "execute", "store", "engine"}


def test_package_import_stays_light() -> None:
    top_level = {
        node.module
        for node in ast.parse((PACKAGE / "__init__.py").read_text()).body
        if isinstance(node, ast.ImportFrom)
    }
    assert top_level <= {"__future__", "typing", "_version", "notebook_api"}
