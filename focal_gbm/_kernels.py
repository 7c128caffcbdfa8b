"""The focal-loss math, compiled: one fused, multi-threaded pass per call.

This is the only implementation of the loss, gradient and Hessian; the
functions in ``_loss.py`` prepare arrays and call these. Notation and
formulas as in ``docs/math.md`` (§1-§3 binary, §6 softmax, §7 rounding):
margin ``z``, ``p = sigmoid(z)``, ``q = 1 - p``, ``s1 = -log p``,
``s0 = -log q``, all formed from ``z`` without rounding ``p`` first.

Numba compiles each function on first use and caches the machine code in a
per-user folder (``_cache.py`` says where, and why not next to this file), so
only the first run on a machine pays for compilation. This module is
imported lazily: ``import focal_gbm`` does not import numba.

Each kernel processes the rows ``start:stop`` and releases the GIL
(``nogil=True``); ``_loss.py`` splits large arrays over a few Python threads.
Numba's own parallel runtime is deliberately not used: its OpenMP threads
keep spinning after a call and then compete with the booster's OpenMP
threads on every boosting round, which made training several times slower
on small data.

The boosters' per-round call (hard labels, float32 out) has SIMD kernels:
branch-free loops over blocks of rows, with exp and log1p evaluated by
polynomials (``_exp_neg``, ``_log1p_unit``) instead of C library calls, which
LLVM cannot vectorise. They are compiled with ``error_model="numpy"``:
Python's error model puts a zero check, a branch, on every division, and
that alone keeps a loop scalar.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._cache import jit
from ._loss import HESSIAN_FLOOR, HESSIAN_POLICIES

# The policy codes the kernels branch on: positions in _loss.HESSIAN_POLICIES,
# the one list of policy names (docs/math.md §3).
EXACT, CLIP, ABS, SURROGATE, FISHER = (
    HESSIAN_POLICIES.index(name) for name in ("exact", "clip", "abs", "surrogate", "fisher"))
_F64_MAX = np.finfo(np.float64).max
_F64_TINY = np.finfo(np.float64).tiny  # the smallest normal float64
_SUBNORMAL_SCALE = 2.0**1000  # lifts any subnormal to a normal number, keeps 1 * it finite


@jit(inline="always")
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


@jit(inline="always")
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


@jit(inline="always")
def _true_class_terms(t):
    """P = sigmoid(t), Q = 1 - P and S = -log P: one side of _sigmoid_terms."""
    a, e, inv, log_d = _softplus_parts(t)
    positive = t >= 0.0
    P = inv if positive else e * inv
    Q = e * inv if positive else inv
    S = log_d if positive else a + log_d
    return P, Q, S


@jit(inline="always")
def _power(base, gamma):
    # Products for the common integer gammas: exact, and faster than pow.
    if gamma == 0.0:
        return 1.0
    if gamma == 1.0:
        return base
    if gamma == 2.0:
        return base * base
    return base**gamma


# ------------------------------------------------ SIMD-friendly exp / log1p

_LOG2E = 1.4426950408889634
# ln 2 split so that k * _LN2_HI is exact for |k| < 2^20 (fdlibm's constants).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# exp(-a) for a above this is below float64's smallest normal; it is returned
# as 0 (every use multiplies it into a value that float32 rounds to 0 anyway).
_EXP_ARG_MAX = 708.0
# 1/n!, n = 0..13: |r|^14 / 14! < 4e-18 for |r| <= ln(2) / 2.
(_E0, _E1, _E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12,
 _E13) = [1.0 / math.factorial(n) for n in range(14)]
# 1/(2n + 1), n = 0..15: the atanh series of log1p, s^2 <= 1/9, (1/9)^16 / 33 < 2e-17.
(_L0, _L1, _L2, _L3, _L4, _L5, _L6, _L7, _L8, _L9, _L10, _L11, _L12, _L13, _L14,
 _L15) = [1.0 / (2 * n + 1) for n in range(16)]


@intrinsic
def _bits_to_float64(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits`` (a free, vectorisable bitcast)."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _float64_bits(typingctx, value):
    """The IEEE bits of the float64 ``value`` as an int64 (a free, vectorisable bitcast)."""
    if value != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


_HALF_LOW_32 = np.int64(1 << 31)
_HIGH_32 = np.int64(-(1 << 32))


@jit(inline="always")
def _round_21_bits(value):
    """``value`` rounded to 21 significant bits (see objective._booster_grad_hess).

    Rounds the magnitude half away from zero at bit 32 of the IEEE
    representation: add half of the dropped part, clear it (a carry into
    the exponent is the correct result). Integer operations only, so a
    compiler that fuses multiply-adds (fastmath "contract", used by the SIMD
    kernels) cannot change it, unlike Veltkamp's splitting.
    """
    return _bits_to_float64((_float64_bits(np.float64(value)) + _HALF_LOW_32) & _HIGH_32)


@jit(inline="always")
def _exp_neg(a):
    """exp(-a) for 0 <= a <= _EXP_ARG_MAX, within an ulp, without a branch or a libm call.

    Cody-Waite reduction a = k ln2 - r with |r| <= ln2 / 2, a degree-13
    Taylor polynomial for exp(r), and 2^-k built from its exponent bits.
    """
    k = math.floor(a * _LOG2E + 0.5)
    r = (k * _LN2_HI - a) + k * _LN2_LO
    p = _E13
    p = p * r + _E12
    p = p * r + _E11
    p = p * r + _E10
    p = p * r + _E9
    p = p * r + _E8
    p = p * r + _E7
    p = p * r + _E6
    p = p * r + _E5
    p = p * r + _E4
    p = p * r + _E3
    p = p * r + _E2
    p = p * r + _E1
    p = p * r + _E0
    return p * _bits_to_float64((np.int64(1023) - np.int64(k)) << 52)


@jit(inline="always")
def _exp_neg_or_zero(a):
    """exp(-a) for any a >= 0; 0 where it is below float64's smallest normal."""
    e = _exp_neg(min(a, _EXP_ARG_MAX))
    return e if a <= _EXP_ARG_MAX else 0.0


