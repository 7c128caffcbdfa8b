"""The parents' fit and predict keywords, called the same way on parent and focal estimator.

With ``focal_gamma=0, focal_alpha=None, focal_probability="focal"`` a binary
focal estimator trains the parent's model (cross entropy from the optimal
constant, which is the parents' own start), so each call must give the
parent's result, not just the same shape.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier  # noqa: E402

AS_PARENT = {"focal_gamma": 0.0, "focal_alpha": None, "focal_probability": "focal"}
# float32 margins summed over trees in another order: a few float32 ulps of ~5
XGB_ATOL = 1e-5
# LightGBM sums in float64; the start is a separate constant in the parent and
# folded into the first leaves here, which moves the last bits only
LGBM_ATOL = 1e-6


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1500, 5))
    y = (X[:, 0] + rng.normal(size=1500) > 1.0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def xgb_pair(data):
    X, y = data
    return (FocalXGBClassifier(n_estimators=25, max_depth=3, **AS_PARENT).fit(X, y),
            xgb.XGBClassifier(n_estimators=25, max_depth=3).fit(X, y))


@pytest.fixture(scope="module")
def lgbm_pair(data):
    X, y = data
    params = {"n_estimators": 25, "num_leaves": 7, "verbose": -1}
    return (FocalLGBMClassifier(**params, **AS_PARENT).fit(X, y),
            lgb.LGBMClassifier(**params).fit(X, y))


PREDICT_CALLS = {
    "xgboost": {
        "output_margin": lambda m, X: m.predict(X, output_margin=True),
        "iteration_range": lambda m, X: m.predict_proba(X, iteration_range=(0, 10)),
        "tree_slice": lambda m, X: m.predict(X, iteration_range=(5, 20), output_margin=True),
        "base_margin": lambda m, X: m.predict(X, base_margin=np.full(len(X), -1.5),
                                              output_margin=True),
        "proba_base_margin": lambda m, X: m.predict_proba(
            X, base_margin=np.linspace(-2, 2, len(X))),
        "validate_features": lambda m, X: m.predict(X, validate_features=False),
    },
    "lightgbm": {
        "raw_score": lambda m, X: m.predict(X, raw_score=True),
        "proba_raw_score": lambda m, X: m.predict_proba(X, raw_score=True),
        "num_iteration": lambda m, X: m.predict_proba(X, num_iteration=10),
        "pred_leaf": lambda m, X: m.predict(X, pred_leaf=True),
        "tree_slice": lambda m, X: m.predict(X, start_iteration=5, num_iteration=10,
                                             raw_score=True),
        "booster_kwargs": lambda m, X: m.predict(X, validate_features=True,
                                                 predict_disable_shape_check=True),
    },
}


@pytest.mark.parametrize("booster, name", [(b, n) for b, calls in PREDICT_CALLS.items()
                                           for n in calls])
def test_predict_keywords_as_the_parent(booster, name, request, data):
    ours, parent = request.getfixturevalue("xgb_pair" if booster == "xgboost" else "lgbm_pair")
    X, _ = data
    call = PREDICT_CALLS[booster][name]
    expected = call(parent, X)
    got = call(ours, X)
    assert np.shape(got) == np.shape(expected)
    if np.issubdtype(np.asarray(expected).dtype, np.integer):  # leaf indices: int32 both
        assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(got, expected,
                               atol=XGB_ATOL if booster == "xgboost" else LGBM_ATOL)


def test_lightgbm_contributions_add_up_to_the_margin(lgbm_pair, data):
    ours, parent = lgbm_pair
    X, _ = data
    contributions = ours.predict(X, pred_contrib=True)
    assert contributions.shape == parent.predict(X, pred_contrib=True).shape
    # the bias column holds the starting margin: the sum is the margin, to rounding
    np.testing.assert_allclose(contributions.sum(axis=1), ours.decision_function(X),
                               atol=1e-12)


def test_focal_predict_keywords_apply_to_focal_models(data):
    """Not only at gamma 0: iteration_range on a focal model is its first trees' margin."""
    X, y = data
    model = FocalXGBClassifier(n_estimators=20, focal_gamma=2.0).fit(X, y)
    first = model.predict(X, iteration_range=(0, 1), output_margin=True)
    full = model.predict(X, output_margin=True)
    assert not np.allclose(first, full)
    np.testing.assert_allclose(model.predict_proba(X, iteration_range=(0, 20)),
                               model.predict_proba(X))


