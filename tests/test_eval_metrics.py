"""Built-in metrics next to the focal metric, on the scale each metric expects.

XGBoost: ``eval_metric`` names are computed by XGBoost on the probabilities
(the sigmoid / softmax of the margins), reported before the focal metric, and
early stopping follows the last of the user's metrics. LightGBM: ``metric``
names are computed by focal_gbm on the same probabilities (LightGBM's own
would read raw margins), reported first; early stopping follows LightGBM's
rule. Callables receive ``predict_proba``'s probabilities.
"""

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from focal_gbm import (  # noqa: E402
    FocalLGBMClassifier,
    FocalLoss,
    FocalXGBClassifier,
    lightgbm_train,
    xgboost_train,
)

# XGBoost and LightGBM print metric values with 6 decimals (or 6 significant
# digits) before the history stores them.
PRINTED = 1e-6


def _split(n_classes=2, n=3000, seed=0):
    X, y = make_classification(n, n_features=8, n_informative=4, n_classes=n_classes,
                               weights=[0.85] if n_classes == 2 else [0.6, 0.3, 0.1],
                               flip_y=0.05, random_state=seed)
    return X[:2000], y[:2000], X[2000:], y[2000:]


# ------------------------------------------------------------------ XGBoost
def test_xgboost_builtin_metrics_come_first_and_early_stopping_follows_the_last():
    X, y, Xv, yv = _split()
    params = {"n_estimators": 400, "learning_rate": 0.1, "max_depth": 3,
              "early_stopping_rounds": 10}
    clf = FocalXGBClassifier(eval_metric=["logloss", "aucpr"], **params)
    clf.fit(X, y, eval_set=[(Xv, yv)])
    history = clf.evals_result()["validation_0"]
    assert list(history) == ["logloss", "aucpr", "focal_loss"]
    aucpr = np.asarray(history["aucpr"])
    # Stopped 10 rounds after aucpr's best (maximised) ...
    assert clf.best_iteration == int(np.argmax(aucpr)) == aucpr.size - 11
    assert clf.best_score == pytest.approx(aucpr.max())
    # ... where stopping on the focal metric ends elsewhere on this data.
    focal_only = FocalXGBClassifier(**params).fit(X, y, eval_set=[(Xv, yv)])
    assert focal_only.best_iteration != clf.best_iteration


def test_xgboost_builtin_log_loss_is_of_the_focal_probabilities():
    X, y, Xv, yv = _split()
    clf = FocalXGBClassifier(n_estimators=20, max_depth=3, eval_metric="logloss")
    clf.fit(X, y, eval_set=[(Xv, yv)])
    focal_probability = expit(clf.decision_function(Xv))
    assert clf.evals_result()["validation_0"]["logloss"][-1] == pytest.approx(
        log_loss(yv, focal_probability), abs=PRINTED)


def test_xgboost_callable_metric_gets_predict_probas_probabilities():
    X, y, Xv, yv = _split(n_classes=3)
    weight = np.linspace(0.5, 2.0, yv.size)
    clf = FocalXGBClassifier(n_estimators=20, max_depth=3, focal_alpha="balanced",
                             eval_metric=log_loss)
    clf.fit(X, y, eval_set=[(Xv, yv)], eval_sample_weight=[weight])
    history = clf.evals_result()["validation_0"]
    assert list(history) == ["log_loss"]  # XGBoost takes one custom metric: the user's
    assert history["log_loss"][-1] == pytest.approx(
        log_loss(yv, clf.predict_proba(Xv), sample_weight=weight), abs=PRINTED)


def test_xgboost_train_builtin_metric_and_early_stopping():
    X, y, Xv, yv = _split()
    train, valid = xgb.DMatrix(X, label=y), xgb.DMatrix(Xv, label=yv)
    history = {}
    booster = xgboost_train({"max_depth": 3, "eta": 0.3, "eval_metric": "auc"}, train, 300,
                            objective=FocalLoss(gamma=2.0), evals=[(valid, "valid")],
                            early_stopping_rounds=10, evals_result=history)
    auc = np.asarray(history["valid"]["auc"])
    assert list(history["valid"]) == ["auc", "focal_loss"]
    assert booster.best_iteration == int(np.argmax(auc)) == auc.size - 11
    assert auc[-1] == pytest.approx(
        roc_auc_score(yv, booster.predict(valid, iteration_range=(0, auc.size))), abs=PRINTED)