@jit(inline="always")
def _log1p_unit(e):
    """log1p(e) for -1/2 <= e <= 1 within 2 ulp: 2 atanh(s), s = e / (2 + e), |s| <= 1/3."""
    s = e / (2.0 + e)
    s2 = s * s
    p = _L15
    p = p * s2 + _L14
    p = p * s2 + _L13
    p = p * s2 + _L12
    p = p * s2 + _L11
    p = p * s2 + _L10
    p = p * s2 + _L9
    p = p * s2 + _L8
    p = p * s2 + _L7
    p = p * s2 + _L6
    p = p * s2 + _L5
    p = p * s2 + _L4
    p = p * s2 + _L3
    p = p * s2 + _L2
    p = p * s2 + _L1
    p = p * s2 + _L0
    return 2.0 * s * p


_MANTISSA = np.int64((1 << 52) - 1)
_ONE_BITS = np.int64(1023 << 52)
_TWO_52 = 2.0**52
_TWO_52_BITS = np.int64(0x4330000000000000)  # the bits of 2^52
_SQRT2 = math.sqrt(2.0)
_LN2 = math.log(2.0)


@jit(inline="always")
def _log_reduced(x):
    """``(k, e)`` with x = 2^k (1 + e), e in [sqrt(2)/2 - 1, sqrt(2) - 1), for a normal x > 0.

    Then log x = k ln2 + log1p(e), and |e| <= 0.42 keeps _log1p_unit's series
    (s^2 <= 0.03) accurate; near x = 1, k = 0 and e = x - 1 is exact.
    Exponent bits only: no branch, no libm call.
    """
    bits = _float64_bits(x)
    # The exponent field as a float without an int64 -> float64 conversion
    # (AVX2 has none, it would keep the loop scalar): 2^52 + e has e in its
    # low mantissa bits.
    k = _bits_to_float64(_TWO_52_BITS | ((bits >> 52) & np.int64(0x7FF))) - (_TWO_52 + 1023.0)
    f = _bits_to_float64((bits & _MANTISSA) | _ONE_BITS)
    big = f > _SQRT2
    f = f * 0.5 if big else f
    k = k + 1.0 if big else k
    return k, f - 1.0


@jit(inline="always")
def _log_normal(x):
    """log(x) for a normal positive float64, within a few ulp, branch-free."""
    k, e = _log_reduced(x)
    return k * _LN2 + _log1p_unit(e)


# ---------------------------------------------------------------- binary


