"""FocalXGBClassifier / FocalLGBMClassifier behave like the boosters' own classifiers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import load_dataset

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
pd = pytest.importorskip("pandas")

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier  # noqa: E402

ESTIMATORS = {
    "xgboost": (FocalXGBClassifier, {"n_estimators": 20, "max_depth": 3, "n_jobs": 1}),
    "lightgbm": (FocalLGBMClassifier, {"n_estimators": 20, "num_leaves": 7, "n_jobs": 1,
                                       "verbose": -1, "deterministic": True}),
}


@pytest.fixture(params=list(ESTIMATORS))
def make(request):
    cls, defaults = ESTIMATORS[request.param]

    def factory(**params):
        return cls(**{**defaults, **params})

    factory.booster = request.param
    return factory


def _binary(n=500, seed=0):
    return make_classification(n_samples=n, n_features=6, n_informative=4, weights=[0.85],
                               random_state=seed)


def _multiclass(n=600, seed=0):
    return make_classification(n_samples=n, n_features=8, n_informative=5, n_classes=3,
                               weights=[0.6, 0.3], random_state=seed)


def test_gamma_zero_matches_the_plain_booster_classifier(make):
    """focal_gamma=0, focal_alpha=None is the booster's own log loss, same start."""
    X, y = _binary()
    focal = make(focal_gamma=0.0, focal_alpha=None).fit(X, y)
    z0 = float(focal.init_score_)
    if make.booster == "xgboost":
        plain = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1,
                                  base_score=1 / (1 + np.exp(-z0))).fit(X, y)
        margin = plain.predict(X, output_margin=True)
    else:
        plain = lgb.LGBMClassifier(n_estimators=20, num_leaves=7, n_jobs=1, verbose=-1,
                                   deterministic=True).fit(X, y, init_score=np.full(len(y), z0))
        margin = plain.predict(X, raw_score=True) + z0
    # Same function, float32 gradients formed by two formulas (last-bit
    # differences): margins agree to ~1e-6 after 20 rounds; a missed weight,
    # start or Hessian would differ by > 1e-2.
    np.testing.assert_allclose(focal.decision_function(X), margin, atol=1e-5)
    # (LightGBM's own predict_proba would leave init_score out: the trap the
    # focal estimator closes, so compare with the sigmoid of the full margin.)
    np.testing.assert_allclose(focal.predict_proba(X)[:, 1], 1 / (1 + np.exp(-margin)), atol=1e-5)


@pytest.mark.parametrize("data", [_binary, _multiclass])
def test_probabilities_labels_and_margins(make, data):
    X, y = data()
    names = np.array(["cat", "dog", "emu"])[: len(np.unique(y))]
    labels = names[y]
    clf = make(focal_alpha="balanced", focal_probability="focal").fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, names)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), len(names))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert set(clf.predict(X)) <= set(names)
    # predict follows the focal probabilities, whatever the class weights.
    np.testing.assert_array_equal(clf.predict(X), names[np.argmax(proba, axis=1)])
    assert (clf.predict(X) == labels).mean() > 0.8
    margin = clf.decision_function(X)
    assert margin.shape == ((len(y),) if len(names) == 2 else (len(y), len(names)))


def test_minus_one_one_labels(make):
    X, y = _binary()
    clf = make().fit(X, 2 * y - 1)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    assert set(np.unique(clf.predict(X))) <= {-1, 1}


