"""The focal-loss math, compiled: one fused, multi-threaded pass per call.

This is the only implementation of the loss, gradient and Hessian; the
functions in ``_loss.py`` prepare arrays and call these. Notation as in
``_loss.py`` and DESIGN.md: margin ``z``, ``p = sigmoid(z)``, ``q = 1 - p``,
``s1 = -log p``, ``s0 = -log q``, all formed from ``z`` without rounding
``p`` first.

Numba compiles each function on first use and caches the machine code next
to this file (``cache=True``), so only the first run on a machine pays for
compilation. This module is imported lazily: ``import focal_gbm`` does not
import numba.

Each kernel processes the rows ``start:stop`` and releases the GIL
(``nogil=True``); ``_loss.py`` splits large arrays over a few Python threads.
Numba's own parallel runtime is deliberately not used: its OpenMP threads
keep spinning after a call and then compete with the booster's OpenMP
threads on every boosting round, which made training several times slower
on small data.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

EXACT, CLIP, ABS, SURROGATE, FISHER = 0, 1, 2, 3, 4
POLICY_CODES = {"exact": EXACT, "clip": CLIP, "abs": ABS, "surrogate": SURROGATE,
                "fisher": FISHER}
HESSIAN_FLOOR = 1e-6
_F64_MAX = np.finfo(np.float64).max


@njit(cache=True, inline="always")
def _softplus_parts(z):
    """``(e, 1 / (1 + e), log1p(e))`` with ``e = exp(-|z|)`` in (0, 1].

    log1p(e) is formed as log(u) - ((u - 1) - e) / u with u = fl(1 + e): the
    rounding error (u - 1) - e is exact (Fast2Sum, e <= 1), so one
    first-order correction restores full precision, reusing 1 / u. That is
    about twice as fast as the C library's log1p, which dominated the cost.
    """
    a = abs(np.float64(z))  # float32 margins are computed in float64 too
    e = math.exp(-a)
    u = 1.0 + e
    inv = 1.0 / u
    return a, e, inv, math.log(u) - ((u - 1.0) - e) * inv


@njit(cache=True, inline="always")
def _sigmoid_terms(z):
    """p, q, -log p, -log q, each to about an ulp, for any finite z.

    Written without a branch on the sign of z (selects instead): random
    margins would mispredict half the time.
    """
    a, e, inv, log_d = _softplus_parts(z)
    big = inv  # sigmoid(|z|)
    small = e * inv  # sigmoid(-|z|)
    positive = z >= 0.0
    p = big if positive else small
    q = small if positive else big
    s1 = log_d if positive else a + log_d
    s0 = a + log_d if positive else log_d
    return p, q, s1, s0


@njit(cache=True, inline="always")
def _true_class_terms(t):
    """P = sigmoid(t), Q = 1 - P and S = -log P: one side of _sigmoid_terms."""
    a, e, inv, log_d = _softplus_parts(t)
    positive = t >= 0.0
    P = inv if positive else e * inv
    Q = e * inv if positive else inv
    S = log_d if positive else a + log_d
    return P, Q, S


@njit(cache=True, inline="always")
def _power(base, gamma):
    # Products for the common integer gammas: exact, and faster than pow.
    if gamma == 0.0:
        return 1.0
    if gamma == 1.0:
        return base
    if gamma == 2.0:
        return base * base
    return base**gamma


@njit(cache=True, inline="always")
def _round_21_bits(value):
    """``value`` rounded to 21 significant bits (see objective._booster_grad_hess).

    Veltkamp's splitting with factor 2^32 + 1 keeps the high 53 - 32 = 21
    bits, rounded to nearest, in three IEEE operations (valid for |value| <
    1e298; gradients and Hessians are bounded far below that).
    """
    c = value * 4294967297.0
    return c - (c - value)


# ---------------------------------------------------------------- binary


@njit(cache=True, inline="always")
def _binary_loss(y, z, g, a_pos, a_neg):
    p, q, s1, s0 = _sigmoid_terms(z)
    loss = 0.0
    if y != 0.0:
        loss += y * a_pos * _power(q, g) * s1
    if y != 1.0:
        loss += (1.0 - y) * a_neg * _power(p, g) * s0
    return loss


@njit(cache=True, inline="always")
def _binary_grad_hess(y, z, g, a_pos, a_neg, policy):
    p, q, s1, s0 = _sigmoid_terms(z)
    # Hard labels (the common case) skip the other class's pow entirely.
    w_pos = y * a_pos * _power(q, g) if y != 0.0 else 0.0
    w_neg = (1.0 - y) * a_neg * _power(p, g) if y != 1.0 else 0.0
    # p * s1 and q * s0 are bounded by 1/e: formed first, they keep the
    # Hessian finite where g * s1 alone would overflow (z near -1.8e308).
    ps1 = p * s1
    qs0 = q * s0
    grad = w_neg * (p + g * qs0) - w_pos * (q + g * ps1)
    if policy == SURROGATE:
        hess = (w_pos + w_neg) * (p * q)
    elif policy == FISHER:
        hess = (y * a_pos + (1.0 - y) * a_neg) * (p * q)
    else:
        two_g1 = 2.0 * g + 1.0
        g2 = g * g
        hess = 0.0
        if w_pos != 0.0:
            hess += w_pos * (q * (two_g1 * p - g * ps1) + g2 * p * ps1)
        if w_neg != 0.0:
            hess += w_neg * (p * (two_g1 * q - g * qs0) + g2 * q * qs0)
        if policy == ABS:
            hess = abs(hess)
        elif policy == CLIP:
            hess = max(hess, HESSIAN_FLOOR * (y * a_pos + (1.0 - y) * a_neg))
    return grad, hess


@njit(cache=True, inline="always")
def _hard_grad_hess(t, g, a, policy):
    """Derivatives, with respect to t, of a Q^g S at t = +-z: the hard-label case.

    For y = 1, t = z and a = a_pos; for y = 0, t = -z and a = a_neg (the
    gradient then changes sign, the Hessian does not). Half the work of the
    general formula, which evaluates both classes' parts.
    """
    P, Q, S = _true_class_terms(t)
    Qg = _power(Q, g)
    PS = P * S
    grad = -a * Qg * (Q + g * PS)
    if policy == SURROGATE:
        hess = a * Qg * (P * Q)
    elif policy == FISHER:
        hess = a * (P * Q)
    else:
        hess = a * Qg * (Q * ((2.0 * g + 1.0) * P - g * PS) + g * g * P * PS)
        if policy == ABS:
            hess = abs(hess)
        elif policy == CLIP:
            hess = max(hess, HESSIAN_FLOOR * a)
    return grad, hess


@njit(cache=True, nogil=True)
def binary_loss(start, stop, y, z, gamma, a_pos, a_neg, weight, out):
    """Per-element loss into ``out``; 2-D (n, k) arrays, (k,) parameters, (n,) or (0,) weight."""
    k = z.shape[1]
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        for j in range(k):
            out[i, j] = w * _binary_loss(y[i, j], z[i, j], gamma[j], a_pos[j], a_neg[j])


@njit(cache=True, nogil=True)
def binary_loss_sum(start, stop, y, z, gamma, a_pos, a_neg, weight):
    """Sum of the weighted per-element loss, without a per-element array."""
    k = z.shape[1]
    total = 0.0
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        row = 0.0
        for j in range(k):
            row += _binary_loss(y[i, j], z[i, j], gamma[j], a_pos[j], a_neg[j])
        total += w * row
    return total


@njit(cache=True, nogil=True)
def binary_grad_hess(start, stop, y, z, gamma, a_pos, a_neg, weight, policy, round21,
                     grad, hess):
    """Weighted gradient and Hessian into ``grad`` / ``hess`` (float32 or float64).

    With ``round21`` each unweighted value is rounded to 21 significant bits
    before the weight multiplies it (the booster path).
    """
    k = z.shape[1]
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        for j in range(k):
            yv = y[i, j]
            if yv == 1.0:
                g, h = _hard_grad_hess(np.float64(z[i, j]), gamma[j], a_pos[j], policy)
            elif yv == 0.0:
                g, h = _hard_grad_hess(-np.float64(z[i, j]), gamma[j], a_neg[j], policy)
                g = -g
            else:
                g, h = _binary_grad_hess(yv, z[i, j], gamma[j], a_pos[j], a_neg[j], policy)
            if round21:
                g = _round_21_bits(g)
                h = _round_21_bits(h)
            grad[i, j] = w * g
            hess[i, j] = w * h


# --------------------------------------------------------------- softmax


@njit(cache=True, inline="always")
def _softmax_row_terms(c, z):
    """Shifted-exponential sums of one row: what every softmax term needs.

    Returns (zmax, top, e_c, s_others, s_not_top, t): the largest margin and
    its index, exp(z_c - zmax), the sum over the other classes, the sum over
    all classes but the top one, and t = -log p_c.
    """
    k = z.shape[0]
    zmax = np.float64(z[0])  # float64 differences: float32 margins may differ by > f32 max
    top = 0
    for j in range(1, k):
        if z[j] > zmax:
            zmax = np.float64(z[j])
            top = j
    s_others = 0.0
    s_not_top = 0.0
    e_c = 0.0
    for j in range(k):
        # Margins more than the float64 range apart overflow the difference;
        # the clamp keeps -log p_c finite (its exact value is not representable).
        e = math.exp(max(np.float64(z[j]) - zmax, -_F64_MAX))
        if j == c:
            e_c = e
        else:
            s_others += e
        if j != top:
            s_not_top += e
    ratio = s_others / e_c if e_c > 0.0 else math.inf
    if ratio < math.inf:
        t = math.log1p(ratio)  # accurate when p_c is near 1
    else:
        t = math.log(e_c + s_others) - max(np.float64(z[c]) - zmax, -_F64_MAX)
    return zmax, top, e_c, s_others, s_not_top, t


@njit(cache=True, inline="always")
def _softmax_loss(c, z, g, a_c):
    _, _, e_c, s_others, _, t = _softmax_row_terms(c, z)
    r = s_others / (e_c + s_others)
    return a_c * _power(r, g) * t


@njit(cache=True, nogil=True)
def softmax_loss(start, stop, labels, z, gamma, alpha, weight, out):
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        c = labels[i]
        out[i] = w * _softmax_loss(c, z[i], gamma, alpha[c])


@njit(cache=True, nogil=True)
def softmax_loss_sum(start, stop, labels, z, gamma, alpha, weight):
    total = 0.0
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        c = labels[i]
        total += w * _softmax_loss(c, z[i], gamma, alpha[c])
    return total


@njit(cache=True, nogil=True)
def softmax_grad_hess(start, stop, labels, z, gamma, alpha, weight, policy, round21,
                      grad, hess):
    """Gradient and Hessian diagonal of the softmax focal loss, row by row.

    With P = p_c, r = 1 - P (the other classes' share), t = -log P, a = alpha_c:
    G_c = -a r^g (r + g P t), G_j = a r^g (1 + g P t / r) p_j, and
    H_c = a [A + r^g P (r + g P t)], H_j = a [rho_j^2 A + r^g (1 + g P t / r) p_j (1 - p_j)]
    with A = g r^g [r P (2 - t) + (g - 1) P^2 t] and rho_j = p_j / r.
    """
    k = z.shape[1]
    g = gamma
    for i in range(start, stop):
        row = z[i]
        c = labels[i]
        zmax, top, e_c, s_others, s_not_top, t = _softmax_row_terms(c, row)
        s = e_c + s_others
        P = e_c / s
        r = s_others / s
        t_over_r = t / r if r > 0.0 else 1.0  # -> 1 as r -> 0
        rg = _power(r, g)
        other = rg * (1.0 + g * P * t_over_r)
        A = g * rg * (r * P * (2.0 - t) + (g - 1.0) * P * P * t)
        a_c = alpha[c]
        w = weight[i] if weight.size else 1.0
        for j in range(k):
            e = math.exp(max(np.float64(row[j]) - zmax, -_F64_MAX))
            p_j = e / s
            # 1 - p_j without cancellation: only the top class can be near 1.
            one_minus = s_not_top / s if j == top else (s - e) / s
            if j == c:
                gj = -rg * (r + g * P * t)
            else:
                gj = other * p_j
            if policy == SURROGATE:
                hj = rg * p_j * one_minus
            elif policy == FISHER:
                hj = p_j * one_minus
            elif j == c:
                hj = A + rg * P * (r + g * P * t)
            else:
                rho = e / s_others if s_others > 0.0 else 0.0
                hj = rho * rho * A + other * p_j * one_minus
            if policy == ABS:
                hj = abs(hj)
            elif policy == CLIP:
                hj = max(hj, HESSIAN_FLOOR)
            gj *= a_c
            hj *= a_c
            if round21:
                gj = _round_21_bits(gj)
                hj = _round_21_bits(hj)
            grad[i, j] = w * gj
            hess[i, j] = w * hj