# ----------------------------------------------------------------- LightGBM
@pytest.mark.parametrize("name", ["auc", "average_precision", "binary_logloss",
                                  "binary_error"])
def test_lightgbm_metric_names_score_the_probabilities_lightgbm_would(name):
    X, y, Xv, yv = _split()
    weight = np.linspace(0.5, 2.0, yv.size)
    clf = FocalLGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1, metric=name)
    clf.fit(X, y, eval_set=[(Xv, yv)], eval_sample_weight=[weight])
    history = clf.evals_result_["valid_0"]
    assert list(history) == [name]  # a named metric replaces focal_loss
    # LightGBM's definitions, on the probabilities of its built-in objective
    # with these margins (what booster_.predict returns).
    margin = clf.decision_function(Xv)
    reference = {
        "auc": roc_auc_score(yv, margin, sample_weight=weight),
        "average_precision": average_precision_score(yv, margin, sample_weight=weight),
        "binary_logloss": log_loss(yv, clf.booster_.predict(Xv), sample_weight=weight),
        "binary_error": np.average((clf.booster_.predict(Xv) > 0.5) != yv, weights=weight),
    }[name]
    # Training-time scores (start + trees, accumulated round by round) and
    # predict's (start folded into the first tree) differ by ~1e-10.
    assert history[name][-1] == pytest.approx(reference, abs=1e-8)


def test_lightgbm_multiclass_metric_names():
    X, y, Xv, yv = _split(n_classes=3)
    clf = FocalLGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1,
                              metric="multiclass,multi_error")
    clf.fit(X, y, eval_set=[(Xv, yv)])
    history = clf.evals_result_["valid_0"]
    assert list(history) == ["multi_logloss", "multi_error"]
    proba = softmax(clf.decision_function(Xv), axis=1)
    # Up to the ~1e-10 of training-time vs predict-time scores (see above).
    assert history["multi_logloss"][-1] == pytest.approx(log_loss(yv, proba), abs=1e-8)
    assert history["multi_error"][-1] == pytest.approx(np.mean(proba.argmax(1) != yv),
                                                       abs=1e-8)


def test_lightgbm_early_stopping_on_the_first_metric():
    X, y, Xv, yv = _split()
    params = {"n_estimators": 400, "learning_rate": 0.1, "num_leaves": 7, "verbose": -1}

    def stopping():
        return [lgb.early_stopping(10, first_metric_only=True, verbose=False)]

    clf = FocalLGBMClassifier(metric="auc", **params)
    clf.fit(X, y, eval_set=[(Xv, yv)], callbacks=stopping())
    auc = np.asarray(clf.evals_result_["valid_0"]["auc"])
    assert clf.best_iteration_ == int(np.argmax(auc)) + 1 == auc.size - 10
    assert clf.best_score_["valid_0"]["auc"] == pytest.approx(auc.max())
    # Stopping on the focal metric ends elsewhere on this data.
    focal_only = FocalLGBMClassifier(**params).fit(X, y, eval_set=[(Xv, yv)],
                                                   callbacks=stopping())
    assert focal_only.best_iteration_ != clf.best_iteration_


def test_lightgbm_callable_metric_gets_predict_probas_probabilities_and_weights():
    X, y, Xv, yv = _split()
    weight = np.linspace(0.5, 2.0, yv.size)

    def weighted_log_loss(y_true, y_pred, w):
        return "weighted_log_loss", log_loss(y_true, y_pred, sample_weight=w), False

    clf = FocalLGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1, focal_alpha=0.25)
    clf.fit(X, y, eval_set=[(Xv, yv)], eval_sample_weight=[weight],
            eval_metric=["auc", weighted_log_loss])
    history = clf.evals_result_["valid_0"]
    assert list(history) == ["auc", "binary_logloss", "weighted_log_loss"]  # the parent's order
    assert history["weighted_log_loss"][-1] == pytest.approx(
        log_loss(yv, clf.predict_proba(Xv)[:, 1], sample_weight=weight), abs=1e-8)


