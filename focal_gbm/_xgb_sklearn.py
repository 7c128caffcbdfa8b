"""FocalXGBClassifier: XGBClassifier trained with focal loss."""

from __future__ import annotations

import json
import os

import numpy as np
import xgboost as xgb
from scipy.special import logit

from ._adapter import ObjectiveAdapter, SklearnMetric
from ._booster import metric_list
from ._sklearn import (
    FOCAL_PARAMS_DOC,
    FocalClassifierBase,
    ProbabilityMetric,
    booster_defaults,
    make_init,
    plain_fitted_attributes,
    with_focal_attributes,
)
from ._xgb import base_score, early_stopping_on_last, vector_intercept_supported
from .multilabel import warn_constant_labels

# The booster attribute that holds the estimator's focal metadata (JSON), saved with the model.
METADATA_ATTRIBUTE = "focal_gbm"
# XGBoost's metrics that abort on multi-label models.
_NO_MULTILABEL_METRICS = ("auc", "aucpr")
# "1" when the starting margins are the model's base_score (vector intercept).
INTERCEPT_ATTRIBUTE = "focal_gbm_intercept"

_DOC = FOCAL_PARAMS_DOC + """eval_metric : str, list of str, callable or None, default=None
    Metrics of ``eval_set`` next to the focal metric, as for ``XGBClassifier``.
    Built-in names (``"aucpr"``, ``["logloss", "auc"]``) are computed by XGBoost
    on the sigmoid (softmax) of the margins, the focal probabilities; ranking
    metrics equal those of ``predict_proba``. They are reported first, the
    focal metric (``focal_loss``) last, and ``early_stopping_rounds`` follows the
    last of them, as it would for ``XGBClassifier``. A callable
    ``f(y_true, y_score[, sample_weight])`` receives ``predict_proba``'s
    probabilities and takes the focal metric's place (XGBoost takes one custom
    metric); early stopping then follows it.
**params
    Every other parameter of ``xgboost.XGBClassifier`` except ``objective`` (the
    focal loss is the objective), with the same meaning and defaults.
"""


