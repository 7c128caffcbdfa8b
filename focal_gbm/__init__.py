"""Focal loss as a first-class training objective for XGBoost and LightGBM.

The math lives in :mod:`focal_gbm._loss`; :class:`FocalLoss` makes it an
objective and a metric for both boosters; :func:`xgboost_train` and
:func:`lightgbm_train` start training from the optimal constant margin and
return boosters whose ``predict`` gives probabilities.

Neither booster is imported by ``import focal_gbm``: the scikit-learn
estimators ``FocalXGBClassifier``, ``FocalLGBMClassifier`` and
``FocalOneVsRestClassifier`` are loaded on first access (``from focal_gbm
import *`` imports those whose booster is installed).
"""

from ._booster import predict_posterior
from ._lazy import lazy_getattr
from ._lgbm import add_init_score, lightgbm_train
from ._xgb import base_score, xgboost_train
from .objective import DEFAULT_HESSIAN, FocalLoss, SoftmaxFocalLoss

__version__ = "0.1.0"

# The estimators subclass the boosters' classifiers, so they import xgboost /
# lightgbm: load them on first use only.
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


def _installed(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses it: not usable here
        return False


# The estimators of the installed boosters (so that ``from focal_gbm import *``
# works with either booster missing).
__all__ = [
    *(name for name, (_, extra) in _LAZY.items()
      if name.startswith("Focal") and _installed(extra) and _installed("sklearn")),
    "DEFAULT_HESSIAN",
    "FocalLoss",
    "SoftmaxFocalLoss",
    "__version__",
    "add_init_score",
    "base_score",
    "lightgbm_train",
    "predict_posterior",
    "xgboost_train",
]
