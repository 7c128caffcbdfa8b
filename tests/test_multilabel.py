"""Multi-label focal loss: native XGBoost multi-output, one-vs-rest, reports."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import estimator_checks

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
pd = pytest.importorskip("pandas")

from focal_gbm import (  # noqa: E402
    FocalLGBMClassifier,
    FocalLoss,
    FocalOneVsRestClassifier,
    FocalXGBClassifier,
    multilabel_report,
)


def _data(rng, n=600):
    X = rng.normal(size=(n, 6))
    Y = np.column_stack([
        X[:, 0] + 0.3 * rng.normal(size=n) > 1.4,      # rare
        X[:, 1] - X[:, 2] > 0.0,                       # common
        X[:, 3] * X[:, 4] > 1.2,                       # rare, interaction
    ]).astype(int)
    return X, Y


def digit_labels(digits):
    """Multi-label targets from digit classes: groups of digits, some rare."""
    groups = {"zero": [0], "eight": [8], "seven": [7], "round": [0, 6, 8, 9],
              "prime": [2, 3, 5, 7]}
    return np.column_stack([np.isin(digits, g) for g in groups.values()]).astype(int), list(groups)


@pytest.mark.parametrize("strategy", ["one_output_per_tree", "multi_output_tree"])
def test_native_xgboost_multilabel_trains_one_booster(strategy, rng):
    X, Y = _data(rng)
    objective = FocalLoss(gamma=[2.0, 0.5, 3.0], alpha=[0.25, 0.5, 0.75])
    z0 = objective.init_score(Y)
    dtrain = xgb.DMatrix(X, label=Y, base_margin=np.tile(z0, (len(Y), 1)))
    booster = xgb.train({"tree_method": "hist", "multi_strategy": strategy, "max_depth": 3},
                        dtrain, 20, obj=objective)
    margin = booster.predict(dtrain, output_margin=True)
    assert margin.shape == Y.shape
    start = objective.mean_loss(Y, np.tile(z0, (len(Y), 1)))
    assert objective.mean_loss(Y, margin) < 0.6 * start


def test_one_output_per_tree_equals_separate_binary_models(rng):
    """Same parameters and starting margins: label j's trees are the binary model's."""
    X, Y = _data(rng)
    gammas, alphas = [2.0, 0.5, 3.0], [0.25, 0.5, 0.75]
    params = {"tree_method": "hist", "max_depth": 3, "nthread": 1}
    joint = FocalLoss(gamma=gammas, alpha=alphas)
    z0 = joint.init_score(Y)
    booster = xgb.train({**params, "multi_strategy": "one_output_per_tree"},
                        xgb.DMatrix(X, label=Y, base_margin=np.tile(z0, (len(Y), 1))), 15,
                        obj=joint)
    margin = booster.predict(xgb.DMatrix(X, base_margin=np.tile(z0, (len(Y), 1))),
                             output_margin=True)
    for j in range(Y.shape[1]):
        single = FocalLoss(gamma=gammas[j], alpha=alphas[j])
        assert single.init_score(Y[:, j]) == z0[j]
        model = xgb.train(params, xgb.DMatrix(X, label=Y[:, j],
                                              base_margin=np.full(len(Y), z0[j])), 15, obj=single)
        expected = model.predict(xgb.DMatrix(X, base_margin=np.full(len(Y), z0[j])),
                                 output_margin=True)
        # Each target's trees see exactly the binary model's gradients (float32,
        # same bins, same order); only float32 accumulation of the shared
        # prediction buffer may differ, by an ulp.
        np.testing.assert_allclose(margin[:, j], expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls,params", [
    (FocalXGBClassifier, {"n_estimators": 30, "max_depth": 3}),
    (FocalLGBMClassifier, {"n_estimators": 30, "num_leaves": 7, "verbose": -1}),
])
def test_estimators_accept_indicator_matrices(cls, params, rng):
    X, Y = _data(rng)
    clf = cls(focal_gamma=[2.0, 1.0, 2.0], focal_alpha="balanced", **params).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and ((proba > 0) & (proba < 1)).all()
    # predict: the posterior above 1 - alpha, the focal probability above 1/2.
    alpha = clf.class_weight_[:, 1]
    np.testing.assert_array_equal(clf.predict(X), (proba > 1 - alpha).astype(int))
    np.testing.assert_allclose(alpha, 1 - Y.mean(axis=0))
    assert clf.decision_function(X).shape == Y.shape
    report = multilabel_report(Y, proba)
    assert min(r["roc_auc"] for r in report.rows) > 0.85
    # balanced alpha is per label: 1 - that label's positive rate
    np.testing.assert_allclose(clf.objective_.class_weights(Y)[0], 1 - Y.mean(axis=0))


def test_lightgbm_multilabel_is_one_booster_per_label(rng):
    X, Y = _data(rng)
    clf = FocalLGBMClassifier(n_estimators=10, verbose=-1, focal_gamma=[1.0, 2.0, 3.0]).fit(X, Y)
    estimators = clf.one_vs_rest_.estimators_
    assert [e.focal_gamma for e in estimators] == [1.0, 2.0, 3.0]
    assert all(isinstance(e, FocalLGBMClassifier) and not e.multilabel_ for e in estimators)


def test_xgboost_multilabel_model_file_round_trip(rng, tmp_path):
    X, Y = _data(rng)
    clf = FocalXGBClassifier(n_estimators=10, focal_alpha=[0.3, 0.5, 0.7]).fit(X, Y)
    clf.save_model(tmp_path / "m.json")
    loaded = FocalXGBClassifier().load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("check", [
    estimator_checks.check_classifiers_multilabel_representation_invariance,
    estimator_checks.check_classifiers_multilabel_output_format_predict,
    estimator_checks.check_classifiers_multilabel_output_format_predict_proba,
    estimator_checks.check_classifiers_multilabel_output_format_decision_function,
])
def test_one_vs_rest_passes_multilabel_checks(check):
    ovr = FocalOneVsRestClassifier(FocalXGBClassifier(n_estimators=5), focal_alpha="balanced")
    check("FocalOneVsRestClassifier", ovr)


def test_one_vs_rest_per_label_parameters_and_parallel_fit(rng):
    X, Y = _data(rng)
    base = FocalXGBClassifier(n_estimators=10, n_jobs=1)
    serial = FocalOneVsRestClassifier(base, focal_gamma=[0.0, 1.0, 2.0],
                                      focal_alpha=[0.5, 0.4, 0.9]).fit(X, Y)
    parallel = FocalOneVsRestClassifier(base, focal_gamma=[0.0, 1.0, 2.0],
                                        focal_alpha=[0.5, 0.4, 0.9], n_jobs=2).fit(X, Y)
    assert [e.focal_gamma for e in serial.estimators_] == [0.0, 1.0, 2.0]
    assert [e.focal_alpha for e in serial.estimators_] == [0.5, 0.4, 0.9]
    np.testing.assert_array_equal(serial.predict_proba(X), parallel.predict_proba(X))
    with pytest.raises(ValueError, match="focal_gamma has 2 values but Y has 3 labels"):
        FocalOneVsRestClassifier(base, focal_gamma=[1.0, 2.0]).fit(X, Y)


def test_constant_label_warns_and_predicts_the_constant(rng):
    X, Y = _data(rng)
    Y[:, 1] = 0
    ovr = FocalOneVsRestClassifier(FocalXGBClassifier(n_estimators=5))
    with pytest.warns(UserWarning, match="Label not 1 is present in all training examples"):
        ovr.fit(X, Y)
    assert (ovr.predict(X)[:, 1] == 0).all()
    assert ovr.predict_proba(X)[:, 1].max() < 1e-12


def test_digits_multilabel_focal_vs_cross_entropy():
    """Real features (8x8 digit images), rare and common labels, both losses."""
    digits = load_digits()
    Y, names = digit_labels(digits.target)
    X_train, X_test, Y_train, Y_test = train_test_split(digits.data, Y, test_size=0.3,
                                                        random_state=0)
    params = {"n_estimators": 60, "max_depth": 3, "learning_rate": 0.2, "n_jobs": 1}
    ce = FocalXGBClassifier(focal_gamma=0.0, **params).fit(X_train, Y_train)
    focal = FocalXGBClassifier(focal_gamma=2.0, focal_alpha="balanced", **params)
    focal.fit(X_train, Y_train)
    ce_report = multilabel_report(Y_test, ce.predict_proba(X_test), label_names=names)
    focal_report = multilabel_report(Y_test, focal.predict_proba(X_test), label_names=names)
    print("\ncross entropy\n", ce_report, "\nfocal loss\n", focal_report, sep="")
    # Both learn every label well above chance; focal loss is not worse than
    # cross entropy by more than noise on this easy task (the example in
    # examples/multilabel_digits.py records the full comparison).
    for report in (ce_report, focal_report):
        assert report.macro_average_precision > 0.9
    assert focal_report.macro_average_precision > ce_report.macro_average_precision - 0.03


def test_report_validates_shapes():
    with pytest.raises(ValueError, match="must both have shape"):
        multilabel_report(np.zeros((3, 2)), np.zeros((3, 3)))


def test_lightgbm_multilabel_model_saves_to_a_folder_and_loads_exactly(rng, tmp_path):
    """One LightGBM file per label (each loadable by plain LightGBM) + the estimator's metadata."""
    X, Y = _data(rng)
    Y = np.column_stack([Y, np.zeros(len(Y), dtype=int)])  # a constant label too
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    with pytest.warns(UserWarning, match="Label not 3"):
        clf = FocalLGBMClassifier(n_estimators=10, verbose=-1, focal_alpha="balanced",
                                  focal_gamma=[1.0, 2.0, 3.0, 2.0],
                                  focal_probability="posterior").fit(frame, Y)
    folder = tmp_path / "model"
    clf.save_model(folder)
    loaded = FocalLGBMClassifier().load_model(folder)
    np.testing.assert_array_equal(loaded.predict_proba(frame), clf.predict_proba(frame))
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(frame))
    np.testing.assert_array_equal(loaded.class_weight_, clf.class_weight_)
    np.testing.assert_array_equal(loaded.feature_names_in_, clf.feature_names_in_)
    plain = lgb.Booster(model_file=folder / "label_1.txt")
    np.testing.assert_allclose(plain.predict(X, raw_score=True),
                               clf.decision_function(frame)[:, 1], rtol=1e-12)
    with pytest.raises(ValueError, match="focal_gbm.json"):
        FocalLGBMClassifier().load_model(tmp_path)
