"""The asymmetric loss (ASL, docs/math.md §9): gamma_neg and the probability margin clip.

The oracle is ``reference.asl_loss``: the textbook formula of Ridnik et al.
in 60-digit mpmath, with central (and, at the kink, one-sided) differences.
"""

from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np
import pytest
import reference
from scipy.special import expit, logit

from focal_gbm import FocalLoss, _loss

GAMMAS_POS = (0.0, 0.5, 1.0, 2.0, 3.5)
GAMMAS_NEG = (0.0, 0.5, 1.0, 2.0, 3.5, 5.0)
CLIPS = (0.0, 0.05, 0.2)
LABELS = (0.0, 1.0, 0.3)
# Margins on both sides of every kink (logit(0.05) = -2.94, logit(0.2) = -1.39).
MARGINS = np.linspace(-30.0, 30.0, 61) + 0.123

# Measured: 1.4e-12 at worst on this grid; the kernels lose a few digits
# where terms cancel. 1e-9 is the bound the focal-loss tests hold too.
RTOL = 1e-9


def _relative_error(ours, exact):
    both_zero = (ours == 0) & (exact == 0)
    error = np.abs(ours - exact) / np.maximum(np.abs(exact), 1e-300)
    return np.where(both_zero, 0.0, error)


@pytest.mark.parametrize("alpha", [None, 0.1, 0.25, 0.9])
@pytest.mark.parametrize("gamma_pos,gamma_neg,clip",
                         list(itertools.product(GAMMAS_POS, GAMMAS_NEG, CLIPS)))
def test_loss_grad_hess_match_60_digit_finite_differences(gamma_pos, gamma_neg, clip, alpha):
    alpha_pos, alpha_neg = (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)
    params = {"gamma": gamma_pos, "gamma_neg": gamma_neg, "clip": clip,
              "alpha_pos": alpha_pos, "alpha_neg": alpha_neg}
    args = (gamma_pos, gamma_neg, clip, alpha_pos, alpha_neg)
    for y in LABELS:
        labels = np.full(MARGINS.size, y)
        loss = _loss.binary_focal_loss(labels, MARGINS, **params)
        grad, hess = _loss.binary_focal_grad_hess(labels, MARGINS, **params)
        for ours, fn in ((loss, reference.asl_loss), (grad, reference.asl_grad),
                         (hess, reference.asl_hess)):
            exact = np.array([float(fn(y, z, *args)) for z in MARGINS])
            assert _relative_error(ours, exact).max() < RTOL, (fn.__name__, y)


@pytest.mark.parametrize("gamma_neg", GAMMAS_NEG)
@pytest.mark.parametrize("clip", [0.05, 0.2])
def test_the_kink_returns_the_left_side_and_the_right_side_starts_there(gamma_neg, clip):
    """At p = m the loss is not twice differentiable (docs/math.md §9).

    At the kink and below it the negative part returns its left-hand values,
    0 (the loss is flat there; 0 is a subgradient of the convex loss at the
    kink); just above it, the one-sided differences of the textbook loss.
    """
    args = (0.0, gamma_neg, clip, 1.0, 1.0)
    params = {"gamma": 0.0, "gamma_neg": gamma_neg, "clip": clip, "alpha_pos": 1.0,
              "alpha_neg": 1.0}
    kink = float(logit(clip))
    below = np.array([kink - 1.0, np.nextafter(kink, -np.inf)])
    grad, hess = _loss.binary_focal_grad_hess(np.zeros(2), below, **params)
    assert np.all(grad == 0.0) and np.all(hess == 0.0)
    assert np.all(_loss.binary_focal_loss(np.zeros(2), below, **params) == 0.0)
    with mp.workdps(reference.DPS):
        exact_kink = mp.log(mp.mpf(clip) / (1 - mp.mpf(clip)))
        # (the kink rounded to 60 digits leaves ~1e-31 of the right side in it)
        assert abs(reference.asl_grad(0.0, exact_kink, *args, side=-1)) < 1e-25
    # Just above: a step of 1e-6 in the margin, where u = p - m ~ 1e-7.
    # The kernels form u without cancelling p against m, to a relative
    # 1e-16 / u of the margin's own rounding: 1e-9 leaves room for it.
    above = kink + 1e-6
    grad, hess = _loss.binary_focal_grad_hess(np.zeros(1), np.array([above]), **params)
    assert grad[0] == pytest.approx(float(reference.asl_grad(0.0, above, *args)), rel=1e-7)
    assert hess[0] == pytest.approx(float(reference.asl_hess(0.0, above, *args)), rel=1e-7)
    # The right-hand derivative at the kink: pq / v = m (1 - m) for gamma_neg = 0,
    # 0 otherwise; the kernel's value approaches it from above.
    right = float(reference.asl_grad(0.0, exact_kink, *args, side=1))
    expected = clip * (1 - clip) if gamma_neg == 0.0 else 0.0
    # A one-sided step h sees u^gamma_neg ~ h^gamma_neg of the right side's
    # growth: 1e-15 at gamma_neg = 0.5, h = 1e-30.
    assert right == pytest.approx(expected, rel=1e-12, abs=1e-12)
    if gamma_neg == 0.0:
        assert grad[0] == pytest.approx(expected, rel=1e-5)
    else:  # u^gamma_neg (...) with u ~ 1e-7: small, positive, shrinking to 0
        assert 0.0 < grad[0] < 1e-3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hessian", ["exact", "clip", "abs", "surrogate", "fisher"])
