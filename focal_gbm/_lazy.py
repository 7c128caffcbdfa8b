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
            except Exception as error:
                # Installed but failing on import (xgboost and lightgbm both
                # fail under python -OO, for one): an AttributeError here would
                # become a bare "cannot import name"; say what went wrong.
                raise ImportError(
                    f"{name} could not be loaded: importing {extra} failed with "
                    f"{type(error).__name__}: {error}"
                ) from error
            return getattr(loaded, name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
