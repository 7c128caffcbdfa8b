"""Focal loss on a Dask cluster.

``xgboost.dask`` and ``lightgbm.dask`` train one booster over the partitions
of Dask collections: every worker calls the objective on its own rows. The
gradient is per row, so :class:`~focal_gbm.FocalLoss` and
:class:`~focal_gbm.SoftmaxFocalLoss` work there unchanged. What needs all the
rows at once does not: ``alpha="balanced"`` and the optimal starting margin
must be computed over every partition *before* training, which
:func:`fit_alpha` and :func:`init_score` do (an objective with an unfitted
balanced alpha refuses to train under distributed XGBoost rather than let
each worker pick its own class weights).

Both depend on the labels only through sample-weighted class totals, which
add up over partitions; each partition is reduced on its worker and only the
small totals travel, so the values equal the single-machine ones up to the
order of summation.

The focal metric reports the global weighted mean under ``xgboost.dask``:
it sums loss and weight over the workers itself, where XGBoost would
otherwise average the workers' values without weights.

The scikit-learn estimators :class:`DaskFocalXGBClassifier` and
:class:`DaskFocalLGBMClassifier` do all of this for you; they are loaded on
first access, so that this module imports neither booster.

Examples
--------
>>> import numpy as np, dask.array as da
>>> from focal_gbm import FocalLoss, dask as focal_dask
>>> y = da.from_array(np.r_[np.zeros(90), np.ones(10)], chunks=50)  # 2 partitions
>>> objective = focal_dask.fit_alpha(FocalLoss(gamma=2.0, alpha="balanced"), y)
>>> round(float(objective.class_weights([0.0])[0]), 3)  # 1 - positive rate, over both
0.9
>>> round(focal_dask.init_score(FocalLoss(gamma=0.0), y), 4)  # log(10 / 90)
-2.1972
"""

from __future__ import annotations

from ._dask_stats import fit_alpha, init_score, label_totals, repeat_init_score, to_dask_array
from ._lazy import lazy_getattr

# The estimators import a booster: loaded on first access, so not in __all__.
__all__ = [
    "fit_alpha",
    "init_score",
    "label_totals",
    "repeat_init_score",
    "to_dask_array",
]

_LAZY = {
    "DaskFocalXGBClassifier": ("._dask_xgb", "xgboost"),
    "DaskFocalLGBMClassifier": ("._dask_lgbm", "lightgbm"),
}


__getattr__ = lazy_getattr(
    __name__, _LAZY,
    "{name} needs {extra}, scikit-learn and dask: pip install 'focal-gbm[dask,{extra}]'",
)


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
