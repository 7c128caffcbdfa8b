"""Module attributes imported on first access (estimators that need a booster)."""

from __future__ import annotations

import importlib


def lazy_getattr(module: str, lazy: dict[str, tuple[str, str]], hint: str):
    """A ``__getattr__`` for ``module`` loading ``name`` from ``lazy[name] = (submodule, extra)``.

    Submodule names are relative to the package that holds ``module``.

    ``hint`` is formatted with ``name`` and ``extra`` into the ImportError
    message that tells which extra to install when the import fails.
    """

    package = module.rpartition(".")[0] or module  # a package's own __init__: itself

    def __getattr__(name):
        if name in lazy:
            module_name, extra = lazy[name]
            try:
                loaded = importlib.import_module(module_name, package)
            except ImportError as error:
                raise ImportError(hint.format(name=name, extra=extra)) from error
            return getattr(loaded, name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
