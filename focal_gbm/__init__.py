"""Focal loss as a first-class training objective for XGBoost and LightGBM.

The math lives in :mod:`focal_gbm._loss`; :class:`FocalLoss` makes it an
objective and a metric for both boosters; :func:`xgboost_train` and
:func:`lightgbm_train` start training from the optimal constant margin and
return boosters whose ``predict`` gives probabilities.

Neither booster is imported by ``import focal_gbm``.
"""

from ._lgbm import add_init_score, lightgbm_train
from ._xgb import base_score, xgboost_train
from .objective import DEFAULT_HESSIAN, FocalLoss, SoftmaxFocalLoss

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_HESSIAN",
    "FocalLoss",
    "SoftmaxFocalLoss",
    "__version__",
    "add_init_score",
    "base_score",
    "lightgbm_train",
    "xgboost_train",
]
