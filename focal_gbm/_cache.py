"""Where the compiled kernels are cached on disk, and the decorator that puts them there.

Numba's ``cache=True`` writes machine code into ``__pycache__`` next to the
source file whenever that folder is writable, which for an installed package
is ``site-packages/focal_gbm/__pycache__``. pip does not know those files
(they are not in the wheel's RECORD), so uninstalling leaves the folder
behind, and Python then imports the leftover ``site-packages/focal_gbm`` as an
empty namespace package that hides a later editable install. The kernels are
therefore cached in a per-user folder instead, which no installer touches:

1. ``$FOCAL_GBM_CACHE_DIR``, if set;
2. else ``$NUMBA_CACHE_DIR``, if set (the user chose where Numba caches go);
3. else the platform's user cache folder: ``~/.cache/focal_gbm`` on Linux
   (``$XDG_CACHE_HOME/focal_gbm``), ``~/Library/Caches/focal_gbm`` on macOS,
   ``%LOCALAPPDATA%\\focal_gbm\\Cache`` on Windows.

Inside it each installation gets its own sub-folder (named after a hash of the
package's path), and Numba's index invalidates entries whose source changed.
If the folder cannot be created or written, the kernels are compiled in memory
on every run, with one warning.

This module imports numba; it is loaded only with the kernels.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import warnings
from pathlib import Path

ENV_VAR = "FOCAL_GBM_CACHE_DIR"


def kernel_cache_dir() -> Path:
    """The folder that holds focal_gbm's compiled kernels (it may not exist yet).

    ``FOCAL_GBM_CACHE_DIR`` if set, else ``NUMBA_CACHE_DIR`` if set, else the
    platform's per-user cache folder (``~/.cache/focal_gbm`` on Linux). Delete
    it, or call :func:`clear_kernel_cache`, to force recompilation.
    """
    for variable in (ENV_VAR, "NUMBA_CACHE_DIR"):
        value = os.environ.get(variable)
        if value:
            return Path(value).expanduser()
    # The same rules as Numba's own user-wide cache (appdirs), without importing numba.
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "focal_gbm" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "focal_gbm"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "focal_gbm"


def clear_kernel_cache() -> Path:
    """Delete the compiled-kernel cache (see :func:`kernel_cache_dir`); returns its path.

    Under ``NUMBA_CACHE_DIR`` only focal_gbm's own sub-folders are removed.
    """
    root = kernel_cache_dir()
    if os.environ.get(ENV_VAR) or not os.environ.get("NUMBA_CACHE_DIR"):
        shutil.rmtree(root, ignore_errors=True)
    else:
        for sub in root.glob("focal_gbm_*"):
            shutil.rmtree(sub, ignore_errors=True)
    return root


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


@functools.cache  # resolved once per process: one warning, one set of classes
def _function_cache_class():
    """numba's ``FunctionCache`` looking only in :func:`kernel_cache_dir`, or None if unusable."""
    root = kernel_cache_dir()
    if not _writable(root):
        warnings.warn(
            f"focal_gbm cannot write its kernel cache folder {root}: the kernels are "
            f"compiled again in every process (a few seconds). Set {ENV_VAR} to a "
            "writable folder to cache them.", RuntimeWarning, stacklevel=3)
        return None
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - numba moved its caching module
        return None

    class _Locator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        # The user-wide locator's logic, rooted at our folder instead of numba's.
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = str(root / self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

    class _Impl(caching.CompileResultCacheImpl):
        _locator_classes = [_Locator]

    class _FunctionCache(caching.FunctionCache):
        _impl_class = _Impl

    return _FunctionCache


def jit(**options):
    """``numba.njit(**options)`` whose machine code is cached in :func:`kernel_cache_dir`."""
    from numba import njit

    def decorate(func):
        dispatcher = njit(**options)(func)
        function_cache = _function_cache_class()
        if function_cache is not None:
            # What njit(cache=True) does (Dispatcher.enable_caching), with our locator.
            dispatcher._cache = function_cache(dispatcher.py_func)
        return dispatcher

    return decorate
