"""What DaskFocalXGBClassifier and DaskFocalLGBMClassifier share.

Each Dask estimator subclasses its local counterpart and replaces what
touches the data: ``fit`` finds the classes, encodes the labels and computes
balanced alpha and the starting margin over all partitions (one pass each,
reduced on the workers) before the booster's own Dask wrapper trains;
``decision_function``, ``predict_proba`` and ``predict`` return Dask arrays
computed partition by partition from the trained booster. The training
itself (``_fit_booster``) is the local estimator's, with the booster's Dask
wrapper in place of its scikit-learn one.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _dask_stats
from ._sklearn import labels_from_margin, proba_from_margin


def _is_dask_dataframe(X) -> bool:
    return hasattr(X, "to_dask_array") and hasattr(X, "columns")


def check_dask_X(X, *, name: str = "X"):
    """A 2-D Dask array (one column chunk) or a Dask DataFrame."""
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {X.ndim} dimensions")
        return X.rechunk({1: -1}) if len(X.chunks[1]) > 1 else X
    if _is_dask_dataframe(X):
        return X
    raise TypeError(
        f"{name} must be a Dask array or Dask DataFrame, got {type(X).__name__}; "
        "the local estimators (FocalXGBClassifier, FocalLGBMClassifier) take in-memory data"
    )


def map_row_partitions(X, func, n_outputs: int | None, dtype=np.float64) -> da.Array:
    """``func(partition)`` for every row partition of ``X``, as one Dask array.

    ``func`` returns shape (rows,) when ``n_outputs`` is None, else
    (rows, n_outputs). Dask DataFrame partitions stay pandas DataFrames (the
    booster sees their column names and categorical dtypes); their row
    counts are unknown to Dask until computed.
    """
    if isinstance(X, da.Array):
        if n_outputs is None:
            return X.map_blocks(func, drop_axis=1, dtype=dtype)
        return X.map_blocks(func, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype)
    shape = (np.nan,) if n_outputs is None else (np.nan, n_outputs)
    delayed_func = dask.delayed(func, pure=True)
    return da.concatenate([da.from_delayed(delayed_func(part), shape=shape, dtype=dtype)
                           for part in X.to_delayed()])


class PartitionMargin:
    """Picklable ``partition -> margins`` of a trained booster, for the workers.

    ``n_outputs`` is None for one margin per row, else the margin columns;
    empty partitions (which neither booster predicts on) give empty arrays.
    """

    def __init__(self, booster, n_outputs: int | None, predict_margin):
        self.booster = booster
        self.n_outputs = n_outputs
        self.predict_margin = predict_margin

    def __call__(self, part):
        if part.shape[0] == 0:
            return np.empty((0,) if self.n_outputs is None else (0, self.n_outputs))
        return np.asarray(self.predict_margin(self.booster, part), dtype=np.float64)


def _unique_counts(block):
    return np.unique(np.asarray(block), return_counts=True)


def unique_counts(y: da.Array):
    """Sorted distinct values of ``y`` and how often each occurs, over all partitions."""
    parts = dask.compute(*[dask.delayed(_unique_counts, pure=True)(block)
                           for block in _dask_stats.row_blocks(y)])
    values = np.concatenate([part[0] for part in parts])
    counts = np.concatenate([part[1] for part in parts])
    classes, inverse = np.unique(values, return_inverse=True)
    return classes, np.bincount(inverse.ravel(), weights=counts, minlength=classes.size)


def _encode(block, classes):
    return np.searchsorted(classes, np.asarray(block)).astype(np.float64)


class DaskFocalMixin:
    """Dask ``fit`` / ``predict`` in front of a local focal estimator.

    Subclasses set ``_local_class`` and implement
    ``_predict_margin_with_offset()`` (a picklable ``(booster, partition) ->
    margins`` function, run on the workers) and ``_load_local(local)``.
    """

    _local_class: type
    _dask_multilabel = True

    def fit(self, X, y, *positional, sample_weight=None, eval_set=None,
            eval_sample_weight=None, **fit_params):
        """Fit on Dask collections with focal loss, from the global starting margin.

        Parameters
        ----------
        X : dask Array or DataFrame of shape (n_samples, n_features)
        y : dask Array or Series of shape (n_samples,), or dask Array of shape
            (n_samples, n_labels)
            Class labels of any sortable type, or a 0/1 indicator matrix for
            multi-label problems; partitioned like ``X``.
        sample_weight : dask Array or Series of shape (n_samples,), default=None
            Non-negative weights, partitioned like ``X``.
        eval_set : list of (X, y) pairs of Dask collections, default=None
            Validation data, scored with the focal metric (and any booster
            metrics asked for).
        eval_sample_weight : list of dask Array or Series, default=None
        *positional
            The arguments after ``y`` by position, in the local estimator's
            order (``sample_weight, init_score, eval_set, ...`` for LightGBM,
            as ``DaskLGBMClassifier.fit`` takes them).
        **fit_params
            Passed to the booster's Dask ``fit``.

        Returns
        -------
        self
        """
        sample_weight, eval_set, eval_sample_weight = self._fit_arguments(
            positional, sample_weight, eval_set, eval_sample_weight, fit_params)
        self._begin_fit(y)
        X = check_dask_X(X)
        self._set_features(X, reset=True)
        y, self.multilabel_, classes, counts = self._check_targets_dask(y)
        self._set_classes(classes)
        y_encoded = y.astype(np.float64) if self.multilabel_ else y.map_blocks(
            _encode, classes, dtype=np.float64)
        if sample_weight is not None:
            sample_weight = _dask_stats.to_dask_array(sample_weight, name="sample_weight")
        sample_weight = self._effective_weight_dask(y_encoded, sample_weight, counts)
        objective = self._objective(self.n_classes_, self.multilabel_)
        # One pass over the labels validates them and gives both balanced
        # alpha and the starting margin, for all partitions together.
        totals = _dask_stats.label_totals(objective, y_encoded, sample_weight,
                                         **self._class_count_kw())
        objective.fit_alpha_from_totals(totals)
        self.init_score_ = np.asarray(objective.init_score_from_totals(totals))
        self._set_objective(objective)
        evals = [self._eval_triple(i, Xe, ye, eval_sample_weight)
                 for i, (Xe, ye) in enumerate(eval_set or [])]
        self._fit_booster(X, y_encoded, sample_weight, evals, fit_params)
        return self

    def _check_targets_dask(self, y):
        """``(y, multilabel, classes, counts)`` over all partitions of ``y``."""
        y = _dask_stats.to_dask_array(y, name="y")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got {y.ndim} dimensions")
        values, counts = unique_counts(y)
        if y.ndim == 1:
            check_classification_targets(values)
            return y, False, values, counts
        if not self._dask_multilabel:
            raise ValueError(
                f"{type(self).__name__} takes 1-D y: LightGBM has no multi-label mode "
                "(use DaskFocalXGBClassifier, or one estimator per label)"
            )
        if not np.isin(values, (0, 1)).all():
            raise ValueError(
                "2-D y must be a multi-label indicator matrix of 0/1 values, shape "
                f"(n_samples, n_labels); got values {values[:5]}"
            )
        return y, True, np.arange(y.shape[1]), None

    def _eval_triple(self, i, X_eval, y_eval, eval_sample_weight):
        X_eval = check_dask_X(X_eval, name=f"eval_set[{i}] X")
        self._set_features(X_eval, reset=False)
        y_eval = _dask_stats.to_dask_array(y_eval, name=f"eval_set[{i}] y")
        if y_eval.ndim == 2 and y_eval.shape[1] == 1 and not self.multilabel_:
            y_eval = y_eval[:, 0]
        if (y_eval.ndim == 2) != self.multilabel_ or (
                self.multilabel_ and y_eval.shape[1] != self.n_classes_):
            raise ValueError(f"eval_set[{i}] targets do not have the shape of y's")
        values, _ = unique_counts(y_eval)
        if self.multilabel_:
            y_eval = y_eval.astype(np.float64)
        else:
            unknown = np.setdiff1d(values, self.classes_)
            if unknown.size:
                raise ValueError(f"eval_set[{i}] holds labels not seen in y: {unknown[:5]}")
            y_eval = y_eval.map_blocks(_encode, self.classes_, dtype=np.float64)
        w_eval = None
        if eval_sample_weight is not None and eval_sample_weight[i] is not None:
            w_eval = _dask_stats.to_dask_array(eval_sample_weight[i],
                                              name=f"eval_sample_weight[{i}]")
        return X_eval, y_eval, w_eval

    def _effective_weight_dask(self, y_encoded, sample_weight, class_counts):
        return sample_weight

    def _set_features(self, X, *, reset: bool):
        """``n_features_in_`` / ``feature_names_in_``, or a check against them."""
        names = None
        if _is_dask_dataframe(X) and all(isinstance(c, str) for c in X.columns):
            names = np.asarray(list(X.columns), dtype=object)
        if reset:
            self.n_features_in_ = X.shape[1]
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input")
        fitted = getattr(self, "feature_names_in_", None)
        if names is not None and fitted is not None and not np.array_equal(names, fitted):
            raise ValueError("The feature names should match those that were passed during fit")

    # -------------------------------------------------------------- predict
    def _n_margin_columns(self) -> int | None:
        return None if self._single_margin else self.n_classes_

    def decision_function(self, X) -> da.Array:
        """Margins as a Dask array, starting margin included (shapes as locally)."""
        check_is_fitted(self, "objective_")
        X = check_dask_X(X)
        self._set_features(X, reset=False)
        n_outputs = self._n_margin_columns()
        margin = PartitionMargin(self.booster_, n_outputs, self._predict_margin_with_offset())
        return map_row_partitions(X, margin, n_outputs)

    def predict_proba(self, X) -> da.Array:
        """Class (or label) probabilities as a Dask array of shape (n_samples, n_classes).

        The posterior or the focal probabilities, as ``focal_probability`` says.
        """
        margin = self.decision_function(X)
        posterior = self._posterior_objective
        if margin.ndim == 1:
            return margin.map_blocks(proba_from_margin, self.multilabel_, posterior,
                                     new_axis=1, chunks=(margin.chunks[0], (2,)),
                                     dtype=np.float64)
        return margin.map_blocks(proba_from_margin, self.multilabel_, posterior,
                                 dtype=np.float64)

    def predict(self, X) -> da.Array:
        """The most probable class of each sample (a 0/1 row for multi-label), as a Dask array."""
        margin = self.decision_function(X)
        if margin.ndim == 1 or self.multilabel_:
            dtype = np.int64 if self.multilabel_ else self.classes_.dtype
            return margin.map_blocks(labels_from_margin, self.classes_, self.multilabel_,
                                     dtype=dtype)
        return margin.map_blocks(labels_from_margin, self.classes_, False, drop_axis=1,
                                 dtype=self.classes_.dtype)

    # ---------------------------------------------------------------- local
    def to_local(self):
        """The fitted model as the local ``FocalXGBClassifier`` / ``FocalLGBMClassifier``.

        It predicts the same margins and probabilities from in-memory data,
        pickles without a cluster and keeps this estimator's parameters.
        """
        check_is_fitted(self, "objective_")
        names = set(self._local_class._get_param_names())
        params = {k: v for k, v in self.get_params(deep=False).items()
                  if k in names or k in self._extra_params}
        local = self._load_local(self._local_class(**params))
        for name in ("evals_result_", "best_iteration_"):
            if hasattr(self, name):
                setattr(local, name, getattr(self, name))
        return local
