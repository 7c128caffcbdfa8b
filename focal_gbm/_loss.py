"""The focal-loss math: loss, gradient and Hessian with respect to the margin.

The arithmetic itself lives in ``_kernels.c`` (a compiled extension, one
fused, multi-threaded pass per call); this module shapes arrays for it,
chooses the threads, and solves for the optimal starting margins. It
imports no booster and validates nothing: callers (``objective.py``) check
their inputs once.

Derivations in ``docs/math.md``. Notation (its §1): margin ``z``,
``p = sigmoid(z)``, ``q = 1 - p = sigmoid(-z)``, ``s1 = -log(p) = softplus(-z)`` and
``s0 = -log(q) = softplus(z)``. Everything is formed from ``z`` directly,
never as the ``log`` of a rounded probability, so no finite margin gives a
NaN or an inf and tiny values keep their relative precision.

The positive (``y = 1``) part and its derivatives are

    f(z)   = q^g s1
    f'(z)  = -q^g (q + g p s1)
    f''(z) = q^g [ q ((2g + 1) p - g p s1) + g^2 p (p s1) ]

and the negative part is its mirror image ``f(-z)``. The products ``p * s1``
and ``q * s0`` are bounded by ``1/e``, which is what keeps ``f''`` finite at
margins near the float64 limit, where ``g * s1`` alone would overflow.

The softmax loss ``a_c (1 - p_c)^g (-log p_c)`` and its gradient and Hessian
diagonal are derived the same way (see ``softmax_grad_hess_row`` in ``_kernels.c``).

The binary functions also compute the asymmetric loss (``gamma_neg``, a
probability margin ``clip``; docs/math.md §9), and the posterior maps
(§8-§9) turn margins into the class probabilities behind them.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

from . import _kernels

HESSIAN_POLICIES: tuple[str, ...] = _kernels.HESSIAN_POLICIES
"""Ways to turn the exact second derivative into a usable curvature (docs/math.md §3).

The one list of policy names, defined with the kernels: a policy's position
is the code they branch on.
"""

HESSIAN_FLOOR: float = _kernels.HESSIAN_FLOOR
"""Smallest curvature the ``"clip"`` policy lets through, per unit of weight."""

INIT_MARGIN_BOUND = 30.0
"""The starting margin is searched in ``[-INIT_MARGIN_BOUND, INIT_MARGIN_BOUND]``.

A column without positives (or negatives) has its optimum at minus (plus)
infinity; 30 is far enough that sigmoid(+-30) is within 1e-13 of 0 or 1.
"""

_NO_WEIGHT = np.empty(0)


def weighted_mean(totals) -> float:
    """``totals[0] / totals[1]`` (a loss sum over a weight sum), 0 for no weight."""
    return float(totals[0] / totals[1]) if totals[1] > 0 else 0.0


# Below this many elements one thread is faster than waking others: starting
# a parallel region costs microseconds, an element ~2-30 ns.
_PARALLEL_MIN_ELEMENTS = 50_000
# Inside training (the boosters' per-round call) the booster's own OpenMP
# threads keep spinning for milliseconds after each of its parallel regions,
# on the cores the kernels' other threads would need. Unless the user set
# FOCAL_GBM_NUM_THREADS, that call is split only where it takes one thread
# ~10 ms or more: 3e6 binary elements, or a tenth as many softmax ones (each
# ~10x the work). Measured with XGBoost on 2 cores: 1e6 binary rows trained
# ~5% faster on one thread, 1e6 rows x 10 classes ~5% faster on two.
_PARALLEL_MIN_WORK_IN_TRAINING = 3_000_000
_SOFTMAX_WORK_PER_ELEMENT = 10
_THREADS_VARIABLE = "FOCAL_GBM_NUM_THREADS"


def num_threads() -> int:
    """Threads the kernels use: ``FOCAL_GBM_NUM_THREADS``, else the usable CPUs."""
    env = os.environ.get(_THREADS_VARIABLE)
    if env:
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


# GNU OpenMP's threads do not survive fork: in a forked child the runtime
# still counts the parent's, and a parallel region waits for them forever.
# So a process forked from another (multiprocessing's "fork" start method)
# runs the kernels on its calling thread only, whoever used OpenMP before.
_forked = False


def _mark_forked():
    global _forked
    _forked = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_mark_forked)


def _threads(n_rows: int, n_cols: int, *, round21: bool = False, work_per_element: int = 1):
    """Threads for a call; ``round21``: the boosters' per-round call, inside training."""
    elements = n_rows * n_cols
    if round21 and not os.environ.get(_THREADS_VARIABLE):
        small = elements * work_per_element < _PARALLEL_MIN_WORK_IN_TRAINING
    else:
        small = elements < _PARALLEL_MIN_ELEMENTS
    return 1 if _forked or small else num_threads()


