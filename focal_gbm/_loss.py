"""The focal-loss math: loss, gradient and Hessian with respect to the margin.

This module is the single implementation of the mathematics. It imports no
booster and validates nothing: callers (``objective.py``) check their inputs
once and pass float arrays that broadcast against each other.

Notation (DESIGN.md section 1): margin ``z``, ``p = sigmoid(z)``,
``q = 1 - p = sigmoid(-z)``, ``s1 = -log(p) = softplus(-z)`` and
``s0 = -log(q) = softplus(z)``. Everything is formed from ``z`` directly
(``expit``/``log_expit``), never as the ``log`` of a rounded probability, so
no finite margin gives a NaN or an inf and tiny values keep their relative
precision.

The positive (``y = 1``) part and its derivatives are

    f(z)   = q^g s1
    f'(z)  = -q^g (q + g p s1)
    f''(z) = q^g [ q ((2g + 1) p - g p s1) + g^2 p (p s1) ]

and the negative part is its mirror image ``f(-z)``. The products ``p * s1``
and ``q * s0`` are bounded by ``1/e``, which is what keeps ``f''`` finite at
margins near the float64 limit, where ``g * s1`` alone would overflow.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, log_expit

HESSIAN_POLICIES = ("exact", "clip", "abs", "surrogate")
"""Ways to turn the exact second derivative into a usable curvature."""

HESSIAN_FLOOR = 1e-6
"""Smallest curvature the ``"clip"`` policy lets through, per unit of weight."""

INIT_MARGIN_BOUND = 30.0
"""The starting margin is searched in ``[-INIT_MARGIN_BOUND, INIT_MARGIN_BOUND]``.

A column without positives (or negatives) has its optimum at minus (plus)
infinity; 30 is far enough that sigmoid(+-30) is within 1e-13 of 0 or 1.
"""


def _sigmoid_terms(margin: NDArray[np.float64]):
    """``p, q, s1, s0`` of DESIGN.md, each accurate to a few ulp."""
    p = expit(margin)
    q = expit(-margin)
    s1 = -log_expit(margin)
    s0 = -log_expit(-margin)
    return p, q, s1, s0


def _power(base: NDArray[np.float64], gamma) -> NDArray[np.float64]:
    # pow(0, 0) = 1 makes gamma = 0 exactly cross entropy; small integer
    # gammas (the common 1, 2) use products, which are exact and faster.
    if np.ndim(gamma) == 0:
        if gamma == 0:
            return np.ones_like(base)
        if gamma == 1:
            return base.copy()
        if gamma == 2:
            return base * base
    return np.power(base, gamma)


def binary_focal_loss(
    y_true: ArrayLike,
    margin: ArrayLike,
    *,
    gamma,
    alpha_pos,
    alpha_neg,
    sample_weight=None,
) -> NDArray[np.float64]:
    """Per-element focal loss ``y a1 q^g s1 + (1 - y) a0 p^g s0``.

    All arguments broadcast against ``margin``; nothing is validated.
    """
    y = np.asarray(y_true, dtype=np.float64)
    z = np.asarray(margin, dtype=np.float64)
    p, q, s1, s0 = _sigmoid_terms(z)
    loss = y * alpha_pos * _power(q, gamma) * s1
    loss += (1.0 - y) * alpha_neg * _power(p, gamma) * s0
    if sample_weight is not None:
        loss *= sample_weight
    return loss


def binary_focal_grad_hess(
    y_true: ArrayLike,
    margin: ArrayLike,
    *,
    gamma,
    alpha_pos,
    alpha_neg,
    hessian: str = "exact",
    sample_weight=None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gradient and (policy-adjusted) Hessian of :func:`binary_focal_loss`.

    ``hessian`` is one of :data:`HESSIAN_POLICIES`:

    ``"exact"``
        the true second derivative, negative on confidently wrong examples;
    ``"clip"``
        the exact value, raised to ``HESSIAN_FLOOR`` (times the example's class
        and sample weight) where it is smaller;
    ``"abs"``
        the absolute value of the exact second derivative;
    ``"surrogate"``
        the cross-entropy curvature ``p q`` scaled by the focal weight
        (``a1 q^g`` for the positive part, ``a0 p^g`` for the negative one):
        always positive, equal to the exact value when ``g = 0``.
    """
    y = np.asarray(y_true, dtype=np.float64)
    z = np.asarray(margin, dtype=np.float64)
    p, q, s1, s0 = _sigmoid_terms(z)
    w_pos = y * alpha_pos * _power(q, gamma)
    w_neg = (1.0 - y) * alpha_neg * _power(p, gamma)
    ps1 = p * s1
    qs0 = q * s0
    g = gamma
    grad = w_neg * (p + g * qs0) - w_pos * (q + g * ps1)
    if hessian == "surrogate":
        hess = (w_pos + w_neg) * (p * q)
    else:
        two_g1 = 2.0 * g + 1.0
        g2 = g * g
        hess = w_pos * (q * (two_g1 * p - g * ps1) + g2 * p * ps1)
        hess += w_neg * (p * (two_g1 * q - g * qs0) + g2 * q * qs0)
        if hessian == "abs":
            np.abs(hess, out=hess)
        elif hessian == "clip":
            floor = HESSIAN_FLOOR * (y * alpha_pos + (1.0 - y) * alpha_neg)
            np.maximum(hess, floor, out=hess)
        elif hessian != "exact":
            raise ValueError(
                f"hessian must be one of {HESSIAN_POLICIES}, got {hessian!r}"
            )
    if sample_weight is not None:
        grad *= sample_weight
        hess *= sample_weight
    return grad, hess


def binary_focal_init_margin(w_pos: float, w_neg: float, *, gamma: float) -> float:
    """The constant margin minimising ``w_pos f(z) + w_neg f(-z)``.

    Labels enter the focal loss linearly, so for any (soft) labels ``y``,
    sample weights ``w`` and class weights ``a1, a0`` the constant that
    minimises ``sum_i w_i L(y_i, z)`` depends on two numbers only:
    ``w_pos = a1 sum_i w_i y_i`` and ``w_neg = a0 sum_i w_i (1 - y_i)``.

    For ``g = 0`` the answer is ``log(w_pos / w_neg)``. For ``g > 0`` the
    objective is not convex (its curvature is negative in the tails), so a
    dense grid brackets the global minimum before Brent's method polishes it.
    The result is clipped to ``+-INIT_MARGIN_BOUND``.
    """
    bound = INIT_MARGIN_BOUND
    if w_pos <= 0.0 and w_neg <= 0.0:
        return 0.0
    if w_neg <= 0.0:
        return bound
    if w_pos <= 0.0:
        return -bound
    if gamma == 0.0:
        return float(np.clip(np.log(w_pos) - np.log(w_neg), -bound, bound))
    # The total is (w_pos + w_neg) times the loss of the soft label
    # y_bar = w_pos / (w_pos + w_neg): minimise that, whatever the weights' size.
    y_bar = w_pos / (w_pos + w_neg)

    def total(z):
        return binary_focal_loss(y_bar, z, gamma=gamma, alpha_pos=1.0, alpha_neg=1.0)

    grid = np.linspace(-bound, bound, 1201)
    values = total(grid)
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    # Imported here: scipy.optimize costs more to import than all of focal_gbm.
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(
        lambda z: float(total(z)),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return float(result.x)
