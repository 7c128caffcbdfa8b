"""FocalLoss with real LightGBM training."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_dataset
from focal_gbm import FocalLoss, lightgbm_train

lgb = pytest.importorskip("lightgbm")

PARAMS = {"num_leaves": 7, "learning_rate": 0.3, "verbose": -1, "num_threads": 1,
          "deterministic": True, "force_row_wise": True, "min_data_in_leaf": 5}


def _data(rng, n=600, positive_rate=0.15):
    X = rng.normal(size=(n, 5))
    logit = 2.0 * X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=n)
    y = (logit > np.quantile(logit, 1 - positive_rate)).astype(float)
    return X, y


@pytest.mark.parametrize("weighted", [False, True])
def test_gamma_zero_trains_the_same_model_as_builtin_binary(weighted, rng):
    X, y = _data(rng)
    w = rng.uniform(0.5, 2.0, size=y.size) if weighted else None
    z0 = FocalLoss(gamma=0.0).init_score(y, w)
    init = np.full(y.size, z0)
    builtin = lgb.train({**PARAMS, "objective": "binary"},
                        lgb.Dataset(X, y, weight=w, init_score=init), 20)
    focal = lightgbm_train(PARAMS, lgb.Dataset(X, y, weight=w), 20,
                           objective=FocalLoss(gamma=0.0, alpha=None))
    # The built-in model does not include init_score; ours does. Both use
    # float32 gradients of the same function (the formulas differ in the
    # last bits), so 20 rounds agree to ~1e-7; an ignored weight or a wrong
    # Hessian moves them by > 1e-2.
    np.testing.assert_allclose(
        focal.predict(X, raw_score=True), builtin.predict(X, raw_score=True) + z0, atol=1e-5
    )


def test_booster_predicts_probabilities_with_the_starting_margin(rng, tmp_path):
    X, y = _data(rng)
    objective = FocalLoss(gamma=2.0, alpha=0.25)
    z0 = objective.init_score(y)
    booster = lightgbm_train(PARAMS, lgb.Dataset(X, y), 15, objective=objective)
    raw = booster.predict(X, raw_score=True)
    np.testing.assert_allclose(booster.predict(X), 1 / (1 + np.exp(-raw)), rtol=1e-12)
    plain = lgb.train({**PARAMS, "objective": objective},
                      lgb.Dataset(X, y, init_score=np.full(y.size, z0)), 15)
    # the same trees, with z0 added to the first one's leaves
    np.testing.assert_allclose(raw, plain.predict(X) + z0, rtol=1e-12, atol=1e-12)
    path = tmp_path / "model.txt"
    booster.save_model(path)
    loaded = lgb.Booster(model_file=path)
    np.testing.assert_allclose(loaded.predict(X), booster.predict(X), rtol=1e-15)


def test_validation_metric_and_early_stopping_follow_focal_loss(rng):
    X, y = _data(rng, n=1000)
    train = lgb.Dataset(X[:700], y[:700])
    valid = lgb.Dataset(X[700:], y[700:], reference=train)
    history = {}
    objective = FocalLoss(gamma=2.0, alpha=0.25)
    booster = lightgbm_train(
        {**PARAMS, "learning_rate": 0.5, "num_leaves": 31}, train, 200, objective=objective,
        valid_sets=[valid], valid_names=["valid"],
        callbacks=[lgb.early_stopping(5, verbose=False), lgb.record_evaluation(history)],
    )
    assert list(history["valid"]) == ["focal_loss"]  # no metric read from raw scores
    curve = history["valid"]["focal_loss"]
    assert booster.best_iteration == int(np.argmin(curve)) + 1
    assert len(curve) == booster.best_iteration + 5
    # The reported value is the focal loss of what the returned model (cut
    # at its best iteration, as lightgbm.train does) predicts: validation
    # data started from the same margin. Both are float64 sums: 1e-9.
    raw = booster.predict(X[700:], raw_score=True)
    best = booster.best_iteration - 1
    assert curve[best] == pytest.approx(objective.mean_loss(y[700:], raw), rel=1e-9)


def test_lgbmclassifier_passes_weights_to_focal_objective(rng):
    X, y = _data(rng, n=400)
    w = rng.uniform(0.2, 3.0, size=y.size)
    params = {"n_estimators": 10, "num_leaves": 7, "verbose": -1, "deterministic": True}
    weighted = lgb.LGBMClassifier(objective=FocalLoss(), **params).fit(X, y, sample_weight=w)
    unweighted = lgb.LGBMClassifier(objective=FocalLoss(), **params).fit(X, y)
    raw = weighted.predict(X, raw_score=True)
    grad, _ = FocalLoss()(y, np.zeros_like(y), w)
    assert np.abs(raw - unweighted.predict(X, raw_score=True)).max() > 1e-3
    assert raw.shape == y.shape and np.isfinite(grad).all()


def test_rejects_objective_in_params(rng):
    X, y = _data(rng, n=100)
    with pytest.raises(ValueError, match=r"params\['objective'\] must not be set"):
        lightgbm_train({"objective": "binary"}, lgb.Dataset(X, y), 5, objective=FocalLoss())


def test_real_dataset_focal_metric_decreases():
    X, y = load_dataset("wine_quality")
    order = np.random.default_rng(0).permutation(y.size)
    train, valid = order[:3500], order[3500:]
    history = {}
    train_set = lgb.Dataset(X[train], y[train])
    booster = lightgbm_train(
        {"num_leaves": 15, "learning_rate": 0.05, "verbose": -1}, train_set, 100,
        objective=FocalLoss(gamma=2.0, alpha="balanced"),
        valid_sets=[train_set, lgb.Dataset(X[valid], y[valid], reference=train_set)],
        valid_names=["train", "valid"], callbacks=[lgb.record_evaluation(history)],
    )
    train_curve = history["train"]["focal_loss"]
    assert train_curve[-1] < 0.7 * train_curve[0]
    # 100 rounds overfit a 3500-row set; the validation loss must still dip
    valid_curve = history["valid"]["focal_loss"]
    assert min(valid_curve) < 0.9 * valid_curve[0]
    proba = booster.predict(X[valid])
    assert ((proba > 0) & (proba < 1)).all()
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y[valid], proba) > 0.75


@pytest.mark.parametrize("where", ["train", "valid"])
def test_lightgbm_train_refuses_nan_labels_before_lightgbm_zeroes_them(rng, where):
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 1.0).astype(float)
    y_nan = y.copy()
    y_nan[7] = np.nan
    train_set = lgb.Dataset(X, y_nan if where == "train" else y)
    valid_set = lgb.Dataset(X, y_nan if where == "valid" else y, reference=train_set)
    name = "train_set's label" if where == "train" else r"valid_sets\[0\]'s label"
    with pytest.raises(ValueError, match=f"{name} contains NaN"):
        lightgbm_train({"verbose": -1}, train_set, 2, objective=FocalLoss(),
                       valid_sets=[valid_set])


def test_plain_lightgbm_train_replaces_nan_labels_by_zero_before_the_objective(rng):
    # The limit the README states: LightGBM builds the Dataset (NaN label -> 0)
    # before a callable objective sees it, so nothing downstream can tell.
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 1.0).astype(float)
    y[7] = np.nan
    train_set = lgb.Dataset(X, y)
    lgb.train({"objective": FocalLoss(), "verbose": -1}, train_set, 1)
    assert train_set.get_label()[7] == 0.0


def test_booster_declares_its_real_objective_in_params_and_file(rng, tmp_path):
    """Tools that accept a built-in binary model read params["objective"], not "custom"."""
    from focal_gbm import FocalLGBMClassifier

    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 1.0).astype(float)
    booster = lightgbm_train({"num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y), 5,
                             objective=FocalLoss())
    assert booster.params["objective"] == "binary"
    path = tmp_path / "binary.txt"
    booster.save_model(path)
    assert lgb.Booster(model_file=path).params["objective"] == "binary"
    classes = np.digitize(X[:, 1], [-0.5, 0.5])
    clf = FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(X, classes)
    assert clf.booster_.params["objective"] == "multiclass"
    assert int(clf.booster_.params["num_class"]) == 3
