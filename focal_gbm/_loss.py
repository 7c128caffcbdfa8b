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

HESSIAN_POLICIES = ("exact", "clip", "abs", "surrogate", "fisher")
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
        always positive, equal to the exact value when ``g = 0``;
    ``"fisher"``
        the cross-entropy curvature ``p q`` weighted by the class weight only
        (``a1`` or ``a0``), as if the focal factor were a constant per-example
        weight: always positive, an upper bound of ``"surrogate"``, equal to
        the exact value when ``g = 0``.
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
    elif hessian == "fisher":
        hess = (y * alpha_pos + (1.0 - y) * alpha_neg) * (p * q)
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


# --------------------------------------------------------------------------
# Softmax (multi-class) focal loss
#
# p = softmax(z) over k classes, c the true class, P = p_c, r = 1 - P (formed
# as the sum of the other classes' probabilities, never as 1 - P) and
# t = -log P. With a = alpha_c:
#
#     L    = a r^g t
#     G_c  = -a r^g (r + g P t)
#     G_j  =  a r^g (1 + g P t / r) p_j                       (j != c)
#     H_c  =  a [A + r^g P (r + g P t)]
#     H_j  =  a [rho_j^2 A + r^g (1 + g P t / r) p_j (1 - p_j)] (j != c)
#
# where A = g r^g [r P (2 - t) + (g - 1) P^2 t] and rho_j = p_j / r. t / r
# tends to 1 as r -> 0 and is taken as 1 where r underflows, which keeps every
# term finite for gamma < 1 too (DESIGN.md section 1 derives the binary case;
# these follow from dP/dz_j = P (delta_cj - p_j) the same way).
# --------------------------------------------------------------------------


def _softmax_terms(labels: NDArray[np.intp], margin: NDArray[np.float64]):
    rows = np.arange(margin.shape[0])
    # Margins more than the float64 range apart overflow the difference; the
    # clamp keeps -log p_c finite (the exact value is not representable).
    with np.errstate(over="ignore"):
        z = np.maximum(margin - margin.max(axis=1, keepdims=True), -np.finfo(np.float64).max)
    e = np.exp(z)
    e_c = e[rows, labels]
    e_others = e.copy()
    e_others[rows, labels] = 0.0
    s_others = e_others.sum(axis=1)
    s = e_c + s_others
    p = e / s[:, None]
    P = e_c / s
    r = s_others / s
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # log1p keeps -log P accurate when P is near 1; where e_c underflows
        # the ratio overflows, and then P is tiny and log(s) - z_c is exact.
        t = np.log1p(s_others / e_c)
        t = np.where(np.isfinite(t), t, np.log(s) - z[rows, labels])
        t_over_r = np.where(r > 0.0, t / r, 1.0)
        rho = np.where(s_others[:, None] > 0.0, e_others / s_others[:, None], 0.0)
    # 1 - p_j without cancellation: only the largest class can have p_j near 1,
    # and for it 1 - p_j is the sum of all the others.
    top = np.argmax(z, axis=1)
    e_not_top = e.copy()
    e_not_top[rows, top] = 0.0
    one_minus_p = (s[:, None] - e) / s[:, None]
    one_minus_p[rows, top] = e_not_top.sum(axis=1) / s
    return rows, p, one_minus_p, P, r, t, t_over_r, rho


def softmax_focal_loss(labels, margin, *, gamma, class_alpha, sample_weight=None):
    """Per-row softmax focal loss ``a_c (1 - p_c)^g (-log p_c)``, shape (n,).

    ``labels`` are class indices (n,), ``margin`` is (n, k), ``class_alpha``
    is a scalar or a (k,) array of per-class weights. Nothing is validated.
    """
    labels = np.asarray(labels, dtype=np.intp)
    z = np.asarray(margin, dtype=np.float64)
    _, _, _, _, r, t, _, _ = _softmax_terms(labels, z)
    loss = _power(r, gamma) * t
    loss *= np.broadcast_to(class_alpha, (z.shape[1],))[labels]
    if sample_weight is not None:
        loss *= sample_weight
    return loss