def test_lightgbm_train_metric_names_before_the_focal_metric():
    X, y, Xv, yv = _split()
    train, valid = lgb.Dataset(X, y), lgb.Dataset(Xv, yv)
    history = {}
    booster = lightgbm_train({"num_leaves": 7, "verbose": -1, "metric": ["auc", "binary"]},
                             train, 20, objective=FocalLoss(gamma=2.0), valid_sets=[valid],
                             valid_names=["valid"],
                             callbacks=[lgb.record_evaluation(history)])
    assert list(history["valid"]) == ["auc", "binary_logloss", "focal_loss"]
    assert history["valid"]["binary_logloss"][-1] == pytest.approx(
        log_loss(yv, booster.predict(Xv)), abs=1e-8)


# Every metric LightGBM computes for a binary model, by canonical name or alias,
# with parameters that change their values.
BINARY_METRICS = ["binary_logloss", "error", "auc", "average_precision", "fair", "l2",
                  "l2_root", "mae", "quantile", "huber", "poisson", "mape", "tweedie",
                  "xentropy", "xentlambda", "kldiv", "r2"]
METRIC_PARAMS = {"alpha": 0.7, "fair_c": 0.5, "tweedie_variance_power": 1.3}


@pytest.mark.parametrize("weighted", [False, True])
def test_lightgbm_every_binary_metric_is_the_parents(weighted):
    X, y, Xv, yv = _split()
    weight = [np.linspace(0.5, 2.0, yv.size)] if weighted else None
    fit = {"eval_set": [(Xv, yv)], "eval_sample_weight": weight, "eval_metric": BINARY_METRICS}
    params = {"n_estimators": 10, "num_leaves": 7, "verbose": -1, **METRIC_PARAMS}
    parent = lgb.LGBMClassifier(**params).fit(X, y, **fit).evals_result_["valid_0"]
    ours = FocalLGBMClassifier(focal_gamma=0.0, **params).fit(X, y, **fit).evals_result_
    assert list(ours["valid_0"]) == list(parent)  # names and order
    for name, values in parent.items():
        # At gamma 0 the two models' probabilities agree to ~1e-7
        # (test_parent_calls.py), their metrics to ~1e-8 relative.
        np.testing.assert_allclose(ours["valid_0"][name], values, rtol=1e-6, err_msg=name)


def test_lightgbm_scores_the_training_data_with_its_own_weights():
    # LGBMClassifier evaluates an eval set that is the training data on the
    # training Dataset, whose weights are sample_weight, not eval_sample_weight.
    X, y, _, _ = _split()
    fit = {"sample_weight": np.linspace(1.0, 2.0, y.size), "eval_set": [(X, y)],
           "eval_sample_weight": [np.linspace(2.0, 0.1, y.size)], "eval_metric": "auc"}
    params = {"n_estimators": 10, "num_leaves": 7, "verbose": -1}
    parent = lgb.LGBMClassifier(**params).fit(X, y, **fit).evals_result_
    ours = FocalLGBMClassifier(focal_gamma=0.0, **params).fit(X, y, **fit).evals_result_
    assert list(ours) == list(parent) == ["training"]
    for name, values in parent["training"].items():
        # As above.
        np.testing.assert_allclose(ours["training"][name], values, rtol=1e-6, err_msg=name)


