"""Independent oracles for the focal loss: the textbook formula in mpmath.

These are deliberately the direct expression of the textbook definition,

    L(y, z) = -y a (1 - p)^g log(p) - (1 - y) (1 - a) p^g log(1 - p),

evaluated with 60 significant digits, and derivatives taken by central
finite differences of that expression. They share no code with focal_gbm.
``p`` and ``1 - p`` are formed as 1 / (1 + exp(-+z)) and the logs with
log1p, because mpmath's exponent range is unbounded: that keeps them exact
to working precision even at z = 1e4 or the float32 extremes, where
forming 1 - p from p would need thousands of digits.
"""

from __future__ import annotations

import mpmath as mp

DPS = 60


def focal_loss(y, z, gamma, alpha_pos=1, alpha_neg=1):
    """Textbook focal loss at one point, as an mpf."""
    with mp.workdps(DPS):
        y, z, g = mp.mpf(y), mp.mpf(z), mp.mpf(gamma)
        p = 1 / (1 + mp.exp(-z))
        q = 1 / (1 + mp.exp(z))
        log_p = -mp.log1p(mp.exp(-z))
        log_q = -mp.log1p(mp.exp(z))
        return -y * alpha_pos * q**g * log_p - (1 - y) * alpha_neg * p**g * log_q


def grad(y, z, gamma, alpha_pos=1, alpha_neg=1):
    """Central difference of :func:`focal_loss`, step 1e-20.

    Truncation error is h^2 |L'''| / 6 ~ 1e-40 relative and rounding error
    1e-60 / 1e-20 = 1e-40 relative: both far below float64's 1e-16.
    """
    with mp.workdps(DPS):
        h = mp.mpf("1e-20")
        z = mp.mpf(z)
        return (
            focal_loss(y, z + h, gamma, alpha_pos, alpha_neg)
            - focal_loss(y, z - h, gamma, alpha_pos, alpha_neg)
        ) / (2 * h)


def hess(y, z, gamma, alpha_pos=1, alpha_neg=1):
    """Central difference of :func:`grad`, step 1e-15 (errors ~1e-30 relative)."""
    with mp.workdps(DPS):
        h = mp.mpf("1e-15")
        z = mp.mpf(z)
        return (
            grad(y, z + h, gamma, alpha_pos, alpha_neg)
            - grad(y, z - h, gamma, alpha_pos, alpha_neg)
        ) / (2 * h)


def _positive_part_derivatives(z, g, a):
    """The closed forms of docs/math.md §2 for the y = 1 part: (d l1/dz, d2 l1/dz2)."""
    p = 1 / (1 + mp.exp(-z))
    q = 1 / (1 + mp.exp(z))
    log_p = -mp.log1p(mp.exp(-z))
    d1 = a * q**g * (g * p * log_p - q)
    d2 = a * p * q**g * (q * (g * log_p + g + 1) - g * (g * p * log_p - q))
    return d1, d2


def grad_closed_form(y, z, gamma, alpha_pos=1, alpha_neg=1):
    """Gradient from the closed form (docs/math.md §2); l0 is l1 mirrored (z -> -z, a -> 1 - a).

    Used where finite differences cannot resolve the value (|z| of hundreds
    and more); ``test_reference_closed_forms_match_finite_differences``
    ties it to :func:`grad` where both work.
    """
    with mp.workdps(DPS):
        y, z, g = mp.mpf(y), mp.mpf(z), mp.mpf(gamma)
        d1_pos, _ = _positive_part_derivatives(z, g, alpha_pos)
        d1_neg, _ = _positive_part_derivatives(-z, g, alpha_neg)
        return y * d1_pos - (1 - y) * d1_neg


def hess_closed_form(y, z, gamma, alpha_pos=1, alpha_neg=1):
    """Second derivative from the closed form (see :func:`grad_closed_form`)."""
    with mp.workdps(DPS):
        y, z, g = mp.mpf(y), mp.mpf(z), mp.mpf(gamma)
        _, d2_pos = _positive_part_derivatives(z, g, alpha_pos)
        _, d2_neg = _positive_part_derivatives(-z, g, alpha_neg)
        return y * d2_pos + (1 - y) * d2_neg


def softmax_focal_loss(label, z, gamma, alpha_c=1):
    """Textbook softmax focal loss -a_c (1 - p_c)^g log p_c at one row (mpf)."""
    with mp.workdps(DPS):
        z = [mp.mpf(v) for v in z]
        total = mp.fsum(mp.exp(v) for v in z)
        p_c = mp.exp(z[label]) / total
        one_minus = mp.fsum(mp.exp(v) for j, v in enumerate(z) if j != label) / total
        return -alpha_c * one_minus ** mp.mpf(gamma) * mp.log(p_c)


def softmax_grad_hess(label, z, gamma, alpha_c=1):
    """Gradient and Hessian diagonal of :func:`softmax_focal_loss` by central differences.

    Steps 1e-20 (gradient) and 1e-12 (second difference of the loss): with 60
    digits both leave errors below 1e-30 relative.
    """
    with mp.workdps(DPS):
        base = [mp.mpf(v) for v in z]
        f0 = softmax_focal_loss(label, base, gamma, alpha_c)
        grad, hess = [], []
        for j in range(len(base)):
            def shifted(h, j=j):
                return softmax_focal_loss(
                    label, [v + (h if i == j else 0) for i, v in enumerate(base)], gamma, alpha_c
                )
            h1 = mp.mpf("1e-20")
            grad.append((shifted(h1) - shifted(-h1)) / (2 * h1))
            h2 = mp.mpf("1e-12")
            hess.append((shifted(h2) - 2 * f0 + shifted(-h2)) / h2**2)
        return grad, hess