def test_multilabel_lightgbm_refuses_booster_keywords_by_name(rng):
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(int)
    model = FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(X, Y)
    np.testing.assert_array_equal(model.predict(X, raw_score=True), model.decision_function(X))
    with pytest.raises(ValueError, match=r"\['pred_leaf'\] to one_vs_rest_.estimators_"):
        model.predict(X, pred_leaf=True)


# ---------------------------------------------------------------- fit keywords
def _margins_after_fit_keywords(parent_class, focal_class, params, keywords, data,
                                **margin_keywords):
    """Parent's and ours: a 5-tree model each, then a 10-tree fit given ``keywords(X, y, it)``.

    Returns the two fits' margins on X (parent's first).
    """
    X, y = data
    margins = []
    for cls, extra in ((parent_class, {}), (focal_class, AS_PARENT)):
        start = cls(n_estimators=5, **params, **extra).fit(X, y)
        model = cls(n_estimators=10, **params, **extra).fit(X, y, **keywords(X, y, start))
        margins.append(model.predict(X, **margin_keywords))
    return margins


# Column sampling only where the keyword needs it: XGBoost draws columns in
# another order when it continues a model with a custom objective (a plain
# XGBClassifier with a callable objective too), so xgb_model runs without it.
@pytest.mark.parametrize("keywords, params", [
    # a varying margin: a constant one gives every row of a class the same
    # gradient, and tied splits then go either way on float rounding
    (lambda X, y, m: {"base_margin": np.linspace(-2.0, 1.0, len(X))}, {}),
    (lambda X, y, m: {"xgb_model": m.get_booster()}, {}),
    (lambda X, y, m: {"feature_weights": np.arange(1.0, 6.0)},
     {"colsample_bynode": 0.5, "random_state": 0}),
], ids=["base_margin", "xgb_model", "feature_weights"])
def test_xgboost_fit_keywords_as_the_parent(keywords, params, data):
    parent, ours = _margins_after_fit_keywords(xgb.XGBClassifier, FocalXGBClassifier, params,
                                               keywords, data, output_margin=True)
    np.testing.assert_allclose(ours, parent, atol=XGB_ATOL)


def test_xgboost_sample_weight_eval_set_weighs_the_metric(data):
    X, y = data
    weight = np.linspace(0.5, 2.0, len(y))
    results = [model.fit(X, y, eval_set=[(X.copy(), y)], sample_weight_eval_set=[weight],
                         verbose=False).evals_result()["validation_0"]["logloss"][-1]
               for model in (xgb.XGBClassifier(n_estimators=10, eval_metric="logloss"),
                             FocalXGBClassifier(n_estimators=10, eval_metric="logloss",
                                                **AS_PARENT))]
    assert results[1] == pytest.approx(results[0], abs=1e-6)  # float32 margins


@pytest.mark.parametrize("keywords", [
    lambda X, y, m: {"init_score": np.full(len(y), -1.0)},
    lambda X, y, m: {"init_model": m.booster_},
], ids=["init_score", "init_model"])
def test_lightgbm_start_keywords_as_the_parent(keywords, data):
    """A given start replaces the focal one; like the parent's, it is not in the model."""
    parent, ours = _margins_after_fit_keywords(
        lgb.LGBMClassifier, FocalLGBMClassifier, {"num_leaves": 7, "verbose": -1}, keywords,
        data, raw_score=True)
    np.testing.assert_allclose(ours, parent, atol=LGBM_ATOL)


@pytest.mark.parametrize("labels", ["integers", "strings"])
@pytest.mark.parametrize("keywords", [
    lambda y: {"eval_init_score": [np.full(len(y), -1.0)]},
    lambda y: {"eval_class_weight": [{y[0]: 2.0, y[1 - (y == y[0]).argmin()]: 1.0}]},
    lambda y: {"eval_sample_weight": [np.linspace(0.5, 2.0, len(y))]},
], ids=["eval_init_score", "eval_class_weight", "eval_sample_weight"])
def test_lightgbm_eval_keywords_weigh_the_metric_as_the_parent(keywords, labels, data):
    X, y = data
    if labels == "strings":
        y = np.where(y == 1, "fraud", "ok")
    results = []
    for model in (lgb.LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1),
                  FocalLGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1,
                                      metric="binary_logloss", **AS_PARENT)):
        model.fit(X, y, eval_set=[(X.copy(), y)], **keywords(y))
        results.append(model.evals_result_["valid_0"]["binary_logloss"][-1])
    assert results[1] == pytest.approx(results[0], abs=1e-8)  # float64, rounding only


