"""Properties of FocalLoss itself: weights, alpha, policies, init score, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit

from focal_gbm import FocalLoss, SoftmaxFocalLoss


def _cross_entropy(y, z):
    return -(y * log_expit(z) + (1 - y) * log_expit(-z))


def test_gamma_zero_without_alpha_is_cross_entropy(rng):
    y = rng.uniform(size=200)
    z = rng.normal(scale=5, size=200)
    loss = FocalLoss(gamma=0.0, alpha=None, hessian="exact")
    np.testing.assert_allclose(loss.loss(y, z), _cross_entropy(y, z), rtol=1e-13)
    grad, hess = loss.grad_hess(y, z)
    # p - y cancels for soft labels, hence the absolute part of the tolerance
    # (a few ulp of an O(1) gradient); p (1 - p) is formed without rounding 1 - p.
    np.testing.assert_allclose(grad, expit(z) - y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hess, expit(z) * expit(-z), rtol=1e-12)


def test_focal_to_cross_entropy_ratio_is_modulating_factor(rng):
    """For hard labels L_focal / L_ce = a_t (1 - p_t)^gamma."""
    y = rng.integers(0, 2, size=300).astype(float)
    z = rng.normal(scale=4, size=300)
    one_minus_p_t = np.where(y == 1, expit(-z), expit(z))  # not 1 - p_t: no rounding
    a_t = np.where(y == 1, 0.25, 0.75)
    ratio = FocalLoss(gamma=3.0, alpha=0.25).loss(y, z) / _cross_entropy(y, z)
    np.testing.assert_allclose(ratio, a_t * one_minus_p_t**3.0, rtol=1e-12)


def test_alpha_zero_and_one_silence_a_class():
    y = np.array([1.0, 0.0])
    z = np.array([0.3, 0.3])
    assert FocalLoss(alpha=0.0).loss(y, z)[0] == 0.0
    assert FocalLoss(alpha=1.0).loss(y, z)[1] == 0.0


def test_sample_weights_scale_everything_linearly(rng):
    y = rng.integers(0, 2, size=50).astype(float)
    z = rng.normal(size=50)
    w = rng.uniform(0, 4, size=50)
    loss = FocalLoss(gamma=2.0, alpha=0.3)
    g, h = loss.grad_hess(y, z)
    gw, hw = loss.grad_hess(y, z, sample_weight=w)
    np.testing.assert_allclose(gw, w * g, rtol=1e-14)
    np.testing.assert_allclose(hw, w * h, rtol=1e-14)
    np.testing.assert_allclose(loss.loss(y, z, w), w * loss.loss(y, z), rtol=1e-14)
    assert loss.mean_loss(y, z, w) == pytest.approx(np.sum(w * loss.loss(y, z)) / w.sum())


def test_balanced_alpha_is_one_minus_weighted_positive_rate():
    y = np.array([[1, 0], [0, 0], [0, 1], [0, 1]], dtype=float)
    w = np.array([1.0, 1.0, 1.0, 5.0])
    a_pos, a_neg = FocalLoss(alpha="balanced").class_weights(y, w)
    np.testing.assert_allclose(a_pos, [1 - 1 / 8, 1 - 6 / 8])
    np.testing.assert_allclose(a_neg, [1 / 8, 6 / 8])


def test_balanced_alpha_is_fixed_by_fit_alpha():
    loss = FocalLoss(alpha="balanced").fit_alpha(np.array([1.0, 0.0, 0.0, 0.0]))
    a_pos, _ = loss.class_weights(np.array([1.0, 1.0]))  # other labels, same alpha
    assert a_pos == pytest.approx(0.75)


class TestHessianPolicies:
    y = np.repeat([0.0, 1.0, 0.4], 201)
    z = np.tile(np.linspace(-20, 20, 201), 3)

    def hess(self, policy, gamma=2.0):
        return FocalLoss(gamma=gamma, alpha=0.25, hessian=policy).grad_hess(self.y, self.z)

    def test_exact_is_negative_for_confidently_wrong_examples(self):
        _, hess = self.hess("exact")
        assert hess[(self.y == 1) & (self.z < -4)].max() < 0

    @pytest.mark.parametrize("policy", ["clip", "abs", "surrogate", "fisher"])
    def test_policies_are_positive_and_keep_the_gradient(self, policy):
        grad, hess = self.hess(policy)
        assert (hess > 0).all()
        np.testing.assert_array_equal(grad, self.hess("exact")[0])

    def test_clip_and_abs_follow_the_exact_value(self):
        _, exact = self.hess("exact")
        _, clipped = self.hess("clip")
        np.testing.assert_array_equal(self.hess("abs")[1], np.abs(exact))
        np.testing.assert_array_equal(clipped[exact > 1e-6], exact[exact > 1e-6])
        assert clipped.min() == pytest.approx(0.25e-6)  # floor times alpha

    @pytest.mark.parametrize("policy", ["surrogate", "fisher"])
    def test_curvature_surrogates_are_exact_for_cross_entropy(self, policy):
        np.testing.assert_allclose(
            self.hess(policy, gamma=0.0)[1], self.hess("exact", gamma=0.0)[1], rtol=1e-13
        )

    def test_fisher_bounds_surrogate(self):
        assert (self.hess("fisher")[1] >= self.hess("surrogate")[1]).all()


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
def test_init_score_matches_brute_force(gamma, alpha, rng):
    y = (rng.uniform(size=400) < 0.08).astype(float)
    y[:20] = rng.uniform(size=20)  # some soft labels
    w = rng.uniform(0.1, 3.0, size=400)
    loss = FocalLoss(gamma=gamma, alpha=alpha)
    z0 = loss.init_score(y, w)
    grid = np.linspace(-10, 10, 20001)  # step 1e-3
    totals = [loss.loss(y, np.full_like(y, z), w).sum() for z in grid]
    z_grid = grid[int(np.argmin(totals))]
    assert abs(z0 - z_grid) <= 1e-3
    # and nothing nearby is lower: z0 is a local minimum to 1e-6
    total = lambda z: loss.loss(y, np.full_like(y, z), w).sum()  # noqa: E731
    polished = minimize_scalar(total, bracket=(z_grid - 0.01, z_grid + 0.01), tol=1e-12).x
    assert z0 == pytest.approx(polished, abs=1e-6)
    # The derivative vanishes there to rounding: its terms cancel to 1e-12 of
    # their size (a minimiser of the loss values alone stops near 1e-8).
    grad, _ = loss.grad_hess(y, np.full_like(y, z0), w)
    assert abs(grad.sum()) <= 1e-12 * np.abs(grad).sum()


def test_init_score_per_column_and_limits():
    y = np.column_stack([np.r_[np.ones(3), np.zeros(7)], np.zeros(10), np.ones(10)])
    z0 = FocalLoss(gamma=0.0).init_score(y)
    assert z0.shape == (3,)
    assert z0[0] == pytest.approx(np.log(3 / 7))
    assert z0[1] == -30.0 and z0[2] == 30.0  # a column without one class: clipped


def test_pickle_round_trip_keeps_parameters_and_results(rng):
    loss = FocalLoss(gamma=[1.0, 2.0], alpha="balanced", hessian="clip")
    y = rng.integers(0, 2, size=(30, 2)).astype(float)
    loss.fit_alpha(y)
    z = rng.normal(size=(30, 2))
    restored = pickle.loads(pickle.dumps(loss))
    assert repr(restored) == repr(loss)
    for a, b in zip(restored.grad_hess(y, z), loss.grad_hess(y, z)):
        np.testing.assert_array_equal(a, b)


def test_sklearn_wrapper_convention_applies_sample_weight(rng):
    """Called as (y_true, y_pred, sample_weight=...) by XGBClassifier / LGBMClassifier."""
    y = rng.integers(0, 2, size=20).astype(float)
    z = rng.normal(size=20)
    w = rng.uniform(size=20)
    loss = FocalLoss()
    grad, hess = loss(y, z, w)
    assert grad.dtype == hess.dtype == np.float32  # what both boosters store
    # float32 rounding (2^-24), rounding to 21 significant bits (at most
    # 2^-21) and rounding of the weighted product (2^-24): under 6e-7 relative
    np.testing.assert_allclose(grad, loss.grad_hess(y, z, w)[0], rtol=6e-7)
    np.testing.assert_allclose(hess, loss.grad_hess(y, z, w)[1], rtol=6e-7)


@pytest.mark.parametrize("objective", [FocalLoss(gamma=2.0, alpha=0.3), SoftmaxFocalLoss()])
def test_integer_weights_are_exact_multiples_for_boosters(objective, rng):
    """w * g is exact in float32 for integer w <= 8, as repeating the row w times sums."""
    n = 200
    if isinstance(objective, SoftmaxFocalLoss):
        y, z = rng.integers(0, 3, size=n), rng.normal(scale=3, size=(n, 3))
    else:
        y, z = rng.integers(0, 2, size=n).astype(float), rng.normal(scale=3, size=n)
    w = rng.integers(0, 9, size=n).astype(float)
    grad_w, hess_w = objective(y, z, w)
    grad_1, hess_1 = objective(y, z, np.ones(n))
    scale = w[:, None] if grad_w.ndim == 2 else w
    np.testing.assert_array_equal(grad_w, grad_1 * scale.astype(np.float32))
    np.testing.assert_array_equal(hess_w, hess_1 * scale.astype(np.float32))


def test_float32_margins_give_float32_derivatives(rng):
    z = rng.normal(size=10).astype(np.float32)
    grad, hess = FocalLoss()(np.zeros(10), z)
    assert grad.dtype == hess.dtype == np.float32


def test_wrapper_convention_revalidates_only_changed_labels_and_weights(rng):
    """The labels of the last call are reused only while they are the same values."""
    loss = FocalLoss(gamma=2.0, alpha=0.25)
    y = (rng.random(1000) < 0.2).astype(np.float32)  # what XGBClassifier hands over
    w = rng.uniform(0.5, 2.0, size=1000).astype(np.float32)
    z = rng.normal(size=1000).astype(np.float32)
    first = loss(y.copy(), z, w.copy())
    np.testing.assert_array_equal(loss(y.copy(), z, w.copy())[0], first[0])  # fresh copies
    # new labels, weights or a dropped weight of the same shape are seen
    flipped = y.copy()
    flipped[0] = 1.0 - flipped[0]
    for args in ((flipped, z, w), (y, z, 2 * w), (y, z, None)):
        expected = FocalLoss(gamma=2.0, alpha=0.25).grad_hess(*args)[0]
        np.testing.assert_allclose(loss(*args)[0], expected, rtol=6e-7)
    # and invalid labels still raise after valid ones were cached
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="y_true contains NaN"):
        loss(bad, z, w)
    with pytest.raises(ValueError, match="margin must be finite"):
        loss(y, np.full_like(z, np.inf), w)


@pytest.mark.parametrize("objective", [FocalLoss(gamma=2.0, alpha="balanced"),
                                       SoftmaxFocalLoss(alpha="balanced")])
def test_checked_labels_compute_what_the_array_methods_do(objective, rng):
    """check_labels once, then checked_grad_hess / checked_loss_totals: the same numbers."""
    n = 300
    if isinstance(objective, SoftmaxFocalLoss):
        y, z = rng.integers(0, 3, size=n), rng.normal(scale=3, size=(n, 3))
    else:
        y, z = (rng.random(n) < 0.2).astype(float), rng.normal(scale=3, size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    labels = objective.check_labels(y, w)
    for got, expected in zip(objective.checked_grad_hess(labels, z), objective.grad_hess(y, z, w)):
        np.testing.assert_array_equal(got, expected)
    total, weight = objective.checked_loss_totals(labels, z)
    assert total / weight == pytest.approx(objective.mean_loss(y, z, w), rel=1e-12)
    # "balanced" unfixed: training_alpha is the weights of these labels
    training_alpha = objective.training_alpha(labels, n_columns=z.shape[1] if z.ndim == 2 else None)
    np.testing.assert_allclose(training_alpha, objective.fitted_copy(y, w).fitted_alpha)
    assert objective.alpha_from_labels and objective.fitted_copy(y, w).alpha_from_labels is False


def test_checked_labels_refuse_bad_labels_and_margins_of_another_shape(rng):
    with pytest.raises(ValueError, match="label must lie in"):
        FocalLoss().check_labels([0.0, 2.0], name="label")
    with pytest.raises(ValueError, match="sample_weight"):
        FocalLoss().check_labels([0.0, 1.0], [1.0])
    labels = FocalLoss().check_labels(np.zeros(5))
    with pytest.raises(ValueError, match="margin has shape"):
        FocalLoss().checked_grad_hess(labels, np.zeros(4))
    classes = SoftmaxFocalLoss().check_labels(np.array([0, 3, 1]))
    assert classes.n_classes_seen == 4
    with pytest.raises(ValueError, match="holds class 3 but margin has only 3 columns"):
        SoftmaxFocalLoss().checked_grad_hess(classes, np.zeros((3, 3)))
