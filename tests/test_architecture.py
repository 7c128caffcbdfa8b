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


def _private_names_defined(tree: ast.AST) -> set[str]:
    """Private names a module defines: functions, classes, attributes it assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


# Private by scikit-learn's convention but its protocol for every estimator:
# BaseEstimator defines them, estimators override and call them.
SCIKIT_LEARN_PROTOCOL = {"_get_param_names", "_validate_data"}


def test_no_module_reaches_into_another_modules_private_attributes():
    trees = {name: ast.parse(path.read_text()) for name, path in MODULES.items()}
    defined = {name: _private_names_defined(tree) for name, tree in trees.items()}
    reaches = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue  # the object's own (possibly inherited) attribute
            if isinstance(owner, ast.Call) and ast.unparse(owner.func) == "super":
                continue
            elsewhere = {other for other, names in defined.items()
                         if other != name and node.attr in names}
            if (node.attr not in defined[name] and elsewhere
                    and node.attr not in SCIKIT_LEARN_PROTOCOL):
                reaches.append(f"{name}.py:{node.lineno}: {ast.unparse(node)}")
    assert reaches == []


def test_the_loss_classes_know_no_booster():
    """FocalLoss, SoftmaxFocalLoss and their bases: no booster in their code.

    Their docstrings say how to pass them to a booster; their code only
    delegates to the booster adapter it composes.
    """
    from focal_gbm import FocalLoss, SoftmaxFocalLoss

    bases = {cls for loss in (FocalLoss, SoftmaxFocalLoss) for cls in loss.__mro__}
    assert {cls.__module__ for cls in bases} == {"focal_gbm.objective", "abc", "builtins"}
    tree = ast.parse(MODULES["objective"].read_text())

    def documentation(statement) -> bool:
        """A docstring (of a module, class, function or attribute) or a *_DOC text."""
        if isinstance(statement, ast.Expr):
            return isinstance(statement.value, ast.Constant)
        return isinstance(statement, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id.endswith("_DOC") for t in statement.targets)

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
            node.body = [s for s in node.body if not documentation(s)] or [ast.Pass()]
    code = ast.unparse(tree)
    # Whole words: focal_gbm's own xgboost_train may be named in a message.
    booster_words = r"\b(xgboost|lightgbm|xgb|lgb|DMatrix|Dataset|get_label|get_weight)\b"
    assert re.findall(booster_words, code) == []
    assert "booster" not in code.lower()  # not even the adapter's module
    # The check reads the code that stays: the loss math is there.
    assert "checked_grad_hess" in code
