"""Focal loss on a Dask cluster: the README's Dask section, runnable.

    python examples/dask_cluster.py

Starts a two-worker LocalCluster (point a Client at your scheduler instead),
trains with xgboost.dask.train and with the Dask estimators, and compares the
distributed models with the same training on one machine.
"""

import dask.array as da
import numpy as np
import xgboost as xgb
import xgboost.dask  # noqa: F401
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score

from focal_gbm import FocalLoss, FocalXGBClassifier, base_score
from focal_gbm import dask as focal_dask
from focal_gbm.dask import DaskFocalLGBMClassifier, DaskFocalXGBClassifier

if __name__ == "__main__":  # worker processes re-import this file
    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        X_np, y_np = make_classification(n_samples=20_000, weights=[0.97], flip_y=0.01,
                                         random_state=0)
        X = da.from_array(X_np, chunks=(5_000, -1))  # 4 partitions
        y = da.from_array(y_np.astype(float), chunks=5_000)

        # 1. xgboost.dask.train: global class weights and starting margin first.
        objective = focal_dask.fit_alpha(FocalLoss(gamma=2.0, alpha="balanced"), y)
        z0 = focal_dask.init_score(objective, y)
        params = {"objective": "binary:logistic", "base_score": base_score(z0),
                  "disable_default_eval_metric": 1, "max_depth": 4, "eta": 0.1}
        dtrain = xgb.dask.DaskDMatrix(client, X, y)
        output = xgb.dask.train(client, params, dtrain, 100, obj=objective,
                                custom_metric=objective.metric, evals=[(dtrain, "train")],
                                verbose_eval=False)
        proba = xgb.dask.predict(client, output["booster"], X).compute()
        print(f"xgboost.dask.train      alpha={objective.class_weights([0.0])[0]:.3f} "
              f"z0={z0 + 0.0:+.3f}  "
              f"train focal loss={output['history']['train']['focal_loss'][-1]:.5f}"
              f"  train AP={average_precision_score(y_np, proba):.3f}")

        # 2. The estimators: the same parameters as the local ones.
        for model in (DaskFocalXGBClassifier(focal_alpha="balanced", n_estimators=100,
                                             max_depth=4, learning_rate=0.1),
                      DaskFocalLGBMClassifier(focal_alpha="balanced", n_estimators=100,
                                              num_leaves=15, learning_rate=0.1, verbose=-1)):
            model.fit(X, y)
            proba = model.predict_proba(X)[:, 1].compute()
            local = model.to_local()  # a FocalXGBClassifier / FocalLGBMClassifier
            same = np.abs(local.predict_proba(X_np)[:, 1] - proba).max()
            print(f"{type(model).__name__:23s} train AP={average_precision_score(y_np, proba):.3f}"
                  f"  to_local() max |diff| = {same:.1e}")

        # 3. Against one machine. With continuous features XGBoost's distributed
        #    quantile sketch picks other bin boundaries than the local one, so
        #    distributed and local models differ, for the built-in objective as
        #    much as for focal loss (tests/test_dask.py checks equality where
        #    the bins are the same).
        common = {"n_estimators": 100, "max_depth": 4, "learning_rate": 0.1}
        for name, distributed, local in [
            ("focal loss", DaskFocalXGBClassifier(focal_alpha="balanced", **common),
             FocalXGBClassifier(focal_alpha="balanced", **common)),
            ("binary:logistic", xgb.dask.DaskXGBClassifier(**common),
             xgb.XGBClassifier(**common)),
        ]:
            gap = np.abs(distributed.fit(X, y).predict_proba(X).compute()
                         - local.fit(X_np, y_np).predict_proba(X_np)).max()
            print(f"{name:16s} Dask vs one machine: max |diff proba| = {gap:.2f}")
