"""The posterior map (docs/math.md §8): from focal margins back to class probabilities.

The oracle is ``reference.focal_optimum``: for a true positive rate, the
margin that minimises the expected textbook focal loss, found in 60-digit
mpmath from finite differences of the loss alone. The map must return that
rate from that margin.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import reference
from scipy.special import expit, softmax

from focal_gbm import FocalLoss, SoftmaxFocalLoss, _loss

GAMMAS = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]
ALPHAS = [None, 0.05, 0.25, 0.5, 0.9]
RATES = ["1e-12", "1e-9", "1e-6", "1e-4", "1e-3", "0.01", "0.05", "0.2", "0.5",
         "0.8", "0.95", "0.99", "0.999", "1-1e-6", "1-1e-9", "1-1e-12"]


def _rate(text):
    with mp.workdps(reference.DPS):
        return 1 - mp.mpf(text[2:]) if text.startswith("1-") else mp.mpf(text)


def _weights(alpha):
    return (1.0, 1.0) if alpha is None else (alpha, 1.0 - alpha)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_map_returns_the_rate_whose_focal_optimum_is_the_margin(gamma, alpha):
    alpha_pos, alpha_neg = _weights(alpha)
    rates = [_rate(text) for text in RATES]
    optima = [reference.focal_optimum(r, gamma, alpha_pos, alpha_neg) for r in rates]
    logit = _loss.binary_focal_posterior_margin(
        np.array([float(z) for z in optima]), gamma=gamma, alpha_pos=alpha_pos,
        alpha_neg=alpha_neg)
    # Both the rate and its complement, each to relative 1e-9: near 1 - 1e-12
    # the complement is what carries the information. The optimum rounded to
    # float64 moves the rate by about (1 + g) |z| 1e-16 relative, far below.
    for r, m in zip(rates, logit):
        assert expit(m) == pytest.approx(float(r), rel=1e-9)
        assert expit(-m) == pytest.approx(float(1 - r), rel=1e-9)


# Margins from the float64 extremes to 0 and back, denser near 0.
_GRID = np.concatenate([-np.geomspace(1e308, 1e-8, 2000), [0.0],
                        np.geomspace(1e-8, 1e308, 2000)])


@pytest.mark.parametrize("gamma", np.linspace(0.0, 10.0, 21))
@pytest.mark.parametrize("alpha", [None, 0.05, 0.5, 0.9])
def test_map_is_strictly_increasing(gamma, alpha):
    """Rankings (average precision, ROC AUC) cannot change (docs/math.md §8)."""
    alpha_pos, alpha_neg = _weights(alpha)
    logit = _loss.binary_focal_posterior_margin(_GRID, gamma=gamma, alpha_pos=alpha_pos,
                                                alpha_neg=alpha_neg)
    finite = np.isfinite(logit)
    # Beyond |z| ~ 1e308 / (1 + g) the log-odds leave the float range (+-inf:
    # probability 0 or 1); everywhere else each step must increase them.
    assert np.all(np.diff(logit[finite]) > 0)
    assert np.all(np.abs(_GRID[~finite]) > 1e308 / (1.0 + gamma) / 2)


def test_gamma_0_without_alpha_is_the_identity():
    z = np.concatenate([_GRID, np.random.default_rng(0).normal(size=1000)])
    np.testing.assert_array_equal(
        _loss.binary_focal_posterior_margin(z, gamma=0.0, alpha_pos=1.0, alpha_neg=1.0), z)


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("z", [-1e4, -745.0, -690.0, -40.0, -3.0, 1e-300, 2.0, 36.0, 700.0,
                               1e4])
def test_map_matches_the_textbook_formula_at_extreme_margins(gamma, z):
    """Probabilities within 1e-300 of 0 or 1 keep their relative precision.

    The reference evaluates ``h`` as written, in 60 digits; ours is the
    rearranged float64 form. Relative 1e-12: the log-odds reach (1 + g) |z|
    ~ 1e5, whose float64 rounding moves the probability by ~1e-11 relative
    at z = 1e4 only through ``exp``; elsewhere the error is ~1e-14.
    """
    alpha_pos, alpha_neg = 0.25, 0.75
    r, one_minus_r = reference.posterior_rate(z, gamma, alpha_pos, alpha_neg)
    logit = float(_loss.binary_focal_posterior_margin(
        np.array([z]), gamma=gamma, alpha_pos=alpha_pos, alpha_neg=alpha_neg)[0])
    with mp.workdps(reference.DPS):
        expected = mp.log(r) - mp.log(one_minus_r)
    assert logit == pytest.approx(float(expected), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 10.0])
def test_float32_margins_are_finite_or_saturated_and_match_float64(gamma):
    f32 = np.finfo(np.float32)
    z = np.concatenate([np.geomspace(-f32.max, -f32.tiny, 500), [0.0],
                        np.geomspace(f32.tiny, f32.max, 500)]).astype(np.float32)
    logit32 = _loss.binary_focal_posterior_margin(z, gamma=gamma, alpha_pos=0.25,
                                                  alpha_neg=0.75)
    logit64 = _loss.binary_focal_posterior_margin(z.astype(np.float64), gamma=gamma,
                                                  alpha_pos=0.25, alpha_neg=0.75)
    assert logit32.dtype == np.float32
    assert not np.isnan(logit32).any()
    # The float64 result rounded once to float32 (inf where it leaves the range).
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(logit32, logit64.astype(np.float32))


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 5.0])
def test_softmax_with_two_classes_is_the_binary_map(gamma):
    z = np.concatenate([_GRID[::20], [-700.0, -36.0, 0.5, 36.0, 700.0]])
    margins = np.column_stack([np.zeros_like(z), z])
    proba = _loss.softmax_focal_posterior(margins, gamma=gamma, class_alpha=[0.7, 0.3])
    logit = _loss.binary_focal_posterior_margin(z, gamma=gamma, alpha_pos=0.3, alpha_neg=0.7)
    # Relative 1e-12 on both classes: the softmax path forms s0 - s1 from two
    # softplus values instead of z, an error of a few ulps of |z| in the
    # log-odds (|z| <= 700 here).
    np.testing.assert_allclose(proba[:, 1], expit(logit), rtol=1e-12)
    np.testing.assert_allclose(proba[:, 0], expit(-logit), rtol=1e-12)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
def test_softmax_posterior_is_the_expected_loss_minimiser(gamma):
    """At the margins, the expected loss under the returned rates has zero gradient.

    The expected loss ``sum_c r_c L(c, z)`` is strictly convex in ``p``
    (docs/math.md §8), so a zero gradient means its minimum. The gradient is
    the tested one of ``softmax_focal_grad_hess``, weighted by ``r_c``.
    """
    rng = np.random.default_rng(1)
    k = 4
    alpha = np.array([0.1, 0.2, 0.3, 0.4])
    margins = rng.normal(scale=3.0, size=(50, k))
    rates = _loss.softmax_focal_posterior(margins, gamma=gamma, class_alpha=alpha)
    np.testing.assert_allclose(rates.sum(axis=1), 1.0, rtol=1e-14)
    labels = np.repeat(np.arange(k)[None, :], margins.shape[0], axis=0).reshape(-1)
    grad, _ = _loss.softmax_focal_grad_hess(
        labels, np.repeat(margins, k, axis=0), gamma=gamma, class_alpha=alpha,
        sample_weight=rates.reshape(-1))
    expected_gradient = grad.reshape(margins.shape[0], k, k).sum(axis=1)
    # Each term is at most a_c (1 + g) in size; 1e-13 absolute is rounding.
    np.testing.assert_allclose(expected_gradient, 0.0, atol=1e-13)


def test_softmax_posterior_keeps_the_order_of_classes_with_equal_weights():
    """h is increasing (docs/math.md §8): argmax and predict agree with predict_proba."""
    margins = np.random.default_rng(2).normal(scale=5.0, size=(2000, 5))
    for gamma in (0.5, 2.0, 10.0):
        rates = _loss.softmax_focal_posterior(margins, gamma=gamma, class_alpha=1.0)
        np.testing.assert_array_equal(np.argsort(rates, axis=1), np.argsort(margins, axis=1))


def test_softmax_posterior_is_stable_in_the_tails():
    margins = np.array([[800.0, 0.0, -800.0], [1e5, 1e5, 0.0], [-1e300, 0.0, 1e300],
                        [0.0, 0.0, 0.0]])
    rates = _loss.softmax_focal_posterior(margins, gamma=2.0, class_alpha=1.0)
    assert np.isfinite(rates).all()
    np.testing.assert_allclose(rates.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(rates[3], 1.0 / 3.0, rtol=1e-15)
    np.testing.assert_allclose(rates[1, :2], 0.5, rtol=1e-15)
    # gamma = 0 and equal weights: the softmax itself, also in float32.
    z = np.random.default_rng(3).normal(scale=30.0, size=(100, 3))
    np.testing.assert_allclose(_loss.softmax_focal_posterior(z, gamma=0.0, class_alpha=1.0),
                               softmax(z, axis=1), rtol=1e-12, atol=1e-300)
    z32 = z.astype(np.float32)
    rates32 = _loss.softmax_focal_posterior(z32, gamma=2.0, class_alpha=1.0)
    assert rates32.dtype == np.float32 and np.isfinite(rates32).all()


# ------------------------------------------------------------ the objects
def test_focal_loss_posterior_uses_its_class_weights_per_column():
    loss = FocalLoss(gamma=[2.0, 1.0], alpha=[0.25, 0.5])
    margin = np.array([[-3.0, 0.0], [0.0, 3.0]])
    expected = np.column_stack([
        expit(_loss.binary_focal_posterior_margin(margin[:, 0], gamma=2.0, alpha_pos=0.25,
                                                  alpha_neg=0.75)),
        expit(_loss.binary_focal_posterior_margin(margin[:, 1], gamma=1.0, alpha_pos=0.5,
                                                  alpha_neg=0.5)),
    ])
    np.testing.assert_allclose(loss.posterior(margin), expected, rtol=1e-15)
    # z = 0 is the decision boundary alpha chose: a posterior of 1 - alpha.
    assert loss.posterior(np.zeros((1, 2)))[0, 0] == pytest.approx(0.75, rel=1e-15)


def test_balanced_alpha_must_be_fitted_before_the_posterior():
    loss = FocalLoss(alpha="balanced")
    with pytest.raises(ValueError, match="fit_alpha"):
        loss.posterior([0.0])
    loss.fit_alpha(np.array([1.0, 0.0, 0.0, 0.0]))
    assert loss.posterior([0.0])[0] == pytest.approx(0.25)  # 1 - alpha = positive rate


@pytest.mark.parametrize("loss", [FocalLoss(alpha=1.0), FocalLoss(alpha=0.0),
                                  SoftmaxFocalLoss(alpha=[0.5, 0.0, 0.5])])
def test_a_class_of_weight_zero_has_no_posterior(loss):
    margin = np.zeros((2, 3)) if isinstance(loss, SoftmaxFocalLoss) else np.zeros(2)
    with pytest.raises(ValueError, match="class weight > 0"):
        loss.posterior(margin)


@pytest.mark.parametrize("bad", [[np.nan], [np.inf], ["a"]])
def test_posterior_rejects_non_finite_margins(bad):
    with pytest.raises(ValueError, match="margin"):
        FocalLoss().posterior(bad)


def test_softmax_loss_posterior_checks_the_shape():
    with pytest.raises(ValueError, match="n_classes"):
        SoftmaxFocalLoss().posterior(np.zeros(3))


# -------------------------------------------------- estimators and boosters
def _estimators():
    xgb = pytest.importorskip("xgboost")  # noqa: F841
    lgb = pytest.importorskip("lightgbm")  # noqa: F841
    from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier

    return [FocalXGBClassifier(n_estimators=20, max_depth=3, n_jobs=1),
            FocalLGBMClassifier(n_estimators=20, num_leaves=7, n_jobs=1, verbose=-1)]


def _binary(n=600, seed=0):
    from sklearn.datasets import make_classification

    return make_classification(n_samples=n, n_features=6, n_informative=4, weights=[0.85],
                               random_state=seed)


@pytest.mark.parametrize("index", [0, 1], ids=["xgboost", "lightgbm"])
def test_estimator_predict_proba_is_the_posterior_of_its_margins(index):
    X, y = _binary()
    estimator = _estimators()[index].set_params(focal_alpha=0.25)
    clf = estimator.fit(X, y)
    margin = clf.decision_function(X)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 1], clf.objective_.posterior(margin))
    np.testing.assert_array_equal(clf.class_weight_, [0.75, 0.25])
    # predict keeps the rule alpha chose: the posterior above 1 - alpha.
    np.testing.assert_array_equal(clf.predict(X), (proba[:, 1] > 0.75).astype(int))
    # "focal" is the sigmoid of the same margins, ranked the same.
    focal = clf.set_params(focal_probability="focal").predict_proba(X)
    np.testing.assert_allclose(focal[:, 1], expit(margin), rtol=1e-15)
    np.testing.assert_array_equal(np.argsort(focal[:, 1], kind="stable"),
                                  np.argsort(proba[:, 1], kind="stable"))


@pytest.mark.parametrize("index", [0, 1], ids=["xgboost", "lightgbm"])
def test_posterior_is_closer_to_the_rates_than_focal_probabilities(index):
    """On data with a known positive rate, the posterior estimates it; focal does not.

    The rate is 0.05 everywhere (features are noise), so a model with the
    optimal start predicts about 0.05 (posterior) or about 0.24 (focal,
    gamma = 2). 0.01 tolerance: 20 shallow trees on 4000 rows move the
    predictions by ~1e-3 around the start.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 3))
    y = (rng.uniform(size=4000) < 0.05).astype(int)
    clf = _estimators()[index].set_params(n_estimators=5).fit(X, y)
    rate = y.mean()
    assert clf.predict_proba(X)[:, 1].mean() == pytest.approx(rate, abs=0.01)
    focal = clf.set_params(focal_probability="focal").predict_proba(X)[:, 1].mean()
    assert focal > rate + 0.1