@jit(inline="always")
def _clip_terms(p, q, m):
    """``(u, v, c, c / u)`` of the clipped negative part (docs/math.md §9), for u > 0.

    ``u = max(p - m, 0)`` is formed as ``p (1 - m) (1 - exp(z_m - z))``
    without cancelling p against m: here as ``p - m`` from p and q, whichever
    side keeps more digits. ``v = 1 - u = q + m`` (no cancellation) and
    ``c = -log v`` by log1p of ``-u`` where u is small (c ~ u keeps its
    digits) and by log of v elsewhere.
    """
    u = p - m if p < 0.5 else (1.0 - m) - q
    v = q + m
    c = -math.log1p(-u) if u < 0.5 else -math.log(v)
    ratio = c / u if u > 0.0 else 1.0  # -log(1 - u) / u -> 1 as u -> 0
    return u, v, c, ratio


@jit(inline="always")
def _adjusted(hess, floor, policy):
    """The exact second derivative as the "abs" / "clip" policies return it (§3)."""
    if policy == ABS:
        return abs(hess)
    if policy == CLIP:
        return max(hess, floor)
    return hess


@jit(inline="always")
def _clipped_derivatives(p, q, d1, d2, ug, a, policy):
    """Gradient and policy-adjusted Hessian of the clipped part from phi', phi'' (§9)."""
    pq = p * q
    grad = a * pq * d1
    if policy == SURROGATE:
        hess = a * ug * pq
    elif policy == FISHER:
        hess = a * pq
    else:
        hess = _adjusted(a * (pq * pq * d2 + pq * (q - p) * d1), HESSIAN_FLOOR * a, policy)
    return grad, hess


@jit(inline="always")
def _clipped_negative(z, g, m, a, policy):
    """Loss, d/dz and d2/dz2 of ``a max(p - m, 0)^g (-log(1 - max(p - m, 0)))`` (§9).

    Zero at and below the kink p = m (the left-hand values: the loss is flat
    there, and 0 is a subgradient at the kink itself); see docs/math.md §9
    for the Hessian policies on this part.
    """
    p, q, _, _ = _sigmoid_terms(z)
    u, v, c, ratio = _clip_terms(p, q, m)
    if u <= 0.0:
        floor = HESSIAN_FLOOR * a if policy == CLIP else 0.0
        return 0.0, 0.0, floor
    ug = _power(u, g)
    # phi(u) = u^g c: phi' = u^g (g c/u + 1/v), phi'' = g u^(g-1) ((g-1) c/u + 2/v) + u^g / v^2
    d1 = ug * (g * ratio + 1.0 / v)
    d2 = ug / (v * v)
    if g != 0.0:
        d2 += g * _power(u, g - 1.0) * ((g - 1.0) * ratio + 2.0 / v)
    grad, hess = _clipped_derivatives(p, q, d1, d2, ug, a, policy)
    return a * ug * c, grad, hess


@jit(inline="always")
def _binary_loss(y, z, gp, gn, m, a_pos, a_neg):
    p, q, s1, s0 = _sigmoid_terms(z)
    loss = 0.0
    if y != 0.0:
        loss += y * a_pos * _power(q, gp) * s1
    if y != 1.0:
        if m > 0.0:
            loss += (1.0 - y) * _clipped_negative(z, gn, m, a_neg, EXACT)[0]
        else:
            loss += (1.0 - y) * a_neg * _power(p, gn) * s0
    return loss


@jit(inline="always")
def _binary_grad_hess(y, z, gp, gn, m, a_pos, a_neg, policy):
    """Both classes' parts for a soft label; the clipped negative part if m > 0 (§9)."""
    if m > 0.0:
        # The policies that adjust the exact value apply to the sum of the parts.
        inner = policy if policy == SURROGATE or policy == FISHER else EXACT
        gr, h = _hard_grad_hess(np.float64(z), gp, a_pos, inner)
        _, gr_neg, h_neg = _clipped_negative(z, gn, m, a_neg, inner)
        hess = _adjusted(y * h + (1.0 - y) * h_neg,
                         HESSIAN_FLOOR * (y * a_pos + (1.0 - y) * a_neg), policy)
        return y * gr + (1.0 - y) * gr_neg, hess
    p, q, s1, s0 = _sigmoid_terms(z)
    # Hard labels (the common case) skip the other class's pow entirely.
    w_pos = y * a_pos * _power(q, gp) if y != 0.0 else 0.0
    w_neg = (1.0 - y) * a_neg * _power(p, gn) if y != 1.0 else 0.0
    # p * s1 and q * s0 are bounded by 1/e: formed first, they keep the
    # Hessian finite where g * s1 alone would overflow (z near -1.8e308).
    ps1 = p * s1
    qs0 = q * s0
    grad = w_neg * (p + gn * qs0) - w_pos * (q + gp * ps1)
    if policy == SURROGATE:
        hess = (w_pos + w_neg) * (p * q)
    elif policy == FISHER:
        hess = (y * a_pos + (1.0 - y) * a_neg) * (p * q)
    else:
        hess = 0.0
        if w_pos != 0.0:
            hess += w_pos * (q * ((2.0 * gp + 1.0) * p - gp * ps1) + gp * gp * p * ps1)
        if w_neg != 0.0:
            hess += w_neg * (p * ((2.0 * gn + 1.0) * q - gn * qs0) + gn * gn * q * qs0)
        hess = _adjusted(hess, HESSIAN_FLOOR * (y * a_pos + (1.0 - y) * a_neg), policy)
    return grad, hess


