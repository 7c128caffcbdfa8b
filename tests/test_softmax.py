"""SoftmaxFocalLoss: derivatives, stability, weights and starting margins."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import reference
from scipy.special import log_softmax, softmax

from focal_gbm import FocalLoss, SoftmaxFocalLoss

GAMMAS = (0.0, 0.5, 1.0, 2.0, 3.5, 5.0)


def _rows(rng, n, k, scale):
    return rng.integers(0, k, size=n), rng.normal(scale=scale, size=(n, k))


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("scale", [1.0, 8.0])
def test_grad_and_hess_diagonal_match_finite_differences(gamma, scale, rng):
    labels, margin = _rows(rng, 8, 4, scale)
    alpha = np.array([0.1, 0.2, 0.3, 0.4])
    w = rng.uniform(0.0, 2.0, size=8)
    grad, hess = SoftmaxFocalLoss(gamma=gamma, alpha=alpha, hessian="exact").grad_hess(
        labels, margin, sample_weight=w
    )
    for i in range(8):
        g_ref, h_ref = reference.softmax_grad_hess(labels[i], margin[i], gamma, alpha[labels[i]])
        # As for the binary loss (test_derivatives.py): float64 formulas with
        # no cancellation except near the Hessian's sign change.
        np.testing.assert_allclose(grad[i], w[i] * np.array(g_ref, dtype=float), rtol=1e-6)
        np.testing.assert_allclose(hess[i], w[i] * np.array(h_ref, dtype=float), rtol=1e-6,
                                   atol=1e-300)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_loss_matches_textbook_formula(gamma, rng):
    labels, margin = _rows(rng, 10, 3, 10.0)
    loss = SoftmaxFocalLoss(gamma=gamma).loss(labels, margin)
    expected = [float(reference.softmax_focal_loss(c, z, gamma)) for c, z in zip(labels, margin)]
    # a few ulp of correctly rounded exp/log1p/pow products
    np.testing.assert_allclose(loss, expected, rtol=1e-13)


def test_gamma_zero_is_softmax_cross_entropy(rng):
    labels, margin = _rows(rng, 50, 5, 3.0)
    grad, hess = SoftmaxFocalLoss(gamma=0.0, hessian="exact").grad_hess(labels, margin)
    p = softmax(margin, axis=1)
    onehot = np.eye(5)[labels]
    loss = SoftmaxFocalLoss(gamma=0.0).loss(labels, margin)
    np.testing.assert_allclose(loss, -log_softmax(margin, axis=1)[np.arange(50), labels],
                               rtol=1e-13)
    np.testing.assert_allclose(grad, p - onehot, atol=1e-15)
    np.testing.assert_allclose(hess, p * (1 - p), rtol=1e-12, atol=1e-300)


def test_two_classes_reduce_to_binary_focal_loss(rng):
    """Softmax over (0, z) is sigmoid(z): the class-1 column must match FocalLoss."""
    from focal_gbm import FocalLoss

    labels = rng.integers(0, 2, size=40)
    z = rng.normal(scale=4, size=40)
    margin = np.column_stack([np.zeros(40), z])
    soft = SoftmaxFocalLoss(gamma=2.0, alpha=[0.75, 0.25], hessian="exact")
    binary = FocalLoss(gamma=2.0, alpha=0.25, hessian="exact")
    np.testing.assert_allclose(soft.loss(labels, margin), binary.loss(labels, z), rtol=1e-13)
    g_soft, h_soft = soft.grad_hess(labels, margin)
    g_bin, h_bin = binary.grad_hess(labels.astype(float), z)
    np.testing.assert_allclose(g_soft[:, 1], g_bin, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(h_soft[:, 1], h_bin, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("hessian", ["exact", "clip", "abs", "surrogate", "fisher"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_margins_stay_finite(hessian, dtype):
    big = float(np.finfo(dtype).max)
    margin = np.array(
        [[big, -big, 0.0], [-big, big, 0.0], [0.0, 0.0, 0.0], [1e4, -1e4, 700.0],
         [1e-8, -1e-8, 0.0], [40.0, -40.0, 20.0]], dtype=dtype
    )
    for gamma, label in itertools.product((0.0, 0.25, 2.0, 5.0), range(3)):
        labels = np.full(margin.shape[0], label)
        loss = SoftmaxFocalLoss(gamma=gamma, alpha=[0.2, 0.3, 0.5], hessian=hessian)
        grad, hess = loss.grad_hess(labels, margin)
        assert grad.dtype == dtype
        assert np.isfinite(grad).all() and np.isfinite(hess).all()
        assert np.isfinite(loss.loss(labels, margin)).all()


def test_confident_right_answer_has_tiny_accurate_loss():
    """p_c = 1 - 2e-18: -log p_c must be 2e-18, not 0 (log of a rounded p)."""
    margin = np.array([[0.0, -41.0, -41.0]])
    value = SoftmaxFocalLoss(gamma=0.0).loss(np.array([0]), margin)[0]
    assert value == pytest.approx(2 * np.exp(-41.0), rel=1e-14)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 4.0])
def test_init_score_is_the_best_constant(gamma, rng):
    labels = rng.choice(4, size=500, p=[0.7, 0.2, 0.08, 0.02])
    w = rng.uniform(0.5, 2.0, size=500)
    loss = SoftmaxFocalLoss(gamma=gamma, alpha=[0.1, 0.2, 0.3, 0.4])
    z0 = loss.init_score(labels, w)
    assert z0.shape == (4,)

    def total(z):
        return loss.loss(labels, np.broadcast_to(z, (500, 4)), w).sum()

    best = total(z0)
    for direction in np.eye(4):  # no coordinate step improves it
        for step in (1e-3, -1e-3):
            assert total(z0 + step * direction) >= best - 1e-9 * best
    if gamma == 0.0:  # cross entropy: softmax(z0) = weighted class shares
        shares = np.bincount(labels, weights=w * loss.class_weights(labels)[labels], minlength=4)
        np.testing.assert_allclose(softmax(z0), shares / shares.sum(), rtol=1e-8)


def test_balanced_alpha_weighs_rare_classes_more():
    labels = np.array([0] * 6 + [1] * 3 + [2])
    alpha = SoftmaxFocalLoss(alpha="balanced").class_weights(labels)
    np.testing.assert_allclose(alpha, (1 - np.array([0.6, 0.3, 0.1])) / 2)
    assert alpha.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "labels,margin,match",
    [
        (np.array([0, 1, 3]), np.zeros((3, 3)), r"labels must lie in \[0, 2\]"),
        (np.array([0, -1, 1]), np.zeros((3, 3)), "class indices"),
        (np.array([0.5, 1, 1]), np.zeros((3, 3)), "integer class indices"),
        (np.array([0, 1, np.nan]), np.zeros((3, 3)), "NaN"),
        (np.array([0, 1, 1]), np.zeros((4, 3)), r"margin must have shape \(n_samples, n_classes\)"),
        (np.array([0, 1, 1]), np.zeros(3), "margin must have shape"),
    ],
)
def test_bad_input(labels, margin, match):
    with pytest.raises(ValueError, match=match):
        SoftmaxFocalLoss().grad_hess(labels, margin)


def test_alpha_length_must_match_classes():
    with pytest.raises(ValueError, match="alpha has 2 values but there are 3 classes"):
        SoftmaxFocalLoss(alpha=[0.5, 0.5]).grad_hess(np.array([0, 1, 2]), np.zeros((3, 3)))


def test_trains_with_both_boosters(rng):
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    X = rng.normal(size=(600, 4))
    labels = np.digitize(X[:, 0] + 0.3 * rng.normal(size=600), [-0.5, 0.8, 1.6])
    loss = SoftmaxFocalLoss(gamma=2.0, alpha="balanced")
    z0 = loss.init_score(labels)
    start = loss.mean_loss(labels, np.broadcast_to(z0, (600, 4)))
    dtrain = xgb.DMatrix(X, label=labels, base_margin=np.broadcast_to(z0, (600, 4)))
    booster = xgb.train({"num_class": 4, "max_depth": 3}, dtrain, 20, obj=loss)
    margin = booster.predict(dtrain, output_margin=True)
    assert loss.mean_loss(labels, margin) < 0.5 * start
    model = lgb.train({"num_class": 4, "objective": loss, "verbose": -1, "num_leaves": 7},
                      lgb.Dataset(X, labels, init_score=np.broadcast_to(z0, (600, 4))), 20)
    margin = model.predict(X) + z0  # init_score is not part of the model
    assert loss.mean_loss(labels, margin) < 0.5 * start


@pytest.mark.parametrize("hessian", ["exact", "clip", "abs", "surrogate", "fisher"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_true_class_leading_by_the_subnormal_band_gives_finite_exact_values(hessian, dtype):
    # Leads of ~709.8-745.1 make the other classes' summed exponential
    # subnormal; its reciprocal used to overflow into a NaN Hessian. The
    # whole band, densely, and past both ends.
    lead = np.r_[np.arange(700.0, 760.0, 0.05), 709.78, 709.79, 720.0, 745.13, 745.14]
    labels = np.ones(lead.size, dtype=np.intp)
    two = np.column_stack([np.zeros_like(lead), lead]).astype(dtype)
    for gamma in (0.0, 0.5, 1.0, 2.0):
        grad, hess = SoftmaxFocalLoss(gamma=gamma, hessian=hessian).grad_hess(labels, two)
        assert np.isfinite(grad).all() and np.isfinite(hess).all()
        assert (grad[:, 1] <= 0).all() and (grad[:, 0] >= 0).all()
        if hessian != "exact":
            assert (hess >= 0).all()
        # Two classes are binary focal loss at z = lead (whose derivatives are
        # checked against mpmath at extreme margins): equal up to rounding of
        # subnormal results (atol: 200 spacings of float64's smallest subnormal).
        g_bin, h_bin = FocalLoss(gamma=gamma, hessian=hessian).grad_hess(
            np.ones(lead.size), two[:, 1] - two[:, 0])
        np.testing.assert_allclose(grad[:, 1], g_bin, rtol=1e-10, atol=1e-321)
        np.testing.assert_allclose(hess[:, 1], h_bin, rtol=1e-10, atol=1e-321)
        np.testing.assert_allclose(hess[:, 0], h_bin, rtol=1e-10, atol=1e-321)
    three = np.column_stack([np.zeros_like(lead), lead, np.zeros_like(lead)]).astype(dtype)
    grad, hess = SoftmaxFocalLoss(gamma=2.0, hessian=hessian).grad_hess(labels, three)
    assert np.isfinite(grad).all() and np.isfinite(hess).all()


def test_booster_scaling_is_the_exact_diagonal_at_scaled_parameters(rng):
    """docs/math.md §7: XGBoost's factor 2 on the Hessian is the exact diagonal
    trained with learning rate, reg_lambda and min_child_weight doubled.

    Every leaf value -eta G / (H + lambda) and split gain G^2 / (H + lambda)
    is then scaled by a power of two, so the two models agree bit for bit.
    """
    xgb = pytest.importorskip("xgboost")
    X = rng.normal(size=(600, 4))
    y = np.digitize(X[:, 0] + rng.normal(scale=0.5, size=600), [-0.5, 0.5]).astype(float)
    loss = SoftmaxFocalLoss(gamma=2.0)

    def exact_diagonal(margin, data):
        grad, hess = loss(margin, data)  # the booster's scaling: 2 x the diagonal
        return grad, hess / 2.0

    def train(objective, eta, reg_lambda, min_child_weight):
        data = xgb.DMatrix(X, label=y)
        params = {"num_class": 3, "max_depth": 3, "eta": eta, "reg_lambda": reg_lambda,
                  "min_child_weight": min_child_weight, "disable_default_eval_metric": 1}
        booster = xgb.train(params, data, 15, obj=objective)
        return booster.predict(data, output_margin=True)

    exact = train(exact_diagonal, 0.1, 1.0, 1.0)
    np.testing.assert_array_equal(train(loss, 0.2, 2.0, 2.0), exact)
    assert np.abs(train(loss, 0.1, 1.0, 1.0) - exact).max() > 0.01  # the scaling matters
