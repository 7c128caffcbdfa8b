"""The booster adapter: how XGBoost and LightGBM call a focal objective.

:class:`ObjectiveAdapter` turns a loss object (:class:`~focal_gbm.FocalLoss`,
:class:`~focal_gbm.SoftmaxFocalLoss`) into a callable objective and metric
for every calling convention: ``xgboost.train`` / ``lightgbm.train`` (a
margin and a data object) and the scikit-learn wrappers (labels, margin and
weights). It owns what only training needs: reading labels and weights per
data object and checking them once, the class weights of the training set
being trained on, the boosters' own scaling of the softmax Hessian, the
21-bit rounding of their gradients, and summing the metric over distributed
XGBoost workers. The math is the loss object's, which the adapter knows only
by its public methods; this module imports no booster (XGBoost's collective
only when it is running).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._loss import weighted_mean
from ._validation import check_margin


def _booster_of(data) -> str | None:
    """``"xgboost"`` or ``"lightgbm"`` for a booster's data object, else None."""
    module = type(data).__module__.split(".", 1)[0]
    if module in ("xgboost", "lightgbm") and hasattr(data, "get_label"):
        return module
    return None


FOCAL_METRIC = "focal_loss"
"""The name under which the boosters report the focal metric."""


def labels_and_weights(data, shape: tuple[int, ...] | None = None):
    """Labels and weights (or None) of a booster's data object.

    Labels are reshaped to ``shape`` (the margin's) when given, otherwise to
    (n_rows,) or (n_rows, n_columns).
    """
    # An unconstructed lightgbm.Dataset raises on get_label/get_weight for a
    # field that was not given (it would have to ask the C++ side).
    try:
        y = data.get_label()
    except Exception:
        y = None
    if y is None:
        raise ValueError("the training data has no label; FocalLoss needs y_true")
    y = np.asarray(y)
    # XGBoost < 3 hands 2-D labels back flattened.
    if shape is not None and y.shape != shape and y.size == int(np.prod(shape)):
        y = y.reshape(shape)
    elif shape is None and hasattr(data, "num_row") and y.size != data.num_row():
        y = y.reshape(data.num_row(), -1)
    try:
        w = data.get_weight()
    except Exception:
        w = None
    # XGBoost returns an empty array, LightGBM None, when there are no weights.
    if w is not None and np.size(w) == 0:
        w = None
    return y, w


@dataclass(eq=False)
class _TrainingSet:
    """One data set's checked labels and weights, and the class weights training on it uses.

    ``shape`` is the margin shape they were checked against (booster data);
    ``training_alpha`` is filled the first time the set is trained on.
    """

    labels: object  # the loss object's CheckedLabels
    shape: tuple[int, ...] | None
    training_alpha: object = None


def _same_values(new, validated) -> bool:
    """Whether ``new`` holds exactly the values of the ``validated`` array (or both are None)."""
    if new is None or validated is None:
        return new is None and validated is None
    new = np.asarray(new)
    # == compares float32 with its exact float64 conversion; NaN never equals.
    return new.shape == validated.shape and bool(np.all(new == validated))


def _xgboost_world_size() -> int:
    """Workers in the running XGBoost collective (1 outside distributed training).

    Only asks when xgboost is already imported: a booster that is not
    XGBoost never set up its communicator.
    """
    import sys

    collective = sys.modules.get("xgboost.collective")
    if collective is None or not collective.is_distributed():
        return 1
    return collective.get_world_size()


def _n_columns(z: NDArray) -> int | None:
    return z.shape[1] if z.ndim == 2 else None


def _hessian_scale(loss, booster: str, margin: NDArray) -> float:
    """How ``booster`` scales its own softmax Hessian (1 for a binary loss).

    XGBoost (src/objective/multiclass_obj.cu) trains ``multi:softprob`` on
    ``2 p (1 - p)``; LightGBM (multiclass_objective.hpp) ``multiclass`` on
    ``k / (k - 1) p (1 - p)``. The same factor on the focal Hessian makes
    gamma 0 the built-in model (docs/math.md §7).
    """
    if loss.link != "softmax":
        return 1.0
    if booster == "xgboost":
        return 2.0
    n_classes = margin.shape[1]
    return n_classes / (n_classes - 1)