def test_finite_everywhere_in_both_dtypes(dtype, hessian):
    info = np.finfo(dtype)
    with np.errstate(over="ignore"):  # geomspace's own arithmetic near float64's max
        z = np.concatenate([-np.geomspace(info.max, info.tiny, 300), [0.0],
                            np.geomspace(info.tiny, info.max, 300)]).astype(dtype)
    for y, (gamma_pos, gamma_neg, clip) in itertools.product(
            LABELS, itertools.product(GAMMAS_POS, GAMMAS_NEG, CLIPS)):
        loss = FocalLoss(gamma=gamma_pos, gamma_neg=gamma_neg, clip=clip, alpha=0.3,
                         hessian=hessian)
        labels = np.full(z.size, y)
        grad, hess = loss.grad_hess(labels, z)
        booster_grad, booster_hess = loss(labels, z)  # the boosters' path
        for values in (grad, hess, booster_grad, booster_hess, loss.loss(labels, z)):
            assert np.isfinite(values).all()
        if hessian in ("clip", "abs", "surrogate", "fisher"):
            assert np.all(hess >= 0)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
def test_symmetric_parameters_are_focal_loss_bit_for_bit(gamma, rng):
    """gamma_neg = gamma and clip = 0 go through focal loss's arithmetic."""
    n = 5000
    y = rng.integers(0, 2, size=n).astype(float)
    y[:10] = 0.3
    z = rng.normal(scale=5.0, size=n)
    w = rng.uniform(0, 3, size=n)
    focal = FocalLoss(gamma=gamma, alpha=0.25)
    asymmetric = FocalLoss(gamma=gamma, gamma_neg=gamma, clip=0.0, alpha=0.25)
    for call in ("grad_hess", "loss", "__call__"):
        for a, b in zip(np.atleast_2d(getattr(focal, call)(y, z, w)),
                        np.atleast_2d(getattr(asymmetric, call)(y, z, w))):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(focal.posterior(z), asymmetric.posterior(z))
    assert focal.init_score(y, w) == asymmetric.init_score(y, w)


@pytest.mark.parametrize("gamma_pos,gamma_neg,clip", [(0.0, 4.0, 0.05), (1.0, 2.0, 0.0),
                                                      (0.0, 1.0, 0.2), (2.0, 0.5, 0.0),
                                                      (0.5, 3.5, 0.05)])
