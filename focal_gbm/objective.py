"""Focal loss as a training objective and metric for XGBoost and LightGBM.

:class:`FocalLoss` is a thin, picklable layer over :mod:`focal_gbm._loss`: it
validates inputs, applies class and sample weights, and speaks each booster's
calling convention. It imports no booster.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _loss
from ._validation import (
    check_alpha,
    check_class_labels,
    check_gamma,
    check_labels,
    check_margin,
    check_sample_weight,
    per_column,
)

DEFAULT_HESSIAN = "clip"
"""The Hessian policy used unless one is asked for.

Chosen by ``benchmarks/bench_hessian.py`` (results in
``benchmarks/results/hessian_policy.md``): over twelve imbalanced datasets,
``"clip"`` ranked best or tied-best on average precision, ROC AUC and log loss
for both XGBoost and LightGBM; ``"exact"`` and ``"abs"`` were equal or a hair
behind (training data seldom reaches the negative region once boosting starts
from the optimal margin), while the positive surrogates ``"fisher"`` and
``"surrogate"`` ranked last.
"""

_HESSIAN_DOC = """hessian : {"clip", "exact", "abs", "surrogate", "fisher"}, default="clip"
        What to return as the second derivative. The exact one is negative
        for confidently wrong examples (p_t below about 0.06 for gamma = 2),
        which neither booster expects: XGBoost zeroes leaves whose Hessian sum
        is not positive and LightGBM refuses to split them. ``"clip"`` (the
        default) returns the exact value raised to a floor of 1e-6 per unit
        of weight: exact wherever it is positive, never negative or zero.
        ``"exact"`` is the true second derivative (what the finite-difference
        tests check), ``"abs"`` its absolute value, ``"surrogate"`` the
        cross-entropy curvature scaled by the focal weight, and ``"fisher"``
        the cross-entropy curvature scaled by the class weight only. The
        default was chosen by measurement: ``benchmarks/bench_hessian.py``
        trains both boosters with each policy on the twelve imbalanced
        datasets, and ``"clip"`` ranked first or tied on average precision,
        ROC AUC and log loss for both (``benchmarks/results/hessian_policy.md``);
        the two positive surrogates ranked last."""


def _booster_of(data) -> str | None:
    """``"xgboost"`` or ``"lightgbm"`` for a booster's data object, else None."""
    module = type(data).__module__.split(".", 1)[0]
    if module in ("xgboost", "lightgbm") and hasattr(data, "get_label"):
        return module
    return None


def _labels_and_weights(data, shape: tuple[int, ...] | None = None):
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


