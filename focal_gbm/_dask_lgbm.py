"""DaskFocalLGBMClassifier: FocalLGBMClassifier trained by lightgbm.dask."""

from __future__ import annotations

import lightgbm as lgb
import lightgbm.dask  # noqa: F401  (lgb.dask is not imported by lightgbm itself)
import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from . import _dask_stats
from ._dask_sklearn import DaskFocalMixin
from ._lgbm_sklearn import FocalLGBMClassifier
from ._sklearn import FOCAL_PARAMS_DOC, booster_defaults, make_init

_DOC = FOCAL_PARAMS_DOC + """client : distributed.Client, default=None
    The Dask client; ``None`` uses the default client.
**params
    Every parameter of ``lightgbm.dask.DaskLGBMClassifier`` except ``objective`` and
    ``metric``, with the same meaning and defaults.
"""


def _raw_score(booster, part):
    return booster.predict(part, raw_score=True)


def _class_weight_block(y_block, class_weight):
    return class_weight[np.asarray(y_block, dtype=np.intp)]


class DaskFocalLGBMClassifier(DaskFocalMixin, FocalLGBMClassifier):
    """:class:`~focal_gbm.FocalLGBMClassifier` on a Dask cluster (``lightgbm.dask``).

    ``fit`` takes Dask arrays or DataFrames with 1-D labels (LightGBM has no
    multi-label mode). The classes, ``class_weight="balanced"``,
    ``"balanced"`` alpha and the starting margin are computed over all
    partitions before training, and the starting margin is added to the
    first trees of ``booster_`` as locally. ``predict_proba``, ``predict``
    and ``decision_function`` return Dask arrays; :meth:`to_local` returns
    the equivalent :class:`~focal_gbm.FocalLGBMClassifier`.

    Attributes
    ----------
    The attributes of :class:`~focal_gbm.FocalLGBMClassifier`, computed over
    all partitions (``classes_``, ``init_score_``, the fitted alpha in
    ``objective_``), and ``booster_`` trained by ``lightgbm.dask``.

    Notes
    -----
    ``lightgbm.dask`` evaluates ``eval_set`` on each worker's own partitions
    and returns the history of one worker: ``evals_result_`` is the exact
    weighted focal loss over the eval partitions held by the worker whose
    model is returned, not over the whole eval set. Score the whole set with
    ``predict_proba`` when that matters.

    Examples
    --------
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from focal_gbm.dask import DaskFocalLGBMClassifier
    >>> with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
    ...                   dashboard_address=None) as cluster, Client(cluster):
    ...     X = da.random.default_rng(0).normal(size=(2000, 4), chunks=(1000, 4))
    ...     y = (X[:, 0] > 1.5).astype(int)
    ...     clf = DaskFocalLGBMClassifier(focal_alpha="balanced", n_estimators=10,
    ...                                   verbose=-1).fit(X, y)
    ...     proba = clf.predict_proba(X).compute()
    >>> proba.shape
    (2000, 2)
    """

    __init__ = make_init(
        booster_defaults(lgb.dask.DaskLGBMClassifier, exclude=("objective",)), _DOC
    )
    _local_class = FocalLGBMClassifier
    # Not DaskLGBMClassifier: each of its workers label-encodes the rows it
    # holds, so a worker whose partitions lack a class (say, holding only
    # positives) hands the objective shifted labels, silently. The regressor
    # passes the globally encoded labels through; the objective and the
    # model header (add_init_score) make it a classifier.
    _wrapper_class = lgb.dask.DaskLGBMRegressor
    _repeat_margin = staticmethod(_dask_stats.repeat_init_score)
    _dask_multilabel = False

    def _new_wrapper(self, params, **fixed):
        if self.n_classes_ > 2:
            params = {**params, "num_class": self.n_classes_}
        return self._wrapper_class(**params, **fixed)

    @staticmethod
    def _trained_booster(model):
        return model.to_local().booster_

    def _effective_weight_dask(self, y_encoded, sample_weight, class_counts):
        # class_weight multiplies the sample weights, as LGBMClassifier does,
        # with "balanced" taken from the class counts of all partitions.
        if self.class_weight is None:
            return sample_weight
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            per_class = class_counts.sum() / (len(class_counts) * class_counts)
        else:
            # y is not looked at for a dict of weights.
            per_class = compute_class_weight(self.class_weight, classes=self.classes_,
                                             y=self.classes_)
        weight = y_encoded.map_blocks(_class_weight_block, per_class.astype(np.float64),
                                      dtype=np.float64)
        return weight if sample_weight is None else weight * sample_weight

    def _predict_margin_with_offset(self):
        return _raw_score  # the starting margin is in the booster's first trees

    def _load_local(self, local: FocalLGBMClassifier) -> FocalLGBMClassifier:
        return local.load_model(model_str=self._model_text())