def test_lightgbm_takes_one_eval_pair_as_a_tuple(data):
    X, y = data
    model = FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(X, y, eval_set=(X.copy(), y))
    assert list(model.evals_result_) == ["valid_0"]


# ------------------------------------------------------- set_params after fit
def test_xgboost_set_params_after_fit_reaches_the_fitted_model(data):
    import json

    X, y = data
    models = [xgb.XGBClassifier(n_estimators=10), FocalXGBClassifier(n_estimators=10,
                                                                     **AS_PARENT)]
    for model in models:
        model.fit(X, y).set_params(importance_type="weight", n_jobs=1)
    threads = [json.loads(m.get_booster().save_config())["learner"]["generic_param"]["nthread"]
               for m in models]
    assert threads == ["1", "1"]
    np.testing.assert_allclose(models[1].feature_importances_, models[0].feature_importances_)


def test_lightgbm_set_params_after_fit_reaches_the_fitted_model(lgbm_pair, data):
    import copy

    X, _ = data
    ours, parent = (copy.deepcopy(m) for m in lgbm_pair)
    for model in (ours, parent):
        model.set_params(importance_type="gain")
    np.testing.assert_allclose(ours.feature_importances_, parent.feature_importances_,
                               rtol=1e-6)  # gains summed in another order
    ours.set_params(n_jobs=1)
    np.testing.assert_array_equal(ours.predict(X), lgbm_pair[0].predict(X))


def test_lightgbm_booster_params_hold_the_training_parameters_as_the_parent(lgbm_pair):
    """Code that reads booster_.params["learning_rate"] (and so on) works on ours."""
    ours, parent = (model.booster_.params for model in lgbm_pair)
    # metric: the parent's default metric, which focal training does not record
    differ = {name for name, value in parent.items() if ours.get(name) != value}
    assert differ == {"metric"}
    assert ours["objective"] == "binary"  # what SHAP and onnxmltools check


def test_lightgbm_booster_params_leave_out_distributed_training(data):
    """A model holding its peers' addresses would reach for them again (a Dask fit hung)."""
    from focal_gbm import add_init_score

    X, y = data
    network = {"machines": "127.0.0.1:12400", "local_listen_port": 12400, "num_machines": 1}
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 7, **network},
                        lgb.Dataset(X, y), 3)
    params = add_init_score(booster, 0.5).params
    assert params["num_leaves"] == 7
    # The model file keeps its own (truncated) record of "machines"; the
    # training dict's full list of peers is what must not come back.
    assert params.get("machines") != network["machines"]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("parent, ours", [
    (xgb.XGBClassifier, FocalXGBClassifier),
    (lambda: lgb.LGBMClassifier(verbose=-1), lambda: FocalLGBMClassifier(verbose=-1)),
], ids=["xgboost", "lightgbm"])
def test_errors_of_the_same_type_and_words_as_the_parent(parent, ours, data):
    X, y = data
    for make in (parent, ours):
        with pytest.raises(Exception) as not_fitted:
            make().predict(X)
        with pytest.raises(Exception) as no_data:
            make().fit(None, y)
        if make is parent:
            expected = (type(not_fitted.value), str(not_fitted.value), type(no_data.value))
    got = (type(not_fitted.value), str(not_fitted.value), type(no_data.value))
    assert got == expected


# ------------------------------------------------------------------ the rest
def test_lightgbm_names_the_training_data_as_the_parent(data):
    X, y = data
    names = [list(model.fit(X, y, eval_set=[(X, y), (X.copy(), y)]).evals_result_)
             for model in (lgb.LGBMClassifier(n_estimators=3, verbose=-1),
                           FocalLGBMClassifier(n_estimators=3, verbose=-1))]
    assert names[1] == names[0] == ["training", "valid_1"]