@jit(inline="always")
def _hard_grad_hess(t, g, a, policy):
    """Derivatives, with respect to t, of a Q^g S at t = +-z: the hard-label case.

    For y = 1, t = z and a = a_pos; for y = 0, t = -z and a = a_neg (the
    gradient then changes sign, the Hessian does not). Half the work of the
    general formula, which evaluates both classes' parts.
    """
    P, Q, S = _true_class_terms(t)
    return _hard_derivatives(P, Q, S, _power(Q, g), g, a, policy)


@jit(inline="always")
def _hard_derivatives(P, Q, S, Qg, g, a, policy):
    """d/dt and d2/dt2 of a Q^g S from P = sigmoid(t), Q = 1 - P, S = -log P, Qg = Q^g."""
    PS = P * S
    grad = -a * Qg * (Q + g * PS)
    if policy == SURROGATE:
        hess = a * Qg * (P * Q)
    elif policy == FISHER:
        hess = a * (P * Q)
    else:
        hess = _adjusted(a * Qg * (Q * ((2.0 * g + 1.0) * P - g * PS) + g * g * P * PS),
                         HESSIAN_FLOOR * a, policy)
    return grad, hess


@jit(inline="always")
def _element_grad_hess(y, z, gp, gn, m, a_pos, a_neg, policy):
    """Gradient and Hessian of one element, hard labels by the shorter formula."""
    if y == 1.0:
        return _hard_grad_hess(np.float64(z), gp, a_pos, policy)
    if y == 0.0:
        if m > 0.0:
            _, gr, h = _clipped_negative(z, gn, m, a_neg, policy)
            return gr, h
        gr, h = _hard_grad_hess(-np.float64(z), gn, a_neg, policy)
        return -gr, h
    return _binary_grad_hess(y, z, gp, gn, m, a_pos, a_neg, policy)


@jit(nogil=True)
def binary_loss(start, stop, y, z, gamma_pos, gamma_neg, clip, a_pos, a_neg, weight, out):
    """Per-element loss into ``out``; 2-D (n, k) arrays, (k,) parameters, (n,) or (0,) weight."""
    k = z.shape[1]
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        for j in range(k):
            out[i, j] = w * _binary_loss(y[i, j], z[i, j], gamma_pos[j], gamma_neg[j], clip[j],
                                         a_pos[j], a_neg[j])


@jit(nogil=True)
def binary_loss_sum(start, stop, y, z, gamma_pos, gamma_neg, clip, a_pos, a_neg, weight):
    """Sum of the weighted per-element loss, without a per-element array."""
    k = z.shape[1]
    total = 0.0
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        row = 0.0
        for j in range(k):
            row += _binary_loss(y[i, j], z[i, j], gamma_pos[j], gamma_neg[j], clip[j],
                                a_pos[j], a_neg[j])
        total += w * row
    return total


@jit(nogil=True)
def binary_grad_hess(start, stop, y, z, gamma_pos, gamma_neg, clip, a_pos, a_neg, weight,
                     policy, round21, grad, hess):
    """Weighted gradient and Hessian into ``grad`` / ``hess`` (float32 or float64).

    With ``round21`` each unweighted value is rounded to 21 significant bits
    before the weight multiplies it (the booster path).
    """
    k = z.shape[1]
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        for j in range(k):
            g, h = _element_grad_hess(y[i, j], z[i, j], gamma_pos[j], gamma_neg[j], clip[j],
                                      a_pos[j], a_neg[j], policy)
            if round21:
                g = _round_21_bits(g)
                h = _round_21_bits(h)
            grad[i, j] = w * g
            hess[i, j] = w * h


