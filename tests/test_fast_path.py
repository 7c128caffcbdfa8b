"""The boosters' fast path (compiled kernel, float32, 21-bit rounding) vs textbook formulas.

``FocalLoss.__call__`` / ``SoftmaxFocalLoss.__call__`` are what XGBoost and
LightGBM call every round. Their output must equal the textbook expressions
up to the documented rounding: 21 significant bits (2^-21 relative) then
float32 (2^-24), so 6e-7 relative, on random and extreme inputs, for both
margin dtypes.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference

from focal_gbm import FocalLoss, SoftmaxFocalLoss, _kernels

RTOL = 6e-7  # 2^-21 + 2^-24, see the module docstring


def textbook_binary(y, z, g, a):
    """The closed forms of docs/math.md §2, direct float64 numpy (fine for |z| <= 30)."""
    p = 1.0 / (1.0 + np.exp(-z))
    log_p, log_q = np.log(p), np.log1p(-p)

    def parts(p, log_p, a):
        d1 = a * (1 - p) ** g * (g * p * log_p - (1 - p))
        d2 = a * p * (1 - p) ** g * ((1 - p) * (g * log_p + g + 1)
                                     - g * (g * p * log_p - (1 - p)))
        return d1, d2

    d1p, d2p = parts(p, log_p, a)
    d1n, d2n = parts(1 - p, log_q, 1 - a)
    return y * d1p - (1 - y) * d1n, y * d2p + (1 - y) * d2n


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
def test_binary_fast_path_matches_textbook_on_random_inputs(dtype, gamma, rng):
    n = 20_000  # above the size where the work is split over threads
    y = np.where(rng.random(n) < 0.8, rng.integers(0, 2, size=n), rng.random(n))
    z = rng.normal(scale=6.0, size=n).clip(-30, 30).astype(dtype)
    w = rng.uniform(0, 3, size=n)
    grad, hess = FocalLoss(gamma=gamma, alpha=0.3, hessian="exact")(y, z, w)
    assert grad.dtype == hess.dtype == np.float32
    g_ref, h_ref = textbook_binary(y, z.astype(np.float64), gamma, 0.3)
    # |grad| is O(1) where labels are soft and terms cancel; the textbook
    # formula's own rounding there is ~1e-16 absolute.
    np.testing.assert_allclose(grad, w * g_ref, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(hess, w * h_ref, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_fast_path_matches_high_precision_at_extremes(dtype):
    big = float(np.finfo(dtype).max)
    z = np.array([0.0, 1e-8, -1e-8, 20.0, -20.0, 40.0, -40.0, 85.0, -85.0, big, -big],
                 dtype=dtype)
    for y_value in (0.0, 1.0):
        y = np.full(z.shape, y_value)
        grad, hess = FocalLoss(gamma=2.0, alpha=0.25, hessian="exact")(y, z)
        assert np.isfinite(grad).all() and np.isfinite(hess).all()
        for i, zi in enumerate(z.astype(np.float64)):
            g_ref = float(reference.grad_closed_form(y_value, zi, 2.0, 0.25, 0.75))
            h_ref = float(reference.hess_closed_form(y_value, zi, 2.0, 0.25, 0.75))
            # below float32's smallest normal the value is rounded absolutely
            tiny = float(np.finfo(np.float32).tiny)
            assert abs(grad[i] - g_ref) <= RTOL * abs(g_ref) + tiny
            assert abs(hess[i] - h_ref) <= RTOL * abs(h_ref) + tiny


@pytest.mark.parametrize("hessian", ["exact", "clip", "abs", "surrogate", "fisher"])
@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("soft_labels", [0, 5])
def test_binary_simd_path_matches_the_float64_kernel(dtype, gamma, hessian, soft_labels, rng):
    """Hard labels take the SIMD kernel (polynomial exp / log1p); soft ones do not.

    With a few soft labels the booster path falls back to the general
    formulas (21-bit rounded); with none, every block is vectorised. Every
    policy and both gamma loops (products for 0, 1, 2; exp(-g softplus)
    otherwise) are covered.
    """
    n = 20_000
    y = rng.integers(0, 2, size=n).astype(float)
    y[rng.choice(n, size=soft_labels, replace=False)] = 0.3
    z = np.concatenate([rng.normal(scale=4.0, size=n - 8),
                        [0.0, -0.0, 700.0, -700.0, 750.0, -750.0, 1e30, -1e30]]).astype(dtype)
    w = rng.uniform(0, 3, size=n)
    grad, hess = FocalLoss(gamma=gamma, alpha=0.3, hessian=hessian)(y, z, w)
    reference_loss = FocalLoss(gamma=gamma, alpha=0.3, hessian=hessian)
    g_ref, h_ref = reference_loss.grad_hess(y, z.astype(np.float64), w)  # float64, libm
    # 21-bit rounding + float32 (RTOL); the float64 values themselves agree
    # to a few ulp, and anything below float32's smallest normal rounds away.
    tiny = float(np.finfo(np.float32).tiny)
    assert np.all(np.abs(grad - g_ref) <= RTOL * np.abs(g_ref) + tiny)
    assert np.all(np.abs(hess - h_ref) <= RTOL * np.abs(h_ref) + tiny)


def test_polynomial_exp_and_log1p_are_within_two_ulp():
    """The SIMD kernel's exp(-a) and log1p(e) against 40-digit mpmath values.

    Cody-Waite reduction and a degree-13 Taylor polynomial (exp), the
    16-term atanh series (log1p) each round a handful of times: 2 ulp is
    their bound (observed 1 and 1.6); a wrong coefficient or reduction
    constant is off by many orders more.
    """
    import mpmath

    a = np.concatenate([np.linspace(0, 1, 201), np.linspace(1, 708, 401), [1e-300, 0.5 ** 30]])
    e = np.concatenate([np.linspace(0, 1, 401), [1e-300, 1e-17, 2.0 ** -30]])
    exp_values = _exp_neg_vector(a)
    log_values = _log1p_vector(e)
    with mpmath.workdps(40):
        for x, value in zip(a, exp_values):
            exact = mpmath.exp(-mpmath.mpf(float(x)))
            assert abs(value - exact) <= 2 * np.finfo(float).eps * exact, x
        for x, value in zip(e, log_values):
            exact = mpmath.log1p(mpmath.mpf(float(x)))
            assert abs(value - exact) <= 2 * np.finfo(float).eps * exact, x
    # Beyond the cut-off (708) exp(-a) is flushed to 0, never inf or NaN.
    np.testing.assert_array_equal(_exp_neg_vector(np.array([708.5, 1e308, np.inf])), 0.0)


def test_21_bit_rounding_keeps_21_significant_bits_to_nearest(rng):
    """What makes w * g exact in float32 for small integer weights (sample-weight contract)."""
    values = np.concatenate([rng.normal(size=10_000) * 10.0 ** rng.integers(-30, 30, 10_000),
                             [0.0, -0.0, 1.0, 1.0 + 2.0 ** -21, -(1.0 + 2.0 ** -21)]])
    rounded = _elementwise(_kernels.round_21_bits, values)
    bits = rounded.view(np.int64)
    assert np.all(bits & 0xFFFFFFFF == 0)  # 53 - 32 = 21 significant bits
    # to nearest: within half a 21-bit ulp (2^-21 relative), and idempotent
    assert np.all(np.abs(rounded - values) <= 2.0 ** -21 * np.abs(values))
    np.testing.assert_array_equal(_elementwise(_kernels.round_21_bits, rounded), rounded)
    # a tie goes away from zero
    assert rounded[-2] == 1.0 + 2.0 ** -20 and rounded[-1] == -(1.0 + 2.0 ** -20)


def _elementwise(kernel, values):
    """One of the kernels' building blocks applied to each of ``values`` (float64)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    out = np.empty_like(values)
    kernel(values, out)
    return out


