"""Input checks shared by the objectives and estimators.

Every message names the argument and the accepted range, so a user who passes
{-1, 1} labels or a negative gamma learns what to change instead of training a
silently wrong model.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _numbers(value, *, name: str, accepted: str) -> NDArray[np.float64]:
    """``value`` as a float array of at most one dimension, or a ValueError naming it."""
    problem = f"{name} must be {accepted} or an array of them, got {value!r}"
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(problem)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(problem) from None
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
    return arr


def check_gamma(gamma, *, name: str = "gamma") -> float | NDArray[np.float64]:
    """A focusing parameter: a finite number >= 0, or a 1-D array of them."""
    arr = _numbers(gamma, name=name, accepted="a number >= 0")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0 (accepted range [0, inf)), got {gamma!r}")
    return float(arr) if arr.ndim == 0 else arr


def check_clip(clip, *, name: str = "clip") -> float | NDArray[np.float64]:
    """A probability margin: a number in [0, 1), or a 1-D array of them."""
    arr = _numbers(clip, name=name, accepted="a number in [0, 1)")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr >= 1):
        raise ValueError(f"{name} must lie in [0, 1) (accepted range [0, 1)), got {clip!r}")
    return float(arr) if arr.ndim == 0 else arr


def check_alpha(alpha, *, name: str = "alpha"):
    """``None``, ``"balanced"``, a number in [0, 1] or a 1-D array of them."""
    if alpha is None:
        return None
    if isinstance(alpha, str):
        if alpha == "balanced":
            return alpha
        raise ValueError(
            f"{name} must be None, 'balanced', a number in [0, 1] or an array of them, "
            f"got {alpha!r}"
        )
    try:
        arr = np.asarray(alpha, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be None, 'balanced', a number in [0, 1] or an array of them, "
            f"got {alpha!r}"
        ) from None
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{name} must lie in [0, 1], got {alpha!r}")
    return float(arr) if arr.ndim == 0 else arr


def check_labels(y_true: ArrayLike, *, name: str = "y_true") -> NDArray[np.float64]:
    """Binary (or soft, or multi-label) targets: finite numbers in [0, 1]."""
    y = np.asarray(y_true)
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must be numeric with values in [0, 1], got dtype {y.dtype}"
        )
    y = y.astype(np.float64, copy=False)
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {y.shape}")
    if np.isnan(y).any():
        raise ValueError(f"{name} contains NaN; labels must lie in [0, 1]")
    if y.size and (y.min() < 0.0 or y.max() > 1.0):
        hint = (" ({-1, 1} labels must be mapped to {0, 1})" if y.min() == -1
                else " (class indices 0..k-1 of a multi-class target: use SoftmaxFocalLoss)"
                if y.ndim == 1 and y.min() >= 0 and np.array_equal(y, np.floor(y))
                else "")
        raise ValueError(
            f"{name} must lie in [0, 1]{hint}, got values in [{y.min()}, {y.max()}]"
        )
    return y


def check_class_labels(y_true: ArrayLike, *, name: str = "y_true") -> NDArray[np.intp]:
    """Multi-class targets: a 1-D array of class indices 0, 1, ..., k - 1."""
    y = np.asarray(y_true)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold class indices 0..k-1, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class indices, got shape {y.shape}")
    if y.dtype.kind == "f":
        if np.isnan(y).any():
            raise ValueError(f"{name} contains NaN; labels must be class indices 0..k-1")
        if not np.array_equal(y, np.floor(y)):
            raise ValueError(f"{name} must hold integer class indices 0..k-1")
    if y.size and y.min() < 0:
        raise ValueError(f"{name} must hold class indices 0..k-1, got {y.min()}")
    return y.astype(np.intp, copy=False)


def check_margin(margin: ArrayLike) -> NDArray:
    """Raw scores: finite floats."""
    z = np.asarray(margin)
    if z.dtype.kind not in "biuf":
        raise ValueError(f"margin must be numeric, got dtype {z.dtype}")
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if not np.isfinite(z).all():
        raise ValueError("margin must be finite (no NaN or inf)")
    return z


def check_sample_weight(sample_weight: ArrayLike | None, n_samples: int):
    """``None`` or a 1-D array of ``n_samples`` finite weights >= 0."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numeric, got dtype {w.dtype}")
    w = w.astype(np.float64, copy=False)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per sample ({n_samples}), "
            f"got shape {w.shape}"
        )
    if not np.isfinite(w).all() or (w.size and w.min() < 0):
        raise ValueError("sample_weight must be finite and >= 0 (accepted range [0, inf))")
    return w


def per_column(value, n_columns: int | None, *, name: str,
               counted: str = "the labels have {n} columns"):
    """Check that an array-valued hyper-parameter has one entry per column (class, label).

    The one place this rule is checked; ``counted`` says what was counted in
    the error message, with ``{n}`` for the count.
    """
    if np.ndim(value) == 0:
        return value
    if n_columns is None:
        raise ValueError(
            f"{name} has {np.size(value)} values but the labels are 1-D; "
            "per-column values need 2-D labels of shape (n_samples, n_columns)"
        )
    if np.size(value) != n_columns:
        raise ValueError(f"{name} has {np.size(value)} values but {counted.format(n=n_columns)}")
    return value
