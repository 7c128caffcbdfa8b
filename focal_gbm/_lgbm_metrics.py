"""LightGBM's metrics, computed on the probabilities LightGBM would score.

With a callable objective LightGBM has no objective to convert raw scores
with, so its own metrics would read margins as probabilities. Each metric is
computed here as LightGBM's ``src/metric/*.hpp`` computes it for a model of
its built-in ``binary`` objective (on the sigmoid of the margin) or
``multiclass`` objective (softmax of each row; ``auc_mu`` on the raw
scores), with the same names, aliases, parameters (``alpha``, ``fair_c``,
``tweedie_variance_power``, ``multi_error_top_k``, ``auc_mu_weights``) and
constants. A model trained from these margins with LightGBM's objective would
report the same values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# ParseMetricAlias (include/LightGBM/config.h) and metric.cpp: every metric
# LightGBM can compute for a classification model, by canonical name.
_METRIC_ALIASES = {
    "binary_logloss": ("binary_logloss", "binary"),
    "binary_error": ("binary_error",),
    "auc": ("auc",),
    "average_precision": ("average_precision",),
    "multi_logloss": ("multi_logloss", "multiclass", "softmax", "multiclassova",
                      "multiclass_ova", "ova", "ovr"),
    "multi_error": ("multi_error",),
    "auc_mu": ("auc_mu",),
    "cross_entropy": ("cross_entropy", "xentropy"),
    "cross_entropy_lambda": ("cross_entropy_lambda", "xentlambda"),
    "kullback_leibler": ("kullback_leibler", "kldiv"),
    "l2": ("l2", "regression", "regression_l2", "mean_squared_error", "mse"),
    "rmse": ("rmse", "l2_root", "root_mean_squared_error"),
    "l1": ("l1", "regression_l1", "mean_absolute_error", "mae"),
    "quantile": ("quantile",),
    "huber": ("huber",),
    "fair": ("fair",),
    "poisson": ("poisson",),
    "mape": ("mape", "mean_absolute_percentage_error"),
    "gamma": ("gamma",),
    "gamma_deviance": ("gamma_deviance",),
    "tweedie": ("tweedie",),
    "r2": ("r2",),
}
# LightGBM refuses a multi-class metric on a binary model and any other
# metric on a multi-class one ("Multiclass objective and metrics don't match").
MULTICLASS_METRICS = frozenset({"multi_logloss", "multi_error", "auc_mu"})
_RANKING_METRICS = ("ndcg", "lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart",
                    "xendcg_mart", "map", "mean_average_precision")
# Words that ask for no metric (an empty name asks for the default one).
_NO_METRIC_WORDS = ("none", "null", "custom", "na")
# The parameters LightGBM's metrics read.
_METRIC_PARAMETERS = ("alpha", "fair_c", "tweedie_variance_power", "multi_error_top_k",
                      "auc_mu_weights")
_HIGHER_IS_BETTER = frozenset({"auc", "average_precision", "auc_mu", "r2"})

# LightGBM's constants: kEpsilon clips the log losses' probabilities; the
# cross-entropy metrics clip at 1e-12; poisson and tweedie floor the
# prediction at the float 1e-10f; gamma_deviance adds 1e-9.
_LOG_LOSS_EPSILON = 1e-15
_XENT_EPSILON = 1e-12
_SCORE_FLOOR = float(np.float32(1e-10))
_GAMMA_DEVIANCE_EPSILON = 1e-9
_ZERO_THRESHOLD = 1e-35


def metric_names(metric) -> list[str]:
    """LightGBM's ``metric`` parameter (str, comma-separated str or list) as canonical names."""
    if metric is None:
        return []
    items = metric.split(",") if isinstance(metric, str) else list(metric)
    names = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"metric must hold metric names, got {item!r}")
        key = item.strip().lower()
        if key in _NO_METRIC_WORDS or not key:
            continue
        if key in _RANKING_METRICS:
            raise ValueError(f"metric {item!r} is a ranking metric: it needs query groups, "
                             "which a classifier has not")
        name = next((n for n, aliases in _METRIC_ALIASES.items() if key in aliases), None)
        if name is None:
            raise ValueError(f"metric {item!r} is not one of LightGBM's metrics "
                             f"({', '.join(_METRIC_ALIASES)}, and their aliases)")
        if name not in names:
            names.append(name)
    return names