class _FocalObjective:
    """What the binary and softmax focal losses share: conventions and caching.

    Subclasses provide ``_check_labels``, ``_check_shapes``, ``_params``,
    ``_loss_values``, ``_loss_sum``, ``_n_losses_per_row``, ``_grad_hess_values``,
    ``_label_totals``, ``_alpha_from_totals``, ``_init_score_from_totals`` and
    ``init_score``.

    Balanced alpha and the starting margin depend on the labels only through
    ``_label_totals`` (sample-weighted class totals), which add up over any
    split of the rows: that is what lets :mod:`focal_gbm.dask` compute them
    over all partitions of a Dask collection with the same code.
    """

    name = "focal_loss"

    def __init__(self, *, gamma, alpha, hessian):
        self.gamma = check_gamma(gamma)
        self.alpha = check_alpha(alpha)
        if hessian not in _loss.HESSIAN_POLICIES:
            raise ValueError(
                f"hessian must be one of {_loss.HESSIAN_POLICIES}, got {hessian!r}"
            )
        self.hessian = hessian
        # Set only by fit_alpha(): class weights pinned for every later use.
        self._fitted_alpha = None
        self._reset_caches()

    def _reset_caches(self):
        self._data_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._array_cache: _Validated | None = None
        # The class weights of the training labels this thread is training on,
        # for the metric on evaluation data (the booster calls the objective,
        # then the metric, from the thread that trains).
        self._this_thread = threading.local()

    # ------------------------------------------------------------------ state
    def __getstate__(self):
        state = self.__dict__.copy()
        # Cached booster data is neither picklable nor meaningful elsewhere.
        for name in ("_data_cache", "_array_cache", "_this_thread"):
            del state[name]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset_caches()

    def __repr__(self) -> str:
        def show(v):
            return repr(v.tolist()) if isinstance(v, np.ndarray) else repr(v)

        return (
            f"{type(self).__name__}(gamma={show(self.gamma)}, "
            f"alpha={show(self.alpha)}, hessian={self.hessian!r})"
        )

    # ------------------------------------------------------ hyper-parameters
    def fit_alpha(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fix ``"balanced"`` class weights from these labels; returns self.

        A no-op for numeric or ``None`` alpha. Call it when the data the
        objective is trained on is not the data the weights should come from
        (for example, to share one alpha across cross-validation folds).
        """
        y = self._check_labels(y_true)
        w = check_sample_weight(sample_weight, y.shape[0])
        return self._fit_alpha_from_totals(self._label_totals(y, w))

    def _fit_alpha_from_totals(self, totals: NDArray):
        self._fitted_alpha = (
            self._alpha_from_totals(totals) if isinstance(self.alpha, str) else None
        )
        return self

    def _balanced_alpha(self, y: NDArray, w: NDArray | None, n_classes: int | None = None):
        return self._alpha_from_totals(self._label_totals(y, w, n_classes))

    def _resolved_alpha(self, totals, training_alpha=None):
        """Numeric alpha (or None).

        An unpinned "balanced" alpha is ``training_alpha`` when given (the
        class weights of the training labels), else computed from ``totals()``.
        """
        if not isinstance(self.alpha, str):  # "balanced", the only string check_alpha allows
            return self.alpha
        if self._fitted_alpha is not None:
            return self._fitted_alpha
        if training_alpha is not None:
            return training_alpha
        return self._alpha_from_totals(totals())

    def _training_alpha(self, y: NDArray, w: NDArray | None, n_columns: int | None):
        """The class weights for training on ``y``: "balanced" comes from these labels.

        Computed per training set (cached with its validated labels), so an
        objective reused for another fit, or by several threads at once,
        weighs each training set by its own classes. Under distributed
        XGBoost each worker sees only its own rows, and class weights taken
        from them would differ from worker to worker: refuse, and say how to
        compute them over all partitions.
        """
        if not isinstance(self.alpha, str) or self._fitted_alpha is not None:
            return self._resolved_alpha(None)
        if _xgboost_world_size() > 1:
            raise ValueError(
                "alpha='balanced' must be fitted on all the training data before distributed "
                "training (each worker holds only its own rows): call "
                "focal_gbm.dask.fit_alpha(objective, y, sample_weight) first"
            )
        return self._balanced_alpha(y, w, n_columns)

    def _checked(self, y_true, margin, sample_weight):
        y = self._check_labels(y_true)
        z = check_margin(margin)
        self._check_shapes(y, z)
        w = check_sample_weight(sample_weight, y.shape[0])
        return y, z, w

    # ------------------------------------------------------------ the math
    def loss(
        self, y_true: ArrayLike, margin: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> NDArray:
        """Per-example focal loss, multiplied by the sample weights, in the margin's dtype."""
        y, z, w = self._checked(y_true, margin, sample_weight)
        return self._loss_values(y, z, w).astype(_float_dtype(z), copy=False)

    def grad_hess(
        self, y_true: ArrayLike, margin: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[NDArray, NDArray]:
        """Gradient and Hessian of :meth:`loss` with respect to the margin.

        The Hessian follows the ``hessian`` policy. Both are shaped like
        ``margin``, in its float dtype.
        """
        y, z, w = self._checked(y_true, margin, sample_weight)
        return self._grad_hess(y, z, w)

    def _grad_hess(self, y, z, w):
        return self._grad_hess_values(y, z, w, dtype=_float_dtype(z))

    def mean_loss(
        self, y_true: ArrayLike, margin: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Sample-weighted mean of :meth:`loss` (over all elements for 2-D labels)."""
        y, z, w = self._checked(y_true, margin, sample_weight)
        return self._mean_loss(y, z, w)

    def _mean_loss(self, y, z, w, *, across_xgboost_workers: bool = False,
                   training_alpha=None) -> float:
        n_per_row = self._n_losses_per_row(y)
        totals = np.array([self._loss_sum(y, z, w, training_alpha),
                           (y.shape[0] if w is None else w.sum()) * n_per_row])
        if across_xgboost_workers and _xgboost_world_size() > 1:
            # Distributed XGBoost averages the workers' metric values without
            # weights (callback._allreduce_metric); summing loss and weight
            # over workers first makes every worker report the global mean,
            # which that average then leaves unchanged.
            from xgboost import collective

            totals = collective.allreduce(totals, collective.Op.SUM)
        return float(totals[0] / totals[1]) if totals[1] > 0 else 0.0

    # ------------------------------------------------- booster conventions
    def _from_data(self, data, margin: NDArray) -> _Validated:
        """Validated labels and weights of a booster's data, read once per object."""
        cached = self._data_cache.get(data)
        if cached is None or cached.shape != margin.shape:
            y, w = _labels_and_weights(data, margin.shape if margin.ndim == 1 else None)
            y = self._check_labels(y, name="label")
            self._check_shapes(y, check_margin(margin))
            w = check_sample_weight(w, y.shape[0])
            cached = _Validated(y, w, margin.shape)
            self._data_cache[data] = cached
        return cached

    def __call__(self, predt_or_y_true, data_or_y_pred, sample_weight=None):
        """Gradient and Hessian in whichever convention the caller uses.

        * ``xgboost.train(obj=...)``: ``(margin, DMatrix)``;
        * ``lightgbm.train(params={"objective": ...})``: ``(margin, Dataset)``;
        * ``XGBClassifier(objective=...)``: ``(y_true, margin, sample_weight=...)``;
        * ``LGBMClassifier(objective=...)``: ``(y_true, margin, weight)``.
        """
        if _booster_of(data_or_y_pred) is not None:
            margin = np.asarray(predt_or_y_true)
            data = self._from_data(data_or_y_pred, margin)
        else:
            margin = check_margin(data_or_y_pred)
            y_true = self._align_labels(np.asarray(predt_or_y_true), margin)
            data = self._from_arrays(y_true, sample_weight)
            self._check_shapes(data.y, margin)
        if data.training_alpha is None:
            data.training_alpha = self._training_alpha(data.y, data.w, _n_columns(margin))
        self._this_thread.training_alpha = data.training_alpha
        return self._booster_grad_hess(data.y, margin, data.w, data.training_alpha)

    def _from_arrays(self, y_true: NDArray, sample_weight) -> _Validated:
        """Validated labels and weights of the scikit-learn wrappers' convention.

        XGBClassifier hands over fresh copies of the same labels (and
        weights) every round: compared with the last validated ones (one
        pass, no conversion), they are validated and converted again only
        when they changed (another fit, or another thread).
        """
        cached = self._array_cache  # one read: another thread may replace it
        if cached is not None and _same_values(y_true, cached.y) and (
                _same_values(sample_weight, cached.w)):
            return cached
        y = self._check_labels(y_true)
        w = check_sample_weight(sample_weight, y.shape[0])
        cached = _Validated(y, w, None)
        self._array_cache = cached
        return cached

    @staticmethod
    def _align_labels(y: NDArray, margin: NDArray) -> NDArray:
        """Labels as the scikit-learn wrappers pass them, shaped for the margin."""
        return y

    def _booster_grad_hess(self, y, z, w, training_alpha):
        """float32 gradient and Hessian for a booster, sample weights applied last.

        Both boosters keep per-row gradients in float32 and sum them in
        float64. Rounding each unweighted value to 21 significant bits before
        the weight multiplies it makes ``w * g`` exact in float32 for integer
        weights up to 8, so such a weight trains bit for bit the model that
        repeating the row would (scikit-learn's sample-weight contract); 2^-21
        relative is far below what boosting resolves. Weight 1 and no weight
        get the same rounding.
        """
        return self._grad_hess_values(y, z, w, dtype=np.float32, round21=True,
                                      training_alpha=training_alpha)

    def metric(self, margin: ArrayLike, data):
        """Mean weighted focal loss of booster margins, for early stopping.

        Pass it as ``custom_metric=`` to ``xgboost.train`` (returns
        ``(name, value)``) or as ``feval=`` to ``lightgbm.train`` (returns
        ``(name, value, False)``: lower is better). Set
        ``disable_default_eval_metric=1`` (XGBoost) or ``metric="None"``
        (LightGBM) so that early stopping follows this metric only.
        """
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
        value = self._mean_loss(evaluated.y, margin, evaluated.w, training_alpha=training_alpha,
                                across_xgboost_workers=booster == "xgboost")
        if booster == "lightgbm":
            return self.name, value, False
        return self.name, value


class FocalLoss(_FocalObjective):
    r"""Alpha-weighted binary focal loss for gradient boosting.

    For a margin (raw score) :math:`z`, :math:`p = \sigma(z)` and a label
    :math:`y \in [0, 1]`,

    .. math::

        L(y, z) = -y\,a\,(1-p)^\gamma \log p - (1-y)(1-a)\,p^\gamma \log(1-p)

    which for hard labels is :math:`-a_t (1-p_t)^\gamma \log p_t` (Lin et al.,
    2017). ``gamma = 0`` and ``alpha = None`` give the usual log loss.

    One object serves every calling convention: pass it as ``obj=`` to
    ``xgboost.train``, as ``params["objective"]`` to ``lightgbm.train``, or as
    ``objective=`` to ``xgboost.XGBClassifier`` / ``lightgbm.LGBMClassifier``.
    It multiplies gradients and Hessians by the sample weights itself, since
    neither booster does that for a custom objective.

    Labels may be 2-D, shape (n_samples, n_columns) (multi-label); the loss is
    then applied elementwise and ``gamma`` / ``alpha`` may hold one value per
    column.

    Parameters
    ----------
    gamma : float or array-like of shape (n_columns,), default=2.0
        Focusing strength, >= 0. Larger values down-weight well-classified
        examples more; 0 is (weighted) cross entropy.
    alpha : float, array-like of shape (n_columns,), "balanced" or None, default=None
        Weight of the positive class, in [0, 1]; the negative class gets
        ``1 - alpha``. ``None`` weights both classes 1. ``"balanced"`` sets
        ``alpha = 1 - positive_rate`` from the (sample-weighted) training
        labels, per column: the rarer class gets the larger weight. A column
        with a single class gets 0.5 (its balance is unknown).
    %(hessian_doc)s

    Notes
    -----
    With ``alpha="balanced"`` the class weights come from the training data
    the booster hands over, computed again for each new training set (an
    objective reused for another fit, or by several threads at once, weighs
    each by its own labels); the metric reuses the weights of the training
    set being trained on, in that thread, for validation data.
    :meth:`fit_alpha` pins them instead, from the labels it is given, for
    every later fit.

    Examples
    --------
    >>> import numpy as np
    >>> from focal_gbm import FocalLoss
    >>> loss = FocalLoss(gamma=2.0, alpha=0.25)
    >>> y = np.array([1.0, 0.0, 1.0])
    >>> margin = np.array([2.0, -1.0, -3.0])
    >>> grad, hess = loss.grad_hess(y, margin)
    >>> grad.shape, bool((hess > 0).all())
    ((3,), True)
    >>> round(loss.init_score(y), 4)  # the best constant margin
    -0.1515
    """

    def __init__(self, *, gamma=2.0, alpha=None, hessian: str = DEFAULT_HESSIAN):
        super().__init__(gamma=gamma, alpha=alpha, hessian=hessian)

    @staticmethod
    def _check_labels(y_true, name="y_true"):
        return check_labels(y_true, name=name)

    @staticmethod
    def _align_labels(y: NDArray, margin: NDArray) -> NDArray:
        # XGBClassifier < 3 passes 2-D (multi-label) targets flattened.
        if y.shape != margin.shape and y.size == margin.size:
            return y.reshape(margin.shape)
        return y

    @staticmethod
    def _check_shapes(y: NDArray, z: NDArray):
        if z.shape != y.shape:
            raise ValueError(
                f"margin has shape {z.shape} but y_true has shape {y.shape}; they must match"
            )

    @staticmethod
    def _label_totals(y: NDArray, w: NDArray | None, n_classes: int | None = None) -> NDArray:
        """Weight of positives and of negatives: shape (2,), or (2, n_columns) for 2-D y."""
        weight = np.ones(y.shape[0]) if w is None else w
        # einsum, not @: a matrix product goes to the BLAS, whose threads then
        # spin for ~0.1 s (OpenBLAS's default) against the booster's threads
        # training right after; that alone made 20-round trainings ~1.7x slower.
        subscripts = "i,ij->j" if y.ndim == 2 else "i,i->"
        return np.stack([np.einsum(subscripts, weight, y),
                         np.einsum(subscripts, weight, 1.0 - y)])

    @staticmethod
    def _alpha_from_totals(totals: NDArray):
        total = totals.sum(axis=0)
        if np.any(total <= 0):
            raise ValueError("sample_weight must not sum to 0 for alpha='balanced'")
        # A column holding one class only would give that class weight 0 (and
        # the model nothing to learn, 0.5 everywhere): its balance is unknown,
        # so both classes weigh the same.
        one_class = (totals[0] <= 0) | (totals[1] <= 0)
        alpha = np.where(one_class, 0.5, 1.0 - totals[0] / total)
        return float(alpha) if alpha.ndim == 0 else alpha

    def class_weights(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None):
        """``(alpha_pos, alpha_neg)``: the weights of the two classes' loss terms.

        Scalars for a scalar alpha, arrays of shape (n_columns,) for a
        per-column or balanced alpha with 2-D labels.
        """
        y = check_labels(y_true)
        w = check_sample_weight(sample_weight, y.shape[0])
        return self._class_weights(y, w)

    def _class_weights(self, y: NDArray, w: NDArray | None, training_alpha=None):
        n_columns = y.shape[1] if y.ndim == 2 else None
        return self._class_weights_for(n_columns, lambda: self._label_totals(y, w),
                                       training_alpha)

    def _class_weights_for(self, n_columns: int | None, totals, training_alpha=None):
        alpha = self._resolved_alpha(totals, training_alpha)
        if alpha is None:
            return 1.0, 1.0
        alpha = per_column(alpha, n_columns, name="alpha")
        return alpha, 1.0 - alpha

    def _params(self, y: NDArray, w: NDArray | None, training_alpha=None):
        """Keyword arguments for :mod:`_loss`, broadcast against ``y``."""
        n_columns = y.shape[1] if y.ndim == 2 else None
        alpha_pos, alpha_neg = self._class_weights(y, w, training_alpha)
        params = {
            "gamma": per_column(self.gamma, n_columns, name="gamma"),
            "alpha_pos": alpha_pos,
            "alpha_neg": alpha_neg,
        }
        if w is not None:
            params["sample_weight"] = w[:, None] if y.ndim == 2 else w
        return params

    def _loss_values(self, y, z, w):
        return _loss.binary_focal_loss(y, z, **self._params(y, w))

    def _loss_sum(self, y, z, w, training_alpha=None) -> float:
        return _loss.binary_focal_loss_sum(y, z, **self._params(y, w, training_alpha))

    @staticmethod
    def _n_losses_per_row(y) -> int:
        return y.shape[1] if y.ndim == 2 else 1

    def _grad_hess_values(self, y, z, w, *, dtype, round21=False, training_alpha=None):
        return _loss.binary_focal_grad_hess(y, z, hessian=self.hessian, dtype=dtype,
                                            round21=round21,
                                            **self._params(y, w, training_alpha))

    def init_score(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None):
        """The constant margin that minimises the weighted focal loss.

        Returns a float for 1-D labels and an array of shape (n_columns,) for
        2-D labels (one constant per column). Boosting from it instead of 0
        is what the built-in objectives do (``boost_from_average``); a custom
        objective gets no such start from either booster.
        """
        y = check_labels(y_true)
        w = check_sample_weight(sample_weight, y.shape[0])
        return self._init_score_from_totals(self._label_totals(y, w))

    def _init_score_from_totals(self, totals: NDArray):
        n_columns = None if totals.ndim == 1 else totals.shape[1]
        k = n_columns or 1
        alpha_pos, alpha_neg = self._class_weights_for(n_columns, lambda: totals)
        gamma = np.broadcast_to(per_column(self.gamma, n_columns, name="gamma"), (k,))
        w_pos = np.broadcast_to(alpha_pos * totals[0], (k,))
        w_neg = np.broadcast_to(alpha_neg * totals[1], (k,))
        z0 = np.array([_loss.binary_focal_init_margin(w_pos[j], w_neg[j], gamma=gamma[j])
                       for j in range(k)])
        return z0 if n_columns is not None else float(z0[0])


class SoftmaxFocalLoss(_FocalObjective):
    r"""Multi-class (softmax) focal loss for gradient boosting.

    For margins :math:`z \in \mathbb{R}^k`, :math:`p = \mathrm{softmax}(z)` and
    the true class :math:`c`,

    .. math::

        L(c, z) = -\alpha_c (1 - p_c)^\gamma \log p_c

    ``gamma = 0`` and ``alpha = None`` give the softmax cross entropy
    (``multi:softprob`` / ``multiclass``). The gradient and the diagonal of
    the Hessian, shape (n_samples, n_classes), are what both boosters ask of
    a multi-class objective; they are formed without cancellation for any
    finite margins.

    Pass it as ``obj=`` to ``xgboost.train`` (with ``num_class``), as
    ``params["objective"]`` to ``lightgbm.train`` (with ``num_class``), or as
    ``objective=`` to the boosters' scikit-learn classifiers; sample weights
    are applied by the objective.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing strength, >= 0.
    alpha : array-like of shape (n_classes,), float, "balanced" or None, default=None
        Per-class weights in [0, 1]. ``None`` (or a scalar) weighs every class
        the same. ``"balanced"`` sets ``alpha_c = (1 - share_c) / (k - 1)``
        from the (sample-weighted) class shares of the training labels, the
        multi-class form of the binary ``1 - positive_rate``: rarer classes
        weigh more and the weights sum to 1. Labels of a single class give
        every class ``1 / k``. Computed per training set, as for
        :class:`FocalLoss`.
    %(hessian_doc)s

    Examples
    --------
    >>> import numpy as np
    >>> from focal_gbm import SoftmaxFocalLoss
    >>> loss = SoftmaxFocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5])
    >>> labels = np.array([0, 2, 1])
    >>> margin = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.5], [-3.0, 1.0, 0.0]])
    >>> grad, hess = loss.grad_hess(labels, margin)
    >>> grad.shape, bool(np.allclose(grad.sum(axis=1), 0))
    ((3, 3), True)
    """

    def __init__(self, *, gamma=2.0, alpha=None, hessian: str = DEFAULT_HESSIAN):
        super().__init__(gamma=gamma, alpha=alpha, hessian=hessian)
        if np.ndim(self.gamma) != 0:
            raise ValueError("gamma must be a single number for SoftmaxFocalLoss")

    @staticmethod
    def _check_labels(y_true, name="y_true"):
        return check_class_labels(y_true, name=name)

    @staticmethod
    def _check_shapes(y: NDArray, z: NDArray):
        if z.ndim != 2 or z.shape[0] != y.shape[0]:
            raise ValueError(
                f"margin must have shape (n_samples, n_classes) = ({y.shape[0]}, k), "
                f"got {z.shape}"
            )
        if z.shape[1] < 2:
            raise ValueError(f"margin must have at least 2 columns (classes), got {z.shape[1]}")
        if y.size and y.max() >= z.shape[1]:
            raise ValueError(
                f"y_true holds class {int(y.max())} but margin has only {z.shape[1]} "
                f"columns; labels must lie in [0, {z.shape[1] - 1}]"
            )


    def _n_classes(self, y: NDArray, n_classes: int | None) -> int:
        """Classes: as given, else as many as alpha has, else the largest label + 1."""
        known = self._known_n_classes(n_classes)
        return known if known is not None else max(int(y.max()) + 1 if y.size else 2, 2)

    def _known_n_classes(self, n_classes: int | None) -> int | None:
        """The class count given or implied by a per-class alpha, else None."""
        if n_classes is not None:
            return n_classes
        for alpha in (self._fitted_alpha, self.alpha):
            if alpha is not None and not isinstance(alpha, str) and np.ndim(alpha) == 1:
                return np.size(alpha)
        return None

    def _label_totals(self, y: NDArray, w: NDArray | None, n_classes: int | None = None):
        """Total sample weight of each class, shape (n_classes,)."""
        k = max(int(y.max()) + 1 if y.size else 2, n_classes or 2)
        return np.bincount(y, weights=w, minlength=k).astype(np.float64, copy=False)

    @staticmethod
    def _alpha_from_totals(totals: NDArray) -> NDArray:
        if totals.sum() <= 0:
            raise ValueError("sample_weight must not sum to 0 for alpha='balanced'")
        if np.count_nonzero(totals > 0) == 1:
            # One class only: the rule would give it weight 0; weigh all the same.
            return np.full(totals.size, 1.0 / totals.size)
        return (1.0 - totals / totals.sum()) / (totals.size - 1)

    def fit_alpha(self, y_true, sample_weight=None, *, n_classes: int | None = None):
        """Fix ``"balanced"`` class weights from these labels; returns self.

        ``n_classes`` is the number of classes when the labels do not show
        the last ones (inferred from the largest label otherwise).
        """
        y = self._check_labels(y_true)
        w = check_sample_weight(sample_weight, y.shape[0])
        return self._fit_alpha_from_totals(self._label_totals(y, w, n_classes))

    def class_weights(self, y_true, sample_weight=None, *, n_classes: int | None = None):
        """The per-class weights ``alpha_c``, shape (n_classes,)."""
        y = self._check_labels(y_true)
        w = check_sample_weight(sample_weight, y.shape[0])
        return self._class_alpha(y, w, self._n_classes(y, n_classes))

    def _class_alpha(self, y: NDArray, w: NDArray | None, n_classes: int,
                     training_alpha=None) -> NDArray:
        return self._class_alpha_for(n_classes, lambda: self._label_totals(y, w, n_classes),
                                     training_alpha)

    def _class_alpha_for(self, n_classes: int, totals, training_alpha=None) -> NDArray:
        alpha = self._resolved_alpha(totals, training_alpha)
        if alpha is None:
            return np.ones(n_classes)
        alpha = np.asarray(alpha, dtype=np.float64)
        if alpha.ndim == 0:
            return np.full(n_classes, float(alpha))
        if alpha.size != n_classes:
            raise ValueError(f"alpha has {alpha.size} values but there are {n_classes} classes")
        return alpha

    def _params(self, y, z, w, training_alpha=None):
        params = {"gamma": self.gamma,
                  "class_alpha": self._class_alpha(y, w, z.shape[1], training_alpha)}
        if w is not None:
            params["sample_weight"] = w
        return params

    def _loss_values(self, y, z, w):
        return _loss.softmax_focal_loss(y, z, **self._params(y, z, w))

    def _loss_sum(self, y, z, w, training_alpha=None) -> float:
        return _loss.softmax_focal_loss_sum(y, z, **self._params(y, z, w, training_alpha))

    @staticmethod
    def _n_losses_per_row(y) -> int:
        return 1

    def _grad_hess_values(self, y, z, w, *, dtype, round21=False, training_alpha=None):
        return _loss.softmax_focal_grad_hess(y, z, hessian=self.hessian, dtype=dtype,
                                             round21=round21,
                                             **self._params(y, z, w, training_alpha))

    def init_score(self, y_true, sample_weight=None, *, n_classes: int | None = None):
        """The constant margins, shape (n_classes,), minimising the weighted loss."""
        y = self._check_labels(y_true)
        w = check_sample_weight(sample_weight, y.shape[0])
        return self._init_score_from_totals(self._label_totals(y, w, self._n_classes(y, n_classes)))

    def _init_score_from_totals(self, totals: NDArray) -> NDArray:
        class_alpha = self._class_alpha_for(totals.size, lambda: totals)
        return _loss.softmax_focal_init_margin(totals * class_alpha, gamma=self.gamma)


for _cls in (FocalLoss, SoftmaxFocalLoss):
    if _cls.__doc__ is not None:  # python -OO strips docstrings
        _cls.__doc__ = _cls.__doc__.replace("%(hessian_doc)s", _HESSIAN_DOC)


@dataclass(eq=False)
class _Validated:
    """Labels and weights of one data set, validated once, and its class weights.

    ``shape`` is the margin shape they were checked against (booster data);
    ``training_alpha`` is filled the first time the set is trained on.
    """

    y: NDArray
    w: NDArray | None
    shape: tuple[int, ...] | None
    training_alpha: object = None


def margin_repeat(init_score, like) -> NDArray[np.float64]:
    """The starting margin repeated for every row of ``like``: shape (n,) or (n, k).

    What a booster takes as ``base_margin`` / ``init_score`` for data that
    should start from a constant.
    """
    init_score = np.asarray(init_score, dtype=np.float64)
    n_rows = np.shape(like)[0]
    if init_score.ndim == 0:
        return np.full(n_rows, float(init_score))
    return np.tile(init_score, (n_rows, 1))


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


def _float_dtype(z: NDArray) -> np.dtype:
    """float32 margins (XGBoost's) stay float32; anything else computes in float64."""
    return z.dtype if z.dtype in (np.float32, np.float64) else np.dtype(np.float64)
