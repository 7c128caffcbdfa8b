"""Randomized properties of every public math entry point, at extreme finite inputs.

A seeded generator (reproducible, no extra dependency) draws margins from
the whole finite range of each dtype (zero, subnormal-small, moderate, near
the largest float), hard and soft labels, weights from 0 to 1e6, and every
gamma regime and Hessian policy. Whatever the draw, outputs must be finite
and correctly signed: a NaN, an inf or a wrong sign anywhere is a bug.
"""

from __future__ import annotations

import numpy as np
import pytest

from focal_gbm import FocalLoss, SoftmaxFocalLoss
from focal_gbm._loss import HESSIAN_POLICIES, INIT_MARGIN_BOUND

DRAWS = 60  # per dtype and test; each draw is a batch of rows
GAMMAS = (0.0, 0.25, 1.0, 2.0, 3.7, 10.0)
POSITIVE_POLICIES = ("clip", "abs", "surrogate", "fisher")


def _margins(rng, shape, dtype):
    """Margins from every scale of the dtype's finite range, both signs."""
    largest = float(np.finfo(dtype).max)
    kind = rng.integers(0, 5, size=shape)
    magnitude = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        [np.zeros(shape),
         10.0 ** rng.uniform(-300 if dtype == np.float64 else -40, -5, size=shape),
         rng.uniform(0, 50, size=shape),
         10.0 ** rng.uniform(2, np.log10(largest), size=shape)],
        default=largest,
    )
    sign = rng.choice([-1.0, 1.0], size=shape)
    return (sign * np.minimum(magnitude, largest)).astype(dtype)


