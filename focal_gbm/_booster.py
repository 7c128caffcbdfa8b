"""What focal_gbm keeps on a trained booster, and how it predicts probabilities from one.

The class weights ``alpha="balanced"`` was fixed to travel with the booster
(:func:`attach_fitted_alpha`, :func:`carried_fitted_alpha`);
:func:`predict_posterior` maps a booster's margins to class probabilities;
:func:`margin_repeat` and :func:`metric_list` are the small conventions the
training functions and estimators share. Imports no booster.
"""

from __future__ import annotations

import json

import numpy as np
from numpy.typing import NDArray

# The booster attribute (XGBoost: saved with the model; LightGBM: on the
# Python object only) holding the class weights "balanced" was fixed to.
FITTED_ALPHA_ATTRIBUTE = "focal_gbm_fitted_alpha"


def _booster_module(booster) -> str:
    module = type(booster).__module__.split(".", 1)[0]
    if module not in ("xgboost", "lightgbm"):
        raise TypeError(f"booster must be an xgboost or lightgbm Booster, got "
                        f"{type(booster).__name__}")
    return module


def attach_fitted_alpha(booster, fitted_alpha) -> None:
    """Let ``booster`` carry the class weights its objective fixed in training.

    XGBoost keeps them as a model attribute (saved with the model); a
    LightGBM Booster as an attribute of the Python object (its files keep no
    extra data). None (nothing was fixed) changes nothing.
    """
    if fitted_alpha is None:
        return
    value = json.dumps(np.asarray(fitted_alpha, dtype=np.float64).tolist())
    if _booster_module(booster) == "xgboost":
        booster.set_attr(**{FITTED_ALPHA_ATTRIBUTE: value})
    else:
        setattr(booster, FITTED_ALPHA_ATTRIBUTE, value)


def carried_fitted_alpha(booster):
    """The class weights :func:`attach_fitted_alpha` put on ``booster`` (None if none)."""
    if _booster_module(booster) == "xgboost":
        value = booster.attr(FITTED_ALPHA_ATTRIBUTE)
    else:
        value = getattr(booster, FITTED_ALPHA_ATTRIBUTE, None)
    return None if value is None else np.asarray(json.loads(value), dtype=np.float64)


def predict_posterior(booster, data, *, objective, **predict_params) -> NDArray:
    """Class probabilities from a booster trained with a focal objective.

    The booster's margins for ``data`` (``output_margin=True`` for XGBoost,
    ``raw_score=True`` for LightGBM), mapped by ``objective.posterior``: the
    class probabilities behind the focal optimum rather than the focal
    probabilities ``booster.predict`` returns (docs/math.md §8).

    Parameters
    ----------
    booster : xgboost.Booster or lightgbm.Booster
        Trained with ``objective``, its starting margin included in what it
        predicts (as :func:`~focal_gbm.xgboost_train` and
        :func:`~focal_gbm.lightgbm_train` return them; for XGBoost a
        ``base_margin`` set on ``data`` counts too).
    data : xgboost.DMatrix, or what ``lightgbm.Booster.predict`` accepts
    objective : FocalLoss or SoftmaxFocalLoss
        The objective trained with. For ``alpha="balanced"`` the class
        weights fixed in training are those the booster carries (boosters
        from :func:`~focal_gbm.xgboost_train` and :func:`~focal_gbm.lightgbm_train`
        do; XGBoost keeps them in saved models too); otherwise the
        objective's own, which ``fit_alpha`` must have fixed.
    **predict_params
        Passed to ``booster.predict`` (``iteration_range``, ``num_iteration``, ...).

    Returns
    -------
    ndarray
        The probability of the positive class (of each label column) for a
        binary objective, shape like the margins; (n_samples, n_classes) for
        :class:`~focal_gbm.SoftmaxFocalLoss`.

    Examples
    --------
    >>> import numpy as np, xgboost as xgb
    >>> from focal_gbm import FocalLoss, predict_posterior, xgboost_train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 3)); y = (X[:, 0] > 1.3).astype(float)
    >>> dtrain = xgb.DMatrix(X, label=y)
    >>> loss = FocalLoss(gamma=2.0)
    >>> booster = xgboost_train({"max_depth": 3}, dtrain, 20, objective=loss)
    >>> posterior = predict_posterior(booster, dtrain, objective=loss)
    >>> bool(posterior.mean() < booster.predict(dtrain).mean())  # focal is pulled to 1/2
    True
    """
    if _booster_module(booster) == "xgboost":
        margin = booster.predict(data, output_margin=True, **predict_params)
    else:
        margin = booster.predict(data, raw_score=True, **predict_params)
    carried = carried_fitted_alpha(booster)
    if carried is not None and isinstance(objective.alpha, str):
        objective = objective.with_fitted_alpha(carried)
    return objective.posterior(margin)


def metric_list(metric) -> list:
    """A booster's metric setting as a list: a name or a callable alone, or its items."""
    if metric is None:
        return []
    if isinstance(metric, str) or callable(metric):
        return [metric]
    return list(metric)


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