@pytest.mark.parametrize("seed", [np.random.RandomState, np.random.default_rng])
def test_xgboost_params_draw_a_seed_from_a_random_state_as_the_parent(seed):
    parent = xgb.XGBClassifier(random_state=seed(0)).get_xgb_params()
    ours = FocalXGBClassifier(random_state=seed(0)).get_xgb_params()
    assert ours["random_state"] == parent["random_state"]
    assert isinstance(ours["random_state"], int)
    # the booster's own parameters: the focal ones go to the objective
    assert not any(name.startswith("focal_") for name in ours)
    assert set(ours) == set(parent) - {"objective"}


def test_xgboost_several_callable_metrics_fail_as_in_the_parent(data):
    from sklearn.metrics import log_loss, roc_auc_score

    X, y = data
    for model in (xgb.XGBClassifier(n_estimators=2, eval_metric=[log_loss, roc_auc_score]),
                  FocalXGBClassifier(n_estimators=2, eval_metric=[log_loss, roc_auc_score])):
        with pytest.raises(NotImplementedError, match="multiple custom metrics"):
            model.fit(X, y, eval_set=[(X, y)], verbose=False)


# ------------------------------------------------- multi-class, metrics, calls
@pytest.fixture(scope="module")
def three_classes():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(900, 4))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.7, size=900), [-0.6, 0.6])
    return X, y


@pytest.mark.parametrize("parent, ours, atol", [
    (lambda: xgb.XGBClassifier(n_estimators=30), lambda: FocalXGBClassifier(
        n_estimators=30, **AS_PARENT), XGB_ATOL),
    (lambda: lgb.LGBMClassifier(n_estimators=30, verbose=-1), lambda: FocalLGBMClassifier(
        n_estimators=30, verbose=-1, **AS_PARENT), LGBM_ATOL),
], ids=["xgboost", "lightgbm"])
def test_multiclass_at_gamma_zero_is_the_parents_model(parent, ours, atol, three_classes):
    """The softmax Hessian is scaled as each booster scales its own (2; k / (k - 1)).

    Unscaled, the Newton steps were 2x / 1.5x the parents' and the
    probabilities differed by up to 0.5 after 30 rounds.
    """
    X, y = three_classes
    np.testing.assert_allclose(ours().fit(X, y).predict_proba(X),
                               parent().fit(X, y).predict_proba(X), atol=atol)


@pytest.mark.parametrize("parent, ours, names", [
    (lambda: xgb.XGBClassifier(n_estimators=5), lambda: FocalXGBClassifier(
        n_estimators=5, **AS_PARENT), {2: "logloss", 3: "mlogloss"}),
    (lambda: lgb.LGBMClassifier(n_estimators=5, verbose=-1), lambda: FocalLGBMClassifier(
        n_estimators=5, verbose=-1, **AS_PARENT), {2: "binary_logloss", 3: "multi_logloss"}),
], ids=["xgboost", "lightgbm"])
def test_the_parents_default_metric_is_recorded_with_its_values(parent, ours, names,
                                                                 three_classes):
    """Nothing named: the parent's metric under its name (its values at gamma 0), and focal_loss."""
    X, y3 = three_classes
    for y in (y3 == 2, y3):  # binary, then 3 classes
        k = len(np.unique(y))
        fitted = [make().fit(X, y, eval_set=[(X, y)], **(
            {"verbose": False} if "XGB" in type(make()).__name__ else {}))
            for make in (parent, ours)]
        (set_name,) = fitted[0].evals_result_
        expected = fitted[0].evals_result_[set_name][names[k]]
        recorded = fitted[1].evals_result_[set_name]
        assert set(recorded) == {names[k], "focal_loss"}
        # XGBoost: metrics in float32, summed in another order
        np.testing.assert_allclose(recorded[names[k]], expected, rtol=1e-5)
        # at gamma 0 the focal metric is the same cross entropy
        np.testing.assert_allclose(recorded["focal_loss"], expected, rtol=1e-5)


