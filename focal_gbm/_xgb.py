"""XGBoost glue: train from the optimal starting margin, predict probabilities.

``xgboost`` is imported inside the functions so that ``import focal_gbm``
works without it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._booster import labels_and_weights, metric_list
from .objective import FocalLoss

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
    objective: FocalLoss,
    **kwargs,
):
    """``xgboost.train`` with a focal objective, started from the optimal margin.

    Sets, unless ``params`` already holds them, ``objective="binary:logistic"``
    (so that ``Booster.predict`` returns probabilities and
    ``predict(output_margin=True)`` margins), ``base_score`` to the
    probability of :meth:`FocalLoss.init_score` (stored in the model, so a
    saved and reloaded model predicts the same), and
    ``disable_default_eval_metric``; and passes ``objective.metric`` as
    ``custom_metric`` so that ``evals`` report the focal loss and
    ``early_stopping_rounds`` follows it.

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
        Training data with 1-D labels in [0, 1] (and optional weights).
    num_boost_round : int, default=10
        Boosting rounds.
    objective : FocalLoss
        The focal loss to train with. ``alpha="balanced"`` is fixed from
        ``dtrain``'s labels and weights.
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

    if not isinstance(objective, FocalLoss):
        raise TypeError(f"objective must be a FocalLoss, got {type(objective).__name__}")
    params = dict(params)
    configured = params.setdefault("objective", "binary:logistic")
    if configured != "binary:logistic":
        raise ValueError(
            "params['objective'] must be 'binary:logistic' (it only sets how XGBoost "
            f"turns margins into probabilities), got {configured!r}"
        )
    y, w = labels_and_weights(dtrain)
    objective.fit_alpha(y, w)
    if "base_score" not in params and kwargs.get("xgb_model") is None:
        # One probability per label column for 2-D labels (XGBoost >= 3.1).
        params["base_score"] = base_score(objective.init_score(y, w))
    params.setdefault("disable_default_eval_metric", 1)
    names = [m for m in metric_list(params.get("eval_metric")) if isinstance(m, str)]
    if names and "custom_metric" not in kwargs and kwargs.get("early_stopping_rounds"):
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), early_stopping_on_last(
            names, kwargs.pop("early_stopping_rounds"), maximize=kwargs.pop("maximize", None))]
    kwargs.setdefault("custom_metric", objective.metric)
    return xgboost.train(params, dtrain, num_boost_round, obj=objective, **kwargs)
