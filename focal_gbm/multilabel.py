"""Multi-label focal loss: one focal estimator per label, and per-label reports.

XGBoost can train one booster on a 2-D indicator matrix
(``FocalXGBClassifier.fit(X, Y)``); LightGBM cannot, so
``FocalLGBMClassifier.fit(X, Y)`` uses :class:`FocalOneVsRestClassifier`,
which works with either estimator and lets every label have its own
``focal_alpha`` and ``focal_gamma``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MultiOutputMixin, clone
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from ._loss import INIT_MARGIN_BOUND
from ._sklearn import FocalTagsMixin, validate_X
from ._validation import per_column
from .objective import FocalLoss


class ConstantLabel:
    """Stand-in for a label that is constant in the training data.

    scikit-learn's ``OneVsRestClassifier`` does the same: a warning at fit
    and the constant at predict. Its margin is the starting-margin bound,
    whose probability is within 1e-13 of the constant.
    """

    def __init__(self, value: int, focal_alpha):
        self.value = value
        # The weights the label's objective would have had: "balanced" gives
        # a single-class column 0.5 each (FocalLoss's rule).
        objective = FocalLoss(alpha=focal_alpha).fit_alpha(np.full(1, float(value)))
        alpha_pos, alpha_neg = objective.fitted_class_weights()
        self.class_weight_ = np.array([alpha_neg, alpha_pos], dtype=np.float64)

    @classmethod
    def restore(cls, value: int, class_weight):
        """The stand-in as saved: its value and its class weights."""
        label = cls.__new__(cls)
        label.value = value
        label.class_weight_ = np.asarray(class_weight, dtype=np.float64)
        return label

    def decision_function(self, X):
        sign = 1.0 if self.value == 1 else -1.0
        return np.full(X.shape[0], sign * INIT_MARGIN_BOUND)

    def predict_proba(self, X):
        return np.tile([1.0 - self.value, float(self.value)], (X.shape[0], 1))


def warn_constant_labels(Y) -> list[int | None]:
    """Per label of the 0/1 matrix ``Y``: its value if constant (with a warning), else None.

    The warning is scikit-learn's ``OneVsRestClassifier``'s. ``Y`` may be a
    NumPy or a Dask array (only column sums are taken).
    """
    positives = np.asarray((Y == 1).sum(axis=0))
    negatives = np.asarray((Y == 0).sum(axis=0))
    constants = []
    for j, (n_pos, n_neg) in enumerate(zip(positives, negatives)):
        value = 1 if n_neg == 0 else 0 if n_pos == 0 else None
        if value is not None:
            state = "" if value == 1 else "not "
            warnings.warn(f"Label {state}{j} is present in all training examples.",
                          UserWarning, stacklevel=3)
        constants.append(value)
    return constants


def _per_label(value, n_labels: int, name: str):
    """One value per label from a scalar / None / "balanced" or an array of n_labels."""
    if value is None or isinstance(value, str) or np.ndim(value) == 0:
        return [value] * n_labels
    per_column(value, n_labels, name=name, counted="Y has {n} labels")
    return list(np.asarray(value, dtype=np.float64))


def _fit_label(estimator, X, y, sample_weight, eval_set, eval_sample_weight, fit_params):
    if eval_set:
        fit_params = {**fit_params, "eval_set": eval_set}
        if eval_sample_weight is not None:
            fit_params["eval_sample_weight"] = eval_sample_weight
    return estimator.fit(X, y, sample_weight=sample_weight, **fit_params)


class FocalOneVsRestClassifier(FocalTagsMixin, MultiOutputMixin, ClassifierMixin, BaseEstimator):
    """One focal-loss classifier per label of a multi-label problem.

    Parameters
    ----------
    estimator : FocalXGBClassifier or FocalLGBMClassifier
        Cloned once per label.
    focal_gamma : float, array-like of shape (n_labels,) or None, default=None
        Focusing strength per label; ``None`` keeps the estimator's.
    focal_alpha : float, array-like of shape (n_labels,), "balanced" or None, default=None
        Positive-class weight per label; ``"balanced"`` computes
        ``1 - positive_rate`` for each label from its own column; ``None``
        keeps the estimator's.
    focal_gamma_neg, focal_clip : float, array-like of shape (n_labels,) or None, default=None
        The asymmetric loss's negative-class focusing and probability margin
        per label (see the estimators); ``None`` keeps the estimator's.
    n_jobs : int or None, default=None
        Labels fitted in parallel (joblib); ``None`` means 1.

    Attributes
    ----------
    estimators_ : list
        One fitted estimator per label; a label that is constant in the
        training data gets a constant predictor (with a warning), as in
        scikit-learn's ``OneVsRestClassifier``.
    classes_ : ndarray of shape (n_labels,)
        ``0 .. n_labels - 1``.
    class_weight_ : ndarray of shape (n_labels, 2)
        Each label's fitted class weights ``[negative, positive]``.

    Examples
    --------
    >>> import numpy as np
    >>> from focal_gbm import FocalLGBMClassifier, FocalOneVsRestClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> Y = np.column_stack([X[:, 0] > 1, X[:, 1] > 0.5]).astype(int)
    >>> ovr = FocalOneVsRestClassifier(
    ...     FocalLGBMClassifier(n_estimators=20, verbose=-1),
    ...     focal_gamma=[2.0, 1.0], focal_alpha="balanced").fit(X, Y)
    >>> ovr.predict_proba(X).shape
    (300, 2)
    """

    def __init__(self, estimator, *, focal_gamma=None, focal_alpha=None, focal_gamma_neg=None,
                 focal_clip=None, n_jobs=None):
        self.estimator = estimator
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.focal_gamma_neg = focal_gamma_neg
        self.focal_clip = focal_clip
        self.n_jobs = n_jobs

    def fit(self, X, Y, *, sample_weight=None, eval_set=None, eval_sample_weight=None,
            **fit_params):
        """Fit one estimator per column of the 0/1 indicator matrix ``Y``."""
        X = validate_X(self, X, reset=True)
        Y = np.asarray(Y)
        if type_of_target(Y) != "multilabel-indicator":
            raise ValueError(
                "Y must be a multi-label indicator matrix of 0/1 values, shape "
                f"(n_samples, n_labels); got {type_of_target(Y)!r} targets"
            )
        n_labels = Y.shape[1]
        per_label = {name: _per_label(getattr(self, name), n_labels, name)
                     for name in ("focal_gamma", "focal_alpha", "focal_gamma_neg", "focal_clip")}
        alphas = per_label["focal_alpha"]
        jobs = []
        for j, constant in enumerate(warn_constant_labels(Y)):
            column = Y[:, j]
            if constant is not None:
                jobs.append(ConstantLabel(constant, alphas[j] if alphas[j] is not None
                                           else self.estimator.get_params()["focal_alpha"]))
                continue
            estimator = clone(self.estimator)
            estimator.set_params(**{name: values[j] for name, values in per_label.items()
                                    if values[j] is not None})
            label_evals = [(Xe, np.asarray(Ye)[:, j]) for Xe, Ye in (eval_set or [])]
            jobs.append(delayed(_fit_label)(estimator, X, column, sample_weight, label_evals,
                                            eval_sample_weight, fit_params))
        fitted = Parallel(n_jobs=self.n_jobs)(job for job in jobs if not isinstance(
            job, ConstantLabel))
        fitted = iter(fitted)
        self.estimators_ = [job if isinstance(job, ConstantLabel) else next(fitted)
                            for job in jobs]
        self.classes_ = np.arange(n_labels)
        self.class_weight_ = np.vstack([e.class_weight_ for e in self.estimators_])
        return self

    def decision_function(self, X):
        """Margins, shape (n_samples, n_labels): the log-odds of each label."""
        check_is_fitted(self, "estimators_")
        X = validate_X(self, X, reset=False)
        return np.column_stack([e.decision_function(X) for e in self.estimators_])

    def predict_proba(self, X):
        """Probability of each label, shape (n_samples, n_labels).

        Each label's estimator's ``predict_proba`` (by default the posterior,
        see its ``focal_probability``); a label constant in training gets its
        constant, as in scikit-learn's ``OneVsRestClassifier``.
        """
        check_is_fitted(self, "estimators_")
        X = validate_X(self, X, reset=False)
        return np.column_stack([e.predict_proba(X)[:, 1] for e in self.estimators_])

    def predict(self, X):
        """0/1 indicator matrix, shape (n_samples, n_labels)."""
        return (self.decision_function(X) > 0).astype(np.int64)


@dataclass
class MultilabelReport:
    """Per-label and averaged ranking quality of multi-label scores.

    ``rows`` holds one dict per label: ``label``, ``support`` (positives),
    ``prevalence``, ``average_precision`` and ``roc_auc`` (NaN for a label
    with a single class in ``Y_true``). ``str(report)`` is a Markdown table.
    """

    rows: list[dict] = field(default_factory=list)
    micro_average_precision: float = float("nan")
    macro_average_precision: float = float("nan")

    def __str__(self) -> str:
        lines = ["| label | support | prevalence | average precision | ROC AUC |",
                 "|---|---|---|---|---|"]
        for row in self.rows:
            lines.append(
                f"| {row['label']} | {row['support']} | {row['prevalence']:.3f} | "
                f"{row['average_precision']:.4f} | {row['roc_auc']:.4f} |"
            )
        lines.append(f"| micro average | | | {self.micro_average_precision:.4f} | |")
        lines.append(f"| macro average | | | {self.macro_average_precision:.4f} | |")
        return "\n".join(lines)


def multilabel_report(Y_true, Y_score, *, label_names=None) -> MultilabelReport:
    """Per-label average precision and ROC AUC, with micro and macro averages.

    Use it to see which rare labels focal loss helped: compare the report of
    a cross-entropy model with that of a focal model on the same split.

    Parameters
    ----------
    Y_true : array-like of shape (n_samples, n_labels)
        0/1 indicator matrix.
    Y_score : array-like of shape (n_samples, n_labels)
        Scores (probabilities or margins) for each label.
    label_names : sequence of str, optional
        Names for the rows; defaults to the column numbers.

    Returns
    -------
    MultilabelReport

    Examples
    --------
    >>> import numpy as np
    >>> from focal_gbm import multilabel_report
    >>> Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> scores = np.array([[0.9, 0.2], [0.1, 0.8], [0.7, 0.6], [0.2, 0.1]])
    >>> report = multilabel_report(Y, scores, label_names=["spam", "urgent"])
    >>> report.macro_average_precision
    1.0
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    Y_true = np.asarray(Y_true)
    Y_score = np.asarray(Y_score, dtype=np.float64)
    if Y_true.ndim != 2 or Y_true.shape != Y_score.shape:
        raise ValueError(
            f"Y_true and Y_score must both have shape (n_samples, n_labels); got "
            f"{Y_true.shape} and {Y_score.shape}"
        )
    names = list(label_names) if label_names is not None else list(range(Y_true.shape[1]))
    rows = []
    for j, name in enumerate(names):
        column = Y_true[:, j]
        both = 0 < column.sum() < column.size
        rows.append({
            "label": name,
            "support": int(column.sum()),
            "prevalence": float(column.mean()),
            "average_precision": (float(average_precision_score(column, Y_score[:, j]))
                                  if both else float("nan")),
            "roc_auc": float(roc_auc_score(column, Y_score[:, j])) if both else float("nan"),
        })
    return MultilabelReport(
        rows=rows,
        micro_average_precision=float(average_precision_score(Y_true, Y_score,
                                                              average="micro")),
        macro_average_precision=float(np.nanmean([r["average_precision"] for r in rows])),
    )
