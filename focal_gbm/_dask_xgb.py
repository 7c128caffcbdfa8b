"""DaskFocalXGBClassifier: FocalXGBClassifier trained by xgboost.dask."""

from __future__ import annotations

import functools

import numpy as np
import xgboost as xgb
import xgboost.dask  # noqa: F401  (xgb.dask is not imported by xgboost itself)

from . import _dask_stats
from ._dask_sklearn import DaskFocalMixin
from ._sklearn import FOCAL_PARAMS_DOC, booster_defaults, make_init
from ._xgb_sklearn import METADATA_ATTRIBUTE, FocalXGBClassifier

_DOC = FOCAL_PARAMS_DOC + """client : distributed.Client, default=None
    The Dask client; ``None`` uses the default client.
**params
    Every parameter of ``xgboost.dask.DaskXGBClassifier`` except ``objective``, with
    the same meaning and defaults (``eval_metric`` as for
    :class:`~focal_gbm.FocalXGBClassifier`).
"""


def _inplace_margin(booster, part, *, offset):
    # The start of multi-class models is not in the booster: add it back.
    return booster.inplace_predict(part, predict_type="margin") + offset


class DaskFocalXGBClassifier(DaskFocalMixin, FocalXGBClassifier):
    """:class:`~focal_gbm.FocalXGBClassifier` on a Dask cluster (``xgboost.dask``).

    ``fit`` takes Dask arrays or DataFrames. The classes, ``"balanced"``
    alpha and the starting margin are computed over all partitions before
    training; the focal metric on ``eval_set`` is the global weighted mean
    over all workers (XGBoost's built-in ``eval_metric`` are its own).
    ``predict_proba``, ``predict`` and ``decision_function`` return Dask
    arrays; :meth:`to_local` returns the equivalent
    :class:`~focal_gbm.FocalXGBClassifier`.

    Attributes
    ----------
    The attributes of :class:`~focal_gbm.FocalXGBClassifier`, computed over
    all partitions (``classes_``, ``init_score_``, the fitted alpha in
    ``objective_``), and ``booster_`` trained by ``xgboost.dask``.

    Examples
    --------
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from focal_gbm.dask import DaskFocalXGBClassifier
    >>> with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
    ...                   dashboard_address=None) as cluster, Client(cluster):
    ...     X = da.random.default_rng(0).normal(size=(2000, 4), chunks=(1000, 4))
    ...     y = (X[:, 0] > 1.5).astype(int)
    ...     clf = DaskFocalXGBClassifier(focal_alpha="balanced", n_estimators=10).fit(X, y)
    ...     proba = clf.predict_proba(X).compute()
    >>> proba.shape
    (2000, 2)
    """

    __init__ = make_init(
        {**booster_defaults(xgb.dask.DaskXGBClassifier, exclude=("objective",)),
         "client": None},
        _DOC,
    )
    _local_class = FocalXGBClassifier
    _wrapper_class = xgb.dask.DaskXGBClassifier
    _repeat_margin = staticmethod(_dask_stats.repeat_init_score)

    def _new_wrapper(self, params, **fixed):
        # DaskXGBClassifier takes its client as an attribute, not a parameter.
        client = params.pop("client", None)
        model = self._wrapper_class(**params, **fixed)
        if client is not None:
            model.client = client
        return model

    def _predict_margin_with_offset(self):
        return functools.partial(_inplace_margin, offset=np.asarray(self._margin_offset))

    def _load_local(self, local: FocalXGBClassifier) -> FocalXGBClassifier:
        self.booster_.set_attr(**{METADATA_ATTRIBUTE: self._metadata()})
        return local.load_model(bytearray(self.booster_.save_raw("ubj")))