def _exp_neg_vector(a):
    return _elementwise(_kernels.exp_neg, a)


def _log1p_vector(e):
    return _elementwise(_kernels.log1p_unit, e)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_fast_path_matches_finite_differences(dtype, rng):
    n, k = 30, 4
    labels = rng.integers(0, k, size=n)
    z = rng.normal(scale=5.0, size=(n, k)).astype(dtype)
    grad, hess = SoftmaxFocalLoss(gamma=2.0, alpha=[0.1, 0.2, 0.3, 0.4], hessian="exact")(
        labels, z)
    assert grad.dtype == np.float32
    # Called as a booster calls it, the Hessian carries that booster's own
    # softmax scaling: XGBoost's 2 (it hands float32 margins), LightGBM's
    # k / (k - 1) (float64); exact in binary floating point for 2, and applied
    # before the rounding to 21 bits.
    hess = hess / (2.0 if dtype == np.float32 else k / (k - 1))
    for i in range(n):
        g_ref, h_ref = reference.softmax_grad_hess(labels[i], z[i].astype(np.float64), 2.0,
                                                   [0.1, 0.2, 0.3, 0.4][labels[i]])
        np.testing.assert_allclose(grad[i], np.array(g_ref, dtype=float), rtol=RTOL,
                                   atol=1e-30)
        np.testing.assert_allclose(hess[i], np.array(h_ref, dtype=float), rtol=RTOL,
                                   atol=1e-30)


@pytest.mark.parametrize("n_rows, call", [
    (200_000, "grad_hess"),  # the public methods split from 50,000 elements
    (200_000, "booster"),  # so does the boosters' call when the thread count is set
])
def test_threaded_and_single_threaded_results_are_identical(rng, monkeypatch, n_rows, call):
    """Splitting rows over threads changes nothing (no reductions in grad/hess)."""
    y = rng.integers(0, 2, size=n_rows).astype(float)
    z = rng.normal(size=n_rows).astype(np.float32)
    loss = FocalLoss(gamma=2.0)
    compute = loss.grad_hess if call == "grad_hess" else loss
    monkeypatch.setenv("FOCAL_GBM_NUM_THREADS", "3")
    threaded = compute(y, z)
    total_threaded = loss.mean_loss(y, z)
    monkeypatch.setenv("FOCAL_GBM_NUM_THREADS", "1")
    single = compute(y, z)
    np.testing.assert_array_equal(threaded[0], single[0])
    np.testing.assert_array_equal(threaded[1], single[1])
    # the loss sum is reduced per chunk: equal to summation-order rounding
    assert loss.mean_loss(y, z) == pytest.approx(total_threaded, rel=1e-12)
