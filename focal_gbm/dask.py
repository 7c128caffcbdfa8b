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

import dask
import dask.array as da
import numpy as np
from numpy.typing import NDArray

from ._booster import margin_repeat
from ._lazy import lazy_getattr
from .objective import SoftmaxFocalLoss, _FocalObjective

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


def to_dask_array(collection, *, name: str) -> da.Array:
    """A Dask array view of a Dask array, Series or DataFrame (or of a NumPy array).

    Partitions are kept one for one (chunk sizes may be unknown), which is
    what the boosters' Dask interfaces need to pair labels with rows.
    """
    if isinstance(collection, da.Array):
        return collection
    if hasattr(collection, "to_dask_array"):  # dask Series / DataFrame
        return collection.to_dask_array()
    if hasattr(collection, "__dask_graph__"):
        raise TypeError(f"{name} must be a Dask array, Series or DataFrame, "
                        f"got {type(collection).__name__}")
    array = np.asarray(collection)
    return da.from_array(array, chunks=(-1,) + array.shape[1:])


def _row_blocks(array: da.Array):
    """One delayed NumPy block per row partition (all columns in one block)."""
    if array.ndim == 2 and len(array.chunks[1]) > 1:
        array = array.rechunk({1: -1})
    return list(array.to_delayed().ravel())


def _paired_blocks(y: da.Array, sample_weight: da.Array | None, what: str = "y"):
    """Row blocks of y and of the weights (or None), partition by partition."""
    y_blocks = _row_blocks(y)
    if sample_weight is None:
        return y_blocks, [None] * len(y_blocks)
    if sample_weight.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D, got {sample_weight.ndim} dimensions")
    known = not (np.isnan(y.shape[0]) or np.isnan(sample_weight.shape[0]))
    if known:
        if sample_weight.shape[0] != y.shape[0]:
            raise ValueError(f"sample_weight has {sample_weight.shape[0]} rows but {what} has "
                             f"{y.shape[0]}; they must match")
        sample_weight = sample_weight.rechunk((y.chunks[0],))
    w_blocks = _row_blocks(sample_weight)
    if len(w_blocks) != len(y_blocks):
        raise ValueError(
            f"sample_weight has {len(w_blocks)} partitions but {what} has {len(y_blocks)}: "
            "partition them alike"
        )
    return y_blocks, w_blocks


def _partition_totals(objective: _FocalObjective, y_block, w_block, n_classes, columns):
    """Validated class totals of one partition (runs on a worker)."""
    if isinstance(objective, SoftmaxFocalLoss):
        return objective.label_totals(y_block, w_block, n_classes=n_classes)
    totals = objective.label_totals(y_block, w_block)
    if totals.ndim == 2 and totals.shape[1] != columns:
        raise ValueError(f"y has {totals.shape[1]} columns in one partition, {columns} in the "
                         "first")
    return totals


def _n_classes(objective: _FocalObjective, y: da.Array, n_classes: int | None):
    """Softmax: one class count for every partition (some may lack the last classes)."""
    if not isinstance(objective, SoftmaxFocalLoss):
        return None
    known = objective.known_n_classes(n_classes)
    return known if known is not None else max(int(y.max().compute()) + 1, 2)


def label_totals(objective: _FocalObjective, y, sample_weight=None, *,
                 n_classes: int | None = None) -> NDArray[np.float64]:
    """The sample-weighted class totals of all partitions of ``y``, summed.

    Every partition is validated and reduced where it lives; this is the
    only pass over the data that :func:`fit_alpha` and :func:`init_score`
    make. Binary objectives: shape (2,) (weight of positives, of negatives),
    or (2, n_columns) for 2-D labels; softmax: (n_classes,).
    """
    if not isinstance(objective, _FocalObjective):
        raise TypeError(
            f"objective must be a FocalLoss or SoftmaxFocalLoss, got {type(objective).__name__}"
        )
    y = to_dask_array(y, name="y")
    if sample_weight is not None:
        sample_weight = to_dask_array(sample_weight, name="sample_weight")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got {y.ndim} dimensions")
    k = _n_classes(objective, y, n_classes)
    columns = y.shape[1] if y.ndim == 2 else None
    y_blocks, w_blocks = _paired_blocks(y, sample_weight)
    reduce = dask.delayed(_partition_totals, pure=True)
    parts = dask.compute(*[reduce(objective, yb, wb, k, columns)
                           for yb, wb in zip(y_blocks, w_blocks)])
    return np.sum(parts, axis=0)


def fit_alpha(objective: _FocalObjective, y, sample_weight=None, *,
              n_classes: int | None = None) -> _FocalObjective:
    """Fix ``alpha="balanced"`` from all partitions of ``y``; returns the objective.

    The Dask counterpart of :meth:`FocalLoss.fit_alpha`: call it before
    handing a balanced objective to ``xgboost.dask`` or ``lightgbm.dask``.
    A no-op for numeric or ``None`` alpha.

    Parameters
    ----------
    objective : FocalLoss or SoftmaxFocalLoss
    y : dask Array, Series or DataFrame
        Labels in [0, 1] (binary, shape (n,) or (n, n_labels)) or class
        indices 0..k-1 (softmax).
    sample_weight : dask Array or Series, optional
        Partitioned like ``y``.
    n_classes : int, optional
        Softmax only: the number of classes, when the labels may not show
        the last ones.
    """
    totals = label_totals(objective, y, sample_weight, n_classes=n_classes)
    return objective.fit_alpha_from_totals(totals)


def init_score(objective: _FocalObjective, y, sample_weight=None, *,
               n_classes: int | None = None):
    """The optimal constant starting margin over all partitions of ``y``.

    The Dask counterpart of :meth:`FocalLoss.init_score` (a float, or one
    value per column or class). An unfitted ``"balanced"`` alpha is taken
    from the same global totals. Give it to XGBoost as
    ``base_score=focal_gbm.base_score(z0)`` (binary) or as
    ``base_margin=repeat_init_score(z0, y)``, to LightGBM as
    ``init_score=repeat_init_score(z0, y)``.
    """
    totals = label_totals(objective, y, sample_weight, n_classes=n_classes)
    return objective.init_score_from_totals(totals)


def _repeat_rows(block: NDArray, init_score: NDArray) -> NDArray:
    return margin_repeat(init_score, block)


def repeat_init_score(init_score, like) -> da.Array:
    """``init_score`` repeated for every row of ``like``, partitioned like it.

    Shape (n,) for a scalar, (n, k) for k values: the ``base_margin`` of
    ``xgboost.dask`` or the ``init_score`` of ``lightgbm.dask``.
    """
    like = to_dask_array(like, name="like")
    if like.ndim == 2:
        like = like[:, 0]
    init_score = np.asarray(init_score, dtype=np.float64)
    if init_score.ndim == 0:
        return like.map_blocks(_repeat_rows, init_score, dtype=np.float64)
    return like.map_blocks(_repeat_rows, init_score, dtype=np.float64, new_axis=1,
                           chunks=(like.chunks[0], (init_score.size,)))