def test_lightgbm_every_multiclass_metric_is_the_parents():
    X, y, Xv, yv = _split(n_classes=3)
    fit = {"eval_set": [(Xv, yv)], "eval_sample_weight": [np.linspace(0.5, 2.0, yv.size)],
           "eval_metric": ["error", "auc_mu", "logloss"]}
    for extra in ({}, {"multi_error_top_k": 2, "auc_mu_weights": [0, 1, 2, 1, 0, 1, 3, 1, 0]}):
        params = {"n_estimators": 10, "num_leaves": 7, "verbose": -1, **extra}
        parent = lgb.LGBMClassifier(**params).fit(X, y, **fit).evals_result_["valid_0"]
        ours = FocalLGBMClassifier(focal_gamma=0.0, **params).fit(X, y, **fit).evals_result_
        assert list(ours["valid_0"]) == list(parent)  # multi_error@2 with top_k 2
        for name, values in parent.items():
            # As above; auc_mu reads the raw scores, which differ by the start.
            np.testing.assert_allclose(ours["valid_0"][name], values, rtol=1e-6, err_msg=name)


@pytest.mark.parametrize(("metric", "eval_metric"), [
    (None, ["auc"]), (None, ["fair", "error"]), (None, ["error", "logloss", "l1"]),
    ("binary_logloss", ["fair", "error"]), ("auc", ["fair", "binary_logloss"]),
    (["auc", "l1"], ["fair", "l1"]), ("None", ["auc"]), ("None", None), ("", ["auc"]),
    ([], None), ("absent", ["auc"]), ("absent", ["fair", "error"]),
])
def test_lightgbm_records_metrics_in_the_parents_order(metric, eval_metric):
    # first_metric_only stops on the first of them. LightGBM adds its default
    # metric when the metric key is absent, or when nothing is named and
    # metric is not "None"; metric=None passed is not the key absent.
    X, y, Xv, yv = _split(n=2400)
    fit = {"eval_set": [(Xv, yv)], "eval_metric": eval_metric}
    params = {"n_estimators": 2, "verbose": -1}
    if metric != "absent":
        params["metric"] = metric
    parent = lgb.LGBMClassifier(**params).fit(X, y, **fit).evals_result_.get("valid_0", {})
    ours = FocalLGBMClassifier(**params).fit(X, y, **fit).evals_result_["valid_0"]
    # With nothing named, the focal metric is recorded too (the metrics page).
    nothing_named = not eval_metric and metric in (None, "None", "", [])
    assert list(ours) == list(parent) + ["focal_loss"] * nothing_named


@pytest.mark.parametrize(("n_classes", "metric", "message"), [
    (3, "fair", "applies to binary models"),
    (2, "multi_error", "applies to multi-class models"),
    (2, "ndcg", "ranking metric"),
    (2, "gamma", "positive labels"),
    (2, "rsquared", "not one of LightGBM's metrics"),
])
def test_lightgbm_metric_the_task_cannot_have_is_refused_by_name(n_classes, metric, message):
    X, y, Xv, yv = _split(n_classes=n_classes)
    with pytest.raises(ValueError, match=message):
        FocalLGBMClassifier(n_estimators=2, verbose=-1, metric=metric).fit(
            X, y, eval_set=[(Xv, yv)])


def test_lightgbm_train_computes_lightgbms_metrics_with_their_parameters():
    X, y, Xv, yv = _split()
    params = {"num_leaves": 7, "verbose": -1, "metric": ["fair", "quantile"], "fair_c": 0.5,
              "alpha": 0.7}
    parent, ours = {}, {}
    lgb.train({**params, "objective": "binary"}, lgb.Dataset(X, y), 10,
              valid_sets=[lgb.Dataset(Xv, yv)], valid_names=["valid"],
              callbacks=[lgb.record_evaluation(parent)])
    lightgbm_train(params, lgb.Dataset(X, y), 10, objective=FocalLoss(gamma=0.0),
                   valid_sets=[lgb.Dataset(Xv, yv)], valid_names=["valid"],
                   callbacks=[lgb.record_evaluation(ours)])
    assert list(ours["valid"]) == ["fair", "quantile", "focal_loss"]
    for name in ("fair", "quantile"):
        # At gamma 0 the models agree to ~1e-7 in probability (test_parent_calls.py).
        np.testing.assert_allclose(ours["valid"][name], parent["valid"][name], rtol=1e-6)