def _representable(z, w, dtype):
    """Where the loss itself fits in ``dtype``.

    The loss grows like ``w |z|`` (for gamma = 0 it is about ``w |z|`` on the
    wrong side), so with margins near the largest float and weights up to 1e6
    its true value can exceed the dtype: there inf is the honest answer. The
    gradient and Hessian are bounded (by about ``w (1 + gamma)``) and must
    always be finite.
    """
    weight = 1.0 if w is None else np.asarray(w, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # inf bounds are the point here
        bound = weight * (np.abs(np.asarray(z, dtype=np.float64)) + 1.0)
        if np.ndim(bound) == 2 or np.ndim(z) == 2:
            bound = np.broadcast_to(weight if np.ndim(weight) == 0 else weight[:, None],
                                    np.shape(z)) * (np.abs(np.asarray(z, np.float64)) + 1.0)
    return bound < float(np.finfo(dtype).max)


def _sum_fits(z, w) -> bool:
    """Whether the summed loss (the means' numerator) fits in float64."""
    weight = 1.0 if w is None else np.asarray(w, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # an inf bound is the answer "no"
        magnitude = np.abs(np.asarray(z, dtype=np.float64)) + 1.0
        if magnitude.ndim == 2:
            magnitude = magnitude.sum(axis=1)
        return bool(np.sum(weight * magnitude) < np.finfo(np.float64).max)


def _weights(rng, n):
    w = 10.0 ** rng.uniform(-6, 6, size=n)
    w[rng.random(n) < 0.1] = 0.0
    return w


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


def test_binary_entry_points_are_finite_and_correctly_signed(dtype):
    rng = np.random.default_rng(7)
    for _ in range(DRAWS):
        n = int(rng.integers(1, 40))
        z = _margins(rng, n, dtype)
        hard = rng.random() < 0.5
        y = rng.integers(0, 2, size=n).astype(float) if hard else rng.random(n)
        w = _weights(rng, n) if rng.random() < 0.7 else None
        gamma = float(rng.choice(GAMMAS))
        alpha = None if rng.random() < 0.3 else float(rng.random())
        policy = str(rng.choice(HESSIAN_POLICIES))
        loss = FocalLoss(gamma=gamma, alpha=alpha, hessian=policy)
        context = dict(gamma=gamma, alpha=alpha, policy=policy, z=z, y=y, w=w)

        values = loss.loss(y, z, w)
        fits = _representable(z, w, dtype)
        assert np.isfinite(values[fits]).all() and (values >= 0).all(), context
        if _sum_fits(z, w):
            assert np.isfinite(loss.mean_loss(y, z, w)), context
        for grad, hess in (loss.grad_hess(y, z, w), loss(y, z, w)):  # arrays, booster path
            assert np.isfinite(grad).all() and np.isfinite(hess).all(), context
            if hard:  # a positive's loss falls as its margin rises, a negative's rises
                assert (grad[y == 1] <= 0).all() and (grad[y == 0] >= 0).all(), context
            if policy in POSITIVE_POLICIES:
                assert (hess >= 0).all(), context
        if w is None or w.sum() > 0:
            z0 = loss.init_score(y, w)
            assert np.isfinite(z0) and abs(z0) <= INIT_MARGIN_BOUND, context


def test_multilabel_entry_points_are_finite_and_correctly_signed(dtype):
    rng = np.random.default_rng(8)
    for _ in range(DRAWS):
        n, k = int(rng.integers(1, 20)), int(rng.integers(1, 5))
        Z = _margins(rng, (n, k), dtype)
        Y = rng.integers(0, 2, size=(n, k)).astype(float)
        gamma = rng.choice(GAMMAS, size=k)
        alpha = rng.random(k)
        loss = FocalLoss(gamma=gamma, alpha=alpha, hessian=str(rng.choice(HESSIAN_POLICIES)))
        grad, hess = loss(Y, Z)
        assert np.isfinite(grad).all() and np.isfinite(hess).all()
        assert (grad[Y == 1] <= 0).all() and (grad[Y == 0] >= 0).all()
        assert np.isfinite(loss.loss(Y, Z)[_representable(Z, None, dtype)]).all()
        if _sum_fits(Z, None):
            assert np.isfinite(loss.mean_loss(Y, Z))
        z0 = loss.init_score(Y)
        assert np.isfinite(z0).all() and (np.abs(z0) <= INIT_MARGIN_BOUND).all()


def test_softmax_entry_points_are_finite_and_correctly_signed(dtype):
    rng = np.random.default_rng(9)
    for _ in range(DRAWS):
        n, k = int(rng.integers(1, 30)), int(rng.integers(2, 6))
        Z = _margins(rng, (n, k), dtype)
        labels = rng.integers(0, k, size=n)
        w = _weights(rng, n) if rng.random() < 0.7 else None
        gamma = float(rng.choice(GAMMAS))
        alpha = None if rng.random() < 0.3 else rng.random(k)
        policy = str(rng.choice(HESSIAN_POLICIES))
        loss = SoftmaxFocalLoss(gamma=gamma, alpha=alpha, hessian=policy)
        context = dict(gamma=gamma, alpha=alpha, policy=policy, Z=Z, labels=labels, w=w)

        # The softmax loss grows like w times the margin gaps (up to 2 |z|max).
        with np.errstate(over="ignore"):  # an inf gap: the loss may be inf there
            gap = np.ptp(Z.astype(np.float64), axis=1)
        values = loss.loss(labels, Z, w)
        assert np.isfinite(values[_representable(gap, w, dtype)]).all(), context
        assert (values >= 0).all(), context
        if _sum_fits(gap, w):
            assert np.isfinite(loss.mean_loss(labels, Z, w)), context
        rows = np.arange(n)
        for grad, hess in (loss.grad_hess(labels, Z, w), loss(labels, Z, w)):
            assert np.isfinite(grad).all() and np.isfinite(hess).all(), context
            true_class = np.zeros((n, k), dtype=bool)
            true_class[rows, labels] = True
            # Raising the true class's margin lowers the loss; any other raises it.
            assert (grad[true_class] <= 0).all() and (grad[~true_class] >= 0).all(), context
            if policy in POSITIVE_POLICIES:
                assert (hess >= 0).all(), context
        if w is None or w.sum() > 0:
            z0 = loss.init_score(labels, w, n_classes=k)
            assert np.isfinite(z0).all() and (np.abs(z0) <= INIT_MARGIN_BOUND).all(), context