def test_multiclass_uses_softmax_focal_loss_with_per_class_alpha(make):
    from focal_gbm import SoftmaxFocalLoss

    X, y = _multiclass()
    clf = make(focal_alpha=[0.2, 0.3, 0.5]).fit(X, y)
    assert isinstance(clf.objective_, SoftmaxFocalLoss)
    np.testing.assert_allclose(clf.objective_.class_weights(y), [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="focal_alpha has 2 values but y has 3 classes"):
        make(focal_alpha=[0.5, 0.5]).fit(X, y)


def test_starting_margin_is_the_optimal_constant(make):
    X, y = _binary()
    clf = make(n_estimators=1, learning_rate=1e-12).fit(X, y)  # trees add ~nothing
    np.testing.assert_allclose(clf.decision_function(X), clf.init_score_, atol=1e-6)
    from focal_gbm import FocalLoss

    assert clf.init_score_ == pytest.approx(FocalLoss(gamma=2.0).init_score(y))


def test_early_stopping_follows_the_focal_metric(make):
    X, y = _binary(n=1000)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=0, stratify=y)
    if make.booster == "xgboost":
        clf = make(n_estimators=500, learning_rate=0.5, early_stopping_rounds=5)
        clf.fit(X_train, y_train, eval_set=[(X_valid, y_valid)])
        curve = clf.evals_result_["validation_0"]["focal_loss"]
        best = clf.best_iteration_
    else:
        clf = make(n_estimators=500, learning_rate=0.5)
        clf.fit(X_train, y_train, eval_set=[(X_valid, y_valid)],
                callbacks=[lgb.early_stopping(5, verbose=False)])
        curve = clf.evals_result_["valid_0"]["focal_loss"]
        best = clf.best_iteration_ - 1  # LightGBM counts iterations from 1
    assert len(curve) < 500
    assert best == int(np.argmin(curve))
    assert len(curve) == best + 6
    # The stopped model's focal loss on the validation data is the best value
    # recorded (XGBoost prints metrics with 6 significant digits).
    value = clf.objective_.mean_loss(y_valid, clf.decision_function(X_valid))
    assert value == pytest.approx(curve[best], rel=1e-5)


def test_sample_weight_changes_the_model(make):
    X, y = _binary()
    w = np.where(y == 1, 5.0, 1.0)
    weighted = make().fit(X, y, sample_weight=w)
    plain = make().fit(X, y)
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean() + 0.02
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        make().fit(X, y, sample_weight=-w)


def test_grid_search_over_focal_parameters(make):
    X, y = _binary(n=300)
    search = GridSearchCV(make(n_estimators=5),
                          {"focal_gamma": [0.0, 2.0], "focal_alpha": [None, 0.25, "balanced"]},
                          cv=3, scoring="average_precision")
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert search.best_estimator_.focal_gamma in (0.0, 2.0)
    # the parameter reached the fitted objective (set_params was not ignored)
    assert search.best_estimator_.objective_.gamma == search.best_params_["focal_gamma"]


def test_pipeline_and_calibration(make):
    X, y = _binary()
    pipe = make_pipeline(StandardScaler(), make()).fit(X, y)
    assert pipe.predict_proba(X).shape == (len(y), 2)
    calibrated = CalibratedClassifierCV(make(), cv=3).fit(X, y)
    proba = calibrated.predict_proba(X)[:, 1]
    assert roc_auc_score(y, proba) > 0.9


def test_pandas_feature_names_missing_values_and_categories(make):
    X, y = _binary()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame.iloc[::7, 0] = np.nan
    frame["colour"] = pd.Categorical(np.where(y == 1, "red", "blue"), categories=["blue", "red"])
    params = {"enable_categorical": True} if make.booster == "xgboost" else {}
    clf = make(**params).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    assert clf.n_features_in_ == frame.shape[1]
    # the categorical column is used as a category: it separates the classes
    assert (clf.predict(frame) == y).mean() > 0.99
    renamed = frame.rename(columns=lambda c: c + "_x")
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(renamed)


@pytest.mark.parametrize("data", [_binary, _multiclass])
def test_pickle_and_native_model_files_reproduce_predictions(make, data, tmp_path):
    X, y = data()
    labels = np.array(["no", "yes", "maybe"])[y]
    clf = make(focal_alpha="balanced").fit(X, labels)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    path = tmp_path / ("model.json" if make.booster == "xgboost" else "model.txt")
    clf.save_model(path)
    loaded = type(clf)().load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.focal_alpha == "balanced"
    # the balanced weights fitted on the training labels came back with the file
    probe = np.zeros(3, dtype=int) if len(clf.classes_) > 2 else np.zeros(3)
    np.testing.assert_array_equal(loaded.objective_.class_weights(probe),
                                  clf.objective_.class_weights(probe))


def test_lightgbm_model_file_predicts_probabilities_without_focal_gbm(tmp_path):
    X, y = _multiclass()
    clf = FocalLGBMClassifier(n_estimators=10, verbose=-1, focal_probability="focal").fit(X, y)
    path = tmp_path / "model.txt"
    clf.save_model(path)
    booster = lgb.Booster(model_file=path)  # plain LightGBM, no metadata needed
    np.testing.assert_allclose(booster.predict(X), clf.predict_proba(X), rtol=1e-12)


