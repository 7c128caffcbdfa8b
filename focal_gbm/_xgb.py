"""XGBoost glue: train from the optimal starting margin, predict probabilities.

``xgboost`` is imported inside the functions so that ``import focal_gbm``
works without it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._adapter import labels_and_weights
from ._booster import attach_fitted_alpha, metric_list
from .objective import FocalLoss, SoftmaxFocalLoss

# sigmoid(z0) is handed to XGBoost as a float32 probability: keep it strictly
# inside (0, 1) after rounding, which float32 allows up to about |z0| = 16.
_MAX_BASE_MARGIN = 16.0


def base_score(margin):
    """The ``base_score`` (a probability) that makes XGBoost start at ``margin``.

    A float for a scalar margin, a list for one margin per label column.

    Valid when ``objective="binary:logistic"`` is set next to ``obj=``: XGBoost
    then stores the probability in the model and converts it back to a margin.
    """
    proba = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(margin, dtype=np.float64),
                                         -_MAX_BASE_MARGIN, _MAX_BASE_MARGIN)))
    return float(proba) if np.ndim(proba) == 0 else proba.tolist()


def early_stopping_on_last(metric_names: list[str], rounds: int, *, maximize=None):
    """XGBoost's early stopping on the last of the user's metrics.

    XGBoost evaluates a custom metric after the built-in ones and stops on
    the last: with the focal metric reported after the user's built-in
    metrics, this keeps XGBoost's rule for the metrics the user listed (as
    an ``XGBClassifier`` with the same ``eval_metric`` would).
    """
    from xgboost.callback import EarlyStopping

    return EarlyStopping(rounds=rounds, metric_name=metric_names[-1], maximize=maximize)


@functools.lru_cache(maxsize=None)
def vector_intercept_supported() -> bool:
    """Whether this XGBoost keeps one starting margin per output in the model.

    XGBoost 3.1 made ``base_score`` a vector: for ``multi:softprob`` one
    margin per class, for ``binary:logistic`` with 2-D labels one
    probability per label. Probed once per process with a booster of 0
    rounds (older versions refuse a vector or ignore it), so that the
    estimators store the starting margins in the model wherever the
    installed XGBoost can.
    """
    import xgboost

    try:
        data = xgboost.DMatrix(np.zeros((1, 1)), label=np.zeros(1))
        booster = xgboost.train({"objective": "multi:softprob", "num_class": 3,
                                 "base_score": [0.5, 0.25, -0.5]}, data, 0)
        margin = booster.predict(data, output_margin=True)
        labels = xgboost.DMatrix(np.zeros((1, 1)), label=np.zeros((1, 2)))
        booster = xgboost.train({"objective": "binary:logistic",
                                 "base_score": [0.25, 0.75]}, labels, 0)
        per_label = booster.predict(labels, output_margin=True)
    except Exception:  # noqa: BLE001 - any refusal means "not supported"
        return False
    return bool(np.allclose(margin, [[0.5, 0.25, -0.5]])
                and np.allclose(per_label, [[np.log(1 / 3), np.log(3)]], atol=1e-6))


def xgboost_train(
    params: dict[str, Any],
    dtrain,
    num_boost_round: int = 10,
    *,
    objective: FocalLoss | SoftmaxFocalLoss,
    **kwargs,
):
    """``xgboost.train`` with a focal objective, started from the optimal margin.

    Sets, unless ``params`` already holds them, ``objective="binary:logistic"``
    (``"multi:softprob"`` and ``num_class`` for :class:`SoftmaxFocalLoss`; so
    that ``Booster.predict`` returns probabilities and
    ``predict(output_margin=True)`` margins), ``base_score`` to the optimal
    starting margin (:meth:`FocalLoss.init_score`, stored in the model, so a
    saved and reloaded model predicts the same; one per class needs
    XGBoost >= 3.1), and ``disable_default_eval_metric``; and passes the
    objective's metric as ``custom_metric`` so that ``evals`` report the
    focal loss and ``early_stopping_rounds`` follows it.

    ``objective`` itself is not changed: ``alpha="balanced"`` is fixed on a
    copy from ``dtrain``'s labels, and the booster carries those class
    weights (a model attribute) for :func:`~focal_gbm.predict_posterior`.

    Built-in metrics in ``params["eval_metric"]`` (``"aucpr"``,
    ``["logloss", "auc"]``, ...) are computed by XGBoost on the probabilities
    ``Booster.predict`` returns (the sigmoid of the margin) and reported
    before the focal metric; ``early_stopping_rounds`` then follows the last
    of them, as ``xgboost.train`` would without the focal metric. A
    ``custom_metric`` of your own replaces the focal metric (XGBoost takes
    one); it receives margins, as every custom metric of a custom objective.

    Parameters
    ----------
    params : dict
        XGBoost parameters.
    dtrain : xgboost.DMatrix
        Training data with labels in [0, 1] (1-D, or 2-D for multi-label),
        or class indices 0..k-1 for :class:`SoftmaxFocalLoss`, and optional weights.
    num_boost_round : int, default=10
        Boosting rounds.
    objective : FocalLoss or SoftmaxFocalLoss
        The focal loss to train with. ``alpha="balanced"`` is fixed from
        ``dtrain``'s labels and weights (on a copy).
    **kwargs
        Passed to ``xgboost.train`` (``evals``, ``early_stopping_rounds``,
        ``callbacks``, ``xgb_model``, ...).

    Returns
    -------
    xgboost.Booster

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> from focal_gbm import FocalLoss, xgboost_train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)); y = (X[:, 0] > 1.3).astype(float)
    >>> dtrain = xgb.DMatrix(X, label=y)
    >>> booster = xgboost_train({"max_depth": 3}, dtrain, 20,
    ...                         objective=FocalLoss(gamma=2.0, alpha=0.25))
    >>> proba = booster.predict(dtrain)  # probabilities, not margins
    >>> bool(((proba > 0) & (proba < 1)).all())
    True
    """
    import xgboost

    params = dict(params)
    y, w = labels_and_weights(dtrain)
    starting = "base_score" not in params and kwargs.get("xgb_model") is None
    if isinstance(objective, SoftmaxFocalLoss):
        _require_objective(params, "multi:softprob")
        n_classes = int(params.get("num_class") or objective.known_n_classes()
                        or int(np.max(y)) + 1)
        params["num_class"] = n_classes
        trained = objective.fitted_copy(y, w, n_classes=n_classes)
        if starting:
            if not vector_intercept_supported():
                raise ValueError(
                    "xgboost_train with SoftmaxFocalLoss needs XGBoost >= 3.1, which keeps "
                    "one starting margin per class in the model (base_score); with this "
                    "XGBoost use FocalXGBClassifier, or pass base_score yourself"
                )
            # multi:softprob reads a vector base_score as margins, one per class.
            params["base_score"] = trained.init_score(y, w, n_classes=n_classes).tolist()
    elif isinstance(objective, FocalLoss):
        _require_objective(params, "binary:logistic")
        trained = objective.fitted_copy(y, w)
        if starting:
            # One probability per label column for 2-D labels (XGBoost >= 3.1).
            params["base_score"] = base_score(trained.init_score(y, w))
    else:
        raise TypeError(f"objective must be a FocalLoss or SoftmaxFocalLoss, got "
                        f"{type(objective).__name__}")
    params.setdefault("disable_default_eval_metric", 1)
    names = [m for m in metric_list(params.get("eval_metric")) if isinstance(m, str)]
    if names and "custom_metric" not in kwargs and kwargs.get("early_stopping_rounds"):
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), early_stopping_on_last(
            names, kwargs.pop("early_stopping_rounds"), maximize=kwargs.pop("maximize", None))]
    kwargs.setdefault("custom_metric", trained.metric)
    booster = xgboost.train(params, dtrain, num_boost_round, obj=trained, **kwargs)
    attach_fitted_alpha(booster, trained.fitted_alpha)
    return booster


def _require_objective(params: dict, expected: str):
    """Set XGBoost's objective to ``expected``: it only chooses how margins become
    probabilities (the gradients are the focal loss's)."""
    configured = params.setdefault("objective", expected)
    if configured != expected:
        raise ValueError(
            f"params['objective'] must be {expected!r} (it only sets how XGBoost turns "
            f"margins into probabilities), got {configured!r}"
        )
