"""Focal statistics over Dask collections: class totals, balanced alpha, starting margin.

What :mod:`focal_gbm.dask` offers (see its docstring for why these must be
computed over all partitions before distributed training), in a module of
its own below the Dask estimators, which use it too. Imports no booster.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from numpy.typing import NDArray

from ._booster import margin_repeat
from .objective import FocalLoss, SoftmaxFocalLoss

Objective = FocalLoss | SoftmaxFocalLoss


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


def row_blocks(array: da.Array):
    """One delayed NumPy block per row partition (all columns in one block)."""
    if array.ndim == 2 and len(array.chunks[1]) > 1:
        array = array.rechunk({1: -1})
    return list(array.to_delayed().ravel())


def _paired_blocks(y: da.Array, sample_weight: da.Array | None, what: str = "y"):
    """Row blocks of y and of the weights (or None), partition by partition."""
    y_blocks = row_blocks(y)
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
    w_blocks = row_blocks(sample_weight)
    if len(w_blocks) != len(y_blocks):
        raise ValueError(
            f"sample_weight has {len(w_blocks)} partitions but {what} has {len(y_blocks)}: "
            "partition them alike"
        )
    return y_blocks, w_blocks


def _partition_totals(objective: Objective, y_block, w_block, n_classes, columns):
    """Validated class totals of one partition (runs on a worker)."""
    if isinstance(objective, SoftmaxFocalLoss):
        return objective.label_totals(y_block, w_block, n_classes=n_classes)
    totals = objective.label_totals(y_block, w_block)
    if totals.ndim == 2 and totals.shape[1] != columns:
        raise ValueError(f"y has {totals.shape[1]} columns in one partition, {columns} in the "
                         "first")
    return totals


def _n_classes(objective: Objective, y: da.Array, n_classes: int | None):
    """Softmax: one class count for every partition (some may lack the last classes)."""
    if not isinstance(objective, SoftmaxFocalLoss):
        return None
    known = objective.known_n_classes(n_classes)
    return known if known is not None else max(int(y.max().compute()) + 1, 2)


def label_totals(objective: Objective, y, sample_weight=None, *,
                 n_classes: int | None = None) -> NDArray[np.float64]:
    """The sample-weighted class totals of all partitions of ``y``, summed.

    Every partition is validated and reduced where it lives; this is the
    only pass over the data that :func:`fit_alpha` and :func:`init_score`
    make. Binary objectives: shape (2,) (weight of positives, of negatives),
    or (2, n_columns) for 2-D labels; softmax: (n_classes,).
    """
    if not isinstance(objective, (FocalLoss, SoftmaxFocalLoss)):
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


def fit_alpha(objective: Objective, y, sample_weight=None, *,
              n_classes: int | None = None) -> Objective:
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


def init_score(objective: Objective, y, sample_weight=None, *,
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