def test_xgboost_binary_model_file_predicts_probabilities_without_focal_gbm(tmp_path):
    X, y = _binary()
    clf = FocalXGBClassifier(n_estimators=10, focal_probability="focal").fit(X, y)
    path = tmp_path / "model.json"
    clf.save_model(path)
    booster = xgb.Booster(model_file=path)  # base_score carries the starting margin
    np.testing.assert_allclose(booster.predict(xgb.DMatrix(X)), clf.predict_proba(X)[:, 1],
                               rtol=1e-6)


def test_bad_focal_parameters_are_named(make):
    X, y = _binary(n=100)
    with pytest.raises(ValueError, match="focal_gamma"):
        make(focal_gamma=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="focal_alpha"):
        make(focal_alpha=1.5).fit(X, y)
    with pytest.raises(ValueError, match="focal_hessian"):
        make(focal_hessian="newton").fit(X, y)


def test_another_objective_is_refused_by_name(make):
    X, y = _binary(n=100)
    for objective in ("huber", "reg:squarederror", lambda y_true, y_pred: (y_pred, y_pred)):
        with pytest.raises(ValueError, match="objective=.*trains with focal loss"):
            make(objective=objective).fit(X, y)


def test_the_parents_cross_entropy_objective_names_focal_loss(make):
    """objective="binary:logistic" / "binary" (code written for the parent) trains focal loss."""
    X, y = _binary(n=200)
    default = make(n_estimators=5, random_state=0).fit(X, y)
    name = "binary:logistic" if "XGB" in type(default).__name__ else "binary"
    named = make(n_estimators=5, random_state=0, objective=name).fit(X, y)
    np.testing.assert_array_equal(named.decision_function(X), default.decision_function(X))
    assert named.get_params()["objective"] == name  # kept, so that clone keeps it


def test_real_dataset(make):
    X, y = load_dataset("mammography")
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    clf = make(n_estimators=100, focal_alpha="balanced").fit(X_train, y_train)
    proba = clf.predict_proba(X_test)[:, 1]
    assert roc_auc_score(y_test, proba) > 0.85
    assert ((proba > 0) & (proba < 1)).all()


@pytest.mark.parametrize("target", ["3 classes", "multi-label"])
def test_xgboost_model_file_holds_every_starting_margin(target, tmp_path):
    """XGBoost >= 3.1 keeps one intercept per output: plain XGBoost predicts the same.

    Tolerance 1e-6: the multi-label start is stored as a float32 probability
    (logit(sigmoid(z0)) rounds in the last bits), the multi-class one as a
    float32 margin.
    """
    from focal_gbm._xgb import vector_intercept_supported

    if not vector_intercept_supported():
        pytest.skip(f"XGBoost {xgb.__version__} has no vector intercept")
    X, y = _multiclass()
    Y = y if target == "3 classes" else np.column_stack([y == 0, y == 2]).astype(int)
    clf = FocalXGBClassifier(n_estimators=10, focal_probability="focal").fit(X, Y)
    path = tmp_path / "model.json"
    clf.save_model(path)
    plain = xgb.Booster(model_file=path)
    margin = plain.predict(xgb.DMatrix(X), output_margin=True)
    np.testing.assert_allclose(margin, clf.decision_function(X), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(plain.predict(xgb.DMatrix(X)), clf.predict_proba(X), atol=1e-6)
    # ... and the posterior from the plain booster's margins is the estimator's.
    np.testing.assert_allclose(clf.objective_.posterior(margin),
                               clf.set_params(focal_probability="posterior").predict_proba(X),
                               atol=1e-6)


def test_xgboost_without_vector_intercept_keeps_the_start_outside_the_model(tmp_path,
                                                                             monkeypatch):
    """The fallback (XGBoost < 3.1): base_margin in training, added back at predict."""
    import focal_gbm._xgb_sklearn as xgb_sklearn

    monkeypatch.setattr(xgb_sklearn, "vector_intercept_supported", lambda: False)
    X, y = _multiclass()
    clf = FocalXGBClassifier(n_estimators=10).fit(X, y)
    assert clf.booster_.attr("focal_gbm_intercept") is None
    clf.save_model(tmp_path / "model.json")
    loaded = FocalXGBClassifier().load_model(tmp_path / "model.json")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    margin = xgb.Booster(model_file=tmp_path / "model.json").predict(
        xgb.DMatrix(X), output_margin=True)
    np.testing.assert_allclose(margin + clf.init_score_, clf.decision_function(X), rtol=1e-6)