# A subclass of XGBClassifier so that the tools which recognise an
# XGBClassifier by isinstance (SHAP's TreeExplainer, xgboost.plot_importance,
# ...) take this one unchanged: what they read (get_booster(), the
# DMatrix-related parameters) means the same here. Everything else
# (parameters, validation, fit, predict, model files) is FocalClassifierBase's,
# training through an inner XGBClassifier; scikit-learn's check suite runs on
# the result (tests/test_sklearn_checks.py).
@plain_fitted_attributes("classes_", "n_features_in_", "feature_names_in_")
class FocalXGBClassifier(FocalClassifierBase, xgb.XGBClassifier):
    """XGBoost classifier trained with focal loss, a drop-in for ``XGBClassifier``.

    Binary problems use :class:`~focal_gbm.FocalLoss`, more classes
    :class:`~focal_gbm.SoftmaxFocalLoss`. Training starts from the optimal
    constant margin; evaluation sets are scored with the focal metric and
    the ``eval_metric`` given (else ``logloss`` / ``mlogloss``, as the
    parent). ``predict_proba`` returns probabilities, ``predict``
    the original labels, ``decision_function`` margins. A subclass of
    ``XGBClassifier``, so that the tools built for it (SHAP, treelite via
    ``get_booster()``, ``xgboost.plot_importance``, ONNX after ``import
    focal_gbm.onnx``) take it.

    Attributes
    ----------
    %(focal_attributes)s
    booster_ : xgboost.Booster
        The trained booster (also ``get_booster()``).
    evals_result_ : dict
        The ``eval_set`` history, ``{"validation_0": {"aucpr": [...],
        "focal_loss": [...]}}`` (``eval_metric``'s first; also
        ``evals_result()``); absent without ``eval_set``.
    best_iteration, best_score : int, float
        Under early stopping, as ``XGBClassifier`` (read from the booster).
    feature_importances_ : ndarray of shape (n_features,)
        As ``XGBClassifier.feature_importances_``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from focal_gbm import FocalXGBClassifier
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> clf = FocalXGBClassifier(focal_gamma=2.0, focal_alpha="balanced",
    ...                          n_estimators=20, max_depth=3).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    # XGBClassifier(obj) sets objective, with a FutureWarning: so does this one.
    __init__ = make_init(
        booster_defaults(xgb.XGBClassifier, exclude=("objective",)), _DOC,
        positional=("objective",),
    )

    _wrapper_class = xgb.XGBClassifier  # the Dask estimator swaps it
    _parent_no_validation = True
    _not_fitted_message = "need to call fit or load_model beforehand"
    _no_data_error = TypeError
    _no_labels_message = "Invalid classes inferred from unique values of `y`: got None"
    _positional_fit_params = ("sample_weight", "base_margin", "eval_set", "verbose",
                              "xgb_model", "sample_weight_eval_set", "base_margin_eval_set",
                              "feature_weights")
    _positional_fit_warns = True
    _cross_entropy_objectives = frozenset({"binary:logistic", "multi:softprob",
                                           "multi:softmax"})

    def _feature_names_error(self, expected, got):
        # XGBoost's words first (Booster._validate_features), then scikit-learn's.
        return ValueError(f"feature_names mismatch: {expected} {got}\n"
                          + super()._feature_names_error(expected, got).args[0])

    def _fit_booster(self, X, y, sample_weight, evals, fit_params):
        params = self._booster_params()
        eval_metric, early_stopping = self._eval_metric(params)
        if self.multilabel_:
            # Trained like the others (balanced alpha weighs its one class 0.5,
            # its starting margin is at the bound), but said, as LightGBM's
            # one-vs-rest and scikit-learn's OneVsRestClassifier say it.
            warn_constant_labels(y)
        self._intercept_in_model = self._single_margin or vector_intercept_supported()
        if self._intercept_in_model:
            # base_score is stored in the model; XGBoost adds it to every margin:
            # a probability per output for binary:logistic, a margin per class
            # for multi:softprob (a vector from XGBoost 3.1 on).
            if params.get("base_score") is None:
                params["base_score"] = (
                    base_score(float(self.init_score_)) if self._single_margin
                    else base_score(self.init_score_) if self.multilabel_
                    else self.init_score_.tolist())
            self._margin_offset = 0.0
        else:
            # An XGBoost without a vector intercept: pass the start as
            # base_margin and add it back to predictions (and keep it in model
            # files, where plain XGBoost cannot see it).
            self._margin_offset = self.init_score_
            fit_params["base_margin"] = self._repeat_margin(self.init_score_, y)
            fit_params["base_margin_eval_set"] = [
                self._repeat_margin(self.init_score_, ye) for _, ye, _ in evals
            ] or None
        fit_params.setdefault("verbose", False)
        if early_stopping is not None:
            params["early_stopping_rounds"] = None
            params["callbacks"] = [*(params.get("callbacks") or []), early_stopping]
        self._booster_model = self._new_wrapper(
            params, objective=ObjectiveAdapter(self.objective_, booster="xgboost"),
            eval_metric=eval_metric,
            disable_default_eval_metric=True,
        )
        self._booster_model.fit(
            X, y, sample_weight=sample_weight,
            eval_set=[(Xe, ye) for Xe, ye, _ in evals] or None,
            sample_weight_eval_set=[we for _, _, we in evals] if evals else None,
            **fit_params,
        )
        # XGBClassifier.set_params after fit pushes eval_metric to the booster's
        # configuration, which takes neither callables nor lists; the booster
        # keeps the metrics it trained with.
        self._booster_model.eval_metric = None
        self.booster_ = self._booster_model.get_booster()
        self._mark_booster()
        if evals:
            self.evals_result_ = self._booster_model.evals_result()
        if hasattr(self._booster_model, "best_iteration"):  # set by early stopping
            self.best_iteration_ = self._booster_model.best_iteration

    def _eval_metric(self, params):
        """The wrapper's ``eval_metric`` and, if it needs one, an early-stopping callback.

        With no metric named, ``logloss`` / ``mlogloss`` (what XGBClassifier
        records by default, here of the focal probabilities) and the focal
        metric, on which early stopping acts. Otherwise the user's built-in
        metrics (computed by XGBoost on the sigmoid / softmax of the
        margins), then one custom metric: the user's callable (given
        ``predict_proba``'s probabilities; XGBoost takes one) or else the
        focal metric. XGBoost stops on the last metric: with the focal metric
        last, early stopping is moved to the last of the user's.
        """
        metrics = metric_list(params.pop("eval_metric", None))
        wrong = [m for m in metrics if not (isinstance(m, str) or callable(m))]
        if wrong:
            raise TypeError(f"Invalid type for the `eval_metric`: {type(wrong[0]).__name__} "
                            f"({wrong[0]!r}); give metric names or callables")
        if not metrics:
            # Nothing named: under its name the metric XGBClassifier records by
            # default (equal at focal_gamma=0), then the focal metric, on
            # which XGBoost stops (its last).
            return ["logloss" if self._single_margin or self.multilabel_ else "mlogloss",
                    SklearnMetric(self.objective_, lightgbm=False)], None
        names = [m for m in metrics if isinstance(m, str)]
        custom = [m for m in metrics if callable(m)]
        if len(custom) > 1:
            # The parent's own error (XGBoost's scikit-learn API takes one custom metric).
            raise NotImplementedError("Using multiple custom metrics is not yet supported. "
                                      "(eval_metric holds more than one callable)")
        ranking = [m for m in names if m.split("@")[0] in _NO_MULTILABEL_METRICS]
        if self.multilabel_ and ranking:
            # XGBoost's AUC metrics check one prediction per label row and
            # abort on a multi-label model (plain XGBClassifier too).
            raise ValueError(
                f"eval_metric {ranking[0]!r} fails inside XGBoost for multi-label targets "
                "(plain XGBClassifier too); pass a callable instead, e.g. "
                "sklearn.metrics.average_precision_score or roc_auc_score (the macro "
                "average over labels of predict_proba's probabilities)"
            )
        if custom:
            last = ProbabilityMetric(
                custom[0], multilabel=self.multilabel_, posterior=self._posterior_objective,
                lightgbm=False,
                class_labels=self._extra_params.get("objective") == "multi:softmax")
        else:
            last = SklearnMetric(self.objective_, lightgbm=False)
        rounds = params.get("early_stopping_rounds")
        early_stopping = (early_stopping_on_last(names, rounds)
                          if names and not custom and rounds else None)
        return ([*names, last] if names else last), early_stopping

    # ---------------------------------------------- XGBClassifier's fitted API
    # The attributes and methods users call on a fitted XGBClassifier, with
    # its meaning; read from the booster, so they also hold after load_model.
    def get_booster(self):
        """The trained ``xgboost.Booster`` (the same object as ``booster_``)."""
        self._check_fitted("booster_")
        return self.booster_

    @property
    def _Booster(self):  # noqa: N802 (XGBClassifier's name)
        # Where XGBClassifier keeps its booster, which code written for it
        # reads (and hasattr(model, "_Booster") as "fitted"): booster_ here.
        try:
            return self.__dict__["booster_"]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} is not fitted: it has no "
                                 "_Booster (booster_)") from None

    def _metadata_of_parent_model(self, booster, source) -> str:
        """The metadata of a classifier file XGBoost wrote itself (see :meth:`load_model`)."""
        learner = json.loads(booster.save_config())["learner"]
        objective = learner["objective"]["name"]
        if objective not in self._cross_entropy_objectives:
            raise ValueError(
                f"{source if isinstance(source, (str, os.PathLike)) else 'the model'} is an "
                f"XGBoost model of objective {objective!r}, not a classifier: "
                f"{type(self).__name__} loads its own files (save_model) and XGBoost's "
                f"classifiers ({', '.join(sorted(self._cross_entropy_objectives))})")
        model_param = learner["learner_model_param"]
        n_classes = int(model_param["num_class"])
        if n_classes == 2:
            raise ValueError(
                f"the model is a two-class softmax ({objective!r}, num_class=2), which "
                f"{type(self).__name__} cannot hold: it models two classes with one margin "
                "(binary:logistic), as XGBClassifier trains them")
        n_targets = int(model_param.get("num_target", 1))
        # base_score: a probability per output for binary:logistic, a margin
        # per class for multi:softprob (one number before XGBoost 3.1).
        base = np.atleast_1d(np.asarray(json.loads(model_param["base_score"]), np.float64))
        if objective == "binary:logistic":
            start = logit(base)
            classes = np.arange(n_targets) if n_targets > 1 else np.arange(2)
            init_score = start if n_targets > 1 else float(start[0])
        else:
            classes = np.arange(n_classes)
            init_score = np.broadcast_to(base, (n_classes,))
        return self._cross_entropy_metadata(classes, multilabel=n_targets > 1,
                                            init_score=init_score,
                                            n_features_in=booster.num_features())

    def _parent_objective(self):
        # XGBClassifier's default, which its fit turns into multi:softprob
        # for more than two classes.
        fitted_multiclass = self.__dict__.get("n_classes_", 2) > 2 and not self.multilabel_
        return "multi:softprob" if fitted_multiclass else "binary:logistic"

    def _feature_names_in_booster(self):
        # XGBoost keeps the training columns' names in the model itself.
        return self.booster_.feature_names

    @property
    def best_iteration(self) -> int:
        """Best round under early stopping (0-based), as ``XGBClassifier.best_iteration``."""
        return self.get_booster().best_iteration

    @property
    def best_score(self) -> float:
        """Best value of the metric early stopping followed, as ``XGBClassifier.best_score``."""
        return self.get_booster().best_score

    def evals_result(self) -> dict:
        """The ``eval_set`` history: ``{"validation_0": {"focal_loss": [...]}, ...}``."""
        self._check_fitted("booster_")
        if not getattr(self, "evals_result_", None):
            raise xgb.core.XGBoostError("No evaluation result, `eval_set` is not used during "
                                        "training.")
        return self.evals_result_

    @property
    def feature_importances_(self):
        """Feature importances of the ``importance_type`` (default ``"gain"``), summing to 1."""
        self._check_fitted("booster_")
        return self._booster_model.feature_importances_

    def apply(self, X, iteration_range=None):
        """The leaf each sample ends in, per tree: shape (n_samples, n_trees)."""
        self._check_fitted("booster_")
        return self._booster_model.apply(self._validate_X(X, reset=False), iteration_range)

    def get_xgb_params(self) -> dict:
        """The booster's parameters, as ``XGBClassifier.get_xgb_params``.

        Without the focal parameters (the objective uses them, not the
        booster), and with a NumPy ``RandomState`` / ``Generator``
        ``random_state`` drawn into an integer seed, as the parent does.
        """
        params = {k: v for k, v in xgb.XGBModel.get_xgb_params(self).items()
                  if k in self._booster_params()}
        seed = params.get("random_state")
        if isinstance(seed, np.random.RandomState):
            params["random_state"] = seed.randint(np.iinfo(np.int32).max)
        elif isinstance(seed, np.random.Generator):
            params["random_state"] = int(seed.integers(np.iinfo(np.int32).max))
        return params

    def _update_fitted(self, params: dict):
        # XGBClassifier.set_params updates the fitted booster's configuration
        # (n_jobs, device, ...); ours trains and predicts through the inner one.
        known = self._booster_params()
        booster_params = {k: v for k, v in params.items() if k in known}
        if booster_params and hasattr(self, "_booster_model"):
            self._booster_model.set_params(**booster_params)

    def predict(self, X, *, output_margin=False, validate_features=True, base_margin=None,
                iteration_range=None):
        """The class the focal margins choose for each sample, as ``XGBClassifier.predict``.

        ``output_margin=True`` returns the margins instead (the starting
        margin included, as :meth:`decision_function`). ``base_margin`` (one
        margin per row, or per row and output) replaces the starting margin,
        as it replaces ``base_score`` for the parent; ``iteration_range``
        selects trees (default: up to the best iteration after early
        stopping); ``validate_features`` checks feature names. For two
        classes (and each label) the chosen class is ``classes_[1]`` where the
        margin is positive.
        """
        margin = self._decision(X, validate_features=validate_features,
                                base_margin=base_margin, iteration_range=iteration_range)
        return margin if output_margin else self._labels(margin)

    def predict_proba(self, X, *, validate_features=True, base_margin=None,
                      iteration_range=None):
        """Class probabilities, shape (n_samples, n_classes), as ``XGBClassifier.predict_proba``.

        The class probabilities behind the focal margins by default, the
        focal probabilities with ``focal_probability="focal"``; (n_samples,
        n_labels) for a multi-label target. The keywords as for :meth:`predict`.
        """
        return self._proba(self._decision(X, validate_features=validate_features,
                                          base_margin=base_margin,
                                          iteration_range=iteration_range))

    def _margin(self, X, *, validate_features=True, base_margin=None, iteration_range=None):
        margin = self._booster_model.predict(X, output_margin=True, base_margin=base_margin,
                                             validate_features=validate_features,
                                             iteration_range=iteration_range)
        # A user's base_margin replaces the start, as it replaces base_score.
        return margin if base_margin is not None else margin + self._margin_offset

    def _mark_booster(self):
        """Write this estimator's metadata, and where its start is, on the booster."""
        self.booster_.set_attr(**{METADATA_ATTRIBUTE: self._metadata(),
                                  INTERCEPT_ATTRIBUTE: "1" if self._intercept_in_model else None})

    def save_model(self, fname):
        """Write the model in XGBoost's native format (``.json`` or ``.ubj``).

        The file also holds what this estimator needs to predict the same
        (classes, starting margin, focal parameters), as a booster attribute;
        :meth:`load_model` reads it back.
        """
        self._mark_booster()
        self._booster_model.save_model(fname)

    def load_model(self, fname):
        """Load a model file (or a ``bytearray`` holding one); returns self.

        A file written by :meth:`save_model` predicts as the estimator that
        was saved. A classifier XGBoost wrote itself (``binary:logistic``,
        ``multi:softprob``, ``multi:softmax``; by ``XGBClassifier`` or
        ``xgboost.train``) loads as what it is, focal loss at
        ``focal_gamma=0``: classes ``0 .. n_classes - 1`` as
        ``XGBClassifier.load_model`` gives them, the parent's probabilities.
        """
        model = FocalXGBClassifier._wrapper_class()  # the parent, also for Dask subclasses
        model.load_model(fname)
        meta = model.get_booster().attr(METADATA_ATTRIBUTE)
        parents_file = meta is None
        if parents_file:
            meta = self._metadata_of_parent_model(model.get_booster(), fname)
        self._booster_model = model
        self.booster_ = model.get_booster()
        self._restore_metadata(meta)
        if parents_file:  # the objective it names, as XGBClassifier.load_model sets it
            self.objective = model.objective
        # Our files written before the vector intercept keep the start outside;
        # XGBoost's own always hold it (base_score).
        self._intercept_in_model = (parents_file or self._single_margin
                                    or self.booster_.attr(INTERCEPT_ATTRIBUTE) == "1")
        self._margin_offset = 0.0 if self._intercept_in_model else self.init_score_
        return self


with_focal_attributes(FocalXGBClassifier)