def softmax_focal_grad_hess(
    labels, margin, *, gamma, class_alpha, hessian: str = "exact", sample_weight=None
):
    """Gradient and diagonal Hessian (n, k) of :func:`softmax_focal_loss`.

    ``hessian`` follows :func:`binary_focal_grad_hess`; ``"surrogate"`` is
    the softmax cross-entropy diagonal ``p_j (1 - p_j)`` scaled by the focal
    weight ``a_c (1 - p_c)^g`` and ``"fisher"`` the same scaled by ``a_c``.
    """
    labels = np.asarray(labels, dtype=np.intp)
    z = np.asarray(margin, dtype=np.float64)
    rows, p, one_minus_p, P, r, t, t_over_r, rho = _softmax_terms(labels, z)
    g = gamma
    row_weight = np.broadcast_to(class_alpha, (z.shape[1],))[labels].astype(np.float64)
    if sample_weight is not None:
        row_weight = row_weight * sample_weight
    rg = _power(r, g)
    other_factor = rg * (1.0 + g * P * t_over_r)  # -u: the non-true classes' common factor
    grad = other_factor[:, None] * p
    grad[rows, labels] = -rg * (r + g * P * t)
    ce_curvature = p * one_minus_p
    if hessian == "surrogate":
        hess = rg[:, None] * ce_curvature
    elif hessian == "fisher":
        hess = ce_curvature
    else:
        A = g * rg * (r * P * (2.0 - t) + (g - 1.0) * P * P * t)
        hess = rho * rho * A[:, None] + other_factor[:, None] * ce_curvature
        hess[rows, labels] = A + rg * P * (r + g * P * t)
    grad *= row_weight[:, None]
    hess *= row_weight[:, None]
    if hessian == "abs":
        np.abs(hess, out=hess)
    elif hessian == "clip":
        np.maximum(hess, HESSIAN_FLOOR * row_weight[:, None], out=hess)
    elif hessian not in ("exact", "surrogate", "fisher"):
        raise ValueError(f"hessian must be one of {HESSIAN_POLICIES}, got {hessian!r}")
    return grad, hess


def softmax_focal_init_margin(class_totals, *, gamma: float) -> NDArray[np.float64]:
    """The constant margins (k,) minimising ``sum_c W_c L(c, z)``.

    ``class_totals[c]`` is ``alpha_c`` times the total sample weight of class
    ``c``: as in the binary case, nothing else about the labels matters. The
    cross-entropy answer ``log W_c`` (exact for ``g = 0``) starts L-BFGS-B on
    the focal objective, with margins bounded by ``+-INIT_MARGIN_BOUND`` (an
    absent class goes to the lower bound). Softmax ignores a common shift
    of all margins, so only their differences are determined.
    """
    from scipy.optimize import minimize

    totals = np.asarray(class_totals, dtype=np.float64)
    k = totals.size
    bound = INIT_MARGIN_BOUND
    if totals.sum() <= 0:
        return np.zeros(k)
    weights = totals / totals.sum()
    present = weights > 0
    start = np.full(k, -bound)
    start[present] = np.log(weights[present])
    start[present] -= start[present].max()
    start = np.clip(start, -bound, bound)
    if gamma == 0.0 or present.sum() == 1:
        return start
    labels = np.arange(k)

    def objective(z):
        zz = np.broadcast_to(z, (k, k))
        value = softmax_focal_loss(labels, zz, gamma=gamma, class_alpha=1.0, sample_weight=weights)
        grad, _ = softmax_focal_grad_hess(labels, zz, gamma=gamma, class_alpha=1.0,
                                          sample_weight=weights)
        return value.sum(), grad.sum(axis=0)

    result = minimize(objective, start, jac=True, method="L-BFGS-B",
                      bounds=[(-bound, bound)] * k, options={"ftol": 1e-15, "gtol": 1e-12})
    return result.x