def asks_for_no_metric(metric) -> bool:
    """Whether LightGBM's ``metric`` holds ``"None"`` (or an alias), which turns its default off."""
    items = metric.split(",") if isinstance(metric, str) else list(metric or [])
    return any(isinstance(item, str) and item.strip().lower() in _NO_METRIC_WORDS
               for item in items)


def check_metric_task(name: str, *, multiclass: bool) -> None:
    """LightGBM's refusal of a metric that does not fit the model's task."""
    if (name in MULTICLASS_METRICS) != multiclass:
        kind = "multi-class" if name in MULTICLASS_METRICS else "binary"
        raise ValueError(
            f"metric {name!r} applies to {kind} models, not to this "
            f"{'multi-class' if multiclass else 'binary'} one (LightGBM: \"Multiclass "
            "objective and metrics don't match\")")


def display_name(name: str, params: dict[str, Any]) -> str:
    """The name LightGBM reports a metric under (``multi_error@k`` for top-k)."""
    top_k = int(params.get("multi_error_top_k", 1))
    return f"multi_error@{top_k}" if name == "multi_error" and top_k != 1 else name


def metric_value(name: str, y_true, margin, weight=None,
                 params: dict[str, Any] | None = None) -> tuple[str, float, bool]:
    """LightGBM's metric ``name`` of margins, as LightGBM reports it.

    ``params``: the booster parameters the metric reads (``alpha``,
    ``fair_c``, ...), LightGBM's defaults otherwise. Returns LightGBM's
    ``(name, value, is_higher_better)``.
    """
    from scipy.special import expit, softmax

    params = params or {}
    margin = np.asarray(margin, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.float64)
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    check_metric_task(name, multiclass=margin.ndim == 2)
    if name == "auc_mu":
        value = _auc_mu(y, margin, w, params)
    elif name in MULTICLASS_METRICS:
        value = _multiclass_loss(name, y, softmax(margin, axis=1), w, params)
    else:
        value = _binary_value(name, y, margin, expit(margin), w, params)
    return display_name(name, params), float(value), name in _HIGHER_IS_BETTER


def _average(loss, weight):
    return np.sum(loss) / loss.size if weight is None else np.sum(weight * loss) / np.sum(weight)


def _binary_value(name, y, margin, p, w, params):
    if name in ("auc", "average_precision"):
        from sklearn.metrics import average_precision_score, roc_auc_score

        if np.all(y == y[0]):  # one class: LightGBM reports 1
            return 1.0
        score = roc_auc_score if name == "auc" else average_precision_score
        return score(y, margin, sample_weight=w)
    if name == "binary_logloss":
        p = np.clip(p, _LOG_LOSS_EPSILON, 1 - _LOG_LOSS_EPSILON)
        return _average(-(y * np.log(p) + (1 - y) * np.log1p(-p)), w)
    if name == "binary_error":
        return _average(np.where(p > 0.5, y <= 0, y > 0), w)
    if name in ("cross_entropy", "kullback_leibler"):
        loss = _cross_entropy(y, p)
        if name == "kullback_leibler":  # the labels' own entropy, zero for 0/1 labels
            with np.errstate(divide="ignore", invalid="ignore"):
                entropy = (np.where(y > 0, y * np.log(y), 0.0)
                           + np.where(y < 1, (1 - y) * np.log1p(-y), 0.0))
            loss = loss + entropy
        return _average(loss, w)
    if name == "cross_entropy_lambda":
        # The probability is LightGBM's "intensity" here; weights enter the
        # loss and the sum is over rows, not weights (xentropy_metric.hpp).
        scale = 1.0 if w is None else w
        return np.mean(_cross_entropy(y, -np.expm1(-scale * p)))
    if name == "r2":
        return _r2(y, p, w)
    if name in ("gamma", "gamma_deviance") and np.any(y <= 0):
        raise ValueError(f"metric {name!r} needs positive labels (LightGBM checks "
                         "label > 0); a classifier's are 0 and 1")
    loss = _regression_loss(name, y, p, params)
    if name == "rmse":
        return np.sqrt(_average(loss, w))
    if name == "gamma_deviance":  # LightGBM reports twice the sum, not a mean
        return 2 * np.sum(loss if w is None else w * loss)
    return _average(loss, w)


def _cross_entropy(y, p):
    """LightGBM's XentLoss: probabilities floored at 1e-12 on both sides."""
    return -(y * np.log(np.maximum(p, _XENT_EPSILON))
             + (1 - y) * np.log(np.maximum(1 - p, _XENT_EPSILON)))