@pytest.mark.parametrize("hessian", ["exact", "clip", "abs", "surrogate", "fisher"])
def test_booster_path_matches_the_float64_kernel(gamma_pos, gamma_neg, clip, hessian, rng):
    """Hard labels (SIMD loops, polynomial exp / log) vs the general float64 kernel.

    21-bit rounding + float32. Integer and non-integer gammas take different
    loops, with and without a clip.
    """
    n = 20_000
    y = rng.integers(0, 2, size=n).astype(float)
    z = rng.normal(scale=4.0, size=n).astype(np.float32)
    w = rng.uniform(0, 3, size=n)
    loss = FocalLoss(gamma=gamma_pos, gamma_neg=gamma_neg, clip=clip, alpha=0.3,
                     hessian=hessian)
    grad, hess = loss(y, z, w)
    g_ref, h_ref = loss.grad_hess(y, z.astype(np.float64), w)
    tolerance = 6e-7  # 2^-21 + 2^-24, as tests/test_fast_path.py
    tiny = float(np.finfo(np.float32).tiny)
    assert np.all(np.abs(grad - g_ref) <= tolerance * np.abs(g_ref) + tiny)
    assert np.all(np.abs(hess - h_ref) <= tolerance * np.abs(h_ref) + tiny)


@pytest.mark.parametrize("clip", [0.0, 0.05])
def test_integer_weights_equal_repeated_rows(clip, rng):
    """scikit-learn's sample-weight contract on the boosters' path (docs/math.md §7)."""
    n = 300
    y = rng.integers(0, 2, size=n).astype(float)
    z = rng.normal(scale=3.0, size=n).astype(np.float32)
    w = rng.integers(1, 4, size=n).astype(float)
    loss = FocalLoss(gamma=0.0, gamma_neg=4.0, clip=clip, alpha=0.4)
    grad, hess = loss(y, z, w)
    repeated = np.repeat(np.arange(n), w.astype(int))
    g_rep, h_rep = loss(y[repeated], z[repeated])
    np.testing.assert_array_equal(np.bincount(repeated, g_rep.astype(np.float64)),
                                  grad.astype(np.float64))
    np.testing.assert_array_equal(np.bincount(repeated, h_rep.astype(np.float64)),
                                  hess.astype(np.float64))


@pytest.mark.parametrize("gamma_pos,gamma_neg,clip", [(0.0, 4.0, 0.05), (1.0, 2.0, 0.0),
                                                      (0.0, 2.0, 0.2), (2.0, 0.0, 0.0)])
def test_init_score_minimises_the_loss(gamma_pos, gamma_neg, clip):
    y = np.r_[np.ones(7), np.zeros(93)]
    w = np.linspace(0.5, 2.0, y.size)
    loss = FocalLoss(gamma=gamma_pos, gamma_neg=gamma_neg, clip=clip, alpha=0.3)
    z0 = loss.init_score(y, w)
    grid = z0 + np.linspace(-1e-3, 1e-3, 201)
    means = [loss.mean_loss(y, np.full(y.size, z), w) for z in grid]
    # The minimum of the grid is at the solver's answer (within a step).
    assert abs(grid[int(np.argmin(means))] - z0) <= 1e-5
    if clip:
        assert z0 > logit(clip)  # the minimum lies above the kink


@pytest.mark.parametrize("gamma_pos,gamma_neg,clip", [(0.0, 4.0, 0.05), (1.0, 2.0, 0.0),
                                                      (0.0, 4.0, 0.0), (0.5, 3.0, 0.1),
                                                      (2.0, 1.0, 0.2)])