# Rows per block of the SIMD kernel: one pass checks that the block's labels
# are hard (0 or 1), the next computes it branch-free; small enough to stay
# in the L1 cache between the two.
_BLOCK = 512


@jit(inline="always")
def _hard_terms(y, z, a_pos, a_neg):
    """Label sign, class weight, t = +-z, P, Q, S, log1p(exp(-|t|)) for a 0/1 label."""
    positive_label = y == 1.0
    zi = np.float64(z)
    t = zi if positive_label else -zi
    a = a_pos if positive_label else a_neg
    abs_t = abs(t)
    e = _exp_neg_or_zero(abs_t)
    inv = 1.0 / (1.0 + e)
    log_d = _log1p_unit(e)
    t_positive = t >= 0.0
    P = inv if t_positive else e * inv
    Q = e * inv if t_positive else inv
    S = log_d if t_positive else abs_t + log_d
    softplus_t = (t if t_positive else 0.0) + log_d  # -log Q
    return positive_label, a, P, Q, S, softplus_t


@jit(inline="always")
def _hard_values(positive_label, a, P, Q, S, Qg, g, policy):
    """_hard_grad_hess from its terms, each rounded to 21 bits (unweighted)."""
    gr, h = _hard_derivatives(P, Q, S, Qg, g, a, policy)
    gr = gr if positive_label else -gr
    return _round_21_bits(gr), _round_21_bits(h)


@jit(inline="always")
def _small_power(x, g):
    """x^g for g in {0, 1, 2, 3, 4} by products (selects, no branch)."""
    x2 = x * x
    return (1.0 if g == 0.0 else x if g == 1.0 else x2 if g == 2.0 else x2 * x if g == 3.0
            else x2 * x2)


@jit(inline="always")
def _is_small_gamma(g):
    """Whether x^g is a product (_small_power): g in {0, 1, 2, 3, 4}."""
    return g == 0.0 or g == 1.0 or g == 2.0 or g == 3.0 or g == 4.0


# Two block loops, selected outside them: an if on gamma inside one loop is
# turned into selects that evaluate the second exp for every element.
# They run over range(n) of slices, not range(lo, hi): with an index of
# unknown sign Numba adds a negative-index wrap to every access, and the
# loop is no longer vectorised.


# fastmath "contract" lets LLVM fuse the polynomials' multiply-adds (about
# a quarter of the time); it never reassociates, and the 21-bit rounding is
# done on integers, so the results stay those of the float64 formulas.
@jit(nogil=True, error_model="numpy", fastmath={"contract"})
def _hard_block_small_gamma(y, z, gp, gn, a_pos, a_neg, weight, policy, grad, hess):
    """Rows with labels 0/1 and gammas in {0, 1, 2, 3, 4}: Q^g by products."""
    for i in range(z.shape[0]):
        positive_label, a, P, Q, S, _ = _hard_terms(y[i], z[i], a_pos, a_neg)
        g = gp if positive_label else gn
        Qg = _small_power(Q, g)
        gr, h = _hard_values(positive_label, a, P, Q, S, Qg, g, policy)
        w = weight[i] if weight.size else 1.0
        grad[i] = w * gr
        hess[i] = w * h


@jit(nogil=True, error_model="numpy", fastmath={"contract"})
def _hard_block_any_gamma(y, z, gp, gn, a_pos, a_neg, weight, policy, grad, hess):
    """Rows with labels 0/1, any gammas: Q^g = exp(-g softplus(t))."""
    for i in range(z.shape[0]):
        positive_label, a, P, Q, S, softplus_t = _hard_terms(y[i], z[i], a_pos, a_neg)
        g = gp if positive_label else gn
        Qg = _exp_neg_or_zero(g * softplus_t)
        gr, h = _hard_values(positive_label, a, P, Q, S, Qg, g, policy)
        w = weight[i] if weight.size else 1.0
        grad[i] = w * gr
        hess[i] = w * h


