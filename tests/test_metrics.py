"""Calibration scores (focal_gbm.metrics) against scikit-learn and hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss

from focal_gbm.metrics import calibration_scores, expected_calibration_error


def test_log_loss_and_brier_match_scikit_learn():
    rng = np.random.default_rng(0)
    proba = rng.uniform(0.01, 0.99, size=500)
    y = (rng.uniform(size=500) < proba).astype(int)
    scores = calibration_scores(y, proba)
    # Same formula, different summation order: a few ulps.
    assert scores["log_loss"] == pytest.approx(log_loss(y, proba), rel=1e-12)
    assert scores["brier"] == pytest.approx(brier_score_loss(y, proba), rel=1e-12)


def test_ece_by_hand():
    # Bin [0, 0.1): rows 0, 1 -> |0.5 - 0.05|; bin [0.9, 1]: rows 2, 3 (1.0 in the
    # last bin) -> |1 - 0.95|; weights 2/4 each.
    y = [0, 1, 1, 1]
    proba = [0.02, 0.08, 0.9, 1.0]
    assert expected_calibration_error(y, proba) == pytest.approx(
        0.5 * 0.45 + 0.5 * 0.05, rel=1e-12)


def test_ece_separates_calibrated_from_squeezed_probabilities():
    rng = np.random.default_rng(1)
    proba = rng.beta(0.5, 5.0, size=200_000)
    y = (rng.uniform(size=proba.size) < proba).astype(int)
    # Sampling noise of the bin means: ~1e-3 with 2e5 rows.
    assert expected_calibration_error(y, proba) < 0.005
    squeezed = 0.5 + 0.5 * (proba - 0.5)  # pulled towards 1/2, as focal loss does
    assert expected_calibration_error(y, squeezed) > 0.1


@pytest.mark.parametrize("proba, message", [([0.5, 1.5], r"\[0, 1\]"),
                                            ([0.5], "same length")])
def test_ece_rejects_bad_probabilities(proba, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error([0, 1], proba)


def test_ece_rejects_bad_labels_and_bins():
    with pytest.raises(ValueError, match="y_true"):
        expected_calibration_error([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error([0, 1], [0.1, 0.2], n_bins=0)
