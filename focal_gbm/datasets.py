"""The built-in demonstration dataset: two features, 90:10 classes."""

from __future__ import annotations

import numpy as np


def make_imbalanced(n_samples: int = 2000, *, minority_share: float = 0.1,
                    random_state: int | None = 0):
    """A 2-feature binary problem with a rare, partly overlapping minority class.

    The majority class is a wide Gaussian blob; the minority class (label 1,
    ``minority_share`` of the rows) sits in a smaller blob at its edge, so
    that some of it is easy and some is buried among majority points: the
    setting where cross entropy gravitates to the majority class and focal
    loss is meant to help.

    Parameters
    ----------
    n_samples : int, default=2000
        Number of rows.
    minority_share : float, default=0.1
        Fraction of rows in class 1.
    random_state : int or None, default=0
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,) with values 0 and 1

    Examples
    --------
    >>> from focal_gbm.datasets import make_imbalanced
    >>> X, y = make_imbalanced(1000)
    >>> X.shape, float(y.mean())
    ((1000, 2), 0.1)
    """
    if not 0.0 < minority_share < 1.0:
        raise ValueError(f"minority_share must lie in (0, 1), got {minority_share}")
    rng = np.random.default_rng(random_state)
    n_minority = int(round(n_samples * minority_share))
    n_majority = n_samples - n_minority
    majority = rng.normal(loc=(0.0, 0.0), scale=(1.6, 1.2), size=(n_majority, 2))
    minority = rng.normal(loc=(1.8, 1.3), scale=(0.7, 0.7), size=(n_minority, 2))
    X = np.vstack([majority, minority])
    y = np.r_[np.zeros(n_majority), np.ones(n_minority)].astype(np.int64)
    order = rng.permutation(n_samples)
    return X[order], y[order]