def test_positional_fit_arguments_in_the_parents_order(data):
    X, y = data
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    lightgbm_positional = FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(
        X, y, w, None, [(X, y)])
    lightgbm_keywords = FocalLGBMClassifier(n_estimators=5, verbose=-1).fit(
        X, y, sample_weight=w, eval_set=[(X, y)])
    np.testing.assert_array_equal(lightgbm_positional.decision_function(X),
                                  lightgbm_keywords.decision_function(X))
    assert lightgbm_positional.evals_result_ == lightgbm_keywords.evals_result_
    # XGBoost takes them too, with its own FutureWarning and words
    with pytest.warns(FutureWarning, match="Pass `sample_weight` as keyword args"):
        xgboost_positional = FocalXGBClassifier(n_estimators=5).fit(X, y, w)
    np.testing.assert_array_equal(
        xgboost_positional.decision_function(X),
        FocalXGBClassifier(n_estimators=5).fit(X, y, sample_weight=w).decision_function(X))
    with pytest.raises(TypeError, match="multiple values for argument 'sample_weight'"):
        FocalLGBMClassifier(n_estimators=5).fit(X, y, w, sample_weight=w)
    with pytest.raises(TypeError, match="at most 14 positional arguments"):
        FocalLGBMClassifier(n_estimators=5).fit(X, y, *([None] * 13))


def test_a_positional_constructor_argument_as_in_each_parent(data):
    X, y = data
    # XGBClassifier(obj) sets objective, with a FutureWarning (deprecated there).
    with pytest.warns(FutureWarning, match="Pass `objective` as keyword args"):
        xgb.XGBClassifier("binary:logistic")
    with pytest.warns(FutureWarning, match="Pass `objective` as keyword args"):
        model = FocalXGBClassifier("binary:logistic", n_estimators=3, focal_gamma=0.0)
    assert model.get_params()["objective"] == "binary:logistic"
    np.testing.assert_array_equal(
        model.fit(X, y).predict_proba(X),
        FocalXGBClassifier(objective="binary:logistic", n_estimators=3,
                           focal_gamma=0.0).fit(X, y).predict_proba(X))
    with pytest.warns(FutureWarning), pytest.raises(ValueError,
                                                    match="objective='reg:squarederror'"):
        FocalXGBClassifier("reg:squarederror").fit(X, y)
    with pytest.raises(TypeError, match="multiple values for argument 'objective'"):
        FocalXGBClassifier("binary:logistic", objective="binary:logistic")
    # LGBMClassifier takes keyword arguments only.
    with pytest.raises(TypeError):
        lgb.LGBMClassifier("gbdt")
    with pytest.raises(TypeError, match="keyword arguments only"):
        FocalLGBMClassifier("gbdt")


