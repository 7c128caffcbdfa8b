"""Bad input raises ValueError naming the argument, never a silent wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

from focal_gbm import FocalLoss

Y = np.array([0.0, 1.0, 1.0, 0.0])
Z = np.array([-1.0, 0.5, 2.0, 0.0])


@pytest.mark.parametrize(
    "labels,match",
    [
        (np.array([-1.0, 1.0, 1.0, -1.0]), r"y_true must lie in \[0, 1\] \(\{-1, 1\} labels"),
        (np.array([0.0, 2.0, 1.0, 0.0]), r"y_true must lie in \[0, 1\]"),
        (np.array([0.0, np.nan, 1.0, 0.0]), "y_true contains NaN"),
        (np.array(["a", "b", "a", "b"]), "y_true must be numeric"),
    ],
)
def test_bad_labels(labels, match):
    loss = FocalLoss()
    for method in (loss.loss, loss.grad_hess, loss.mean_loss):
        with pytest.raises(ValueError, match=match):
            method(labels, Z)
    with pytest.raises(ValueError, match=match):
        loss.init_score(labels)


def test_label_margin_shape_mismatch():
    with pytest.raises(ValueError, match=r"margin has shape \(3,\) but y_true has shape \(4,\)"):
        FocalLoss().grad_hess(Y, Z[:3])
    with pytest.raises(ValueError, match="margin has shape"):
        FocalLoss().loss(Y, Z[:, None])


def test_non_finite_margin():
    with pytest.raises(ValueError, match="margin must be finite"):
        FocalLoss().grad_hess(Y, np.array([0.0, np.nan, 1.0, 2.0]))


@pytest.mark.parametrize(
    "weights,match",
    [
        (np.ones(3), r"sample_weight must be 1-D with one weight per sample \(4\)"),
        (np.ones((4, 1)), "sample_weight must be 1-D"),
        (np.array([1.0, -0.5, 1.0, 1.0]), r"sample_weight must be finite and >= 0"),
        (np.array([1.0, np.nan, 1.0, 1.0]), r"sample_weight must be finite and >= 0"),
    ],
)
def test_bad_sample_weight(weights, match):
    with pytest.raises(ValueError, match=match):
        FocalLoss().grad_hess(Y, Z, sample_weight=weights)
    with pytest.raises(ValueError, match=match):
        FocalLoss().init_score(Y, sample_weight=weights)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, np.nan, "inverse", [0.5, 2.0], [[0.5]]])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        FocalLoss(alpha=alpha)


@pytest.mark.parametrize("gamma", [-1.0, np.nan, np.inf, None, "2", [1.0, -2.0]])
def test_bad_gamma(gamma):
    with pytest.raises(ValueError, match="gamma"):
        FocalLoss(gamma=gamma)


def test_bad_hessian_policy():
    with pytest.raises(ValueError, match="hessian must be one of"):
        FocalLoss(hessian="newton")


def test_per_column_parameters_need_matching_columns():
    with pytest.raises(ValueError, match="gamma has 3 values but the labels have 2 columns"):
        FocalLoss(gamma=[1.0, 2.0, 3.0]).grad_hess(np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="alpha has 2 values but the labels are 1-D"):
        FocalLoss(alpha=[0.2, 0.3]).grad_hess(Y, Z)


def test_boundary_values_are_accepted():
    """alpha 0 and 1, gamma 0 and soft labels 0 / 1 are valid, not errors."""
    for alpha in (0.0, 1.0):
        grad, hess = FocalLoss(gamma=0.0, alpha=alpha).grad_hess(Y, Z)
        assert np.isfinite(grad).all() and np.isfinite(hess).all()