@pytest.mark.parametrize("alpha", [None, 0.25])
def test_posterior_returns_the_rate_whose_optimum_is_the_margin(gamma_pos, gamma_neg, clip,
                                                                alpha):
    """The closed form of §9 against a 60-digit minimisation of the textbook loss.

    With gamma_pos = 0 and a clip the negative loss is bounded and rates
    above some r_max have their optimum at infinity (the bisection's
    bracket says so): those are skipped.
    """
    a1, a0 = (1.0, 1.0) if alpha is None else (alpha, 1 - alpha)
    args = (gamma_pos, gamma_neg, clip, a1, a0)
    loss = FocalLoss(gamma=gamma_pos, gamma_neg=gamma_neg, clip=clip, alpha=alpha)
    checked = 0
    for text in ("1e-9", "1e-4", "0.01", "0.3", "0.9", "0.999999"):
        with mp.workdps(reference.DPS):
            rate = mp.mpf(text)
            lo, hi = mp.mpf(-80), mp.mpf(80)
            if not reference.asl_grad(rate, lo, *args) < 0 < reference.asl_grad(rate, hi, *args):
                continue
            while hi - lo > mp.mpf("1e-25"):
                mid = (lo + hi) / 2
                if reference.asl_grad(rate, mid, *args) > 0:
                    hi = mid
                else:
                    lo = mid
            z = float((lo + hi) / 2)
        log_odds = float(loss.posterior_margin(np.array([z]))[0])
        assert expit(log_odds) == pytest.approx(float(rate), rel=1e-9)
        assert expit(-log_odds) == pytest.approx(float(1 - rate), rel=1e-9)
        checked += 1
    assert checked >= 5


def test_posterior_is_zero_below_the_kink_and_increasing_above():
    loss = FocalLoss(gamma=0.0, gamma_neg=4.0, clip=0.05)
    z = np.linspace(-10, 20, 3001)
    rate = loss.posterior(z)
    below = z <= logit(0.05)
    assert np.all(rate[below] == 0.0)
    assert np.all(np.diff(rate[~below]) > 0)
    assert not np.isnan(rate).any()


@pytest.mark.parametrize("bad, message", [({"gamma_neg": -1.0}, "gamma_neg"),
                                          ({"clip": 1.0}, r"clip must lie in \[0, 1\)"),
                                          ({"clip": -0.1}, "clip"),
                                          ({"clip": "a"}, "clip")])
def test_bad_parameters_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        FocalLoss(**bad)


def test_per_column_parameters_for_two_dimensional_labels(rng):
    y = rng.integers(0, 2, size=(50, 3)).astype(float)
    z = rng.normal(size=(50, 3))
    loss = FocalLoss(gamma=[0.0, 1.0, 2.0], gamma_neg=[4.0, 2.0, 2.0], clip=[0.05, 0.0, 0.1])
    grad, _ = loss.grad_hess(y, z)
    for j, (gp, gn, m) in enumerate([(0.0, 4.0, 0.05), (1.0, 2.0, 0.0), (2.0, 2.0, 0.1)]):
        column, _ = FocalLoss(gamma=gp, gamma_neg=gn, clip=m).grad_hess(y[:, j], z[:, j])
        np.testing.assert_array_equal(grad[:, j], column)
    with pytest.raises(ValueError, match="clip"):
        FocalLoss(clip=[0.05, 0.1]).grad_hess(y, z)


# ------------------------------------------------ everywhere focal loss is
ASL = {"focal_gamma": 0.0, "focal_gamma_neg": 4.0, "focal_clip": 0.05}


def _estimator(booster, **params):
    if booster == "xgboost":
        pytest.importorskip("xgboost")
        from focal_gbm import FocalXGBClassifier

        return FocalXGBClassifier(n_estimators=15, max_depth=3, n_jobs=1, **params)
    pytest.importorskip("lightgbm")
    from focal_gbm import FocalLGBMClassifier

    return FocalLGBMClassifier(n_estimators=15, num_leaves=7, n_jobs=1, verbose=-1, **params)