def test_feature_name_errors_in_the_parents_words(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    renamed = frame.rename(columns={"x1": "z"})
    xgboost_model = FocalXGBClassifier(n_estimators=3).fit(frame, y)
    with pytest.raises(ValueError, match="feature_names mismatch"):
        xgboost_model.predict(renamed)
    lightgbm_model = FocalLGBMClassifier(n_estimators=3, verbose=-1).fit(frame, y)
    for error in (lgb.basic.LightGBMError, ValueError):  # the parent's type, and sklearn's
        with pytest.raises(error, match="Expected 'x1' at position 1 but found 'z'"):
            lightgbm_model.predict(renamed, validate_features=True)
    # fitted without names, LightGBM says why feature_names_in_ is missing
    plain = FocalLGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    with pytest.raises(AttributeError, match="training data did not have feature names"):
        plain.feature_names_in_  # noqa: B018


def test_xgboost_refuses_a_metric_that_is_no_name_or_callable_as_the_parent(data):
    X, y = data
    for model in (xgb.XGBClassifier(n_estimators=2, eval_metric=[123]),
                  FocalXGBClassifier(n_estimators=2, eval_metric=[123])):
        with pytest.raises(TypeError, match="Invalid type for the `eval_metric`"):
            model.fit(X, y, eval_set=[(X, y)], verbose=False)


def test_lightgbm_random_forest_is_refused_with_the_reason(data):
    X, y = data
    with pytest.raises(Exception, match="custom objective"):  # the parent's own refusal
        lgb.LGBMClassifier(boosting_type="rf", subsample=0.5, subsample_freq=1,
                           objective=lambda y_true, y_pred: (y_pred, y_pred + 1.0),
                           verbose=-1).fit(X, y)
    for params in ({"boosting_type": "rf"}, {"boosting": "random_forest"}):
        with pytest.raises(ValueError, match="random-forest mode .* accepts no custom"):
            FocalLGBMClassifier(verbose=-1, **params).fit(X, y)


def test_xgboost_multi_softmax_hands_metrics_the_predicted_class(three_classes):
    X, y = three_classes

    def error_rate(y_true, predicted):
        assert predicted.shape == y_true.shape  # classes, not probabilities
        return float(np.mean(y_true != predicted))

    recorded = [model.fit(X, y, eval_set=[(X, y)], verbose=False).evals_result()[
        "validation_0"]["error_rate"]
        for model in (xgb.XGBClassifier(n_estimators=5, objective="multi:softmax",
                                        eval_metric=error_rate),
                      FocalXGBClassifier(n_estimators=5, objective="multi:softmax",
                                         eval_metric=error_rate, **AS_PARENT))]
    # the same model at gamma 0: the same errors, up to a tie moved by rounding
    np.testing.assert_allclose(recorded[1], recorded[0], atol=2 / len(y))


def test_lightgbm_constructor_parameters_reach_predict_as_in_the_parent(three_classes):
    """pred_early_stop given to the constructor acts at predict, as for LGBMClassifier;
    num_class given too (a training parameter) does not break predict."""
    X, y = three_classes
    early = {"pred_early_stop": True, "pred_early_stop_margin": 1.0, "num_class": 3}
    margins = {}
    for name, make in (("parent", lambda **p: lgb.LGBMClassifier(verbose=-1, **p)),
                       ("ours", lambda **p: FocalLGBMClassifier(verbose=-1, **AS_PARENT, **p))):
        plain = make(n_estimators=30).fit(X, y).predict(X, raw_score=True)
        stopped = make(n_estimators=30, **early).fit(X, y).predict(X, raw_score=True)
        assert np.abs(stopped - plain).max() > 0.1  # early-stopped prediction differs
        margins[name] = stopped
    # softmax margins up to a constant per row: the two starts differ by one
    def centred(margin):
        return margin - margin.mean(axis=1, keepdims=True)

    np.testing.assert_allclose(centred(margins["ours"]), centred(margins["parent"]),
                               atol=LGBM_ATOL)


# ----------------------------------------------------------- every data type
def _as(kind: str, X, y):
    """``X, y`` as the type a user hands the parents."""
    import scipy.sparse

    if kind == "lists":
        return X.tolist(), y.tolist()
    if kind in ("pandas", "polars", "pyarrow"):
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        if kind == "pandas":
            return frame, pd.Series(y)
        if kind == "polars":
            pl = pytest.importorskip("polars")
            return pl.from_pandas(frame), pl.Series(y)
        pa = pytest.importorskip("pyarrow")
        return pa.Table.from_pandas(frame), pa.array(y)
    return {"csr": scipy.sparse.csr_matrix, "csc": scipy.sparse.csc_matrix}[kind](X), y


DATA_KINDS = ["lists", "pandas", "polars", "pyarrow", "csr", "csc"]


@pytest.mark.parametrize("kind", DATA_KINDS)
@pytest.mark.parametrize("booster", ["xgboost", "lightgbm"])
def test_every_data_type_the_parents_take(booster, kind, data):
    """The same call on each input type: accepted by both, the same probabilities."""
    X, y = data
    X_kind, y_kind = _as(kind, X[:400], y[:400])
    if booster == "xgboost":
        parent = xgb.XGBClassifier(n_estimators=10, max_depth=3)
        ours = FocalXGBClassifier(n_estimators=10, max_depth=3, **AS_PARENT)
    else:
        parent = lgb.LGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1)
        ours = FocalLGBMClassifier(n_estimators=10, num_leaves=7, verbose=-1, **AS_PARENT)
    try:
        expected = parent.fit(X_kind, y_kind).predict_proba(X_kind)
    except Exception as error:  # a type the parent does not take: not a parity case
        pytest.skip(f"{type(parent).__name__} refuses {kind}: {error}")
    np.testing.assert_allclose(ours.fit(X_kind, y_kind).predict_proba(X_kind), expected,
                               atol=XGB_ATOL if booster == "xgboost" else LGBM_ATOL)