def _regression_loss(name, y, p, params):
    """LightGBM's point-wise regression losses of the probability ``p``."""
    alpha = float(params.get("alpha", 0.9))
    if name in ("l2", "rmse"):
        return (p - y) ** 2
    if name == "l1":
        return np.abs(p - y)
    if name == "quantile":
        delta = y - p
        return np.where(delta < 0, (alpha - 1) * delta, alpha * delta)
    if name == "huber":
        diff = np.abs(p - y)
        return np.where(diff <= alpha, 0.5 * diff**2, alpha * (diff - 0.5 * alpha))
    if name == "fair":
        c = float(params.get("fair_c", 1.0))
        x = np.abs(p - y)
        return c * x - c * c * np.log1p(x / c)
    if name == "mape":
        return np.abs(y - p) / np.maximum(1.0, np.abs(y))
    if name == "gamma":  # the negative log-likelihood with psi = 1
        return y / p + np.log(p)
    if name == "gamma_deviance":
        ratio = y / (p + _GAMMA_DEVIANCE_EPSILON)
        return ratio - np.log(ratio) - 1
    score = np.maximum(p, _SCORE_FLOOR)
    if name == "poisson":
        return score - y * np.log(score)
    rho = float(params.get("tweedie_variance_power", 1.5))  # tweedie
    return (-y * np.exp((1 - rho) * np.log(score)) / (1 - rho)
            + np.exp((2 - rho) * np.log(score)) / (2 - rho))


def _r2(y, p, w):
    weight = np.ones_like(y) if w is None else w
    mean = np.sum(weight * y) / np.sum(weight)
    total = np.sum(weight * (y - mean) ** 2)
    residual = np.sum(weight * (y - p) ** 2)
    if abs(total) < _ZERO_THRESHOLD:
        return 1.0 if abs(residual) < _ZERO_THRESHOLD else 0.0
    return 1.0 - residual / total


def _multiclass_loss(name, y, proba, w, params):
    label = y.astype(np.intp)
    own = proba[np.arange(label.size), label]
    if name == "multi_error":
        # Wrong unless the true class is among the top k; a tie counts against it.
        top_k = int(params.get("multi_error_top_k", 1))
        loss = (proba >= own[:, None]).sum(axis=1) > top_k
    else:
        loss = -np.log(np.where(own > _LOG_LOSS_EPSILON, own, _LOG_LOSS_EPSILON))
    return _average(loss, w)


def _auc_mu(y, margin, w, params):
    """AUC-mu (Kleiman and Page, 2019) as LightGBM computes it, on raw scores.

    The mean over class pairs (i, j) of the AUC separating class i from j by
    ``t (v . score)``, ``v`` the difference of rows i and j of the
    ``auc_mu_weights`` matrix (default: ones off the diagonal); ties count
    half, sample weights weigh the pairs.
    """
    from sklearn.metrics import roc_auc_score

    n_classes = margin.shape[1]
    given = params.get("auc_mu_weights")
    matrix = (np.ones((n_classes, n_classes)) - np.eye(n_classes) if not given
              else np.asarray(given, dtype=np.float64).reshape(n_classes, n_classes))
    label = y.astype(np.intp)
    total = 0.0
    for i in range(n_classes):
        for j in range(i + 1, n_classes):
            rows = (label == i) | (label == j)
            if not np.any(label == i) or not np.any(label == j):
                return np.nan  # LightGBM divides by the empty class's size
            v = matrix[i] - matrix[j]
            distance = (v[i] - v[j]) * (margin[rows] @ v)
            total += roc_auc_score(label[rows] == i, distance,
                                   sample_weight=None if w is None else w[rows])
    return 2.0 * total / n_classes / (n_classes - 1)


class DatasetMetric:
    """:func:`metric_value` as ``lightgbm.train``'s ``feval(preds, eval_data)``.

    A module-level class, not a closure, so that it pickles.
    """

    def __init__(self, name: str, params: dict[str, Any] | None = None):
        self.name = name
        self.params = {key: value for key, value in (params or {}).items()
                       if key in _METRIC_PARAMETERS}
        self.__name__ = display_name(name, self.params)

    def __call__(self, preds, eval_data):
        return metric_value(self.name, eval_data.get_label(), preds, eval_data.get_weight(),
                            self.params)


class ArrayMetric(DatasetMetric):
    """:func:`metric_value` as ``LGBMClassifier``'s ``eval_metric(y_true, y_pred, weight)``."""

    def __call__(self, y_true, y_pred, weight):
        return metric_value(self.name, y_true, y_pred, weight, self.params)
