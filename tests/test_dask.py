"""Focal loss on a real Dask cluster: global statistics, xgboost.dask, lightgbm.dask.

Every test runs on one ``distributed.LocalCluster`` of two single-threaded
worker processes (what CI's two cores hold) and uses collections whose
partitions are placed on alternate workers, so that each worker trains on
its own rows.

Why the models are compared for (near) equality with the local ones: the
features take 20 integer values, each frequent in every partition, so both
boosters find the same bin boundaries from a worker's rows as from all rows;
histograms are then summed over workers, which changes the sums only by
float rounding. Any per-worker statistic (class weights, starting margin,
labels, metric) shifts the model or the reported loss by orders of
magnitude more than the stated tolerances.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
pd = pytest.importorskip("pandas")
import lightgbm.dask  # noqa: E402,F401
import xgboost.dask  # noqa: E402,F401
from distributed import Client, LocalCluster  # noqa: E402

from focal_gbm import (  # noqa: E402
    FocalLGBMClassifier,
    FocalLoss,
    FocalXGBClassifier,
    SoftmaxFocalLoss,
    base_score,
)
from focal_gbm import dask as focal_dask  # noqa: E402
from focal_gbm._booster import margin_repeat  # noqa: E402
from focal_gbm.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier  # noqa: E402

N_ROWS = 2000
CHUNK = 1000  # two partitions
# Same-model comparisons: predictions differ only by float summation order
# (worker histograms added in another order), far below 1e-6; a starting
# margin or a class weight taken from one worker's rows moves them by > 1e-2.
SAME_MODEL_ATOL = 1e-6
# Label totals summed partition by partition instead of row by row.
SUM_ORDER_RTOL = 1e-12
# The starting margin is the zero of the loss's derivative, found by
# bisection to adjacent floats: totals that differ in their last bits move
# it by a few ulp of values of order 1 (softmax: L-BFGS-B, also ~1e-15).
INIT_ATOL = 1e-12


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _features(rng, n=N_ROWS):
    return rng.integers(1, 21, size=(n, 5)).astype(float)


def _binary(rng, n=N_ROWS):
    X = _features(rng, n)
    y = (X[:, 0] - 0.5 * X[:, 1] + 3.0 * rng.normal(size=n) > 12.0).astype(float)
    return X, y


def _multiclass(rng, n=N_ROWS):
    X = _features(rng, n)
    y = np.digitize(X[:, 0] + 3.0 * rng.normal(size=n), [6.0, 14.0])
    return X, y


def _dask(*arrays, chunks=CHUNK):
    """Dask arrays whose i-th partition lives on worker i % 2 (alike for every array).

    Left to the scheduler, both partitions may land on one worker, and the
    test would not be distributed at all.
    """
    from distributed import default_client

    client = default_client()
    workers = sorted(client.scheduler_info()["workers"])
    out = []
    for array in arrays:
        blocks = []
        for i, start in enumerate(range(0, array.shape[0], chunks)):
            block = array[start:start + chunks]
            future = client.scatter(block, workers=[workers[i % len(workers)]], hash=False)
            blocks.append(da.from_delayed(future, shape=block.shape, dtype=block.dtype))
        out.append(da.concatenate(blocks))
    return out


# ------------------------------------------------------- global statistics
@pytest.mark.parametrize("case", ["binary", "multilabel", "softmax"])
def test_balanced_alpha_and_init_score_equal_the_single_machine_values(client, rng, case):
    X, y = _binary(rng)
    weight = rng.uniform(0.2, 3.0, size=y.size)
    if case == "binary":
        make = lambda: FocalLoss(gamma=2.0, alpha="balanced")  # noqa: E731
    elif case == "multilabel":
        y = np.column_stack([y, (X[:, 2] > 0.8).astype(float)])
        make = lambda: FocalLoss(gamma=[1.0, 3.0], alpha="balanced")  # noqa: E731
    else:
        _, y = _multiclass(rng)
        make = lambda: SoftmaxFocalLoss(gamma=2.0, alpha="balanced")  # noqa: E731
    # Uneven partitions: 700 + 700 + 600 rows.
    y_dask, w_dask = _dask(y, weight, chunks=700)
    local = make().fit_alpha(y, weight)
    distributed = focal_dask.fit_alpha(make(), y_dask, w_dask)
    np.testing.assert_allclose(distributed.fitted_alpha, local.fitted_alpha,
                               rtol=SUM_ORDER_RTOL)
    np.testing.assert_allclose(focal_dask.init_score(make(), y_dask, w_dask),
                               make().init_score(y, weight), rtol=1e-9, atol=INIT_ATOL)
    # and the weights are used: without them alpha is another number
    unweighted = focal_dask.fit_alpha(make(), y_dask).fitted_alpha
    assert np.abs(np.asarray(unweighted) - np.asarray(local.fitted_alpha)).max() > 1e-3


def test_statistics_accept_dask_series(client, rng):
    _, y = _binary(rng)
    series = dd.from_pandas(pd.Series(y), npartitions=3)
    np.testing.assert_allclose(focal_dask.init_score(FocalLoss(gamma=2.0), series),
                               FocalLoss(gamma=2.0).init_score(y), rtol=1e-9)


def test_softmax_statistics_see_classes_that_one_partition_lacks(client):
    # The first partition holds classes 0 and 1 only; class 2 is in the second.
    y = np.r_[np.tile([0, 1], 50), np.tile([0, 2], 50)]
    objective = focal_dask.fit_alpha(SoftmaxFocalLoss(alpha="balanced"), *_dask(y, chunks=100))
    np.testing.assert_allclose(objective.fitted_alpha,
                               SoftmaxFocalLoss(alpha="balanced").fit_alpha(y).fitted_alpha,
                               rtol=SUM_ORDER_RTOL)


def test_bad_labels_in_any_partition_name_the_argument(client):
    y = np.r_[np.zeros(10), np.ones(9), np.nan]
    with pytest.raises(ValueError, match="y_true contains NaN"):
        focal_dask.init_score(FocalLoss(), *_dask(y, chunks=10))
    with pytest.raises(ValueError, match=r"sample_weight must be finite and >= 0"):
        focal_dask.init_score(FocalLoss(), *_dask(np.ones(20), -np.ones(20), chunks=10))
    with pytest.raises(ValueError, match="sample_weight has 10 rows but y has 20"):
        focal_dask.fit_alpha(FocalLoss(alpha="balanced"), *_dask(np.ones(20)),
                             *_dask(np.ones(10)))


# --------------------------------------------------------- xgboost.dask.train
def _xgb_params(z0):
    return {"objective": "binary:logistic", "base_score": base_score(z0), "max_depth": 3,
            "nthread": 1, "disable_default_eval_metric": 1}


def test_xgboost_dask_train_matches_local_training(client, rng):
    X, y = _binary(rng)
    weight = rng.uniform(0.2, 3.0, size=y.size)
    X_dask, y_dask, w_dask = _dask(X, y, weight)
    objective = focal_dask.fit_alpha(FocalLoss(gamma=2.0, alpha="balanced"), y_dask, w_dask)
    params = _xgb_params(focal_dask.init_score(objective, y_dask, w_dask))
    dtrain = xgb.dask.DaskDMatrix(client, X_dask, y_dask, weight=w_dask)
    output = xgb.dask.train(client, params, dtrain, 15, obj=objective)
    local = xgb.train(params, xgb.DMatrix(X, label=y, weight=weight), 15, obj=objective)
    np.testing.assert_allclose(xgb.dask.predict(client, output["booster"], X_dask).compute(),
                               local.predict(xgb.DMatrix(X)), atol=SAME_MODEL_ATOL)


def test_xgboost_dask_metric_is_the_global_weighted_mean(client, rng):
    X, y = _binary(rng)
    # Very different weights and class mixes in the two partitions: the
    # unweighted mean of per-partition losses is far from the global one.
    weight = np.r_[np.full(CHUNK, 0.1), np.full(N_ROWS - CHUNK, 5.0)]
    y[:CHUNK] = (X[:CHUNK, 0] > 10).astype(float)
    X_dask, y_dask, w_dask = _dask(X, y, weight)
    objective = FocalLoss(gamma=2.0, alpha=0.25)
    params = _xgb_params(objective.init_score(y, weight))
    dtrain = xgb.dask.DaskDMatrix(client, X_dask, y_dask, weight=w_dask)
    output = xgb.dask.train(client, params, dtrain, 10, obj=objective,
                            custom_metric=objective.metric, evals=[(dtrain, "train")],
                            verbose_eval=False)
    reported = output["history"]["train"]["focal_loss"][-1]
    margin = xgb.dask.predict(client, output["booster"], X_dask, output_margin=True).compute()
    expected = objective.mean_loss(y, margin, weight)
    per_worker = np.mean([objective.mean_loss(y[s], margin[s], weight[s])
                          for s in (slice(0, CHUNK), slice(CHUNK, None))])
    assert abs(per_worker - expected) > 0.1 * expected  # the test can tell them apart
    # XGBoost prints the metric with 6 decimals and keeps the printed value.
    assert reported == pytest.approx(expected, abs=5e-7)


def test_xgboost_dask_refuses_an_unfitted_balanced_alpha(client, rng):
    X, y = _binary(rng)
    X_dask, y_dask = _dask(X, y)
    dtrain = xgb.dask.DaskDMatrix(client, X_dask, y_dask)
    with pytest.raises(ValueError, match=r"focal_gbm\.dask\.fit_alpha"):
        xgb.dask.train(client, _xgb_params(0.0), dtrain, 2, obj=FocalLoss(alpha="balanced"))


def test_xgboost_dask_trains_two_dimensional_labels(client, rng):
    X, y = _binary(rng)
    Y = np.column_stack([y, (X[:, 2] + rng.normal(size=y.size) > 1.0).astype(float)])
    X_dask, Y_dask = _dask(X, Y)
    objective = FocalLoss(gamma=[1.0, 2.0], alpha=[0.25, 0.5])
    z0 = focal_dask.init_score(objective, Y_dask)
    params = {**_xgb_params(0.0), "base_score": 0.5}  # the start travels as base_margin
    dtrain = xgb.dask.DaskDMatrix(client, X_dask, Y_dask,
                                  base_margin=focal_dask.repeat_init_score(z0, Y_dask))
    output = xgb.dask.train(client, params, dtrain, 10, obj=objective)
    start = np.tile(z0, (N_ROWS, 1))
    local = xgb.train(params, xgb.DMatrix(X, label=Y, base_margin=start), 10, obj=objective)
    probe = xgb.dask.DaskDMatrix(client, X_dask,
                                 base_margin=focal_dask.repeat_init_score(z0, Y_dask))
    np.testing.assert_allclose(xgb.dask.predict(client, output["booster"], probe).compute(),
                               local.predict(xgb.DMatrix(X, base_margin=start)),
                               atol=SAME_MODEL_ATOL)


def test_xgboost_dask_classifier_takes_the_objective_directly(client, rng):
    X, y = _binary(rng)
    weight = rng.uniform(0.2, 3.0, size=y.size)
    X_dask, y_dask, w_dask = _dask(X, y, weight)
    objective = FocalLoss(gamma=2.0, alpha=0.25)
    params = {"n_estimators": 10, "max_depth": 3, "n_jobs": 1,
              "base_score": base_score(focal_dask.init_score(objective, y_dask, w_dask))}
    distributed = xgb.dask.DaskXGBClassifier(objective=objective, **params)
    distributed.fit(X_dask, y_dask, sample_weight=w_dask)
    local = xgb.XGBClassifier(objective=objective, **params).fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(distributed.predict_proba(X_dask).compute(),
                               local.predict_proba(X), atol=SAME_MODEL_ATOL)


@pytest.mark.parametrize("softmax", [False, True], ids=["FocalLoss", "SoftmaxFocalLoss"])
def test_lightgbm_dask_classifier_takes_the_objective_directly(client, rng, softmax):
    X, y = _multiclass(rng) if softmax else _binary(rng)
    weight = rng.uniform(0.2, 3.0, size=y.size)
    X_dask, y_dask, w_dask = _dask(X, y, weight)
    objective = SoftmaxFocalLoss(gamma=2.0) if softmax else FocalLoss(gamma=2.0, alpha=0.3)
    z0 = focal_dask.init_score(objective, y_dask, w_dask)
    params = {"objective": objective, "n_estimators": 10, **ESTIMATORS["lightgbm"][2]}
    distributed = lgb.dask.DaskLGBMClassifier(**params).fit(
        X_dask, y_dask, sample_weight=w_dask,
        init_score=focal_dask.repeat_init_score(z0, y_dask))
    local = lgb.LGBMClassifier(**params).fit(X, y, sample_weight=weight,
                                             init_score=margin_repeat(z0, y))
    # Every worker holds every class here: DaskLGBMClassifier re-encodes each
    # worker's labels, which is harmless only then (see DaskFocalLGBMClassifier).
    np.testing.assert_allclose(distributed.to_local().booster_.predict(X, raw_score=True),
                               local.booster_.predict(X, raw_score=True), atol=SAME_MODEL_ATOL)


def test_the_dask_guide_example_runs():
    import re
    import subprocess
    import sys
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "dask.md"
    code = re.search(r"```python\n(.*?)```", page.read_text(), re.S).group(1)
    code += "\n        print(proba.compute().shape, type(local).__name__, lgbm.n_classes_)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(20000, 2) FocalXGBClassifier 2" in done.stdout


# ------------------------------------------------------------- estimators
ESTIMATORS = {
    "xgboost": (DaskFocalXGBClassifier, FocalXGBClassifier, {"max_depth": 3, "n_jobs": 1}),
    # LightGBM's data-parallel learner does not grow leaf-wise trees in the
    # serial learner's order, nor check min_child_samples / min_child_weight
    # on the same counts: with its built-in objectives too, distributed and
    # local margins then differ by up to ~1. Full depth-3 trees with those
    # limits off are grown the same way, and its trees equal the local ones.
    "lightgbm": (DaskFocalLGBMClassifier, FocalLGBMClassifier,
                 {"max_depth": 3, "num_leaves": 8, "min_child_samples": 1,
                  "min_child_weight": 0.0, "verbose": -1}),
}


@pytest.fixture(params=sorted(ESTIMATORS))
def pair(request):
    return ESTIMATORS[request.param]


def _fit_pair(pair, X, y, weight=None, **params):
    dask_class, local_class, booster_params = pair
    params = {"n_estimators": 15, **booster_params, **params}
    X_dask, y_dask = _dask(X, y)
    w_dask = None if weight is None else _dask(weight)[0]
    distributed = dask_class(**params).fit(X_dask, y_dask, sample_weight=w_dask)
    local = local_class(**params).fit(X, y, sample_weight=weight)
    return distributed, local, X_dask


def test_binary_estimator_matches_the_local_one(client, rng, pair):
    X, y = _binary(rng)
    labels = np.where(y == 1, "fraud", "ok")
    weight = rng.uniform(0.2, 3.0, size=y.size)
    distributed, local, X_dask = _fit_pair(pair, X, labels, weight, focal_alpha="balanced")
    np.testing.assert_array_equal(distributed.classes_, ["fraud", "ok"])
    np.testing.assert_allclose(distributed.class_weight_, local.class_weight_,
                               rtol=SUM_ORDER_RTOL)
    np.testing.assert_allclose(distributed.init_score_, local.init_score_, atol=INIT_ATOL)
    proba = distributed.predict_proba(X_dask)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), local.predict_proba(X), atol=SAME_MODEL_ATOL)
    np.testing.assert_array_equal(distributed.predict(X_dask).compute(), local.predict(X))


def test_asymmetric_loss_estimator_matches_the_local_one(client, rng, pair):
    X, y = _binary(rng)
    # With a clip, LightGBM's data-parallel trees differ from the local ones
    # (clipped negatives have gradient 0 and Hessian 1e-6: many splits tie
    # on gain, and the distributed learner breaks ties in another order);
    # XGBoost's are the same, so the clip is tested there.
    clip = 0.05 if pair[0] is DaskFocalXGBClassifier else 0.0
    distributed, local, X_dask = _fit_pair(pair, X, y, focal_gamma=0.0, focal_gamma_neg=4.0,
                                           focal_clip=clip)
    assert (distributed.objective_.gamma_neg, distributed.objective_.clip) == (4.0, clip)
    np.testing.assert_allclose(distributed.init_score_, local.init_score_, atol=INIT_ATOL)
    np.testing.assert_allclose(distributed.predict_proba(X_dask).compute(),
                               local.predict_proba(X), atol=SAME_MODEL_ATOL)


def test_multiclass_estimator_matches_the_local_one(client, rng, pair):
    X, y = _multiclass(rng)
    distributed, local, X_dask = _fit_pair(pair, X, y, focal_alpha="balanced")
    assert distributed.n_classes_ == 3
    np.testing.assert_allclose(distributed.init_score_, local.init_score_, atol=INIT_ATOL)
    np.testing.assert_allclose(distributed.predict_proba(X_dask).compute(),
                               local.predict_proba(X), atol=SAME_MODEL_ATOL)


def test_to_local_returns_the_same_model_as_a_local_estimator(client, rng, pair, tmp_path):
    X, y = _binary(rng)
    distributed, _, X_dask = _fit_pair(pair, X, y, focal_gamma=1.0, focal_alpha=0.3)
    local = distributed.to_local()
    assert type(local) is pair[1]
    assert local.get_params()["focal_gamma"] == 1.0
    # The very same trees: identical margins, and the local model pickles.
    np.testing.assert_array_equal(local.decision_function(X),
                                  distributed.decision_function(X_dask).compute())
    restored = pickle.loads(pickle.dumps(local))
    np.testing.assert_array_equal(restored.predict_proba(X), local.predict_proba(X))


@pytest.mark.parametrize("only", [0.0, 1.0], ids=["no_positives", "only_positives"])
def test_a_partition_with_one_class_does_not_break_training(client, rng, pair, only):
    X, y = _binary(rng)
    y[:CHUNK] = only  # the first worker sees one class only
    assert 20 < y[CHUNK:].sum() < CHUNK - 20
    distributed, local, X_dask = _fit_pair(pair, X, y, focal_alpha="balanced")
    # A worker fitting alpha or the start from its own rows would get
    # alpha = 1 (or 0) and a margin at the bound (+-30) there; one that
    # re-encodes its own labels (lightgbm.dask.DaskLGBMClassifier does)
    # would turn an all-positive partition into negatives.
    np.testing.assert_allclose(distributed.objective_.fitted_alpha,
                               1.0 - y.mean(), rtol=SUM_ORDER_RTOL)
    np.testing.assert_allclose(distributed.init_score_, local.init_score_, atol=INIT_ATOL)
    proba = distributed.predict_proba(X_dask).compute()
    np.testing.assert_allclose(proba, local.predict_proba(X), atol=SAME_MODEL_ATOL)


def test_dataframe_input_keeps_feature_names(client, rng, pair):
    dask_class, _, booster_params = pair
    X, y = _binary(rng)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    X_frame = dd.from_pandas(frame, npartitions=2)
    y_series = dd.from_pandas(pd.Series(y), npartitions=2)
    model = dask_class(n_estimators=5, **booster_params).fit(X_frame, y_series)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    from_frame = model.predict_proba(X_frame).compute()
    assert from_frame.shape == (N_ROWS, 2)
    np.testing.assert_allclose(from_frame, model.to_local().predict_proba(frame), atol=1e-12)
    with pytest.raises(ValueError, match="feature names"):
        model.predict_proba(X_frame.rename(columns={"f0": "other"}))


def test_eval_set_history_is_the_focal_metric(client, rng, pair):
    dask_class, _, booster_params = pair
    X, y = _binary(rng)
    X_dask, y_dask = _dask(X, y)
    model = dask_class(n_estimators=10, **booster_params).fit(
        X_dask, y_dask, eval_set=[(X_dask, y_dask)])
    history = next(iter(model.evals_result_.values()))["focal_loss"]
    assert len(history) == 10 and history[-1] < history[0]
    if dask_class is DaskFocalXGBClassifier:  # the global mean (LightGBM: one worker's rows)
        margin = model.decision_function(X_dask).compute()
        assert history[-1] == pytest.approx(model.objective_.mean_loss(y, margin), abs=5e-7)


def test_eval_set_records_what_the_parents_dask_classes_record(client, rng, pair):
    """The same metric names as DaskXGBClassifier / DaskLGBMClassifier, plus focal_loss."""
    dask_class, _, booster_params = pair
    parent = (xgb.dask.DaskXGBClassifier if dask_class is DaskFocalXGBClassifier
              else lgb.dask.DaskLGBMClassifier)
    X, y = _binary(rng)
    X_dask, y_dask = _dask(X, y)
    recorded = [set(next(iter(model.fit(X_dask, y_dask, eval_set=[(X_dask, y_dask)])
                               .evals_result_.values())))
                for model in (parent(n_estimators=3, **booster_params),
                              dask_class(n_estimators=3, **booster_params))]
    assert recorded[1] == recorded[0] | {"focal_loss"}


def test_lightgbm_takes_fit_arguments_by_position_as_the_parent(client, rng):
    X, y = _binary(rng)
    weight = rng.uniform(0.5, 2.0, size=len(y))
    X_dask, y_dask, w_dask = _dask(X, y, weight)
    params = ESTIMATORS["lightgbm"][2]
    by_position = DaskFocalLGBMClassifier(n_estimators=5, **params).fit(X_dask, y_dask, w_dask)
    by_name = DaskFocalLGBMClassifier(n_estimators=5, **params).fit(X_dask, y_dask,
                                                                     sample_weight=w_dask)
    np.testing.assert_array_equal(by_position.decision_function(X_dask).compute(),
                                  by_name.decision_function(X_dask).compute())


def test_lightgbm_class_weight_uses_global_counts(client, rng):
    X, y = _binary(rng)
    y[:CHUNK] = 0.0
    params = {"class_weight": "balanced", "focal_gamma": 1.0}
    distributed, local, X_dask = _fit_pair(ESTIMATORS["lightgbm"], X, y, **params)
    np.testing.assert_allclose(distributed.init_score_, local.init_score_, atol=INIT_ATOL)
    np.testing.assert_allclose(distributed.predict_proba(X_dask).compute(),
                               local.predict_proba(X), atol=SAME_MODEL_ATOL)


def test_xgboost_estimator_multilabel_matches_local(client, rng):
    X, y = _binary(rng)
    Y = np.column_stack([y, (X[:, 2] > 0.8).astype(int)])
    distributed, local, X_dask = _fit_pair(ESTIMATORS["xgboost"], X, Y,
                                           focal_alpha="balanced", focal_gamma=[1.0, 2.0])
    np.testing.assert_allclose(distributed.predict_proba(X_dask).compute(),
                               local.predict_proba(X), atol=SAME_MODEL_ATOL)
    np.testing.assert_array_equal(distributed.predict(X_dask).compute(), local.predict(X))


def test_fitted_estimator_pickles(client, rng, pair):
    X, y = _binary(rng)
    distributed, _, X_dask = _fit_pair(pair, X, y)
    restored = pickle.loads(pickle.dumps(distributed))
    np.testing.assert_array_equal(restored.predict_proba(X_dask).compute(),
                                  distributed.predict_proba(X_dask).compute())


def test_estimator_input_errors(client, rng):
    X, y = _binary(rng)
    X_dask, y_dask = _dask(X, y)
    with pytest.raises(TypeError, match="X must be a Dask array or Dask DataFrame"):
        DaskFocalXGBClassifier().fit(X, y)
    with pytest.raises(ValueError, match="LightGBM has no multi-label mode"):
        DaskFocalLGBMClassifier().fit(X_dask, da.stack([y_dask, y_dask], axis=1))
    with pytest.raises(ValueError, match="only one class"):
        DaskFocalXGBClassifier().fit(X_dask, da.zeros_like(y_dask))
    with pytest.raises(ValueError, match="focal_alpha"):
        DaskFocalXGBClassifier(focal_alpha=1.5).fit(X_dask, y_dask)
    model = DaskFocalXGBClassifier(n_estimators=2).fit(X_dask, y_dask)
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(X_dask[:, :3])