# ----------------------------------------------------------- XGBoost's files
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel", "xgboost_train"])
def test_xgboost_loads_the_parents_model_files(task, tmp_path):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 4))
    y = {"binary": (X[:, 0] > 0.3).astype(int),
         "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
         "multilabel": (X[:, :3] > 0).astype(int),
         "xgboost_train": np.digitize(X[:, 1], [-0.5, 0.5])}[task]
    path = tmp_path / "parent.json"
    if task == "xgboost_train":  # a Booster of xgboost.train, no estimator behind it
        xgb.train({"objective": "multi:softmax", "num_class": 3}, xgb.DMatrix(X, y), 5).save_model(
            path)
    else:
        xgb.XGBClassifier(n_estimators=5).fit(X, y).save_model(path)
    parent = xgb.XGBClassifier()
    parent.load_model(path)
    ours = FocalXGBClassifier().load_model(path)
    # What the file is: cross entropy, focal loss at gamma 0.
    assert ours.focal_gamma == 0.0 and ours.focal_alpha is None
    np.testing.assert_array_equal(ours.predict(X), parent.predict(X))
    # float32 probabilities (the parent) against float64 (ours)
    np.testing.assert_allclose(ours.predict_proba(X), parent.predict_proba(X), atol=1e-6)
    if task != "multilabel":  # XGBClassifier says [0, 1] for any indicator matrix
        np.testing.assert_array_equal(ours.classes_, parent.classes_)
    # Saved again by us, it predicts the same.
    ours.save_model(tmp_path / "again.json")
    again = FocalXGBClassifier().load_model(tmp_path / "again.json")
    np.testing.assert_array_equal(again.predict_proba(X), ours.predict_proba(X))


def test_xgboost_refuses_a_model_file_that_is_no_classifier(tmp_path):
    X = np.random.default_rng(0).normal(size=(50, 3))
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "model.json"
    xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(X, X[:, 0]), 2).save_model(path)
    with pytest.raises(ValueError, match="objective 'reg:squarederror', not a classifier"):
        FocalXGBClassifier().load_model(path)
    xgb.train({"objective": "multi:softprob", "num_class": 2}, xgb.DMatrix(X, y), 2).save_model(
        path)
    with pytest.raises(ValueError, match="two-class softmax"):
        FocalXGBClassifier().load_model(path)
    # An estimator's file of another type: the parent's own error.
    xgb.XGBRegressor(n_estimators=2).fit(X, X[:, 0]).save_model(path)
    with pytest.raises(TypeError, match="different type"):
        FocalXGBClassifier().load_model(path)


def test_xgboost_booster_is_where_the_parent_keeps_it(data, tmp_path):
    X, y = data
    assert not hasattr(xgb.XGBClassifier(), "_Booster")
    assert not hasattr(FocalXGBClassifier(), "_Booster")
    model = FocalXGBClassifier(n_estimators=3).fit(X, y)
    assert model._Booster is model.get_booster()
    model.save_model(tmp_path / "m.json")
    assert FocalXGBClassifier().load_model(tmp_path / "m.json")._Booster is not None


def test_xgboost_files_depend_on_column_names_as_the_parents_do(data, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = data
    names = [f"x{i}" for i in range(X.shape[1])]
    paths = []
    for i, features in enumerate((pd.DataFrame(X, columns=names), X)):
        paths.append(tmp_path / f"{i}.json")
        FocalXGBClassifier(n_estimators=3).fit(features, y).save_model(paths[-1])
    learners = [json.loads(path.read_text())["learner"] for path in paths]
    # Only XGBoost's own record of the columns differs (so does the parent's).
    for key in ("feature_names", "feature_types"):
        learners[0][key] = learners[1][key]
    assert learners[0] == learners[1]
    np.testing.assert_array_equal(FocalXGBClassifier().load_model(paths[0]).feature_names_in_,
                                  names)
    assert not hasattr(FocalXGBClassifier().load_model(paths[1]), "feature_names_in_")


def test_xgboost_loaded_model_keeps_scikit_learns_feature_name_rule(data, tmp_path):
    # Integer column names: XGBoost's booster names them "0", "1", ...;
    # scikit-learn (and the fitted estimator) has no feature names then.
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X)
    FocalXGBClassifier(n_estimators=3).fit(frame, y).save_model(tmp_path / "m.json")
    loaded = FocalXGBClassifier().load_model(tmp_path / "m.json")
    assert not hasattr(loaded, "feature_names_in_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        loaded.predict(frame)


# ------------------------------------------------ LightGBM's booster options
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("options", [
    {"colsample_bytree": 0.7},  # the feature sampler's draws
    {"linear_tree": True},  # leaves with linear models, which hold the start too
    {"subsample": 0.7, "subsample_freq": 1},
    {"max_depth": 3},
], ids=lambda options: next(iter(options)))
def test_lightgbm_booster_options_train_the_parents_model(options, n_classes):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(1500, 6))
    y = np.digitize(X[:, 0] + X[:, 1] + rng.normal(size=1500), [0.0, 1.0][: n_classes - 1])
    X[::9, 2] = np.nan  # linear trees fall back to the leaf value there
    params = {"n_estimators": 20, "num_leaves": 7, "verbose": -1, **options}
    parent = lgb.LGBMClassifier(**params).fit(X, y)
    ours = FocalLGBMClassifier(**params, **AS_PARENT).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), parent.predict_proba(X), atol=LGBM_ATOL)


