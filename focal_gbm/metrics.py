"""Calibration scores of binary probabilities: log loss, Brier score, expected calibration error.

What ``focal-gbm compare`` and the benchmarks report next to the ranking
metrics, to show whether a model's probabilities mean what they say.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_labels

CALIBRATION_BINS = 10
"""Equal-width bins of :func:`expected_calibration_error` (Guo et al., 2017 used 15)."""

# log loss clips probabilities here, as scikit-learn did before 1.5: one
# confidently wrong example then costs at most -log(1e-15) ~ 34.5, not inf.
_LOG_LOSS_EPS = 1e-15


def expected_calibration_error(y_true: ArrayLike, proba: ArrayLike, *,
                               n_bins: int = CALIBRATION_BINS) -> float:
    r"""Expected calibration error of positive-class probabilities.

    .. math::

        \mathrm{ECE} = \sum_b \frac{n_b}{n} \left| \bar y_b - \bar p_b \right|

    over ``n_bins`` equal-width bins of ``proba`` on [0, 1] (the last bin
    closed), with :math:`\bar y_b` the positive rate and :math:`\bar p_b`
    the mean probability of bin :math:`b` (Naeini et al., AAAI 2015; Guo
    et al., ICML 2017). 0 for perfectly calibrated probabilities; on
    imbalanced data most rows fall in the first bin, so it mostly measures
    how well the small probabilities match the rare rate.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        0/1 labels.
    proba : array-like of shape (n_samples,)
        Probabilities of the positive class, in [0, 1].
    n_bins : int, default=10

    Returns
    -------
    float

    Examples
    --------
    >>> from focal_gbm.metrics import expected_calibration_error
    >>> round(expected_calibration_error([0, 0, 1, 1], [0.05, 0.15, 0.85, 0.95]), 6)
    0.1
    """
    y = check_labels(y_true)
    p = np.asarray(proba, dtype=np.float64)
    if p.shape != y.shape or y.ndim != 1:
        raise ValueError(f"y_true and proba must be 1-D of the same length, got shapes "
                         f"{y.shape} and {p.shape}")
    if not (np.all(p >= 0.0) and np.all(p <= 1.0)):
        raise ValueError("proba must lie in [0, 1]")
    if not (isinstance(n_bins, (int, np.integer)) and n_bins >= 1):
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    if y.size == 0:
        raise ValueError("y_true is empty")
    bins = np.minimum((p * n_bins).astype(np.intp), n_bins - 1)
    gap = np.bincount(bins, weights=y - p, minlength=n_bins)  # n_b (mean y - mean p)
    return float(np.abs(gap).sum() / y.size)


def calibration_scores(y_true: ArrayLike, proba: ArrayLike) -> dict[str, float]:
    """``{"log_loss", "brier", "ece"}`` of positive-class probabilities (lower is better).

    Log loss with probabilities clipped to [1e-15, 1 - 1e-15], the Brier
    score (mean squared error of the probability) and
    :func:`expected_calibration_error`.
    """
    y = check_labels(y_true)
    p = np.asarray(proba, dtype=np.float64)
    clipped = np.clip(p, _LOG_LOSS_EPS, 1.0 - _LOG_LOSS_EPS)
    return {
        "log_loss": float(-np.mean(y * np.log(clipped) + (1.0 - y) * np.log1p(-clipped))),
        "brier": float(np.mean((p - y) ** 2)),
        "ece": expected_calibration_error(y, p),
    }
