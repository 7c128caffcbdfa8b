"""The focal losses as objects: :class:`FocalLoss` and :class:`SoftmaxFocalLoss`.

Each holds its hyper-parameters (gamma, alpha, the Hessian policy), checked
in its constructor, and the fitted class weights, and computes the loss, its
derivatives, balanced alpha, the starting margin and the posterior on arrays
with the pure functions of :mod:`focal_gbm._loss` (derivations in
``docs/math.md``). The public array methods check their inputs; labels that
are used again and again (a training set, every boosting round) are checked
once by :meth:`~FocalLoss.check_labels`, and the ``checked_*`` methods compute
on the :class:`CheckedLabels` it returns.

Balanced alpha and the starting margin depend on the labels only through
their sample-weighted class totals (:meth:`~FocalLoss.label_totals`), which
add up over any split of the rows: :mod:`focal_gbm.dask` computes them over
all partitions with the same methods.

The objects know nothing of how a booster calls them: calling one (as a
custom objective) or its :meth:`~FocalLoss.metric` delegates to a
:class:`focal_gbm._adapter.ObjectiveAdapter` composed with it.
"""

from __future__ import annotations

import abc
import copy
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _loss
from ._adapter import FOCAL_METRIC, ObjectiveAdapter
from ._validation import (
    check_alpha,
    check_class_labels,
    check_clip,
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


@dataclass(frozen=True, eq=False)
class CheckedLabels:
    """Labels and sample weights a loss object has checked, for repeated use.

    Made by :meth:`FocalLoss.check_labels` / :meth:`SoftmaxFocalLoss.check_labels`
    (only valid labels get one) and taken by the ``checked_*`` methods, so
    that labels used every boosting round are checked once.

    Attributes
    ----------
    y : ndarray
        float64 labels in [0, 1] (binary, shape (n,) or (n, n_columns)) or
        class indices (softmax, shape (n,)).
    sample_weight : ndarray of shape (n,) or None
        Finite weights >= 0, float64.
    n_classes_seen : int
        The largest class index + 1 (softmax; 0 without labels), which
        margins must have columns for; 0 for binary labels.
    """

    y: NDArray
    sample_weight: NDArray | None
    n_classes_seen: int = 0

    @property
    def n_rows(self) -> int:
        return self.y.shape[0]


class _FocalLossBase(abc.ABC):
    """What the binary and softmax focal losses share: parameters, alpha, the array API.

    The subclasses implement the abstract hooks below for their label type;
    every hook takes checked arrays.
    """

    name = FOCAL_METRIC
    """The name the boosters report the focal metric under."""

    def __init__(self, *, gamma, alpha, hessian):
        if hessian not in _loss.HESSIAN_POLICIES:
            raise ValueError(
                f"hessian must be one of {_loss.HESSIAN_POLICIES}, got {hessian!r}"
            )
        self.gamma, self.alpha, self.hessian = check_gamma(gamma), check_alpha(alpha), hessian
        # Set only by fit_alpha(): class weights pinned for every later use.
        self._fitted_alpha = None
        self._adapter = ObjectiveAdapter(self)

    # ------------------------------------------------------------------ state
    def __getstate__(self):
        state = self.__dict__.copy()
        # The adapter caches the boosters' data: neither picklable nor
        # meaningful in a copy; the copy gets its own.
        del state["_adapter"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._adapter = ObjectiveAdapter(self)

    # --------------------------------------------------- as a booster's objective
    def __call__(self, predt_or_y_true, data_or_y_pred, sample_weight=None):
        """Gradient and Hessian as a custom objective, in whichever convention calls it.

        ``obj=`` of ``xgboost.train``, ``params["objective"]`` of
        ``lightgbm.train``, ``objective=`` of the boosters' scikit-learn
        classifiers: see :class:`focal_gbm._adapter.ObjectiveAdapter`, which
        this delegates to. float32 values, sample weights applied.
        """
        return self._adapter(predt_or_y_true, data_or_y_pred, sample_weight)

    def metric(self, margin: ArrayLike, data):
        """Mean weighted focal loss of booster margins, for early stopping.

        Pass it as ``custom_metric=`` to ``xgboost.train`` (returns
        ``(name, value)``) or as ``feval=`` to ``lightgbm.train`` (returns
        ``(name, value, False)``: lower is better). Set
        ``disable_default_eval_metric=1`` (XGBoost) or ``metric="None"``
        (LightGBM) so that early stopping follows this metric only.
        Evaluation data is weighed with the class weights of the training
        set being trained on.
        """
        return self._adapter.metric(margin, data)

    # ------------------------------------------------------------ parameters
    @property
    def fitted_alpha(self):
        """The class weights :meth:`fit_alpha` fixed for ``alpha="balanced"`` (else None).

        A float (binary), an array of one weight per label column or per
        class; what :meth:`posterior` and the metric use without labels.
        """
        return self._fitted_alpha

    def with_fitted_alpha(self, fitted_alpha):
        """A copy of this objective whose ``"balanced"`` class weights are ``fitted_alpha``.

        ``self`` is not changed. ``fitted_alpha`` is what :attr:`fitted_alpha`
        held after training (a booster from :func:`~focal_gbm.xgboost_train`
        or :func:`~focal_gbm.lightgbm_train` carries it); None unpins them.
        """
        copied = copy.copy(self)  # __getstate__ / __setstate__: a fresh adapter
        copied._fitted_alpha = (None if fitted_alpha is None or not isinstance(self.alpha, str)
                                else check_alpha(fitted_alpha, name="fitted_alpha"))
        return copied

    def fitted_copy(self, y_true, sample_weight=None, **kwargs):
        """A copy of this objective with ``"balanced"`` class weights fixed from these labels.

        :meth:`fit_alpha` on a copy: ``self`` is not changed, so one objective
        can train on several data sets. ``kwargs`` as :meth:`fit_alpha`'s.
        """
        return self.with_fitted_alpha(None).fit_alpha(y_true, sample_weight, **kwargs)

    def _repr_params(self) -> dict:
        return {"gamma": self.gamma, "alpha": self.alpha}

    def __repr__(self) -> str:
        def show(v):
            return repr(v.tolist()) if isinstance(v, np.ndarray) else repr(v)

        shown = ", ".join(f"{k}={show(v)}" for k, v in self._repr_params().items())
        return f"{type(self).__name__}({shown}, hessian={self.hessian!r})"

    # ----------------------------------------------------------- the hooks
    @staticmethod
    @abc.abstractmethod
    def _check_label_values(y_true, name: str) -> NDArray:
        """Checked labels as an array."""

    @staticmethod
    @abc.abstractmethod
    def _n_classes_seen(y: NDArray) -> int:
        """What :attr:`CheckedLabels.n_classes_seen` holds for checked labels ``y``."""

    @staticmethod
    @abc.abstractmethod
    def _check_shapes(labels: CheckedLabels, z: NDArray) -> None:
        """Raise unless checked labels and margins ``z`` fit together (no pass over the data)."""

    @staticmethod
    @abc.abstractmethod
    def _label_totals(y: NDArray, w: NDArray | None, n_classes: int | None = None) -> NDArray:
        """Sample-weighted class totals of checked labels (additive over rows)."""

    @staticmethod
    @abc.abstractmethod
    def _alpha_from_totals(totals: NDArray):
        """Balanced class weights from class totals (docs/math.md §4)."""

    @abc.abstractmethod
    def init_score_from_totals(self, totals: NDArray):
        """The starting margin from class totals (docs/math.md §5)."""

    @abc.abstractmethod
    def _loss_values(self, y, z, w) -> NDArray:
        """Per-example weighted loss of checked arrays."""

    @abc.abstractmethod
    def _loss_sum(self, y, z, w, training_alpha=None) -> float:
        """Sum of the weighted loss of checked arrays."""

    @abc.abstractmethod
    def _grad_hess_values(self, y, z, w, *, dtype, round21=False, training_alpha=None,
                          hessian_scale=1.0):
        """Gradient and Hessian of checked arrays."""

    @staticmethod
    @abc.abstractmethod
    def _n_losses_per_row(y) -> int:
        """Loss terms per row (columns of 2-D binary labels, else 1)."""

    # ------------------------------------------------------- checked labels
    def check_labels(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None, *,
                     name: str = "y_true") -> CheckedLabels:
        """Check labels and sample weights once, for the ``checked_*`` methods.

        ``name`` is what error messages call the labels.
        """
        y = self._check_label_values(y_true, name)
        return CheckedLabels(y, check_sample_weight(sample_weight, y.shape[0]),
                             self._n_classes_seen(y))

    def training_alpha(self, labels: CheckedLabels, *, n_columns: int | None = None):
        """The class weights training on ``labels`` uses (None: every class weighs 1).

        ``alpha`` itself, or the weights :meth:`fit_alpha` fixed, or for an
        unfixed ``"balanced"`` the weights of these labels. ``n_columns``: the
        margin's columns (label columns; classes for softmax).
        """
        if not self.alpha_from_labels:
            return self._resolved_alpha(None)
        return self._alpha_from_totals(self._label_totals(labels.y, labels.sample_weight,
                                                          n_columns))

    @property
    def alpha_from_labels(self) -> bool:
        """Whether the class weights come from the labels trained on ("balanced", unfixed)."""
        return isinstance(self.alpha, str) and self._fitted_alpha is None

    def checked_grad_hess(self, labels: CheckedLabels, margin: NDArray, *, dtype=None,
                          round21: bool = False, training_alpha=None,
                          hessian_scale: float = 1.0):
        """:meth:`grad_hess` of checked labels and a float margin array.

        ``dtype``: of the results (default: the margin's). ``round21``: round
        each unweighted value to 21 significant bits before the weight
        multiplies it (what the boosters' float32 gradients need for integer
        weights to act as repeated rows; :func:`focal_gbm._loss.binary_focal_grad_hess`).
        ``training_alpha``: class weights from :meth:`training_alpha`; None
        takes them from ``labels`` for an unfixed ``"balanced"``.
        ``hessian_scale`` multiplies the Hessian (before the rounding and the
        weights): how a booster scales its own softmax Hessian. Only the
        shapes are checked.
        """
        self._check_shapes(labels, margin)
        return self._grad_hess_values(labels.y, margin, labels.sample_weight,
                                      dtype=_float_dtype(margin) if dtype is None else dtype,
                                      round21=round21, training_alpha=training_alpha,
                                      hessian_scale=hessian_scale)

    def checked_loss_totals(self, labels: CheckedLabels, margin: NDArray, *,
                            training_alpha=None) -> NDArray[np.float64]:
        """``[sum of weighted losses, total weight]``: what a mean over any rows needs.

        Totals of several row blocks add up (distributed metrics).
        ``training_alpha`` as for :meth:`checked_grad_hess`.
        """
        self._check_shapes(labels, margin)
        y, w = labels.y, labels.sample_weight
        n_per_row = self._n_losses_per_row(y)
        return np.array([self._loss_sum(y, margin, w, training_alpha),
                         (y.shape[0] if w is None else w.sum()) * n_per_row])

    def _checked(self, y_true, margin, sample_weight) -> tuple[CheckedLabels, NDArray]:
        """Checked labels and margins (their shapes: by the ``checked_*`` methods)."""
        return self.check_labels(y_true, sample_weight), check_margin(margin)

    # ------------------------------------------------------ class weights
    def fit_alpha_from_totals(self, totals: NDArray):
        """Fix ``"balanced"`` class weights from class totals (:meth:`label_totals`).

        Totals add up over any split of the rows, so the sum of the totals of
        every partition of a data set gives the weights of the whole: what
        :func:`focal_gbm.dask.fit_alpha` does. Returns self; a no-op for a
        numeric or ``None`` alpha.
        """
        self._fitted_alpha = (
            self._alpha_from_totals(np.asarray(totals, dtype=np.float64))
            if isinstance(self.alpha, str) else None
        )
        return self

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

    def _fitted_class_alpha(self):
        """Numeric alpha (or None) without labels: a "balanced" one must be pinned."""
        def no_labels():
            raise ValueError(
                "alpha='balanced' comes from training labels: call fit_alpha(y_true) first "
                "(xgboost_train, lightgbm_train and the estimators do)"
            )

        return self._resolved_alpha(no_labels)

    @staticmethod
    def _check_posterior_weights(weights):
        if np.any(np.asarray(weights) <= 0):
            raise ValueError(
                "the posterior needs every class weight > 0 (alpha strictly inside (0, 1) "
                "for FocalLoss): a class of weight 0 leaves the model no information about "
                "its rate"
            )

    # ------------------------------------------------------------ the math
    def loss(
        self, y_true: ArrayLike, margin: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> NDArray:
        """Per-example focal loss, multiplied by the sample weights, in the margin's dtype.

        A loss beyond the dtype's largest value (a float32 margin far on the
        wrong side times a large weight) is inf, its true rounding.
        """
        labels, z = self._checked(y_true, margin, sample_weight)
        self._check_shapes(labels, z)
        with np.errstate(over="ignore"):  # inf is the correctly rounded value there
            return self._loss_values(labels.y, z, labels.sample_weight).astype(
                _float_dtype(z), copy=False)

    def grad_hess(
        self, y_true: ArrayLike, margin: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> tuple[NDArray, NDArray]:
        """Gradient and Hessian of :meth:`loss` with respect to the margin.

        The Hessian follows the ``hessian`` policy. Both are shaped like
        ``margin``, in its float dtype.
        """
        labels, z = self._checked(y_true, margin, sample_weight)
        return self.checked_grad_hess(labels, z)

    def mean_loss(
        self, y_true: ArrayLike, margin: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Sample-weighted mean of :meth:`loss` (over all elements for 2-D labels)."""
        labels, z = self._checked(y_true, margin, sample_weight)
        return _loss.weighted_mean(self.checked_loss_totals(labels, z))


class FocalLoss(_FocalLossBase):
    r"""Alpha-weighted binary focal loss for gradient boosting.

    For a margin (raw score) :math:`z`, :math:`p = \sigma(z)` and a label
    :math:`y \in [0, 1]`,

    .. math::

        L(y, z) = -y\,a\,(1-p)^\gamma \log p - (1-y)(1-a)\,p^\gamma \log(1-p)

    which for hard labels is :math:`-a_t (1-p_t)^\gamma \log p_t` (Lin et al.,
    2017). ``gamma = 0`` and ``alpha = None`` give the usual log loss.
    ``gamma_neg`` and ``clip`` make it the asymmetric loss (see below).

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
    gamma_neg : float, array-like of shape (n_columns,) or None, default=None
        Focusing strength of the negative part, >= 0: with it, ``gamma``
        focuses the positive part only (the asymmetric loss, ASL; Ridnik et
        al., ICCV 2021). ``None`` is ``gamma``: focal loss.
    clip : float or array-like of shape (n_columns,), default=0.0
        Probability margin ``m`` of the asymmetric loss, in [0, 1): the
        negative part is scored at ``p_m = max(p - m, 0)``,
        ``-(1 - y) (1 - a) p_m^gamma_neg log(1 - p_m)``, so negatives with
        ``p <= m`` contribute nothing. 0 (the default) is no margin. With
        ``gamma_neg=gamma, clip=0`` the arithmetic is focal loss's, bit for
        bit (docs/math.md §9).

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

    link = "logistic"
    """The inverse link from margins to focal probabilities: the sigmoid."""

    def __init__(self, *, gamma=2.0, alpha=None, hessian: str = DEFAULT_HESSIAN,
                 gamma_neg=None, clip=0.0):
        super().__init__(gamma=gamma, alpha=alpha, hessian=hessian)
        self.gamma_neg = None if gamma_neg is None else check_gamma(gamma_neg, name="gamma_neg")
        self.clip = check_clip(clip)

    def _repr_params(self) -> dict:
        params = super()._repr_params()
        if self.gamma_neg is not None:
            params["gamma_neg"] = self.gamma_neg
        if np.any(self.clip):
            params["clip"] = self.clip
        return params

    def _shape_params(self, n_columns: int | None) -> dict:
        """``gamma``, ``gamma_neg`` and ``clip`` for :mod:`_loss`, checked per column."""
        gamma = per_column(self.gamma, n_columns, name="gamma")
        gamma_neg = (gamma if self.gamma_neg is None
                     else per_column(self.gamma_neg, n_columns, name="gamma_neg"))
        return {"gamma": gamma, "gamma_neg": gamma_neg,
                "clip": per_column(self.clip, n_columns, name="clip")}

    @staticmethod
    def _check_label_values(y_true, name):
        return check_labels(y_true, name=name)

    @staticmethod
    def _n_classes_seen(y: NDArray) -> int:
        return 0

    def label_totals(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None) -> NDArray:
        """Sample-weighted totals of positives and negatives: shape (2,), or (2, n_columns).

        Balanced alpha and the starting margin depend on the labels only
        through these (:meth:`fit_alpha_from_totals`,
        :meth:`init_score_from_totals`), and they add up over any split of
        the rows.
        """
        labels = self.check_labels(y_true, sample_weight)
        return self._label_totals(labels.y, labels.sample_weight)

    def fit_alpha(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fix ``"balanced"`` class weights from these labels; returns self.

        A no-op for numeric or ``None`` alpha. Call it when the data the
        objective is trained on is not the data the weights should come from
        (for example, to share one alpha across cross-validation folds).
        """
        return self.fit_alpha_from_totals(self.label_totals(y_true, sample_weight))

    @staticmethod
    def _check_shapes(labels: CheckedLabels, z: NDArray):
        if z.shape != labels.y.shape:
            raise ValueError(
                f"margin has shape {z.shape} but y_true has shape {labels.y.shape}; they "
                "must match"
            )

    @staticmethod
    def _label_totals(y: NDArray, w: NDArray | None, n_classes: int | None = None) -> NDArray:
        """Weight of positives and of negatives: shape (2,), or (2, n_columns) for 2-D y."""
        weight = np.ones(y.shape[0]) if w is None else w
        # einsum, not @: a matrix product goes to the BLAS, whose threads then
        # spin for ~0.1 s (OpenBLAS's default) against the booster's threads
        # training right after.
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
        labels = self.check_labels(y_true, sample_weight)
        return self._class_weights(labels.y, labels.sample_weight)

    def fitted_class_weights(self, n_columns: int | None = None):
        """``(alpha_pos, alpha_neg)`` without labels: numeric, ``None`` or pinned alpha.

        As :meth:`class_weights`, for ``n_columns`` label columns (``None``:
        1-D labels). A ``"balanced"`` alpha must have been fixed by
        :meth:`fit_alpha` (which :func:`~focal_gbm.xgboost_train`,
        :func:`~focal_gbm.lightgbm_train` and the estimators call).
        """
        return self._class_weights_for(n_columns, self._fitted_class_alpha)

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
        params = {**self._shape_params(n_columns), "alpha_pos": alpha_pos,
                  "alpha_neg": alpha_neg}
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

    def _grad_hess_values(self, y, z, w, *, dtype, round21=False, training_alpha=None,
                          hessian_scale=1.0):
        if hessian_scale != 1.0:
            raise ValueError("hessian_scale applies to SoftmaxFocalLoss only (a scaled "
                             "softmax Hessian); FocalLoss takes 1.0")
        return _loss.binary_focal_grad_hess(y, z, hessian=self.hessian, dtype=dtype,
                                            round21=round21,
                                            **self._params(y, w, training_alpha))

    def posterior_margin(self, margin: ArrayLike) -> NDArray:
        r"""Log-odds of the class probability behind each focal margin.

        The focal optimum is not the class probability: a true positive rate
        :math:`r` makes the expected focal loss smallest at a probability
        pulled towards 1/2 (for ``gamma=2``, ``r = 0.01`` gives about 0.15)
        and shifted by alpha. This inverts that link exactly (docs/math.md §8):

        .. math::

            \operatorname{logit} r = (1 + \gamma) z
                + \log(1 + \gamma q s_0 / p) - \log(1 + \gamma p s_1 / q)
                + \log \frac{a_0}{a_1}

        with :math:`p = \sigma(z)`, :math:`q = 1 - p`, :math:`s_1 = -\log p`,
        :math:`s_0 = -\log q` and the class weights :math:`a_1, a_0`. It is
        strictly increasing in the margin (rankings do not change) and the
        identity for ``gamma=0``, ``alpha=None``.

        Parameters
        ----------
        margin : array-like of shape (n_samples,) or (n_samples, n_columns)
            Finite margins (raw scores, starting margin included), e.g.
            ``booster.predict(data, output_margin=True)``.

        Returns
        -------
        ndarray shaped like ``margin``, in its float dtype (+-inf for
        probabilities that round to 0 or 1 in float32).
        """
        z = check_margin(margin)
        n_columns = z.shape[1] if z.ndim == 2 else None
        alpha_pos, alpha_neg = self.fitted_class_weights(n_columns)
        self._check_posterior_weights([alpha_pos, alpha_neg])
        return _loss.binary_focal_posterior_margin(
            z, **self._shape_params(n_columns), alpha_pos=alpha_pos, alpha_neg=alpha_neg)

    def posterior(self, margin: ArrayLike) -> NDArray:
        """Probability of the positive class (of each column) behind each focal margin.

        ``sigmoid(posterior_margin(margin))``; shaped like ``margin``. Unlike
        ``sigmoid(margin)``, the focal probability, these are estimates of
        the class probability (docs/math.md §8): use them wherever a
        probability is multiplied by a cost or compared across models.

        Examples
        --------
        >>> import numpy as np
        >>> from focal_gbm import FocalLoss
        >>> loss = FocalLoss(gamma=2.0)
        >>> margin = np.log(0.15 / 0.85)  # a focal probability of 0.15
        >>> round(float(loss.posterior(margin)), 4)
        0.0093
        """
        from scipy.special import expit  # scipy loads on first use, not with focal_gbm

        return expit(self.posterior_margin(margin))

    def init_score(self, y_true: ArrayLike, sample_weight: ArrayLike | None = None):
        """The constant margin that minimises the weighted focal loss.

        Returns a float for 1-D labels and an array of shape (n_columns,) for
        2-D labels (one constant per column). Boosting from it instead of 0
        is what the built-in objectives do (``boost_from_average``); a custom
        objective gets no such start from either booster.
        """
        return self.init_score_from_totals(self.label_totals(y_true, sample_weight))

    def init_score_from_totals(self, totals: NDArray):
        """The starting margin from class totals (:meth:`label_totals`): a float or (n_columns,)."""
        totals = np.asarray(totals, dtype=np.float64)
        n_columns = None if totals.ndim == 1 else totals.shape[1]
        k = n_columns or 1
        alpha_pos, alpha_neg = self._class_weights_for(n_columns, lambda: totals)
        shape = {name: np.broadcast_to(value, (k,))
                 for name, value in self._shape_params(n_columns).items()}
        w_pos = np.broadcast_to(alpha_pos * totals[0], (k,))
        w_neg = np.broadcast_to(alpha_neg * totals[1], (k,))
        z0 = np.array([_loss.binary_focal_init_margin(
            w_pos[j], w_neg[j], **{name: float(v[j]) for name, v in shape.items()})
            for j in range(k)])
        return z0 if n_columns is not None else float(z0[0])


class SoftmaxFocalLoss(_FocalLossBase):
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

    link = "softmax"
    """The inverse link from margins to focal probabilities: the softmax."""

    def __init__(self, *, gamma=2.0, alpha=None, hessian: str = DEFAULT_HESSIAN):
        super().__init__(gamma=gamma, alpha=alpha, hessian=hessian)
        if np.ndim(self.gamma) != 0:
            raise ValueError("gamma must be a single number for SoftmaxFocalLoss")

    @staticmethod
    def _check_label_values(y_true, name):
        return check_class_labels(y_true, name=name)

    @staticmethod
    def _n_classes_seen(y: NDArray) -> int:
        return int(y.max()) + 1 if y.size else 0

    @staticmethod
    def _check_shapes(labels: CheckedLabels, z: NDArray):
        n_rows = labels.n_rows
        if z.ndim != 2 or z.shape[0] != n_rows:
            raise ValueError(
                f"margin must have shape (n_samples, n_classes) = ({n_rows}, k), got {z.shape}"
            )
        if z.shape[1] < 2:
            raise ValueError(f"margin must have at least 2 columns (classes), got {z.shape[1]}")
        if labels.n_classes_seen > z.shape[1]:
            raise ValueError(
                f"y_true holds class {labels.n_classes_seen - 1} but margin has only "
                f"{z.shape[1]} columns; labels must lie in [0, {z.shape[1] - 1}]"
            )

    def _n_classes(self, y: NDArray, n_classes: int | None) -> int:
        """Classes: as given, else as many as alpha has, else the largest label + 1."""
        known = self.known_n_classes(n_classes)
        return known if known is not None else max(int(y.max()) + 1 if y.size else 2, 2)

    def known_n_classes(self, n_classes: int | None = None) -> int | None:
        """The class count given, or implied by a per-class alpha; else None."""
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

    def label_totals(self, y_true, sample_weight=None, *, n_classes: int | None = None):
        """Total sample weight of each class, shape (n_classes,).

        ``n_classes`` counts the classes when the labels may not show the
        last ones (else a per-class alpha's length, else the largest label
        + 1). The totals add up over any split of the rows.
        """
        labels = self.check_labels(y_true, sample_weight)
        y, w = labels.y, labels.sample_weight
        k = self._n_classes(y, n_classes)
        if y.size and y.max() >= k:
            raise ValueError(f"y_true holds class {int(y.max())} but there are {k} classes; "
                             f"labels must lie in [0, {k - 1}]")
        return self._label_totals(y, w, k)

    def fit_alpha(self, y_true, sample_weight=None, *, n_classes: int | None = None):
        """Fix ``"balanced"`` class weights from these labels; returns self.

        ``n_classes`` is the number of classes when the labels do not show
        the last ones (inferred from the largest label otherwise).
        """
        return self.fit_alpha_from_totals(
            self.label_totals(y_true, sample_weight, n_classes=n_classes))

    def class_weights(self, y_true, sample_weight=None, *, n_classes: int | None = None):
        """The per-class weights ``alpha_c``, shape (n_classes,)."""
        labels = self.check_labels(y_true, sample_weight)
        return self._class_alpha(labels.y, labels.sample_weight,
                                 self._n_classes(labels.y, n_classes))

    def fitted_class_weights(self, n_classes: int) -> NDArray:
        """The per-class weights (n_classes,) without labels; "balanced" must be fitted."""
        return self._class_alpha_for(n_classes, self._fitted_class_alpha)

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
        return per_column(alpha, n_classes, name="alpha", counted="there are {n} classes")

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

    def _grad_hess_values(self, y, z, w, *, dtype, round21=False, training_alpha=None,
                          hessian_scale=1.0):
        return _loss.softmax_focal_grad_hess(y, z, hessian=self.hessian, dtype=dtype,
                                             round21=round21, hessian_scale=hessian_scale,
                                             **self._params(y, z, w, training_alpha))

    def posterior(self, margin: ArrayLike) -> NDArray:
        r"""Class probabilities behind softmax focal margins, shape (n_samples, n_classes).

        The expected softmax focal loss under true class probabilities
        :math:`r` is smallest where :math:`r_c \propto h(p_c) / \alpha_c`
        with :math:`h(v) = v / ((1 - v)^\gamma - \gamma v (1 - v)^{\gamma - 1}
        \log v)` (docs/math.md §8); this returns that :math:`r` for each
        row of margins. With equal class weights it keeps each row's order
        of classes; ``gamma=0``, equal weights is ``softmax(margin)``. Rows
        sum to 1; the result has the margin's float dtype.

        Examples
        --------
        >>> import numpy as np
        >>> from focal_gbm import SoftmaxFocalLoss
        >>> loss = SoftmaxFocalLoss(gamma=2.0)
        >>> loss.posterior(np.array([[0.0, 1.0, 2.0]])).round(3)
        array([[0.029, 0.088, 0.884]])
        """
        z = check_margin(margin)
        if z.ndim != 2 or z.shape[1] < 2:
            raise ValueError(f"margin must have shape (n_samples, n_classes >= 2), got {z.shape}")
        class_alpha = self.fitted_class_weights(z.shape[1])
        self._check_posterior_weights(class_alpha)
        return _loss.softmax_focal_posterior(z, gamma=self.gamma, class_alpha=class_alpha)

    def init_score(self, y_true, sample_weight=None, *, n_classes: int | None = None):
        """The constant margins, shape (n_classes,), minimising the weighted loss."""
        return self.init_score_from_totals(
            self.label_totals(y_true, sample_weight, n_classes=n_classes))

    def init_score_from_totals(self, totals: NDArray) -> NDArray:
        """The starting margins (n_classes,) from class totals (:meth:`label_totals`)."""
        totals = np.asarray(totals, dtype=np.float64)
        class_alpha = self._class_alpha_for(totals.size, lambda: totals)
        return _loss.softmax_focal_init_margin(totals * class_alpha, gamma=self.gamma)


for _cls in (FocalLoss, SoftmaxFocalLoss):
    if _cls.__doc__ is not None:  # python -OO strips docstrings
        _cls.__doc__ = _cls.__doc__.replace("%(hessian_doc)s", _HESSIAN_DOC)


def _float_dtype(z: NDArray) -> np.dtype:
    """float32 margins (XGBoost's) stay float32; anything else computes in float64."""
    return z.dtype if z.dtype in (np.float32, np.float64) else np.dtype(np.float64)