@jit(nogil=True, error_model="numpy")
def binary_grad_hess_booster(start, stop, y, z, gamma_pos, gamma_neg, clip, a_pos, a_neg,
                             weight, policy, grad, hess):
    """binary_grad_hess with round21 for one column of hard labels: the boosters' call.

    Every block of 0/1 labels takes the SIMD loops. Returns False, leaving
    the rest undone, at the first block holding a soft label: the caller
    then computes the whole column with the general kernel. Keeping the
    general formulas out of this kernel halves what a first use compiles
    (soft labels are rare in boosting).
    """
    gp, gn, m = gamma_pos, gamma_neg, clip
    small_gamma = _is_small_gamma(gp) and _is_small_gamma(gn)
    for lo in range(start, stop, _BLOCK):
        hi = min(lo + _BLOCK, stop)
        soft = 0
        for i in range(lo, hi):
            soft += (y[i] != 0.0) & (y[i] != 1.0)
        if soft:
            return False
        w = weight[lo:hi] if weight.size else weight
        # One of four loops, chosen per block (docs/math.md §9 for the clipped ones).
        if m > 0.0 and small_gamma:
            _hard_block_clipped_small_gamma(y[lo:hi], z[lo:hi], gp, gn, m, a_pos, a_neg, w,
                                            policy, grad[lo:hi], hess[lo:hi])
        elif m > 0.0:
            _hard_block_clipped_any_gamma(y[lo:hi], z[lo:hi], gp, gn, m, a_pos, a_neg, w,
                                          policy, grad[lo:hi], hess[lo:hi])
        elif small_gamma:
            _hard_block_small_gamma(y[lo:hi], z[lo:hi], gp, gn, a_pos, a_neg, w, policy,
                                    grad[lo:hi], hess[lo:hi])
        else:
            _hard_block_any_gamma(y[lo:hi], z[lo:hi], gp, gn, a_pos, a_neg, w, policy,
                                  grad[lo:hi], hess[lo:hi])
    return True


@jit(inline="always")
def _clipped_row(yi, zi, gp, gn, m, a_pos, a_neg, policy, integer_gammas):
    """One hard-label row with a probability margin m > 0 (docs/math.md §9), branch-free.

    Positives: the focal part with gp. Negatives: the clipped part, from
    p = Q and q = P of t = -z; the row computes both and keeps its own.
    ``integer_gammas`` is a constant at each call site: after inlining, the
    powers are products (gammas in {0, ..., 4}) or exponentials, never both.
    """
    positive_label = yi == 1.0
    zf = np.float64(zi)
    t = zf if positive_label else -zf
    a = a_pos if positive_label else a_neg
    abs_t = abs(t)
    e = _exp_neg_or_zero(abs_t)
    inv = 1.0 / (1.0 + e)
    t_positive = t >= 0.0
    P = inv if t_positive else e * inv
    Q = e * inv if t_positive else inv
    # The negative part at p = Q, q = P.
    p, q = Q, P
    u = p - m if p < 0.5 else (1.0 - m) - q
    v = q + m
    active = u > 0.0
    su = u if active else 0.5
    # One log1p series per row, on the argument its label needs: log1p(e)
    # for a positive's S; for a negative's c = -log(1 - u), log1p(-u) near the
    # kink (u exact) and log(v) (exponent bits + log1p) beyond u = 1/2.
    k_v, e_v = _log_reduced(v)
    near = su <= 0.5
    log1p_arg = _log1p_unit(e if positive_label else (-su if near else e_v))
    S = log1p_arg if t_positive else abs_t + log1p_arg
    softplus_t = (t if t_positive else 0.0) + log1p_arg  # -log Q
    if integer_gammas:
        Qg = _small_power(Q, gp)
    else:
        Qg = _exp_neg_or_zero(gp * softplus_t)
    gr_pos, h_pos = _hard_derivatives(P, Q, S, Qg, gp, a, policy)
    c = -((0.0 if near else k_v) * _LN2 + log1p_arg)
    # 1/u and 1/v from one division (divisions are the slowest vector operation)
    inv_uv = 1.0 / (su * v)
    inv_u = v * inv_uv
    inv_v = su * inv_uv
    ratio = c * inv_u
    if integer_gammas:
        ug = _small_power(su, gn)
    else:
        ug = _exp_neg_or_zero(-gn * _log_normal(max(su, _F64_TINY)))
    d1 = ug * (gn * ratio + inv_v)
    curvature = gn * (ug * inv_u) * ((gn - 1.0) * ratio + 2.0 * inv_v)
    d2 = ug * inv_v * inv_v + (curvature if gn != 0.0 else 0.0)
    gr_neg, h_neg = _clipped_derivatives(p, q, d1, d2, ug, a, policy)
    floor = HESSIAN_FLOOR * a if policy == CLIP else 0.0
    h_neg = h_neg if active else floor
    gr_neg = gr_neg if active else 0.0
    gr = gr_pos if positive_label else gr_neg
    h = h_pos if positive_label else h_neg
    return _round_21_bits(gr), _round_21_bits(h)


