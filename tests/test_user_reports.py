"""Regressions for what users hit: each test is one reported surprise, fixed."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

import focal_gbm  # noqa: E402
from focal_gbm import (  # noqa: E402
    FocalLGBMClassifier,
    FocalLoss,
    FocalXGBClassifier,
    SoftmaxFocalLoss,
    lightgbm_train,
    predict_posterior,
    xgboost_train,
)


def _binary(rng, n, threshold):
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + 0.5 * rng.normal(size=n) > threshold).astype(float)


# --------------------------------------------------- early stopping (LightGBM)
def test_lightgbm_metric_in_the_constructor_replaces_focal_loss(rng):
    """As LGBMClassifier: a named metric is the only one recorded, and stops training."""
    X, y = _binary(rng, 3000, 1.5)
    Xv, yv = _binary(rng, 1500, 1.5)
    stop = [lgb.early_stopping(20, verbose=False)]
    ours = FocalLGBMClassifier(metric="average_precision", n_estimators=400, verbose=-1,
                               random_state=0).fit(X, y, eval_set=[(Xv, yv)], callbacks=stop)
    assert list(ours.evals_result_["valid_0"]) == ["average_precision"]
    history = ours.evals_result_["valid_0"]["average_precision"]
    # stopped where average precision stopped improving, by LightGBM's rule
    assert ours.best_iteration_ == int(np.argmax(history)) + 1
    assert len(history) == ours.best_iteration_ + 20 or len(history) == 400


def test_lightgbm_metrics_named_in_fit_replace_focal_loss(rng):
    """Chosen by benchmarks/bench_early_stopping.py: focal_loss in stopping cost AP."""
    X, y = _binary(rng, 1000, 1.0)
    valid = [(X[:500], y[:500])]
    def recorded(model, **fit_keywords):
        return list(model.fit(X, y, eval_set=valid, **fit_keywords).evals_result_["valid_0"])

    # what LGBMClassifier records unasked comes after fit's names, as in the
    # parent; then focal_loss when nothing is named, or when it is
    assert recorded(FocalLGBMClassifier(n_estimators=10, verbose=-1)) == [
        "binary_logloss", "focal_loss"]
    assert recorded(FocalLGBMClassifier(n_estimators=10, verbose=-1), eval_metric="auc") == [
        "auc", "binary_logloss"]
    assert recorded(FocalLGBMClassifier(n_estimators=10, verbose=-1),
                    eval_metric=["auc", "focal_loss"]) == ["auc", "binary_logloss", "focal_loss"]
    # the constructor's metric replaces the default, as in the parent
    assert recorded(FocalLGBMClassifier(n_estimators=10, verbose=-1, metric="auc")) == ["auc"]
    assert recorded(FocalLGBMClassifier(n_estimators=10, verbose=-1, metric="None"),
                    eval_metric="auc") == ["auc"]


def test_lightgbm_takes_scikit_learn_metric_functions(rng):
    """f(y_true, y_score, *, sample_weight=...) as documented, like the XGBoost side."""
    from sklearn.metrics import average_precision_score, log_loss

    X, y = _binary(rng, 1000, 1.0)
    Xv, yv = _binary(rng, 500, 1.0)
    weight = rng.uniform(0.5, 2.0, size=500)
    model = FocalLGBMClassifier(n_estimators=15, verbose=-1).fit(
        X, y, eval_set=[(Xv, yv)], eval_sample_weight=[weight],
        eval_metric=[log_loss, average_precision_score])
    history = model.evals_result_["valid_0"]
    assert list(history) == ["binary_logloss", "log_loss", "average_precision_score"]
    proba = model.predict_proba(Xv)[:, 1]  # the last iteration's, as recorded last
    # the same function on the same probabilities, up to rounding: in training the
    # starting margin is added to the scores apart, in predict to the first leaves
    assert history["log_loss"][-1] == pytest.approx(
        log_loss(yv, proba, sample_weight=weight), rel=1e-8)
    assert history["average_precision_score"][-1] == pytest.approx(
        average_precision_score(yv, proba, sample_weight=weight), rel=1e-8)


def test_lightgbm_score_functions_are_maximised_losses_minimised(rng):
    from sklearn.metrics import average_precision_score, log_loss

    X, y = _binary(rng, 2000, 1.5)
    Xv, yv = _binary(rng, 1000, 1.5)
    for metric, best in ((average_precision_score, np.argmax), (log_loss, np.argmin)):
        # metric="None": no default metric first, so first_metric_only is the user's (as
        # for LGBMClassifier, whose first metric is otherwise its binary_logloss)
        model = FocalLGBMClassifier(n_estimators=300, learning_rate=0.3, verbose=-1,
                                    metric="None").fit(
            X, y, eval_set=[(Xv, yv)], eval_metric=metric,
            callbacks=[lgb.early_stopping(10, first_metric_only=True, verbose=False)])
        history = model.evals_result_["valid_0"][metric.__name__]
        assert model.best_iteration_ == int(best(history)) + 1


# ------------------------------------------- the user's objective is not changed
@pytest.mark.parametrize("train", ["xgboost", "lightgbm"])
def test_training_functions_leave_the_objective_alone(train, rng):
    """One FocalLoss("balanced") trains on A then B; A's booster keeps A's class weights."""
    focal = FocalLoss(gamma=2.0, alpha="balanced")
    before = repr(focal)
    XA, yA = _binary(rng, 4000, 2.0)  # about 4% positives
    XB, yB = _binary(rng, 4000, 0.0)  # about 50%
    if train == "xgboost":
        booster_a = xgboost_train({}, xgb.DMatrix(XA, label=yA), 60, objective=focal)
        xgboost_train({}, xgb.DMatrix(XB, label=yB), 60, objective=focal)
        data_a = xgb.DMatrix(XA)
    else:
        booster_a = lightgbm_train({"verbose": -1}, lgb.Dataset(XA, yA), 60, objective=focal)
        lightgbm_train({"verbose": -1}, lgb.Dataset(XB, yB), 60, objective=focal)
        data_a = XA
    assert repr(focal) == before and focal.fitted_alpha is None
    posterior = predict_posterior(booster_a, data_a, objective=focal)
    # balanced alpha is 1 - the positive share of the labels trained on
    with_a = predict_posterior(booster_a, data_a, objective=FocalLoss(alpha=1 - yA.mean()))
    with_b = predict_posterior(booster_a, data_a, objective=FocalLoss(alpha=1 - yB.mean()))
    np.testing.assert_allclose(posterior, with_a, rtol=1e-12)  # the same map, same values
    assert abs(with_b.mean() - with_a.mean()) > 0.01  # B's weights would show


def test_xgboost_files_carry_the_class_weights(tmp_path, rng):
    focal = FocalLoss(gamma=1.0, alpha="balanced")
    X, y = _binary(rng, 2000, 1.5)
    booster = xgboost_train({}, xgb.DMatrix(X, label=y), 20, objective=focal)
    booster.save_model(tmp_path / "m.json")
    loaded = xgb.Booster(model_file=tmp_path / "m.json")
    np.testing.assert_array_equal(predict_posterior(loaded, xgb.DMatrix(X), objective=focal),
                                  predict_posterior(booster, xgb.DMatrix(X), objective=focal))


# ------------------------------------------------------------------ multi-class
def _three_classes(rng, n=3000):
    X = rng.normal(size=(n, 4))
    return X, np.digitize(X[:, 0] + 0.3 * rng.normal(size=n), [-0.5, 1.2]).astype(float)


@pytest.mark.parametrize("train", ["xgboost", "lightgbm"])
def test_training_functions_take_softmax_focal_loss(train, rng):
    X, y = _three_classes(rng)
    focal = SoftmaxFocalLoss(gamma=2.0, alpha="balanced")
    if train == "xgboost":
        booster = xgboost_train({"max_depth": 3}, xgb.DMatrix(X, label=y), 0, objective=focal)
        start = booster.predict(xgb.DMatrix(X[:1]), output_margin=True)[0]
        booster = xgboost_train({"max_depth": 3}, xgb.DMatrix(X, label=y), 40, objective=focal)
        data, proba = xgb.DMatrix(X), booster.predict(xgb.DMatrix(X))
    else:
        booster = lightgbm_train({"verbose": -1, "num_leaves": 7}, lgb.Dataset(X, y), 40,
                                 objective=focal)
        data, proba = X, booster.predict(X)
        start = None
    if start is not None:  # 0 rounds: the optimal starting margins, stored in the model
        expected = focal.fitted_copy(y, n_classes=3).init_score(y, n_classes=3)
        np.testing.assert_allclose(start, expected, rtol=1e-6, atol=1e-6)  # float32 margins
    assert proba.shape == (3000, 3) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    posterior = predict_posterior(booster, data, objective=focal)
    rates = np.bincount(y.astype(int)) / y.size
    # calibrated in sample: the mean posterior of each class within 0.01 of its rate
    np.testing.assert_allclose(posterior.mean(axis=0), rates, atol=0.01)


def test_class_indices_given_to_focal_loss_point_to_softmax(rng):
    X, y = _three_classes(rng, 300)
    with pytest.raises(ValueError, match="use SoftmaxFocalLoss"):
        xgboost_train({}, xgb.DMatrix(X, label=y), 2, objective=FocalLoss())


def test_a_scalar_alpha_for_three_classes_is_refused(rng):
    X, y = _three_classes(rng, 300)
    for cls in (FocalXGBClassifier, FocalLGBMClassifier):
        with pytest.raises(ValueError, match="focal_alpha must give one weight per class"):
            cls(focal_alpha=0.25).fit(X, y)


def test_per_class_message_reads_well(rng):
    X, y = _three_classes(rng, 300)
    with pytest.raises(ValueError, match="give one value per class, in the order"):
        FocalXGBClassifier(focal_alpha=[0.2, 0.8]).fit(X, y)


# ------------------------------------------------------------------ the package
def test_star_import_gives_the_estimators():
    done = subprocess.run(
        [sys.executable, "-c", "from focal_gbm import *; print(FocalXGBClassifier.__name__, "
         "FocalLGBMClassifier.__name__, FocalOneVsRestClassifier.__name__)"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["FocalXGBClassifier", "FocalLGBMClassifier",
                                   "FocalOneVsRestClassifier"]
    assert {"FocalXGBClassifier", "FocalLGBMClassifier"} <= set(focal_gbm.__all__)


def test_license_and_changelog_ship_with_the_project():
    root = Path(__file__).resolve().parents[1]
    assert "MIT License" in (root / "LICENSE").read_text()
    assert "## " in (root / "CHANGELOG.md").read_text()


@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
def test_polars_with_a_categorical_column(cls, rng):
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")  # polars' to_pandas
    n = 600
    colour = rng.choice(["r1", "r5", "r9"], size=n)
    frame = pl.DataFrame({"x": rng.normal(size=n),
                          "colour": pl.Series(colour).cast(pl.Categorical)})
    y = ((frame["x"].to_numpy() > 1.0) | (colour == "r5")).astype(int)
    params = {"enable_categorical": True} if cls is FocalXGBClassifier else {"verbose": -1}
    model = cls(n_estimators=30, **params).fit(frame, y)
    assert list(model.feature_names_in_) == ["x", "colour"]
    # the category alone decides part of the target: it must be used
    assert model.predict_proba(frame)[colour == "r5", 1].min() > 0.5
    np.testing.assert_array_equal(model.predict(frame), model.predict(frame.to_pandas()))


# ------------------------------------------------------------------- messages
@pytest.mark.parametrize("cls", [FocalXGBClassifier, FocalLGBMClassifier])
def test_misspelled_focal_parameters_are_refused(cls):
    with pytest.raises(TypeError, match="'focal_gama' .*did you mean 'focal_gamma'"):
        cls(focal_gama=1.0)
    with pytest.raises(TypeError, match="'focal_alfa'"):
        cls().set_params(focal_alfa=0.5)


def test_multilabel_lightgbm_refuses_a_file_name(tmp_path, rng):
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    model = FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(X, Y)
    with pytest.raises(ValueError, match="saves them to a folder; give a folder name"):
        model.save_model(tmp_path / "ml.txt")
    assert not (tmp_path / "ml.txt").exists()
    model.save_model(tmp_path / "ml")
    assert (tmp_path / "ml" / "focal_gbm.json").exists()


def test_extreme_float32_losses_are_inf_without_a_warning():
    margin = np.array([-3e38, 3e38], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = FocalLoss(gamma=0.0).loss(np.array([1.0, 0.0]), margin, np.array([1e3, 1e3]))
    assert loss.dtype == np.float32 and np.all(np.isinf(loss))


def test_multilabel_xgboost_auc_metrics_are_refused_and_a_callable_works(rng):
    from sklearn.metrics import average_precision_score

    X = rng.normal(size=(400, 3))
    Y = np.column_stack([X[:, 0] > 0.5, X[:, 1] > 0]).astype(int)
    with pytest.raises(ValueError, match="'aucpr' fails inside XGBoost for multi-label"):
        FocalXGBClassifier(eval_metric="aucpr", n_estimators=5).fit(X, Y, eval_set=[(X, Y)])
    model = FocalXGBClassifier(eval_metric=average_precision_score, n_estimators=5).fit(
        X, Y, eval_set=[(X, Y)])
    recorded = model.evals_result()["validation_0"]["average_precision_score"][-1]
    assert recorded == pytest.approx(average_precision_score(Y, model.predict_proba(X)),
                                     rel=1e-6)  # float32 margins inside XGBoost