@pytest.mark.parametrize("index", [0, 1], ids=["xgboost", "lightgbm"])
def test_multiclass_estimator_posterior_and_class_weights(index):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=600, n_features=8, n_informative=5, n_classes=3,
                               weights=[0.6, 0.3], random_state=0)
    clf = _estimators()[index].fit(X, y)
    np.testing.assert_array_equal(clf.class_weight_, [1.0, 1.0, 1.0])
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba, clf.objective_.posterior(clf.decision_function(X)))
    # Equal class weights: predict is the argmax of the posterior too.
    np.testing.assert_array_equal(clf.predict(X), np.argmax(proba, axis=1))
    weighted = _estimators()[index].set_params(focal_alpha=[0.2, 0.3, 0.5]).fit(X, y)
    np.testing.assert_array_equal(weighted.class_weight_, [0.2, 0.3, 0.5])


@pytest.mark.parametrize("index", [0, 1], ids=["xgboost", "lightgbm"])
def test_a_class_of_weight_zero_needs_the_focal_probabilities(index):
    X, y = _binary(n=200)
    with pytest.raises(ValueError, match="focal_probability='posterior'.*focal_alpha"):
        _estimators()[index].set_params(focal_alpha=1.0).fit(X, y)
    clf = _estimators()[index].set_params(focal_alpha=1.0, focal_probability="focal").fit(X, y)
    assert clf.predict_proba(X).shape == (200, 2)