def test_lightgbm_train_samples_features_as_the_built_in_objective():
    from focal_gbm import FocalLoss, lightgbm_train

    rng = np.random.default_rng(8)
    X = rng.normal(size=(1500, 6))
    y = (X[:, 0] + rng.normal(size=1500) > 0).astype(float)
    params = {"feature_fraction": 0.6, "num_leaves": 7, "verbose": -1}
    parent = lgb.train({**params, "objective": "binary"}, lgb.Dataset(X, y), 20)
    ours = lightgbm_train(params, lgb.Dataset(X, y), 20,
                          objective=FocalLoss(gamma=0.0, alpha=None))
    np.testing.assert_allclose(ours.predict(X), parent.predict(X), atol=LGBM_ATOL)


def test_lightgbm_max_depth_alone_warns_no_more_than_the_parent(data, capsys):
    X, y = data
    lgb.LGBMClassifier(n_estimators=2, max_depth=5, verbose=0).fit(X, y)
    parents = capsys.readouterr().out
    FocalLGBMClassifier(n_estimators=2, max_depth=5, verbose=0).fit(X, y)
    ours = capsys.readouterr().out
    assert "constrain tree depth" not in parents
    assert "constrain tree depth" not in ours


@pytest.mark.parametrize("X", [np.ones((100, 3)), np.arange(30.0).reshape(10, 3)],
                         ids=["constant columns", "fewer rows than min_child_samples"])
def test_lightgbm_data_without_a_split_trains_the_parents_constant_model(X):
    y = np.arange(len(X)) % 2
    parent = lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    ours = FocalLGBMClassifier(n_estimators=3, verbose=-1, **AS_PARENT).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), parent.predict_proba(X), atol=LGBM_ATOL)


def test_lightgbm_a_config_files_parameters_train_and_predict_as_in_the_parent():
    # A config file's parameters (the training data's file, auc_mu_weights
    # of five classes) as LGBMClassifier takes them.
    rng = np.random.default_rng(9)
    X = rng.normal(size=(600, 4))
    y = np.digitize(X[:, 0], [-1.0, -0.3, 0.3, 1.0])
    params = {"n_estimators": 5, "verbose": -1, "data": "train.txt",
              "auc_mu_weights": [0 if i == j else 1 for i in range(5) for j in range(5)]}
    parent = lgb.LGBMClassifier(**params).fit(X, y)
    ours = FocalLGBMClassifier(**params, **AS_PARENT).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), parent.predict_proba(X), atol=LGBM_ATOL)


def test_objective_reads_as_the_parents(three_classes, tmp_path):
    X, y = three_classes
    for ours, parent in ((FocalXGBClassifier(n_estimators=2), xgb.XGBClassifier(n_estimators=2)),
                         (FocalLGBMClassifier(n_estimators=2, verbose=-1),
                          lgb.LGBMClassifier(n_estimators=2, verbose=-1))):
        assert ours.objective == parent.objective  # the parent's default
        assert ours.fit(X, y).objective == parent.fit(X, y).objective  # after a 3-class fit
    given = FocalXGBClassifier(objective="multi:softmax", n_estimators=2)
    assert given.objective == "multi:softmax"
    # A file of the parent's names its objective, as XGBClassifier.load_model reads it.
    xgb.XGBClassifier(objective="multi:softmax", n_estimators=2).fit(X, y).save_model(
        tmp_path / "parents.json")
    assert FocalXGBClassifier().load_model(tmp_path / "parents.json").objective == "multi:softmax"
