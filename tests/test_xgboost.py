"""FocalLoss with real XGBoost training."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_dataset
from focal_gbm import FocalLoss, base_score, xgboost_train

xgb = pytest.importorskip("xgboost")


def _data(rng, n=600, positive_rate=0.15):
    X = rng.normal(size=(n, 5))
    logit = 2.0 * X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=n)
    y = (logit > np.quantile(logit, 1 - positive_rate)).astype(float)
    return X, y


EXACT = {"tree_method": "exact", "max_depth": 3, "eta": 0.3, "nthread": 1}


def test_gamma_zero_trains_the_same_model_as_binary_logistic(rng):
    X, y = _data(rng)
    dtrain = xgb.DMatrix(X, label=y)
    z0 = FocalLoss(gamma=0.0).init_score(y)
    params = {**EXACT, "objective": "binary:logistic", "base_score": base_score(z0)}
    builtin = xgb.train(params, dtrain, 20)
    focal = xgb.train(params, dtrain, 20, obj=FocalLoss(gamma=0.0, alpha=None))
    # Both boosters see float32 gradients of the same function; they differ
    # only in the last bits of those (two formulas for p - y), which moves
    # probabilities by ~1e-7 after 20 rounds. A missing weight, a wrong sign
    # or a wrong Hessian changes them by > 1e-2.
    np.testing.assert_allclose(focal.predict(dtrain), builtin.predict(dtrain), atol=1e-5)


def test_integer_weights_equal_duplicated_rows(rng):
    X, y = _data(rng, n=300)
    counts = rng.integers(1, 4, size=y.size)
    objective = FocalLoss(gamma=2.0, alpha=0.25)
    weighted = xgboost_train(EXACT, xgb.DMatrix(X, label=y, weight=counts), 15, objective=objective)
    duplicated = xgboost_train(
        EXACT, xgb.DMatrix(np.repeat(X, counts, 0), label=np.repeat(y, counts)), 15,
        objective=FocalLoss(gamma=2.0, alpha=0.25),
    )
    probe = xgb.DMatrix(X)
    # FocalLoss makes w * g exact in float32 for integer weights, and XGBoost
    # sums in float64: the same sums in every node, the same model, bit for bit.
    np.testing.assert_array_equal(weighted.predict(probe), duplicated.predict(probe))
    # and the weights matter: ignoring them gives a different model
    unweighted = xgboost_train(EXACT, xgb.DMatrix(X, label=y), 15, objective=objective)
    assert np.abs(unweighted.predict(probe) - weighted.predict(probe)).max() > 1e-3


def test_training_starts_from_the_optimal_margin_and_keeps_it(rng, tmp_path):
    X, y = _data(rng)
    dtrain = xgb.DMatrix(X, label=y)
    objective = FocalLoss(gamma=2.0, alpha=0.25)
    z0 = objective.init_score(y)
    untrained = xgboost_train(EXACT, dtrain, 0, objective=objective)
    # base_score is a float32 probability: margin error <= eps32 / (1 - p)
    np.testing.assert_allclose(untrained.predict(dtrain, output_margin=True), z0, atol=1e-6)
    booster = xgboost_train(EXACT, dtrain, 10, objective=objective)
    path = tmp_path / "model.json"
    booster.save_model(path)
    loaded = xgb.Booster(model_file=path)
    np.testing.assert_array_equal(loaded.predict(dtrain), booster.predict(dtrain))
    margin = booster.predict(dtrain, output_margin=True)
    np.testing.assert_allclose(booster.predict(dtrain), 1 / (1 + np.exp(-margin)), rtol=1e-6)


def test_metric_drives_evaluation_and_early_stopping(rng):
    X, y = _data(rng, n=1000)
    dtrain = xgb.DMatrix(X[:700], label=y[:700])
    dvalid = xgb.DMatrix(X[700:], label=y[700:])
    history = {}
    objective = FocalLoss(gamma=2.0, alpha=0.25)
    booster = xgboost_train(
        {**EXACT, "eta": 1.0, "max_depth": 6}, dtrain, 200, objective=objective,
        evals=[(dvalid, "valid")], early_stopping_rounds=5, evals_result=history,
        verbose_eval=False,
    )
    assert list(history["valid"]) == ["focal_loss"]  # no built-in metric on the side
    curve = history["valid"]["focal_loss"]
    assert booster.best_iteration == int(np.argmin(curve))
    assert len(curve) == booster.best_iteration + 6  # stopped 5 rounds after the best
    margin = booster.predict(dvalid, output_margin=True, iteration_range=(0, len(curve)))
    # XGBoost passes metrics through text with 6 significant digits: a
    # rounding error below 5e-6 / 1.0 relative, 1e-5 with float32 margins.
    assert curve[-1] == pytest.approx(objective.mean_loss(y[700:], margin), rel=1e-4)


def test_xgbclassifier_accepts_focal_objective_with_weights(rng):
    X, y = _data(rng, n=300)
    counts = rng.integers(1, 4, size=y.size)
    params = {"n_estimators": 10, "tree_method": "exact", "max_depth": 3}
    weighted = xgb.XGBClassifier(objective=FocalLoss(), **params).fit(X, y, sample_weight=counts)
    duplicated = xgb.XGBClassifier(objective=FocalLoss(), **params).fit(
        np.repeat(X, counts, 0), np.repeat(y, counts)
    )
    np.testing.assert_array_equal(weighted.predict_proba(X), duplicated.predict_proba(X))


def test_multi_output_labels_train_one_booster(rng):
    X, y = _data(rng)
    Y = np.column_stack([y, (X[:, 2] > 1.0).astype(float)])
    objective = FocalLoss(gamma=[2.0, 1.0], alpha=[0.25, 0.5])
    booster = xgb.train(
        {"tree_method": "hist", "max_depth": 3}, xgb.DMatrix(X, label=Y), 10, obj=objective
    )
    margin = booster.predict(xgb.DMatrix(X), output_margin=True)
    assert margin.shape == Y.shape
    assert objective.mean_loss(Y, margin) < objective.mean_loss(Y, np.zeros_like(margin))


def test_real_dataset_focal_metric_decreases():
    X, y = load_dataset("yeast")
    order = np.random.default_rng(0).permutation(y.size)
    train, valid = order[:1000], order[1000:]
    dtrain = xgb.DMatrix(X[train], label=y[train])
    dvalid = xgb.DMatrix(X[valid], label=y[valid])
    history = {}
    booster = xgboost_train(
        {"max_depth": 3, "eta": 0.1}, dtrain, 50, objective=FocalLoss(gamma=2.0, alpha="balanced"),
        evals=[(dtrain, "train"), (dvalid, "valid")], evals_result=history, verbose_eval=False,
    )
    train_curve = history["train"]["focal_loss"]
    assert train_curve[-1] < 0.7 * train_curve[0]
    assert history["valid"]["focal_loss"][-1] < history["valid"]["focal_loss"][0]
    proba = booster.predict(dvalid)
    assert ((proba > 0) & (proba < 1)).all()
    # the model ranks the rare class above chance
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[valid], proba) > 0.75