@pytest.mark.parametrize("index", [0, 1], ids=["xgboost", "lightgbm"])
def test_model_files_keep_the_probability_choice(index, tmp_path):
    X, y = _binary()
    clf = _estimators()[index].set_params(focal_alpha="balanced",
                                          focal_probability="focal").fit(X, y)
    path = tmp_path / ("model.json" if index == 0 else "model.txt")
    clf.save_model(path)
    loaded = type(clf)().load_model(path)
    assert loaded.focal_probability == "focal"
    np.testing.assert_array_equal(loaded.class_weight_, clf.class_weight_)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_one_vs_rest_posterior_and_class_weights_per_label():
    from focal_gbm import FocalOneVsRestClassifier

    X, y = _binary()
    Y = np.column_stack([y, X[:, 1] > 0.5, np.zeros_like(y)]).astype(int)
    with pytest.warns(UserWarning, match="Label not 2"):
        ovr = FocalOneVsRestClassifier(_estimators()[1], focal_alpha="balanced").fit(X, Y)
    np.testing.assert_allclose(ovr.class_weight_[:2, 1], 1 - Y[:, :2].mean(axis=0))
    np.testing.assert_array_equal(ovr.class_weight_[2], [0.5, 0.5])  # constant label
    proba = ovr.predict_proba(X)
    margin = ovr.decision_function(X)
    for j in range(2):
        np.testing.assert_array_equal(
            proba[:, j], ovr.estimators_[j].objective_.posterior(margin[:, j]))
    np.testing.assert_array_equal(proba[:, 2], 0.0)


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_predict_posterior_maps_a_plain_boosters_margins(booster):
    from focal_gbm import lightgbm_train, predict_posterior, xgboost_train

    X, y = _binary()
    loss = FocalLoss(gamma=2.0, alpha="balanced")
    if booster == "xgboost":
        xgb = pytest.importorskip("xgboost")
        data = xgb.DMatrix(X, label=y)
        model = xgboost_train({"max_depth": 3}, data, 10, objective=loss)
        margin = model.predict(data, output_margin=True)
    else:
        lgb = pytest.importorskip("lightgbm")
        data = X
        model = lightgbm_train({"num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y), 10,
                               objective=loss)
        margin = model.predict(X, raw_score=True)
    # "balanced" is fixed on a copy of loss from the training labels
    np.testing.assert_array_equal(predict_posterior(model, data, objective=loss),
                                  loss.fitted_copy(y).posterior(margin))
    with pytest.raises(TypeError, match="booster"):
        predict_posterior(object(), data, objective=loss)


@pytest.mark.parametrize("gamma, row", [
    (1.0, {0.001: 0.023, 0.01: 0.073, 0.05: 0.162, 0.2: 0.314}),
    (2.0, {0.001: 0.073, 0.01: 0.154, 0.05: 0.250, 0.2: 0.373}),
    (3.0, {0.001: 0.130, 0.01: 0.220, 0.05: 0.307, 0.2: 0.406}),
])
def test_readme_table_of_focal_probabilities(gamma, row):
    """README's table: the focal probability each true rate becomes (3 decimals)."""
    loss = FocalLoss(gamma=gamma)
    for rate, focal in row.items():
        # The focal probability is given to 3 decimals: the true rate lies
        # between the posteriors of its rounding interval's ends.
        low, high = (loss.posterior(np.log(p / (1 - p))) for p in (focal - 5e-4, focal + 5e-4))
        assert low <= rate <= high