@jit(nogil=True, error_model="numpy", fastmath={"contract"})
def _hard_block_clipped_small_gamma(y, z, gp, gn, m, a_pos, a_neg, weight, policy, grad, hess):
    """Rows with labels 0/1, a probability margin, gammas in {0, ..., 4}."""
    for i in range(z.shape[0]):
        gr, h = _clipped_row(y[i], z[i], gp, gn, m, a_pos, a_neg, policy, True)
        w = weight[i] if weight.size else 1.0
        grad[i] = w * gr
        hess[i] = w * h


@jit(nogil=True, error_model="numpy", fastmath={"contract"})
def _hard_block_clipped_any_gamma(y, z, gp, gn, m, a_pos, a_neg, weight, policy, grad, hess):
    """Rows with labels 0/1, a probability margin, any gammas."""
    for i in range(z.shape[0]):
        gr, h = _clipped_row(y[i], z[i], gp, gn, m, a_pos, a_neg, policy, False)
        w = weight[i] if weight.size else 1.0
        grad[i] = w * gr
        hess[i] = w * h


# --------------------------------------------------------------- softmax


@jit(error_model="numpy", fastmath={"contract"})
def _exps_of_padded(d, ex):
    """ex[j] = exp(-d[j]) for d >= 0 by the polynomial exp, over a length that is a multiple of 8.

    A function of its own (Numba's inlining would keep the loop scalar) over
    a padded length (no scalar remainder loop): one or two vector
    iterations per row instead of k calls to the C library's exp.
    """
    for j in range(d.shape[0]):
        ex[j] = _exp_neg_or_zero(d[j])


@jit(inline="always")
def _softmax_scratch(k):
    """Per-call buffers of _softmax_row_terms: exponentials and shifted margins, padded."""
    padded = (k + 7) // 8 * 8
    return np.empty(padded), np.zeros(padded)


@jit(inline="always")
def _softmax_row_terms(c, z, ex, shifted, fast):
    """Shifted-exponential sums of one row: what every softmax term needs.

    Returns (zmax, top, e_c, s_others, s_not_top, t): the largest margin and
    its index, exp(z_c - zmax), the sum over the other classes, the sum over
    all classes but the top one, and t = -log p_c. The shifted exponentials
    exp(z_j - zmax) are left in ``ex`` for the caller to reuse. ``fast``
    (the boosters' 21-bit path) takes them from the vectorised polynomial,
    which flushes those below float64's smallest normal to 0; otherwise
    from the C library, subnormals included.
    """
    k = z.shape[0]
    zmax = np.float64(z[0])  # float64 differences: float32 margins may differ by > f32 max
    top = 0
    for j in range(1, k):
        if z[j] > zmax:
            zmax = np.float64(z[j])
            top = j
    if fast:
        for j in range(k):
            shifted[j] = zmax - np.float64(z[j])  # inf (margins far apart) gives 0
        _exps_of_padded(shifted, ex)
    else:
        for j in range(k):
            # Margins more than the float64 range apart overflow the difference;
            # the clamp keeps -log p_c finite (its exact value is not representable).
            ex[j] = math.exp(max(np.float64(z[j]) - zmax, -_F64_MAX))
    s_others = 0.0
    s_not_top = 0.0
    e_c = 0.0
    for j in range(k):
        e = ex[j]
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


@jit(inline="always")
def _softmax_loss(c, z, g, a_c, ex, shifted):
    _, _, e_c, s_others, _, t = _softmax_row_terms(c, z, ex, shifted, False)
    r = s_others / (e_c + s_others)
    return a_c * _power(r, g) * t


@jit(nogil=True)
def softmax_loss(start, stop, labels, z, gamma, alpha, weight, out):
    ex, shifted = _softmax_scratch(z.shape[1])
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        c = labels[i]
        out[i] = w * _softmax_loss(c, z[i], gamma, alpha[c], ex, shifted)


