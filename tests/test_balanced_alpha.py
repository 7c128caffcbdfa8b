"""alpha="balanced": per training set, across reuse and threads; single-class labels."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from focal_gbm import FocalLoss, SoftmaxFocalLoss

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

XGB_PARAMS = {"n_estimators": 5, "max_depth": 2, "tree_method": "exact", "n_jobs": 1}


def _binary(rng, n, positive_rate):
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > np.quantile(X[:, 0], 1 - positive_rate))
    return X, y.astype(float)


def test_single_class_labels_weigh_both_classes_the_same():
    # 1 - positive_rate would give the only class weight 0: nothing to learn.
    assert FocalLoss(alpha="balanced").fit_alpha(np.zeros(5)).fitted_alpha == 0.5
    assert FocalLoss(alpha="balanced").fit_alpha(np.ones(5)).fitted_alpha == 0.5
    Y = np.c_[np.zeros(4), [0, 1, 1, 1]]
    np.testing.assert_array_equal(FocalLoss(alpha="balanced").fit_alpha(Y).fitted_alpha,
                                  [0.5, 0.25])
    softmax = SoftmaxFocalLoss(alpha="balanced").fit_alpha(np.zeros(4, int), n_classes=4)
    np.testing.assert_array_equal(softmax.fitted_alpha, np.full(4, 0.25))
    # ... and the starting margin of an all-negative column goes to the bound, not to 0.
    assert FocalLoss(alpha="balanced").init_score(np.zeros(5)) == -30.0


def test_reused_objective_refits_balanced_alpha_for_each_scikit_learn_fit(rng):
    X1, y1 = _binary(rng, 400, 0.1)
    X2, y2 = _binary(rng, 400, 0.5)
    reused = FocalLoss(alpha="balanced")
    xgb.XGBClassifier(objective=reused, **XGB_PARAMS).fit(X1, y1)
    second = xgb.XGBClassifier(objective=reused, **XGB_PARAMS).fit(X2, y2)
    fresh = xgb.XGBClassifier(objective=FocalLoss(alpha="balanced"), **XGB_PARAMS).fit(X2, y2)
    # Same labels, same alpha, same arithmetic: the same trees to the bit.
    np.testing.assert_array_equal(second.predict_proba(X2), fresh.predict_proba(X2))
    stale = xgb.XGBClassifier(objective=FocalLoss(alpha=0.9), **XGB_PARAMS).fit(X2, y2)
    assert not np.array_equal(second.predict_proba(X2), stale.predict_proba(X2))


@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_reused_objective_refits_balanced_alpha_for_each_training_set(rng, booster):
    X1, y1 = _binary(rng, 400, 0.1)
    X2, y2 = _binary(rng, 400, 0.5)
    X_valid, y_valid = _binary(rng, 200, 0.3)

    def train(objective, X, y):
        history = {}
        if booster == "xgboost":
            dtrain, dvalid = xgb.DMatrix(X, label=y), xgb.DMatrix(X_valid, label=y_valid)
            model = xgb.train({"max_depth": 2, "nthread": 1, "disable_default_eval_metric": 1},
                              dtrain, 5, obj=objective, custom_metric=objective.metric,
                              evals=[(dvalid, "valid")], evals_result=history, verbose_eval=False)
            return model.predict(dvalid, output_margin=True), history["valid"]["focal_loss"]
        train_set = lgb.Dataset(X, y)
        valid_set = lgb.Dataset(X_valid, y_valid, reference=train_set)
        model = lgb.train({"objective": objective, "metric": "None", "verbose": -1,
                           "num_threads": 1}, train_set, 5, valid_sets=[valid_set],
                          feval=objective.metric, callbacks=[lgb.record_evaluation(history)])
        return model.predict(X_valid, raw_score=True), history["valid_0"]["focal_loss"]

    reused = FocalLoss(alpha="balanced")
    train(reused, X1, y1)
    margin, metric = train(reused, X2, y2)
    fresh_margin, fresh_metric = train(FocalLoss(alpha="balanced"), X2, y2)
    np.testing.assert_array_equal(margin, fresh_margin)
    # The metric weighs the validation labels with the second training set's alpha.
    np.testing.assert_array_equal(metric, fresh_metric)


def test_threads_sharing_one_objective_each_use_their_own_labels(rng):
    data = [_binary(rng, 2000, rate) for rate in (0.05, 0.5, 0.2, 0.8)]
    shared = FocalLoss(alpha="balanced")
    results = [None] * len(data)
    start = threading.Barrier(len(data))

    def fit(i):
        start.wait()  # the rounds of all four fits interleave
        X, y = data[i]
        model = xgb.XGBClassifier(objective=shared, **{**XGB_PARAMS, "n_estimators": 30})
        results[i] = model.fit(X, y).predict_proba(X)[:, 1]

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(len(data))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for (X, y), got in zip(data, results):
        reference = xgb.XGBClassifier(objective=FocalLoss(alpha="balanced"),
                                      **{**XGB_PARAMS, "n_estimators": 30}).fit(X, y)
        np.testing.assert_array_equal(got, reference.predict_proba(X)[:, 1])


@pytest.mark.parametrize("estimator", ["FocalXGBClassifier", "FocalLGBMClassifier"])
@pytest.mark.parametrize("constant", [0, 1])
def test_constant_label_is_predicted_with_a_warning(rng, estimator, constant):
    import focal_gbm

    X, y = _binary(rng, 300, 0.2)
    Y = np.c_[y, np.full(y.size, constant)]
    cls = getattr(focal_gbm, estimator)
    params = {"n_estimators": 10, **({"verbose": -1} if "LGBM" in estimator else {})}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        proba = cls(focal_alpha="balanced", **params).fit(X, Y).predict_proba(X)
    assert any("Label" in str(w.message) and "all training examples" in str(w.message)
               for w in seen)
    # The constant, as scikit-learn's OneVsRestClassifier predicts it (margin at
    # the +-30 bound: within 1e-12 of it); before, balanced alpha gave 0.5.
    np.testing.assert_allclose(proba[:, 1], constant, atol=1e-12)
    assert proba[:, 0].std() > 0.05  # the other label still learns