def _binary_data(n=600, seed=0):
    from sklearn.datasets import make_classification

    return make_classification(n_samples=n, n_features=6, n_informative=4, weights=[0.9],
                               random_state=seed)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_estimators_train_with_the_asymmetric_loss(booster, tmp_path):
    X, y = _binary_data()
    clf = _estimator(booster, **ASL).fit(X, y)
    assert (clf.objective_.gamma, clf.objective_.gamma_neg, clf.objective_.clip) == (0, 4, 0.05)
    assert float(clf.init_score_) == FocalLoss(gamma=0.0, gamma_neg=4.0, clip=0.05).init_score(y)
    margin = clf.decision_function(X)
    np.testing.assert_array_equal(clf.predict_proba(X)[:, 1], clf.objective_.posterior(margin))
    # Training lowers the loss it was given, from the optimal constant.
    start = clf.objective_.mean_loss(y, np.full(y.size, float(clf.init_score_)))
    assert clf.objective_.mean_loss(y, margin) < 0.8 * start
    path = tmp_path / ("m.json" if booster == "xgboost" else "m.txt")
    clf.save_model(path)
    loaded = type(clf)().load_model(path)
    assert (loaded.focal_gamma_neg, loaded.focal_clip) == (4.0, 0.05)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_symmetric_settings_train_the_focal_model_exactly(booster):
    X, y = _binary_data()
    focal = _estimator(booster, focal_gamma=2.0).fit(X, y)
    same = _estimator(booster, focal_gamma=2.0, focal_gamma_neg=2.0, focal_clip=0.0).fit(X, y)
    np.testing.assert_array_equal(focal.decision_function(X), same.decision_function(X))


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_multilabel_estimators_take_per_label_asymmetric_parameters(booster):
    X, y = _binary_data()
    Y = np.column_stack([y, X[:, 0] > 0.8, X[:, 1] > 0.0]).astype(int)
    params = {"focal_gamma": [0.0, 1.0, 2.0], "focal_gamma_neg": [4.0, 2.0, 2.0],
              "focal_clip": [0.05, 0.0, 0.1]}
    clf = _estimator(booster, **params).fit(X, Y)
    objective = clf.objective_
    np.testing.assert_array_equal(objective.gamma_neg, [4.0, 2.0, 2.0])
    np.testing.assert_array_equal(objective.clip, [0.05, 0.0, 0.1])
    np.testing.assert_array_equal(clf.predict_proba(X),
                                  objective.posterior(clf.decision_function(X)))
    if booster == "lightgbm":  # one booster per label, each with its own loss
        labels = [e.objective_ for e in clf.one_vs_rest_.estimators_]
        assert [(o.gamma, o.gamma_neg, o.clip) for o in labels] == [
            (0.0, 4.0, 0.05), (1.0, 2.0, 0.0), (2.0, 2.0, 0.1)]


def test_multiclass_targets_refuse_the_asymmetric_parameters():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_classes=3, n_informative=4, random_state=0)
    with pytest.raises(ValueError, match="focal_gamma_neg and focal_clip"):
        _estimator("xgboost", focal_clip=0.05).fit(X, y)


@pytest.mark.parametrize("bad, message", [({"focal_clip": 1.0}, "focal_clip"),
                                          ({"focal_gamma_neg": -1.0}, "focal_gamma_neg")])
def test_estimator_parameters_are_validated(bad, message):
    X, y = _binary_data(n=100)
    with pytest.raises(ValueError, match=message):
        _estimator("lightgbm", **bad).fit(X, y)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_training_functions_take_the_asymmetric_loss(booster):
    from focal_gbm import lightgbm_train, predict_posterior, xgboost_train

    X, y = _binary_data()
    loss = FocalLoss(gamma=0.0, gamma_neg=4.0, clip=0.05, alpha="balanced")
    if booster == "xgboost":
        xgb = pytest.importorskip("xgboost")
        data = xgb.DMatrix(X, label=y)
        model = xgboost_train({"max_depth": 3}, data, 15, objective=loss,
                              evals=[(data, "train")], verbose_eval=False)
        margin = model.predict(data, output_margin=True)
    else:
        lgb = pytest.importorskip("lightgbm")
        data = X
        model = lightgbm_train({"num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y), 15,
                               objective=loss)
        margin = model.predict(X, raw_score=True)
    trained = loss.fitted_copy(y)  # the training functions fix "balanced" on a copy
    start = trained.mean_loss(y, np.full(y.size, trained.init_score(y)))
    assert trained.mean_loss(y, margin) < 0.8 * start
    np.testing.assert_array_equal(predict_posterior(model, data, objective=loss),
                                  trained.posterior(margin))