@jit(nogil=True)
def softmax_loss_sum(start, stop, labels, z, gamma, alpha, weight):
    ex, shifted = _softmax_scratch(z.shape[1])
    total = 0.0
    for i in range(start, stop):
        w = weight[i] if weight.size else 1.0
        c = labels[i]
        total += w * _softmax_loss(c, z[i], gamma, alpha[c], ex, shifted)
    return total


@jit()
def _softmax_policy(h, rg, p_j, one_minus, policy):
    """The Hessian policy applied to one exact diagonal term ``h`` (before alpha).

    Deliberately not inline="always": Numba's IR-level inlining of this
    multi-return function into the class loop made that loop ~40% slower.
    """
    if policy == SURROGATE:
        return rg * p_j * one_minus
    if policy == FISHER:
        return p_j * one_minus
    if policy == ABS:
        return abs(h)
    if policy == CLIP:
        return max(h, HESSIAN_FLOOR)
    return h


@jit(nogil=True, error_model="numpy")
def softmax_grad_hess(start, stop, labels, z, gamma, alpha, weight, policy, round21,
                      grad, hess):
    """Gradient and Hessian diagonal of the softmax focal loss, row by row.

    With P = p_c, r = 1 - P (the other classes' share), t = -log P, a = alpha_c:
    G_c = -a r^g (r + g P t), G_j = a r^g (1 + g P t / r) p_j, and
    H_c = a [A + r^g P (r + g P t)], H_j = a [rho_j^2 A + r^g (1 + g P t / r) p_j (1 - p_j)]
    with A = g r^g [r P (2 - t) + (g - 1) P^2 t] and rho_j = p_j / r.

    Every class is first computed by the j != c formulas in one branch-free
    loop (1 - p_j as (s - e_j) / s, exact unless j is the top class); then
    the true class and the top class are overwritten with their own forms.
    """
    k = z.shape[1]
    g = gamma
    ex, shifted = _softmax_scratch(k)
    for i in range(start, stop):
        row = z[i]
        c = labels[i]
        zmax, top, e_c, s_others, s_not_top, t = _softmax_row_terms(c, row, ex, shifted,
                                                                    round21)
        s = e_c + s_others
        inv_s = 1.0 / s
        P = e_c * inv_s
        r = s_others * inv_s
        t_over_r = t / r if r > 0.0 else 1.0  # -> 1 as r -> 0
        rg = _power(r, g)
        other = rg * (1.0 + g * P * t_over_r)
        A = g * rg * (r * P * (2.0 - t) + (g - 1.0) * P * P * t)
        # rho_j = e_j / s_others as e_j * (1 / s_others): one division per row.
        # When the true class leads every other by ~709.8-745 the sum is
        # subnormal and its reciprocal overflows (inf * 0 = NaN below), so both
        # are scaled by 2^1000 there: still exact, finite for any subnormal.
        scale = 1.0 if s_others >= _F64_TINY else _SUBNORMAL_SCALE
        inv_others = 1.0 / (s_others * scale) if s_others > 0.0 else 0.0
        a_c = alpha[c]
        w = weight[i] if weight.size else 1.0
        grad_row = grad[i]
        hess_row = hess[i]
        for j in range(k):
            e = ex[j]
            p_j = e * inv_s
            one_minus = (s - e) * inv_s
            rho = (e * scale) * inv_others
            h = _softmax_policy(rho * rho * A + other * p_j * one_minus, rg, p_j, one_minus,
                                policy)
            gj = a_c * (other * p_j)
            hj = a_c * h
            if round21:
                gj = _round_21_bits(gj)
                hj = _round_21_bits(hj)
            grad_row[j] = w * gj
            hess_row[j] = w * hj
        if top != c:  # 1 - p_top may be near 0: from the sum of the others
            e = ex[top]
            p_j = e * inv_s
            one_minus = s_not_top * inv_s
            rho = (e * scale) * inv_others
            h = a_c * _softmax_policy(rho * rho * A + other * p_j * one_minus, rg, p_j,
                                      one_minus, policy)
            hess_row[top] = w * (_round_21_bits(h) if round21 else h)
        one_minus = s_not_top * inv_s if c == top else (s - e_c) * inv_s
        gj = a_c * (-rg * (r + g * P * t))
        hj = a_c * _softmax_policy(A + rg * P * (r + g * P * t), rg, P, one_minus, policy)
        if round21:
            gj = _round_21_bits(gj)
            hj = _round_21_bits(hj)
        grad_row[c] = w * gj
        hess_row[c] = w * hj