def align_labels(y: NDArray, margin: NDArray) -> NDArray:
    """Labels as the scikit-learn wrappers pass them, shaped like 2-D margins.

    XGBClassifier < 3 passes 2-D (multi-label) targets flattened.
    """
    if y.ndim == 1 and margin.ndim == 2 and y.size == margin.size:
        return y.reshape(margin.shape)
    return y


class ObjectiveAdapter:
    """A loss object as the boosters call a custom objective and a metric.

    Composed with a :class:`~focal_gbm.FocalLoss` or
    :class:`~focal_gbm.SoftmaxFocalLoss` (whose ``__call__`` and ``metric``
    delegate here), it reads labels and weights from the caller, checks them
    once per data set through the loss's ``check_labels``, fixes the class
    weights of the set being trained on, and asks the loss for float32
    gradients rounded to 21 bits (``checked_grad_hess``) or for loss totals
    (``checked_loss_totals``).

    A softmax loss's Hessian is scaled the way each booster scales its own
    (XGBoost's ``multi:softprob`` uses ``2 p (1 - p)``, LightGBM's
    ``multiclass`` ``k / (k - 1) p (1 - p)``), so that ``gamma=0`` trains the
    built-in model. ``booster`` names the booster for the scikit-learn
    wrappers' convention; left None, it is read from the data object
    (``xgboost.train`` / ``lightgbm.train``) or, for arrays, from the margin's
    dtype (XGBoost hands float32 margins, LightGBM float64).
    """

    def __init__(self, loss, *, booster: str | None = None):
        self.loss = loss
        self.booster = booster
        self._data_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._array_cache: _TrainingSet | None = None
        # The class weights of the training labels this thread is training on,
        # for the metric on evaluation data (the booster calls the objective,
        # then the metric, from the thread that trains).
        self._this_thread = threading.local()

    def __getstate__(self):
        # Cached booster data is neither picklable nor meaningful elsewhere.
        return {"loss": self.loss, "booster": self.booster}

    def __setstate__(self, state):
        self.__init__(state["loss"], booster=state["booster"])

    def _from_data(self, data, margin: NDArray) -> _TrainingSet:
        """Checked labels and weights of a booster's data, read once per object."""
        cached = self._data_cache.get(data)
        if cached is None or cached.shape != margin.shape:
            y, w = labels_and_weights(data, margin.shape if margin.ndim == 1 else None)
            labels = self.loss.check_labels(y, w, name="label")
            check_margin(margin)  # finite, once; later rounds only check the shape
            cached = _TrainingSet(labels, margin.shape)
            self._data_cache[data] = cached
        return cached

    def _from_arrays(self, y_true: NDArray, sample_weight) -> _TrainingSet:
        """Checked labels and weights of the scikit-learn wrappers' convention.

        XGBClassifier hands over fresh copies of the same labels (and
        weights) every round: compared with the last checked ones (one
        pass, no conversion), they are checked and converted again only
        when they changed (another fit, or another thread).
        """
        cached = self._array_cache  # one read: another thread may replace it
        if cached is not None and _same_values(y_true, cached.labels.y) and (
                _same_values(sample_weight, cached.labels.sample_weight)):
            return cached
        cached = _TrainingSet(self.loss.check_labels(y_true, sample_weight), None)
        self._array_cache = cached
        return cached

    def __call__(self, predt_or_y_true, data_or_y_pred, sample_weight=None):
        """Gradient and Hessian in whichever convention the caller uses.

        * ``xgboost.train(obj=...)``: ``(margin, DMatrix)``;
        * ``lightgbm.train(params={"objective": ...})``: ``(margin, Dataset)``;
        * ``XGBClassifier(objective=...)``: ``(y_true, margin, sample_weight=...)``;
        * ``LGBMClassifier(objective=...)``: ``(y_true, margin, weight)``.

        Both boosters keep per-row gradients in float32 and sum them in
        float64. Rounding each unweighted value to 21 significant bits before
        the weight multiplies it makes ``w * g`` exact in float32 for integer
        weights up to 8, so such a weight trains bit for bit the model that
        repeating the row would (scikit-learn's sample-weight contract); 2^-21
        relative is far below what boosting resolves. Weight 1 and no weight
        get the same rounding.
        """
        booster = _booster_of(data_or_y_pred)
        if booster is not None:
            margin = np.asarray(predt_or_y_true)
            training_set = self._from_data(data_or_y_pred, margin)
        else:
            margin = check_margin(data_or_y_pred)
            y_true = align_labels(np.asarray(predt_or_y_true), margin)
            training_set = self._from_arrays(y_true, sample_weight)
            booster = self.booster or ("xgboost" if margin.dtype == np.float32 else "lightgbm")
        if training_set.training_alpha is None:
            # Per training set, cached with its labels: an objective reused for
            # another fit, or by several threads at once, weighs each set by
            # its own classes.
            training_set.training_alpha = self._training_alpha(training_set.labels, margin)
        self._this_thread.training_alpha = training_set.training_alpha
        return self.loss.checked_grad_hess(training_set.labels, margin, dtype=np.float32,
                                           round21=True,
                                           training_alpha=training_set.training_alpha,
                                           hessian_scale=_hessian_scale(self.loss, booster,
                                                                        margin))

    def _training_alpha(self, labels, margin: NDArray):
        if self.loss.alpha_from_labels and _xgboost_world_size() > 1:
            # Each worker holds only its own rows: class weights taken
            # from them would differ from worker to worker.
            raise ValueError(
                "alpha='balanced' must be fitted on all the training data before "
                "distributed training (each worker holds only its own rows): call "
                "focal_gbm.dask.fit_alpha(objective, y, sample_weight) first"
            )
        return self.loss.training_alpha(labels, n_columns=_n_columns(margin))

    def metric(self, margin: ArrayLike, data):
        """Mean weighted focal loss of booster margins: ``(name, value)`` for
        XGBoost, ``(name, value, False)`` for LightGBM (lower is better)."""
        booster = _booster_of(data)
        if booster is None:
            raise TypeError(
                "metric(margin, data) expects an xgboost.DMatrix or lightgbm.Dataset; "
                "use mean_loss(y_true, margin) for arrays"
            )
        margin = np.asarray(margin)
        evaluated = self._from_data(data, margin)
        # Evaluation data is weighed with the training labels' class weights.
        training_alpha = getattr(self._this_thread, "training_alpha", None)
        totals = self.loss.checked_loss_totals(evaluated.labels, margin,
                                               training_alpha=training_alpha)
        value = _global_mean(totals, across_xgboost_workers=booster == "xgboost")
        if booster == "lightgbm":
            return FOCAL_METRIC, value, False
        return FOCAL_METRIC, value


