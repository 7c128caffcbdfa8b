"""Focal loss as a first-class training objective for XGBoost and LightGBM.

The math lives in :mod:`focal_gbm._loss`; :class:`FocalLoss` makes it an
objective and a metric for both boosters; :func:`xgboost_train` and
:func:`lightgbm_train` start training from the optimal constant margin and
return boosters whose ``predict`` gives probabilities.

Neither booster is imported by ``import focal_gbm``: the scikit-learn
estimators ``FocalXGBClassifier`` and ``FocalLGBMClassifier`` are loaded on
first access (and so are not part of ``from focal_gbm import *``).
"""

from ._booster import predict_posterior
from ._cache import clear_kernel_cache, kernel_cache_dir
from ._lazy import lazy_getattr
from ._lgbm import add_init_score, lightgbm_train
from ._xgb import base_score, xgboost_train
from .objective import DEFAULT_HESSIAN, FocalLoss, SoftmaxFocalLoss

__version__ = "0.1.0"

# The estimators subclass nothing from the boosters but read their parameter
# lists, so they import xgboost / lightgbm: load them on first use only.
_LAZY = {
    "FocalXGBClassifier": ("._xgb_sklearn", "xgboost"),
    "FocalLGBMClassifier": ("._lgbm_sklearn", "lightgbm"),
    "FocalOneVsRestClassifier": (".multilabel", "xgboost"),
    "MultilabelReport": (".multilabel", "xgboost"),
    "multilabel_report": (".multilabel", "xgboost"),
}


__getattr__ = lazy_getattr(
    __name__, _LAZY, "{name} needs {extra} and scikit-learn: pip install 'focal-gbm[{extra}]'"
)


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = [
    "DEFAULT_HESSIAN",
    "FocalLoss",
    "SoftmaxFocalLoss",
    "__version__",
    "add_init_score",
    "base_score",
    "clear_kernel_cache",
    "kernel_cache_dir",
    "lightgbm_train",
    "predict_posterior",
    "xgboost_train",
]
