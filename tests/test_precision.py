"""Loss, gradient and Hessian at extreme margins, against 60-digit references.

The margins are where naive implementations break: 0 and +-1e-8 (p = 1/2,
where log(1 - p) must not lose digits), +-20 and +-40 (1 - p below float64
resolution), +-700 (exp near overflow), +-1e4 and the float32 / float64
extremes (exp overflows, p rounds to exactly 0 or 1).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import reference

from focal_gbm import FocalLoss

F32_MAX = float(np.finfo(np.float32).max)
F64_MAX = float(np.finfo(np.float64).max)
MARGINS = [0.0, 1e-8, -1e-8, 1.0, -1.0, 20.0, -20.0, 40.0, -40.0, 700.0, -700.0,
           1e4, -1e4, F32_MAX, -F32_MAX]
GAMMAS = (0.0, 0.5, 2.0, 3.5)

# Each value is a product of a handful of correctly rounded factors (expit,
# log_expit, pow), each within an ulp or two, and sums of same-signed terms:
# 4 ulp is the observed worst case (0.5 fails), 8 leaves room for another
# libm; a wrong branch or a log of a rounded p is off by orders of magnitude
# more. float32 results are float64 results rounded once: 1 ulp.
NULP = {np.float64: 8, np.float32: 1}


def assert_ulp_close(actual, expected, dtype):
    """|actual - expected| within NULP ulp of expected, or of the smallest subnormal."""
    finfo = np.finfo(dtype)
    tolerance = NULP[dtype] * (finfo.eps * abs(expected) + finfo.smallest_subnormal)
    assert abs(float(actual) - expected) <= tolerance, (actual, expected)


def _cases():
    for gamma, y, alpha in itertools.product(GAMMAS, (0.0, 1.0), (None, 0.25)):
        yield gamma, y, alpha


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gamma,y,alpha", list(_cases()))
def test_values_match_high_precision_reference(dtype, gamma, y, alpha):
    a_pos, a_neg = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    margins = np.array(MARGINS, dtype=dtype)
    labels = np.full(margins.shape, y, dtype=dtype)
    loss = FocalLoss(gamma=gamma, alpha=alpha, hessian="exact")
    values = loss.loss(labels, margins)
    grad, hess = loss.grad_hess(labels, margins)
    for out in (values, grad, hess):
        assert out.dtype == dtype
        assert np.isfinite(out).all()
    args = (gamma, a_pos, a_neg)
    for i, z in enumerate(margins.astype(np.float64)):
        assert_ulp_close(values[i], float(reference.focal_loss(y, z, *args)), dtype)
        assert_ulp_close(grad[i], float(reference.grad_closed_form(y, z, *args)), dtype)
        assert_ulp_close(hess[i], float(reference.hess_closed_form(y, z, *args)), dtype)


@pytest.mark.parametrize("hessian", ["exact", "clip", "abs", "surrogate"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_finite_margin_gives_finite_output(hessian, dtype):
    """No NaN or inf anywhere, up to the largest finite margin of the dtype."""
    finfo = np.finfo(dtype)
    big = np.array([finfo.max, finfo.max / 2, 1e30, 89.0, 88.7, 745.0, 710.0], dtype=dtype)
    margins = np.concatenate([big, -big, [finfo.tiny, -finfo.tiny, 0.0]]).astype(dtype)
    for gamma, y in itertools.product((0.0, 0.25, 1.0, 2.0, 5.0), (0.0, 0.5, 1.0)):
        loss = FocalLoss(gamma=gamma, alpha=0.25, hessian=hessian)
        labels = np.full_like(margins, y)
        grad, hess = loss.grad_hess(labels, margins)
        assert np.isfinite(grad).all() and np.isfinite(hess).all()
        # The loss of a confidently wrong example at |z| = max is ~max itself;
        # alpha = 0.25 keeps it representable.
        assert np.isfinite(loss.loss(labels, margins)).all()


def test_gradient_is_bounded_and_signed():
    """|grad| <= max class weight (1 + g/e) and has the sign of p - y."""
    z = np.linspace(-50, 50, 1001)
    for gamma in (0.0, 2.0, 5.0):
        loss = FocalLoss(gamma=gamma, alpha=0.25)
        for y in (0.0, 1.0):
            grad, _ = loss.grad_hess(np.full_like(z, y), z)
            assert np.all(np.abs(grad) <= 0.75 * (1 + gamma / np.e))
            assert np.all(grad <= 0) if y == 1 else np.all(grad >= 0)
