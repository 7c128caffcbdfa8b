"""The tools built for XGBClassifier / LGBMClassifier take the focal estimators unchanged.

Real libraries, real models: SHAP's TreeExplainer, ONNX export (skl2onnx and
onnxmltools, run by onnxruntime), treelite, the boosters' plot_importance.
Each library is in the test extra; a test skips with the reason when its
library is absent.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier  # noqa: E402
from focal_gbm._xgb import vector_intercept_supported  # noqa: E402

ESTIMATORS = {
    "xgboost": lambda **kw: FocalXGBClassifier(**{"n_estimators": 30, "max_depth": 3,
                                                  "n_jobs": 1, **kw}),
    "lightgbm": lambda **kw: FocalLGBMClassifier(**{"n_estimators": 30, "num_leaves": 7,
                                                    "n_jobs": 1, "verbose": -1, **kw}),
}
# The trees sum their leaves in float32 (XGBoost's predictions, SHAP's and
# treelite's XGBoost input, ONNX's tree ensemble): margins of about 10 agree
# to a few float32 ulps, 1e-5.
FLOAT32_MARGIN = 1e-5


def _data(kind: str, n: int = 600):
    if kind == "binary":
        X, y = make_classification(n, n_features=6, weights=[0.85], random_state=0)
    elif kind == "multiclass":
        X, y = make_classification(n, n_features=6, n_informative=4, n_classes=3,
                                   weights=[0.6, 0.3, 0.1], random_state=0)
    else:
        X, y = make_multilabel_classification(n, n_features=6, n_classes=3, random_state=0)
    return X.astype(np.float32), y


def _needs_vector_intercept(booster: str, kind: str):
    if booster == "xgboost" and kind != "binary" and not vector_intercept_supported():
        pytest.skip("this XGBoost keeps multi-output starting margins outside the model")


@pytest.fixture(params=["xgboost", "lightgbm"])
def booster(request):
    return request.param


def test_estimators_are_the_boosters_estimators():
    """The tools recognise models by isinstance."""
    assert isinstance(ESTIMATORS["xgboost"](), xgb.XGBClassifier)
    assert isinstance(ESTIMATORS["lightgbm"](), lgb.LGBMClassifier)


# ------------------------------------------------------------------- SHAP
# A multi-label FocalLGBMClassifier is one booster per label (as plain
# LightGBM has no multi-label model): the tools take each label's estimator.
MODEL_KINDS = [("xgboost", "binary"), ("xgboost", "multiclass"), ("xgboost", "multilabel"),
               ("lightgbm", "binary"), ("lightgbm", "multiclass")]


@pytest.mark.parametrize(("booster", "kind"), MODEL_KINDS)
def test_shap_raw_output_adds_up_to_the_margin_with_the_starting_margin(booster, kind):
    shap = pytest.importorskip("shap")
    _needs_vector_intercept(booster, kind)
    X, y = _data(kind)
    clf = ESTIMATORS[booster](focal_alpha=0.3 if kind == "binary" else None).fit(X, y)
    explanation = shap.TreeExplainer(clf)(X[:50])
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, clf.decision_function(X[:50]), atol=FLOAT32_MARGIN)


def test_shap_interventional_and_probability_output_for_binary(booster):
    shap = pytest.importorskip("shap")
    X, y = _data("binary")
    clf = ESTIMATORS[booster](focal_alpha=0.3, focal_probability="focal").fit(X, y)
    raw = shap.TreeExplainer(clf, X[:100])(X[:30])
    np.testing.assert_allclose(raw.values.sum(axis=1) + raw.base_values,
                               clf.decision_function(X[:30]), atol=FLOAT32_MARGIN)
    # SHAP's probability output explains the sigmoid of the margin: the
    # focal probability (predict_proba with focal_probability="focal").
    proba = shap.TreeExplainer(clf, X[:100], model_output="probability")(X[:30])
    np.testing.assert_allclose(proba.values.sum(axis=1) + proba.base_values,
                               clf.predict_proba(X[:30])[:, 1], atol=1e-6)


# ------------------------------------------------------------------- ONNX
ONNX_CASES = {
    "posterior": ("binary", {}),
    "focal probability": ("binary", {"focal_probability": "focal"}),
    "alpha and gamma 3": ("binary", {"focal_alpha": 0.25, "focal_gamma": 3.0}),
    "asymmetric with clip": ("binary", {"focal_gamma": 0.0, "focal_gamma_neg": 4.0,
                                        "focal_clip": 0.05}),
    "asymmetric without clip": ("binary", {"focal_gamma": 1.0, "focal_gamma_neg": 3.0}),
    "multi-class balanced": ("multiclass", {"focal_alpha": "balanced"}),
}
# skl2onnx 1.20 refuses the ai.onnx.ml version onnxmltools' tree converters
# write by default (for the plain estimators as well).
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def _onnx_outputs(onx, X):
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(onx.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def _convert(converter: str, model, X, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if converter == "skl2onnx":
            skl2onnx = pytest.importorskip("skl2onnx")
            pytest.importorskip("focal_gbm.onnx")
            return skl2onnx.to_onnx(model, X[:1], target_opset=TARGET_OPSET,
                                    options={"zipmap": options.get("zipmap", False)})
        onnxmltools = pytest.importorskip("onnxmltools")
        pytest.importorskip("focal_gbm.onnx")
        from onnxmltools.convert.common.data_types import FloatTensorType

        types = [("X", FloatTensorType([None, X.shape[1]]))]
        if isinstance(model, xgb.XGBClassifier):
            return onnxmltools.convert_xgboost(model, initial_types=types, target_opset=15)
        return onnxmltools.convert_lightgbm(model, initial_types=types, target_opset=15,
                                            zipmap=False)


@pytest.mark.parametrize("converter", ["skl2onnx", "onnxmltools"])
@pytest.mark.parametrize("case", list(ONNX_CASES))
def test_onnx_probabilities_and_labels_are_predict_probas_and_predicts(booster, converter,
                                                                       case):
    kind, params = ONNX_CASES[case]
    _needs_vector_intercept(booster, kind)
    X, y = _data(kind, n=2000)
    clf = ESTIMATORS[booster](n_estimators=60, **params).fit(X, y)
    label, proba = _onnx_outputs(_convert(converter, clf, X), X)
    # float32 tree sums and sigmoid in ONNX; the posterior map then runs in
    # float64 (measured at most 4e-7 over these cases): the 1e-6.
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_onnx_pipeline_with_zipmap_and_string_labels(booster, kind):
    _needs_vector_intercept(booster, kind)
    X, y = _data(kind, n=1000)
    labels = np.array(["ok", "fraud", "chargeback"])[y]
    # An imputer, not a scaler: a scaler's float32 arithmetic in ONNX moves
    # some rows across a tree threshold, as for any tree model behind one.
    X[::7, 0] = np.nan
    pipe = make_pipeline(SimpleImputer(), ESTIMATORS[booster]()).fit(X, labels)
    label, proba = _onnx_outputs(_convert("skl2onnx", pipe, X, zipmap=True), X)
    np.testing.assert_array_equal(label, pipe.predict(X))
    expected = pipe.predict_proba(X)
    got = np.array([[row[c] for c in pipe.classes_] for row in proba])
    np.testing.assert_allclose(got, expected, atol=1e-6)  # as the single estimator


def test_onnx_posterior_map_refuses_an_opset_before_13(booster):
    onnxmltools = pytest.importorskip("onnxmltools")
    pytest.importorskip("focal_gbm.onnx")
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = _data("binary")
    clf = ESTIMATORS[booster]().fit(X, y)
    convert = (onnxmltools.convert_xgboost if booster == "xgboost"
               else onnxmltools.convert_lightgbm)
    with pytest.raises(ValueError, match="target_opset >= 13"):
        convert(clf, initial_types=[("X", FloatTensorType([None, X.shape[1]]))],
                target_opset=12)


def test_onnx_refuses_multilabel_models_with_the_reason(booster):
    pytest.importorskip("focal_gbm.onnx")
    X, y = _data("multilabel")
    clf = ESTIMATORS[booster]().fit(X, y)
    with pytest.raises(NotImplementedError, match="multi-label"):
        _convert("skl2onnx", clf, X)


@pytest.mark.parametrize(("blocked", "registered"), [("xgboost", "FocalLGBMClassifier"),
                                                     ("lightgbm", "FocalXGBClassifier")])
def test_onnx_registers_the_estimators_of_the_installed_booster_only(blocked, registered):
    pytest.importorskip("onnxmltools")
    pytest.importorskip("skl2onnx")
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] == {blocked!r}:\n"
        "            raise ImportError('blocked for the test: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import focal_gbm.onnx\n"
        "print(sorted(e.__name__ for e in focal_gbm.onnx._REGISTERED))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([registered])


def test_onnx_leaves_the_plain_estimators_alone(booster):
    """Registering the focal converters changes nothing for XGBClassifier / LGBMClassifier."""
    X, y = _data("multiclass")
    plain = (xgb.XGBClassifier(n_estimators=10, n_jobs=1) if booster == "xgboost"
             else lgb.LGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1)).fit(X, y)
    _, proba = _onnx_outputs(_convert("onnxmltools", plain, X), X)
    np.testing.assert_allclose(proba, plain.predict_proba(X), atol=1e-6)


# ---------------------------------------------------------------- treelite
@pytest.mark.parametrize(("booster", "kind"), MODEL_KINDS)
def test_treelite_predicts_the_margins_and_focal_probabilities(booster, kind):
    treelite = pytest.importorskip("treelite")
    _needs_vector_intercept(booster, kind)
    X, y = _data(kind)
    clf = ESTIMATORS[booster](focal_probability="focal").fit(X, y)
    model = (treelite.frontend.from_xgboost(clf.get_booster()) if booster == "xgboost"
             else treelite.frontend.from_lightgbm(clf.booster_))
    margin = np.squeeze(treelite.gtil.predict(model, X, pred_margin=True))
    np.testing.assert_allclose(margin, clf.decision_function(X), atol=FLOAT32_MARGIN)
    proba = np.squeeze(treelite.gtil.predict(model, X))
    expected = clf.predict_proba(X)
    np.testing.assert_allclose(proba, expected[:, 1] if kind == "binary" else expected,
                               atol=1e-6)


# ---------------------------------------------------------- plot_importance
def test_plot_importance_draws_one_bar_per_used_feature(booster):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = _data("binary")
    clf = ESTIMATORS[booster]().fit(X, y)
    module = xgb if booster == "xgboost" else lgb
    ax = module.plot_importance(clf)
    used = (len(clf.get_booster().get_score(importance_type="weight"))
            if booster == "xgboost" else np.count_nonzero(clf.booster_.feature_importance()))
    assert len(ax.patches) == used > 0
    plt.close(ax.figure)


# ------------------------------------------------------------ scikit-learn
def test_threshold_tuning_and_permutation_importance(booster):
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import TunedThresholdClassifierCV

    X, y = _data("binary")
    tuned = TunedThresholdClassifierCV(ESTIMATORS[booster](), scoring="balanced_accuracy",
                                       cv=3).fit(X, y)
    # The tuned rule thresholds predict_proba's positive column.
    proba = tuned.estimator_.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(tuned.predict(X), (proba >= tuned.best_threshold_).astype(int))
    # A pure-noise column appended last matters far less than the best feature.
    X = np.column_stack([X, np.random.default_rng(0).normal(size=len(y))]).astype(np.float32)
    result = permutation_importance(ESTIMATORS[booster]().fit(X, y), X, y, n_repeats=3,
                                    random_state=0, scoring="roc_auc")
    assert result.importances_mean[-1] < result.importances_mean.max() / 5


# ------------------------------------------- LightGBM boosters, not estimators
def test_lightgbm_train_booster_is_a_binary_model_to_shap_and_onnxmltools():
    """The booster declares objective=binary, which both tools check before accepting it."""
    shap = pytest.importorskip("shap")
    onnxmltools = pytest.importorskip("onnxmltools")
    from onnxmltools.convert.common.data_types import FloatTensorType

    from focal_gbm import FocalLoss, lightgbm_train

    X, y = _data("binary")
    booster = lightgbm_train({"num_leaves": 7, "verbose": -1}, lgb.Dataset(X, y), 30,
                             objective=FocalLoss(gamma=2.0, alpha=0.25))
    assert booster.params["objective"] == "binary"
    explanation = shap.TreeExplainer(booster, X[:100], model_output="probability")(X[:30])
    np.testing.assert_allclose(explanation.values.sum(axis=1) + explanation.base_values,
                               booster.predict(X[:30]), atol=1e-6)
    onx = onnxmltools.convert_lightgbm(booster, initial_types=[("X", FloatTensorType(
        [None, X.shape[1]]))], target_opset=15, zipmap=False)
    _, proba = _onnx_outputs(onx, X)
    np.testing.assert_allclose(proba[:, 1], booster.predict(X), atol=1e-6)


# ------------------------------------------------------------------ Optuna
def test_optuna_pruning_callbacks_read_the_builtin_metric(booster):
    optuna = pytest.importorskip("optuna")
    integration = pytest.importorskip("optuna_integration")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = _data("binary", n=1500)
    X_train, y_train, X_valid, y_valid = X[:1000], y[:1000], X[1000:], y[1000:]
    fitted = []

    def objective(trial):
        gamma = trial.suggest_float("focal_gamma", 0.0, 3.0)
        if booster == "xgboost":
            clf = ESTIMATORS[booster](focal_gamma=gamma, eval_metric="auc", callbacks=[
                integration.XGBoostPruningCallback(trial, "validation_0-auc")])
            clf.fit(X_train, y_train, eval_set=[(X_valid, y_valid)])
            history = clf.evals_result()["validation_0"]["auc"]
        else:
            clf = ESTIMATORS[booster](focal_gamma=gamma, metric="auc")
            clf.fit(X_train, y_train, eval_set=[(X_valid, y_valid)],
                    callbacks=[integration.LightGBMPruningCallback(trial, "auc")])
            history = clf.evals_result_["valid_0"]["auc"]
        fitted.append(history)
        return history[-1]

    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner(),
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=2)
    for trial, history in zip(study.trials, fitted):
        # The pruner saw the AUC of every round (Optuna's steps count from 0).
        assert [trial.intermediate_values[step] for step in range(len(history))] == (
            pytest.approx(history))