def focal_optimum(rate, gamma, alpha_pos=1, alpha_neg=1):
    """The margin minimising the expected focal loss at true positive rate ``rate`` (mpf).

    Labels enter the loss linearly, so the expected loss is the loss of the
    soft label ``rate``, strictly convex in ``p`` (docs/math.md §8): its
    minimiser is the one sign change of :func:`grad` (central differences of
    the textbook loss). Bisection on [-80, 80] narrows it to 1e-12, secant
    steps then to working precision. Nothing of the closed-form map of
    docs/math.md §8 is used.
    """
    with mp.workdps(DPS):
        rate = mp.mpf(rate)

        def slope(z):
            return grad(rate, z, gamma, alpha_pos, alpha_neg)

        lo, hi = mp.mpf(-80), mp.mpf(80)
        assert slope(lo) < 0 < slope(hi), "the optimum lies outside [-80, 80]"
        while hi - lo > mp.mpf("1e-12"):
            mid = (lo + hi) / 2
            if slope(mid) > 0:
                hi = mid
            else:
                lo = mid
        return mp.findroot(slope, (lo, hi), solver="secant", tol=mp.mpf("1e-80"),
                           verify=False)


def posterior_rate(z, gamma, alpha_pos=1, alpha_neg=1):
    """``(r, 1 - r)`` from the textbook form ``r = a0 h(p) / (a0 h(p) + a1 h(1 - p))``.

    ``h(v) = v / ((1 - v)^g - g v (1 - v)^(g - 1) log v)`` evaluated directly
    (no rearrangement) in 60 digits, with ``p`` and ``1 - p`` formed as in
    :func:`focal_loss` so that extreme margins keep their precision.
    """
    with mp.workdps(DPS):
        z, g = mp.mpf(z), mp.mpf(gamma)
        p = 1 / (1 + mp.exp(-z))
        q = 1 / (1 + mp.exp(z))
        log_p = -mp.log1p(mp.exp(-z))
        log_q = -mp.log1p(mp.exp(z))

        def h(v, one_minus_v, log_v):
            return v / (one_minus_v**g - g * v * one_minus_v ** (g - 1) * log_v)

        pos = alpha_neg * h(p, q, log_p)
        neg = alpha_pos * h(q, p, log_q)
        return pos / (pos + neg), neg / (pos + neg)


def asl_loss(y, z, gamma_pos, gamma_neg, clip, alpha_pos=1, alpha_neg=1):
    """Textbook asymmetric loss (Ridnik et al., ICCV 2021) at one point, as an mpf.

    ``-y a1 (1 - p)^g+ log p - (1 - y) a0 p_m^g- log(1 - p_m)``,
    ``p_m = max(p - m, 0)``: the probability shifted and clipped as written,
    in 60 digits (``1 - p_m`` formed as ``q + m`` where p > m, so that no
    digits are lost to the subtraction).
    """
    with mp.workdps(DPS):
        y, z, m = mp.mpf(y), mp.mpf(z), mp.mpf(clip)
        p = 1 / (1 + mp.exp(-z))
        q = 1 / (1 + mp.exp(z))
        log_p = -mp.log1p(mp.exp(-z))
        positive = -y * alpha_pos * q ** mp.mpf(gamma_pos) * log_p
        if p <= m:
            return positive
        p_m = p - m
        return positive - (1 - y) * alpha_neg * p_m ** mp.mpf(gamma_neg) * mp.log(q + m)


def asl_grad(y, z, gamma_pos, gamma_neg, clip, alpha_pos=1, alpha_neg=1, side=0):
    """d/dz of :func:`asl_loss`: central differences (step 1e-20), or one-sided.

    ``side=+1`` / ``-1`` gives the right / left derivative (step 1e-30, error
    ~1e-30 relative): what the loss's two sides say at the kink p = m.
    """
    args = (gamma_pos, gamma_neg, clip, alpha_pos, alpha_neg)
    with mp.workdps(DPS):
        z = mp.mpf(z)
        if side:
            h = mp.mpf("1e-30") * side
            return (asl_loss(y, z + h, *args) - asl_loss(y, z, *args)) / h
        h = mp.mpf("1e-20")
        return (asl_loss(y, z + h, *args) - asl_loss(y, z - h, *args)) / (2 * h)


def asl_hess(y, z, gamma_pos, gamma_neg, clip, alpha_pos=1, alpha_neg=1, side=0):
    """d2/dz2 of :func:`asl_loss`: central differences of :func:`asl_grad` (step 1e-15),
    or one-sided ones (step 1e-25) with ``side=+-1``."""
    args = (gamma_pos, gamma_neg, clip, alpha_pos, alpha_neg)
    with mp.workdps(DPS):
        z = mp.mpf(z)
        if side:
            h = mp.mpf("1e-25") * side
            return (asl_grad(y, z + h, *args, side=side)
                    - asl_grad(y, z, *args, side=side)) / h
        h = mp.mpf("1e-15")
        return (asl_grad(y, z + h, *args) - asl_grad(y, z - h, *args)) / (2 * h)