def _output_pair(shape: tuple[int, ...], dtype) -> tuple[NDArray, NDArray]:
    """Two uninitialised arrays for the gradient and the Hessian, from one allocation.

    Measured on Linux: allocating and filling two float64 arrays of 1e6
    rows took ~2.4 ms per call, one array of both ~0.3 ms (the allocator
    hands blocks of that size back to the system on every free, and the
    next call faults the pages in again); as much as computing them.
    """
    both = np.empty((2, *shape), dtype=dtype)
    return both[0], both[1]


def _float_array(a) -> NDArray:
    """float32 stays float32 (XGBoost's margins); everything else is float64."""
    a = np.asarray(a)
    if a.dtype != np.float32:
        a = a.astype(np.float64, copy=False)
    return np.ascontiguousarray(a)


def _binary_inputs(y_true, margin, gamma, gamma_neg, clip, alpha_pos, alpha_neg,
                   sample_weight):
    """2-D contiguous (n, k) labels and margins, (k,) parameters, (n,) or (0,) weights.

    The parameters come in the kernels' order: gamma_pos, gamma_neg, clip,
    alpha_pos, alpha_neg (``gamma_neg=None``: the same as ``gamma``).
    """
    z = _float_array(margin)
    z2 = z.reshape(-1, 1) if z.ndim <= 1 else z
    y = np.asarray(y_true, dtype=np.float64)
    if y.shape != z.shape:
        y = np.broadcast_to(y, z.shape)
    y2 = np.ascontiguousarray(y.reshape(z2.shape))
    k = z2.shape[1]
    gamma_neg = gamma if gamma_neg is None else gamma_neg
    params = [np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=np.float64), (k,)))
              for v in (gamma, gamma_neg, clip, alpha_pos, alpha_neg)]
    weight = _NO_WEIGHT if sample_weight is None else np.ascontiguousarray(
        np.asarray(sample_weight, dtype=np.float64).reshape(-1))
    return z, y2, z2, params, weight


def binary_focal_loss(y_true, margin, *, gamma, alpha_pos, alpha_neg, gamma_neg=None,
                      clip=0.0, sample_weight=None) -> NDArray[np.float64]:
    """Per-element focal loss ``y a1 q^g s1 + (1 - y) a0 p^g s0``, times the weight.

    ``y_true`` broadcasts against ``margin``; ``gamma`` and the class weights
    are scalars or one value per column; ``sample_weight`` has one value per
    row. Nothing is validated.

    The asymmetric form (docs/math.md §9): ``gamma`` focuses the positive
    part and ``gamma_neg`` (default: ``gamma``) the negative one, whose
    probability is shifted by the margin ``clip`` (m):
    ``(1 - y) a0 p_m^gn (-log(1 - p_m))`` with ``p_m = max(p - m, 0)``.
    ``gamma_neg=gamma``, ``clip=0`` is focal loss, through the same arithmetic.
    """
    z, y2, z2, params, weight = _binary_inputs(y_true, margin, gamma, gamma_neg, clip,
                                               alpha_pos, alpha_neg, sample_weight)
    out = np.empty(z2.shape, dtype=np.float64)
    _kernels.binary_loss(y2, z2, *params, weight, out, *z2.shape, _threads(*z2.shape))
    return out.reshape(z.shape)