def _global_mean(totals: NDArray, across_xgboost_workers: bool) -> float:
    """The mean of loss totals, summed over distributed XGBoost workers if asked."""
    if across_xgboost_workers and _xgboost_world_size() > 1:
        # Distributed XGBoost averages the workers' metric values without
        # weights (callback._allreduce_metric); summing loss and weight
        # over workers first makes every worker report the global mean,
        # which that average then leaves unchanged.
        from xgboost import collective

        totals = collective.allreduce(totals, collective.Op.SUM)
    return weighted_mean(totals)


class SklearnMetric:
    """The focal metric in the scikit-learn wrappers' ``eval_metric`` convention.

    A module-level class (not a closure) so that fitted estimators pickle.
    ``lightgbm=True`` returns LightGBM's ``(name, value, is_higher_better)``
    instead of XGBoost's plain value.
    """

    def __init__(self, objective, *, lightgbm: bool):
        self.objective = objective
        self.lightgbm = lightgbm
        self.__name__ = FOCAL_METRIC  # XGBoost names the metric after it

    def __call__(self, y_true, y_score, sample_weight=None):
        margin = check_margin(y_score)
        labels = self.objective.check_labels(align_labels(np.asarray(y_true), margin),
                                             sample_weight)
        # Under xgboost.dask every worker sees its own rows: report the global mean.
        value = _global_mean(self.objective.checked_loss_totals(labels, margin),
                             across_xgboost_workers=not self.lightgbm)
        return (self.__name__, value, False) if self.lightgbm else value
