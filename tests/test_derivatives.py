"""Every derivative against finite differences of the loss.

The oracle is ``reference.py``: the textbook loss in 60-digit mpmath and
central differences of it, sharing no code with focal_gbm.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import reference

from focal_gbm import FocalLoss

GAMMAS = (0.0, 0.5, 1.0, 2.0, 3.5, 5.0)
ALPHAS = (None, 0.1, 0.25, 0.5, 0.9)
LABELS = (0.0, 1.0, 0.3)
MARGINS = np.linspace(-30.0, 30.0, 31)

# float64 carries 16 digits; the analytic formulas lose a few of them where
# terms cancel (near the Hessian's sign change), never more than 1e-10
# relative on this grid. 1e-6 is the bound: a wrong term or factor
# shows up as an O(1) relative error, so it cannot hide under it.
RTOL = 1e-6


def _class_weights(alpha):
    return (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)


def _reference(fn, y, z, gamma, alpha):
    a_pos, a_neg = _class_weights(alpha)
    return np.array([float(fn(yi, zi, gamma, a_pos, a_neg)) for yi, zi in zip(y, z)])


@pytest.mark.parametrize("gamma,alpha", list(itertools.product(GAMMAS, ALPHAS)))
def test_grad_and_hess_match_finite_differences_1d(gamma, alpha):
    y = np.repeat(LABELS, MARGINS.size)
    z = np.tile(MARGINS, len(LABELS))
    grad, hess = FocalLoss(gamma=gamma, alpha=alpha, hessian="exact").grad_hess(y, z)
    np.testing.assert_allclose(grad, _reference(reference.grad, y, z, gamma, alpha), rtol=RTOL)
    np.testing.assert_allclose(hess, _reference(reference.hess, y, z, gamma, alpha), rtol=RTOL)


@pytest.mark.parametrize("weighted", [False, True])
def test_grad_and_hess_match_finite_differences_2d_per_column(weighted, rng):
    """2-D labels with one gamma and one alpha per column, with and without weights."""
    gammas = np.array(GAMMAS[1:])
    alphas = np.array([0.1, 0.25, 0.5, 0.9, 0.6])
    n = 12
    y = rng.choice(np.array(LABELS), size=(n, gammas.size))
    z = rng.uniform(-30, 30, size=(n, gammas.size))
    w = rng.uniform(0.0, 3.0, size=n) if weighted else None
    loss = FocalLoss(gamma=gammas, alpha=alphas, hessian="exact")
    grad, hess = loss.grad_hess(y, z, sample_weight=w)
    assert grad.shape == hess.shape == z.shape
    scale = np.ones((n, 1)) if w is None else w[:, None]
    for j in range(gammas.size):
        expected_grad = _reference(reference.grad, y[:, j], z[:, j], gammas[j], alphas[j])
        expected_hess = _reference(reference.hess, y[:, j], z[:, j], gammas[j], alphas[j])
        np.testing.assert_allclose(grad[:, j], scale[:, 0] * expected_grad, rtol=RTOL)
        np.testing.assert_allclose(hess[:, j], scale[:, 0] * expected_hess, rtol=RTOL)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_loss_matches_textbook_formula(gamma, rng):
    y = np.repeat(LABELS, MARGINS.size)
    z = np.tile(MARGINS, len(LABELS))
    w = rng.uniform(0.0, 2.0, size=z.size)
    actual = FocalLoss(gamma=gamma, alpha=0.25).loss(y, z, sample_weight=w)
    expected = w * _reference(reference.focal_loss, y, z, gamma, 0.25)
    np.testing.assert_allclose(actual, expected, rtol=1e-13)


def test_float64_grad_is_a_finite_difference_of_float64_loss():
    """Our own loss and gradient agree with each other, all in float64.

    Restricted to |z| <= 12: beyond it the Hessian of a confidently wrong
    example is ~1e-5 of the gradient, below what a float64 difference of the
    gradient resolves at 1e-6.
    """
    z = np.linspace(-12.0, 12.0, 49)
    h = 1e-5  # about cbrt(float64 eps), the step that balances both errors
    for y, gamma in itertools.product(LABELS, GAMMAS):
        loss = FocalLoss(gamma=gamma, alpha=0.25, hessian="exact")
        yv = np.full_like(z, y)
        grad, hess = loss.grad_hess(yv, z)
        fd_grad = (loss.loss(yv, z + h) - loss.loss(yv, z - h)) / (2 * h)
        fd_hess = (loss.grad_hess(yv, z + h)[0] - loss.grad_hess(yv, z - h)[0]) / (2 * h)
        np.testing.assert_allclose(grad, fd_grad, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(hess, fd_hess, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
def test_reference_closed_forms_match_finite_differences(gamma):
    """Ties reference.py's closed forms (used at extreme margins) to its differences."""
    for y, z in itertools.product(LABELS, (-25.0, -3.0, 0.0, 0.7, 12.0)):
        fd = float(reference.grad(y, z, gamma, 0.3, 0.7))
        closed = float(reference.grad_closed_form(y, z, gamma, 0.3, 0.7))
        assert closed == pytest.approx(fd, rel=1e-20)
        fd = float(reference.hess(y, z, gamma, 0.3, 0.7))
        closed = float(reference.hess_closed_form(y, z, gamma, 0.3, 0.7))
        assert closed == pytest.approx(fd, rel=1e-20)