def binary_focal_loss_sum(y_true, margin, *, gamma, alpha_pos, alpha_neg, gamma_neg=None,
                          clip=0.0, sample_weight=None) -> float:
    """``binary_focal_loss(...).sum()`` without the per-element array."""
    _, y2, z2, params, weight = _binary_inputs(y_true, margin, gamma, gamma_neg, clip,
                                               alpha_pos, alpha_neg, sample_weight)
    return _kernels.binary_loss_sum(y2, z2, *params, weight, *z2.shape, _threads(*z2.shape))


def binary_focal_grad_hess(y_true, margin, *, gamma, alpha_pos, alpha_neg, gamma_neg=None,
                           clip=0.0, hessian: str = "exact", sample_weight=None, dtype=None,
                           round21: bool = False):
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

    The outputs have ``dtype`` (default: the margin's float dtype). With
    ``round21`` every unweighted value is rounded to 21 significant bits
    before the sample weight multiplies it (the boosters' path, see
    ``_adapter.ObjectiveAdapter.__call__``). ``gamma_neg`` and
    ``clip`` as for :func:`binary_focal_loss`; the policies act on the
    clipped negative part as docs/math.md §9 says.
    """
    policy = HESSIAN_POLICIES.index(hessian)  # checked where it entered: the loss object
    z, y2, z2, params, weight = _binary_inputs(y_true, margin, gamma, gamma_neg, clip,
                                               alpha_pos, alpha_neg, sample_weight)
    dtype = z.dtype if dtype is None else dtype
    grad, hess = _output_pair(z2.shape, dtype)
    _kernels.binary_grad_hess(y2, z2, *params, weight, policy, round21, grad, hess, *z2.shape,
                              _threads(*z2.shape, round21=round21))
    return grad.reshape(z.shape), hess.reshape(z.shape)


def binary_focal_init_margin(w_pos: float, w_neg: float, *, gamma: float,
                             gamma_neg: float | None = None, clip: float = 0.0) -> float:
    """The constant margin minimising ``w_pos f(z) + w_neg f(-z)``.

    Labels enter the focal loss linearly, so for any (soft) labels ``y``,
    sample weights ``w`` and class weights ``a1, a0`` the constant that
    minimises ``sum_i w_i L(y_i, z)`` depends on two numbers only:
    ``w_pos = a1 sum_i w_i y_i`` and ``w_neg = a0 sum_i w_i (1 - y_i)``.

    For ``g = 0`` the answer is ``log(w_pos / w_neg)``. For ``g > 0`` the
    objective is not convex (its curvature is negative in the tails), but its
    derivative changes sign once (docs/math.md §5): bisection on the analytic
    derivative over ``+-INIT_MARGIN_BOUND`` finds the minimum to adjacent
    floats (a search on the loss itself stops at ~1e-8: near its minimum the
    loss is flat to rounding). It keeps the derivative negative at its lower
    end and positive at its upper end, so it ends at a minimum whatever the
    shape. A minimum beyond the bound is clipped to it.

    The asymmetric loss (``gamma_neg``, ``clip``; docs/math.md §9) is
    convex in ``p`` in the same way, so the same bisection applies; with
    ``clip > 0`` the minimum lies above ``logit(clip)``.
    """
    bound = INIT_MARGIN_BOUND
    if w_pos <= 0.0 and w_neg <= 0.0:
        return 0.0
    if w_neg <= 0.0:
        return bound
    if w_pos <= 0.0:
        return -bound
    gamma_neg = gamma if gamma_neg is None else gamma_neg
    if gamma == 0.0 and gamma_neg == 0.0 and clip == 0.0:
        return float(np.clip(np.log(w_pos) - np.log(w_neg), -bound, bound))
    # The total is (w_pos + w_neg) times the loss of the soft label
    # y_bar = w_pos / (w_pos + w_neg): minimise that, whatever the weights' size.
    y_bar = w_pos / (w_pos + w_neg)
    params = {"gamma": gamma, "gamma_neg": gamma_neg, "clip": clip, "alpha_pos": 1.0,
              "alpha_neg": 1.0}

    def slope(z):
        return binary_focal_grad_hess(y_bar, np.array([z]), **params)[0][0]

    lo, hi = -bound, bound
    if slope(lo) >= 0.0:
        return lo
    if slope(hi) <= 0.0:
        return hi
    while True:
        mid = 0.5 * (lo + hi)
        if not lo < mid < hi:  # adjacent floats: done
            return float(mid)
        if slope(mid) > 0.0:
            hi = mid
        else:
            lo = mid


# --------------------------------------------------------------------------
# Softmax (multi-class) focal loss: L = a_c (1 - p_c)^g (-log p_c)
# --------------------------------------------------------------------------


def _softmax_inputs(labels, margin, class_alpha, sample_weight):
    z = _float_array(margin)
    labels = np.ascontiguousarray(np.asarray(labels, dtype=np.int64))
    alpha = np.ascontiguousarray(
        np.broadcast_to(np.asarray(class_alpha, dtype=np.float64), (z.shape[1],)))
    weight = _NO_WEIGHT if sample_weight is None else np.ascontiguousarray(
        np.asarray(sample_weight, dtype=np.float64))
    return labels, z, alpha, weight


def softmax_focal_loss(labels, margin, *, gamma, class_alpha, sample_weight=None):
    """Per-row softmax focal loss ``a_c (1 - p_c)^g (-log p_c)``, shape (n,).

    ``labels`` are class indices (n,), ``margin`` is (n, k), ``class_alpha``
    is a scalar or a (k,) array of per-class weights. Nothing is validated.
    """
    labels, z, alpha, weight = _softmax_inputs(labels, margin, class_alpha, sample_weight)
    out = np.empty(z.shape[0], dtype=np.float64)
    _kernels.softmax_loss(labels, z, float(gamma), alpha, weight, out, *z.shape,
                          _threads(*z.shape))
    return out


def softmax_focal_loss_sum(labels, margin, *, gamma, class_alpha, sample_weight=None) -> float:
    """``softmax_focal_loss(...).sum()`` without the per-row array."""
    labels, z, alpha, weight = _softmax_inputs(labels, margin, class_alpha, sample_weight)
    return _kernels.softmax_loss_sum(labels, z, float(gamma), alpha, weight, *z.shape,
                                     _threads(*z.shape))


def softmax_focal_grad_hess(labels, margin, *, gamma, class_alpha, hessian: str = "exact",
                            sample_weight=None, dtype=None, round21: bool = False,
                            hessian_scale: float = 1.0):
    """Gradient and diagonal Hessian (n, k) of :func:`softmax_focal_loss`.

    ``hessian`` follows :func:`binary_focal_grad_hess`; ``"surrogate"`` is
    the softmax cross-entropy diagonal ``p_j (1 - p_j)`` scaled by the focal
    weight ``a_c (1 - p_c)^g`` and ``"fisher"`` the same scaled by ``a_c``.
    ``dtype`` and ``round21`` as for :func:`binary_focal_grad_hess`.
    ``hessian_scale`` multiplies the Hessian before the rounding and the
    sample weight (the boosters scale their own softmax Hessian: 2 for
    XGBoost, k / (k - 1) for LightGBM; docs/math.md §7).
    """
    policy = HESSIAN_POLICIES.index(hessian)  # checked where it entered: the loss object
    labels, z, alpha, weight = _softmax_inputs(labels, margin, class_alpha, sample_weight)
    dtype = z.dtype if dtype is None else dtype
    grad, hess = _output_pair(z.shape, dtype)
    _kernels.softmax_grad_hess(labels, z, float(gamma), alpha, weight, policy, round21,
                               float(hessian_scale), grad, hess, *z.shape,
                               _threads(*z.shape, round21=round21,
                                        work_per_element=_SOFTMAX_WORK_PER_ELEMENT))
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


# --------------------------------------------------------------------------
# Posterior probabilities: the true class probability behind a focal optimum
# --------------------------------------------------------------------------


def _log_ratio_term(z: NDArray, gamma) -> NDArray:
    """``log1p(g p s1 / q)``, with ``p = sigmoid(z)``, ``q = 1 - p``, ``s1 = -log p``.

    ``s1 / q = -log(p) / (1 - p)`` tends to 1 as ``p -> 1``; it is formed
    from ``t = exp(-z)`` there (``(1 + t) log1p(t) / t``), so that no margin
    divides 0 by 0 and tiny ``q`` keeps its precision (docs/math.md §8).
    """
    positive = z >= 0
    t = np.exp(-np.abs(z))  # in (0, 1]; 0 beyond |z| ~ 745
    safe_t = np.where(t > 0, t, 1.0)
    log1p_t = np.log1p(t)
    # z >= 0: s1 / q = (1 + t) log1p(t) / t, -> 1 as t -> 0
    ratio_pos = np.where(t > 0, log1p_t / safe_t, 1.0) * (1.0 + t)
    # z < 0: q >= 1/2, s1 = -z + log1p(t) (t = exp(z)), 1/q = 1 + t
    ratio_neg = (np.abs(z) + log1p_t) * (1.0 + t)
    p = np.where(positive, 1.0 / (1.0 + t), t / (1.0 + t))
    # p = 0 (z below about -745) makes the product 0, also where the ratio is inf.
    with np.errstate(invalid="ignore"):
        p_ratio = np.where(p > 0, p * np.where(positive, ratio_pos, ratio_neg), 0.0)
    return np.log1p(gamma * p_ratio)


def binary_focal_posterior_margin(margin, *, gamma, alpha_pos, alpha_neg, gamma_neg=None,
                                  clip=0.0) -> NDArray:
    """Log-odds of the true positive rate whose focal optimum is ``margin``.

    Focal loss is not a proper scoring rule: the margin ``z`` that minimises
    the expected loss at a true positive rate ``r`` satisfies
    ``sigmoid(z) != r`` (pulled towards 1/2 by ``g``, shifted by the class
    weights). Solving the first-order condition for ``r`` gives
    (docs/math.md §8)

        logit(r) = (1 + g) z + log1p(g q s0 / p) - log1p(g p s1 / q) + log(a0 / a1)

    with ``p = sigmoid(z)``, ``q = 1 - p``, ``s1 = -log p``, ``s0 = -log q``.
    It is strictly increasing in ``z`` for every ``g >= 0``, so it changes
    no ranking, and ``g = 0``, ``a0 = a1`` is the identity. ``gamma`` and the
    class weights are scalars or one value per column of a 2-D ``margin``;
    both weights must be positive. Computed in float64 from the margin (never
    from a rounded probability), returned in the margin's float dtype; a
    finite margin never gives NaN (at most +-inf beyond float range).

    The asymmetric loss (``gamma_neg``, ``clip``, docs/math.md §9) has the
    same first-order condition with its own negative part: without a clip
    the map gains ``(g - g_neg) s1`` and uses ``g_neg`` in the first log1p;
    with a clip ``m`` the negative part's slope is
    ``u^g_neg (g_neg c / u + 1 / v)`` (``u = p - m``, ``v = 1 - u``,
    ``c = -log v``), and every margin with ``p <= m`` maps to a rate of 0
    (log-odds -inf): the model cannot tell those rates apart.

    References: Charoenphakdee, Vongkulbhisal, Chairatanakul and Sugiyama,
    *On Focal Loss for Class-Posterior Probability Estimation: A Theoretical
    Perspective*, CVPR 2021.
    """
    z_in = _float_array(margin)
    z = z_in.astype(np.float64, copy=False)
    gamma = np.asarray(gamma, dtype=np.float64)
    gamma_neg = gamma if gamma_neg is None else np.asarray(gamma_neg, dtype=np.float64)
    clip = np.asarray(clip, dtype=np.float64)
    shift = np.log(np.asarray(alpha_neg, dtype=np.float64)) - np.log(
        np.asarray(alpha_pos, dtype=np.float64))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # (1 + g) z may exceed the float range: +-inf
        if not np.any(clip):
            logit = ((1.0 + gamma) * z + (gamma - gamma_neg) * np.logaddexp(0.0, -z)
                     + _log_ratio_term(-z, gamma_neg) - _log_ratio_term(z, gamma) + shift)
        else:
            logit = _clipped_posterior_logit(z, gamma, gamma_neg, clip) + shift
        return logit.astype(z_in.dtype, copy=False).reshape(np.shape(margin))


def _clipped_posterior_logit(z, gamma, gamma_neg, clip):
    """``log phi_neg'(p) - log |phi_pos'(p)|`` with a probability margin (§9)."""
    p = _expit(z)
    q = _expit(-z)
    s1 = np.logaddexp(0.0, -z)
    s0 = np.logaddexp(0.0, z)
    u = np.where(p < 0.5, p - clip, (1.0 - clip) - q)
    v = q + clip
    safe_u = np.where(u > 0, u, 1.0)
    c = np.where(safe_u < 0.5, -np.log1p(-safe_u), -np.log(v))
    ratio = c / safe_u
    log_neg_slope = np.where(u > 0, gamma_neg * np.log(safe_u)
                             + np.log(gamma_neg * ratio + 1.0 / v), -np.inf)
    log_pos_slope = s1 - gamma * s0 + _log_ratio_term(z, gamma)
    return log_neg_slope - log_pos_slope


def _expit(z):
    """``1 / (1 + exp(-z))`` without overflow warnings."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def softmax_focal_posterior(margin, *, gamma: float, class_alpha) -> NDArray:
    """Class probabilities (n, k) whose softmax focal optimum is ``margin``.

    The expected loss ``sum_c r_c a_c l(p_c)`` is minimised over the simplex
    where ``r_c`` is proportional to ``h(p_c) / a_c``, with
    ``h(v) = v / ((1 - v)^g - g v (1 - v)^(g - 1) log v)`` (docs/math.md §8).
    ``log h`` is formed from each class's one-vs-rest log-odds
    ``u_c = z_c - logsumexp(z_{j != c})``, so probabilities within 1e-300 of
    0 or 1 keep their precision; for two classes this is
    :func:`binary_focal_posterior_margin`. Rows sum to 1; returned in the
    margin's float dtype.
    """
    z_in = _float_array(margin)
    z = z_in.astype(np.float64, copy=False)
    rows = np.arange(z.shape[0])
    top = np.argmax(z, axis=1)
    z_max = z[rows, top][:, None]
    total = np.exp(z - z_max).sum(axis=1, keepdims=True)  # >= 1
    # logsumexp of the other classes: for all but the top class the top
    # term (= 1) remains in the difference, so it never cancels.
    with np.errstate(divide="ignore"):
        others = z_max + np.log(total - np.exp(z - z_max))
    rest = z.copy()
    rest[rows, top] = -np.inf
    rest_max = rest.max(axis=1)
    others[rows, top] = rest_max + np.log(np.exp(rest - rest_max[:, None]).sum(axis=1))
    # The top class has u >= -log(k - 1); beyond |u| = 1e100 every probability
    # has saturated, and clipping keeps g * s0 from overflowing to inf - inf.
    u = np.clip(z - others, -1e100, 1e100)
    s1 = np.logaddexp(0.0, -u)  # -log p_c
    s0 = np.logaddexp(0.0, u)  # -log(1 - p_c)
    log_weight = (-s1 + gamma * s0 - _log_ratio_term(u, gamma)
                  - np.log(np.asarray(class_alpha, dtype=np.float64)))
    log_weight -= log_weight.max(axis=1, keepdims=True)
    weight = np.exp(log_weight)
    return (weight / weight.sum(axis=1, keepdims=True)).astype(z_in.dtype, copy=False)
