"""What FocalLoss gives with the boosters' own entry points: the README's table, checked.

Each row of "Using FocalLoss with the boosters' own API" in README.md is one
test here, so the documented behaviour (probabilities or raw margins) cannot
drift from what the installed boosters do.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from focal_gbm import FocalLoss

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")


@pytest.fixture
def data(rng):
    X = rng.normal(size=(300, 3))
    return X, (X[:, 0] > 1.0).astype(int)


def test_xgbclassifier_predicts_probabilities_and_labels(data):
    X, y = data
    clf = xgb.XGBClassifier(objective=FocalLoss(), n_estimators=5).fit(X, y)
    margin = clf.predict(X, output_margin=True)
    # XGBClassifier declares binary:logistic for a callable objective: sigmoid output.
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(margin), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), (margin > 0).astype(int))


def test_lgbmclassifier_returns_raw_margins_from_predict_proba(data):
    X, y = data
    clf = lgb.LGBMClassifier(objective=FocalLoss(), n_estimators=5, verbose=-1).fit(X, y)
    proba = clf.predict_proba(X)  # LightGBM logs "Cannot compute class probabilities"
    assert proba.ndim == 1 and proba.min() < 0  # margins, not probabilities
    np.testing.assert_array_equal(proba, clf.predict(X, raw_score=True))
    np.testing.assert_array_equal(clf.predict(X), proba)  # not labels either


@pytest.mark.parametrize("declare_logistic", [False, True])
def test_xgboost_train_predicts_margins_unless_binary_logistic_is_declared(data,
                                                                           declare_logistic):
    X, y = data
    dtrain = xgb.DMatrix(X, label=y)
    params = {"objective": "binary:logistic"} if declare_logistic else {}
    booster = xgb.train(params, dtrain, 5, obj=FocalLoss())
    margin = booster.predict(dtrain, output_margin=True)
    expected = expit(margin) if declare_logistic else margin
    np.testing.assert_allclose(booster.predict(dtrain), expected, rtol=1e-6)


def test_lightgbm_train_predicts_raw_margins(data):
    X, y = data
    booster = lgb.train({"objective": FocalLoss(), "verbose": -1}, lgb.Dataset(X, y), 5)
    prediction = booster.predict(X)
    assert prediction.min() < 0
    np.testing.assert_array_equal(prediction, booster.predict(X, raw_score=True))
