"""The package's layering, read from its source: imports go down, private names stay home."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "focal_gbm"
MODULES = {path.stem: path for path in PACKAGE.glob("*.py")}
# The compiled kernels have no Python source to read; nothing in them imports back.
LEAVES = {"_kernels"}


def _imports(path: Path) -> set[str]:
    """Package modules ``path`` imports, anywhere in it (functions included).

    Also the modules named in the lazy tables (``"._xgb_sklearn"``), which
    ``focal_gbm/_lazy.py`` imports on first access.
    """
    text = path.read_text()
    found = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1 or module.startswith("focal_gbm"):
                parts = module.split(".")[1:] if module.startswith("focal_gbm") else [module]
                if parts and parts[0]:
                    found.add(parts[0])
                else:  # from . import x, y
                    found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("focal_gbm."))
    found.update(re.findall(r'"\.(\w+)"', text))
    return {name for name in found if name in MODULES or name in LEAVES} - {path.stem}


def test_no_import_cycle_between_package_modules():
    graph = {name: _imports(path) for name, path in MODULES.items()}

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for name in graph.get(todo.pop(), ()):
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
        return seen

    cycles = sorted({tuple(sorted((a, b))) for a, deps in graph.items() for b in deps
                     if a in reachable(b)})
    assert cycles == []
    # The check sees real edges (a parser that found none would pass anything):
    assert "_loss" in graph["objective"] and "_kernels" in graph["_loss"]
    assert "_dask_stats" in graph["_dask_xgb"] and "_dask_xgb" in graph["dask"]


def test_no_module_imports_another_modules_private_names():
    private = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.level == 1 or node.module.startswith("focal_gbm")):
                private += [f"{path.name}: {node.module}.{alias.name}" for alias in node.names
                            if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert private == []
