"""FocalLGBMClassifier: LGBMClassifier trained with focal loss."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
from sklearn.utils.class_weight import compute_sample_weight

from ._adapter import FOCAL_METRIC, ObjectiveAdapter, SklearnMetric
from ._booster import metric_list
from ._lgbm import NoObjectiveReset, add_init_score
from ._lgbm_metrics import ArrayMetric, asks_for_no_metric, check_metric_task, metric_names
from ._sklearn import (
    FOCAL_PARAMS_DOC,
    FocalClassifierBase,
    ProbabilityMetric,
    booster_defaults,
    make_init,
    plain_fitted_attributes,
    with_focal_attributes,
)
from .multilabel import ConstantLabel, FocalOneVsRestClassifier

# A line of its own in the model text, before LightGBM's trailing
# "pandas_categorical:" line (which LightGBM's Python package reads from the
# end of the file); LightGBM's own parser stops before both.
_META_PREFIX = "focal_gbm:"
# The estimator's metadata in a multi-label model's folder (save_model).
_MULTILABEL_MANIFEST = "focal_gbm.json"
# Names that read as one model file, refused for a multi-label model's folder.
_MODEL_FILE_SUFFIXES = (".txt", ".json", ".model", ".lgb", ".lgbm", ".bin", ".ubj", ".pkl")


def _has_eval_xy(wrapper_class) -> bool:
    return "eval_X" in inspect.signature(wrapper_class.fit).parameters


_DOC = FOCAL_PARAMS_DOC + """**params
    Every parameter of ``lightgbm.LGBMClassifier`` except ``objective`` (the focal
    loss is the objective), with the same meaning and defaults, plus any other
    LightGBM parameter (``verbose=-1``, ...). ``metric`` (and ``fit``'s
    ``eval_metric``) as for ``LGBMClassifier``: every LightGBM metric of a
    classification model (``"auc"``, ``"binary_logloss"``, ``"multi_error"``,
    ``"fair"``, ``"l2"``, ``"cross_entropy"``, ..., with LightGBM's aliases
    and parameters) is computed as LightGBM computes it, on the sigmoid
    (softmax) of the margins, the focal probabilities (ranking metrics equal
    those of ``predict_proba``); callables ``f(y_true, y_pred[, weight])``
    (LightGBM's form) or ``f(y_true, y_score, *, sample_weight=None)``
    (scikit-learn's) get ``predict_proba``'s probabilities. They are recorded
    in the parent's order, with the metric it records unasked
    (``binary_logloss`` / ``multi_logloss``); without named metrics the focal
    metric (``focal_loss``) is recorded too (name ``"focal_loss"`` to keep it
    next to named ones), and early stopping follows LightGBM's rule over what
    is recorded (every metric, or the first with ``first_metric_only``).
"""


# Constructor keywords that are no prediction parameter of the booster, and
# those Booster.predict takes as arguments (LGBMModel.predict drops them too:
# the training data's file, with its aliases, as a config file gives it).
_NOT_PREDICT_PARAMETERS = frozenset({
    "objective", "metric", "eval_metric", "callbacks", "num_class", "num_classes",
    "data", "data_filename", "train", "train_data", "train_data_file", "X", "raw_score",
    "start_iteration", "num_iteration", "pred_leaf", "pred_contrib", "validate_features"})


class FeatureNamesMismatchError(ValueError, lgb.basic.LightGBMError):
    """Columns at predict time that are not those of ``fit``: a ValueError, and
    the ``LightGBMError`` ``LGBMClassifier`` raises for them."""


# A subclass of LGBMClassifier so that the tools which recognise an
# LGBMClassifier by isinstance (SHAP's TreeExplainer, lightgbm.plot_importance,
# ...) take this one unchanged: what they read (booster_, n_classes_,
# objective) means the same here. Everything else (parameters, validation,
# fit, predict, model files) is FocalClassifierBase's, training through an
# inner LGBMClassifier; scikit-learn's check suite runs on the result
# (tests/test_sklearn_checks.py).
@plain_fitted_attributes("classes_", "n_classes_", "n_features_in_", "feature_names_in_",
                         "objective_", "booster_", "evals_result_", "best_iteration_",
                         "best_score_")
class FocalLGBMClassifier(FocalClassifierBase, lgb.LGBMClassifier):
    """LightGBM classifier trained with focal loss, a drop-in for ``LGBMClassifier``.

    Binary problems use :class:`~focal_gbm.FocalLoss`, more classes
    :class:`~focal_gbm.SoftmaxFocalLoss`. Training starts from the optimal
    constant margin, which is then added to the first trees so that
    ``booster_`` (and :meth:`save_model` files) predict probabilities that
    include it; evaluation sets are scored as ``LGBMClassifier`` scores them
    (``binary_logloss`` / ``multi_logloss`` unless ``metric`` names others,
    and ``fit``'s ``eval_metric``), with the focal metric when no metric is
    named. A subclass of ``LGBMClassifier``, so that the tools built for
    it (SHAP, treelite via ``booster_``, ``lightgbm.plot_importance``, ONNX
    after ``import focal_gbm.onnx``) take it.

    Attributes
    ----------
    %(focal_attributes)s
    booster_ : lightgbm.Booster or None
        The trained booster, starting margin in its first trees; None for a
        multi-label target (see ``one_vs_rest_``).
    one_vs_rest_ : FocalOneVsRestClassifier
        Multi-label targets only: one booster per label.
    evals_result_, best_iteration_, best_score_ : dict, int, dict
        As ``LGBMClassifier`` (``{}``, 0 and ``{}`` without ``eval_set`` and
        early stopping).
    feature_importances_, feature_name_, n_features_, n_estimators_, n_iter_
        As ``LGBMClassifier`` (read from ``booster_``).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from focal_gbm import FocalLGBMClassifier
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> clf = FocalLGBMClassifier(focal_gamma=2.0, focal_alpha="balanced",
    ...                           n_estimators=20, verbose=-1).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    __init__ = make_init(booster_defaults(lgb.LGBMClassifier, exclude=("objective",)), _DOC)

    # What the Dask estimator swaps: the wrapper that trains and how its
    # booster is read back.
    _wrapper_class = lgb.LGBMClassifier
    _parent_one_d_labels = True
    _not_fitted_message = "Estimator not fitted, call fit before exploiting the model."
    _no_labels_message = "Expected array-like (array or non-string sequence), got None"
    _positional_fit_params = ("sample_weight", "init_score", "eval_set", "eval_names",
                              "eval_sample_weight", "eval_class_weight", "eval_init_score",
                              "eval_metric", "feature_name", "categorical_feature", "callbacks",
                              "init_model")
    _cross_entropy_objectives = frozenset({"binary", "multiclass", "softmax"})
    # LGBMClassifier's words when a fitted model has no feature names.
    _missing_attribute_hints = {
        "feature_names_in_": "The training data did not have feature names (e.g. was a "
                             "numpy array rather than a pandas DataFrame)."}

    @staticmethod
    def _trained_booster(model):
        return model.booster_

    def _effective_weight(self, y, sample_weight):
        # class_weight multiplies the sample weights, as LGBMClassifier does;
        # done here so that balanced alpha and the starting margin see it too.
        if self.class_weight is None or y.ndim == 2:  # multi-label: per label, below
            return sample_weight
        weight = compute_sample_weight(self.class_weight, y)
        return weight if sample_weight is None else weight * sample_weight

    def _fit_booster(self, X, y, sample_weight, evals, fit_params):
        if self.multilabel_:
            # LightGBM has no multi-label mode: one booster per label.
            # Each label's own focal_gamma / focal_alpha are set by the one-vs-rest.
            per_label = type(self)(**self.get_params())
            self.booster_ = None
            self.one_vs_rest_ = FocalOneVsRestClassifier(
                per_label, focal_gamma=self.focal_gamma, focal_alpha=self.focal_alpha,
                focal_gamma_neg=self.focal_gamma_neg, focal_clip=self.focal_clip,
            ).fit(X, y, sample_weight=sample_weight,
                  eval_set=[(Xe, ye) for Xe, ye, _ in evals] or None,
                  eval_sample_weight=[we for _, _, we in evals] if evals else None,
                  **fit_params)
            return
        params = self._booster_params()
        for alias in ("boosting_type", "boosting", "boost"):
            if str(params.get(alias, "")).lower() in ("rf", "random_forest"):
                # rf.hpp: "RF mode do not support custom objective function".
                raise ValueError(
                    f"{alias}={params[alias]!r}: LightGBM's random-forest mode fits every "
                    "tree to the built-in objective's gradients at the start and accepts "
                    "no custom objective, so it cannot train focal loss. Use "
                    "boosting_type='gbdt' (with subsample, subsample_freq and "
                    "colsample_bytree for bagging), or LGBMClassifier for a random forest"
                )
        params["class_weight"] = None  # already in sample_weight
        # LGBMClassifier scores an eval set that is the training data on the
        # training Dataset itself: with the training weights, whatever
        # eval_sample_weight says.
        evals = [(Xe, ye, sample_weight if Xe is X and ye is y else we) for Xe, ye, we in evals]
        # As for LGBMClassifier, a user's init_score (or init_model, whose
        # predictions are the start) replaces the starting margin, and is not
        # part of the model.
        init_score = fit_params.pop("init_score", None)
        eval_init_score = fit_params.pop("eval_init_score", None)
        if init_score is not None or fit_params.get("init_model") is not None:
            self.init_score_ = np.zeros_like(self.init_score_)
        else:
            # The model's start is added on the Dataset while training: to the
            # training rows, and to each evaluation set's own margin, if given,
            # as the parent's model holds its start on top of eval_init_score.
            init_score = self._repeat_margin(self.init_score_, y)
            given_eval = eval_init_score or [None] * len(evals)
            eval_init_score = [self._repeat_margin(self.init_score_, ye)
                               + (0.0 if start is None else np.asarray(start, np.float64))
                               for (_, ye, _), start in zip(evals, given_eval)] or None
        if fit_params.get("eval_class_weight") is not None:
            fit_params["eval_class_weight"] = [self._encoded_class_weight(weight)
                                               for weight in fit_params["eval_class_weight"]]
        eval_metric = self._eval_metric(params, fit_params.pop("eval_metric", None))
        params["metric"] = "None"
        if evals and _has_eval_xy(self._wrapper_class):  # LightGBM >= 4.7 deprecates eval_set
            fit_params["eval_X"] = tuple(Xe for Xe, _, _ in evals)
            fit_params["eval_y"] = tuple(ye for _, ye, _ in evals)
        elif evals:
            fit_params["eval_set"] = [(Xe, ye) for Xe, ye, _ in evals]
        if evals and fit_params.get("eval_names") is None:
            # LGBMClassifier names an evaluation set that is the training data
            # "training" (it recognises the objects; through eval_X it cannot).
            fit_params["eval_names"] = ["training" if Xe is X and ye is y else f"valid_{i}"
                                        for i, (Xe, ye, _) in enumerate(evals)]
        fit_params.update(
            sample_weight=sample_weight, init_score=init_score,
            # lightgbm.dask needs None, not a list of None, for "no weights".
            eval_sample_weight=([we for _, _, we in evals]
                                if any(we is not None for _, _, we in evals) else None),
            eval_init_score=eval_init_score, eval_metric=eval_metric,
            callbacks=[*(fit_params.get("callbacks") or []), NoObjectiveReset()])
        # LightGBM pre-filters features by row counts (min_child_samples),
        # which a row of weight 2 and two copies of it do not share; keeping
        # every feature lets the sample weights act as copies (scikit-learn's
        # contract, check_sample_weight_equivalence). A feature it would drop
        # cannot be split on either way; only colsample_bytree < 1 then draws
        # from more features than the parent does.
        params.setdefault("feature_pre_filter", False)
        model = self._new_wrapper(
            params, objective=ObjectiveAdapter(self.objective_, booster="lightgbm"))
        model.fit(X, y, **fit_params)
        self.booster_ = add_init_score(self._trained_booster(model), self.init_score_)
        # As LGBMClassifier sets them: {} and 0 without eval_set / early stopping.
        self.evals_result_ = model.evals_result_
        self.best_iteration_ = model.best_iteration_
        self.best_score_ = model.best_score_

    def _encoded_class_weight(self, class_weight):
        """``eval_class_weight``'s dict keyed by the encoded labels the booster sees."""
        if not isinstance(class_weight, dict):  # "balanced" or None
            return class_weight
        encoded = {}
        for label, weight in class_weight.items():
            index = np.flatnonzero(self.classes_ == label)
            if index.size == 0:
                raise ValueError(f"eval_class_weight names the class {label!r}, which is not "
                                 f"in classes_ {list(self.classes_)}")
            encoded[int(index[0])] = weight
        return encoded

    def _feature_names_error(self, expected, got):
        # LightGBM's words (its Booster checks names with validate_features=True,
        # raising LightGBMError), then scikit-learn's, whose rule applies here
        # whatever validate_features says; a ValueError as well.
        position = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), None)
        where = (f"Expected {expected[position]!r} at position {position} but found "
                 f"{got[position]!r}" if position is not None
                 else f"Expected {len(expected)} features but found {len(got)}")
        message = f"{where}\n{super()._feature_names_error(expected, got).args[0]}"
        return FeatureNamesMismatchError(message)

    @property
    def _multiclass(self) -> bool:
        return self.n_classes_ > 2 and not self.multilabel_

    def _fit_metric_name(self, name: str) -> str:
        """``fit``'s ``eval_metric`` name as LGBMClassifier.fit reads it for the task.

        ``"logloss"`` and ``"error"`` (also the other task's names) become
        ``binary_*`` or ``multi_*``.
        """
        stem = {"logloss": "logloss", "binary_logloss": "logloss", "multi_logloss": "logloss",
                "error": "error", "binary_error": "error", "multi_error": "error"}.get(name)
        if stem is None:
            return name
        return f"{'multi' if self._multiclass else 'binary'}_{stem}"

    def _eval_metric(self, params: dict, eval_metric) -> list:
        """The wrapper's ``eval_metric``: LightGBM's metrics, the user's callables, focal.

        As ``LGBMClassifier`` records them, in its order (which ``first_metric_only``
        reads): ``fit``'s named metrics (``"error"`` and ``"logloss"`` as that
        task's), then the constructor's ``metric``, then the metric the parent records
        unasked (``binary_logloss`` / ``multi_logloss``) unless already there: always
        when the constructor has no ``metric`` key, else only when nothing is named
        and ``metric`` is not ``"None"``; then callables. ``focal_loss`` (the
        objective's metric) comes last, when nothing is named at all or when its name
        is. Early stopping follows LightGBM's rule over what is recorded. Measured
        (``benchmarks/results/early_stopping.md``): stopping on ``focal_loss`` next to
        a named metric ended training early and cost average precision, which is why
        naming a metric drops it, while the parent's ``binary_logloss`` next to it or
        next to ``focal_loss`` stopped exactly where they alone did. LightGBM's
        metrics are computed here on the sigmoid (softmax) of the margins, the focal
        probabilities, as the parent computes them on its probabilities; callables
        receive ``predict_proba``'s probabilities.
        """
        def without_focal(items) -> tuple[list, bool]:
            items = ([m.strip() for m in items.split(",")] if isinstance(items, str)
                     else metric_list(items))
            kept = [m for m in items if not (isinstance(m, str) and m == FOCAL_METRIC)]
            return kept, len(kept) < len(items)

        metric_given = "metric" in params
        constructor, focal_named = without_focal(params.pop("metric", None))
        extra, focal_in_fit = without_focal(eval_metric)
        in_constructor = metric_names(constructor)
        in_fit = metric_names([self._fit_metric_name(m) for m in extra if isinstance(m, str)])
        for name in in_constructor + in_fit:
            check_metric_task(name, multiclass=self._multiclass)
        callables = [m for m in extra if callable(m)]
        focal = focal_named or focal_in_fit or not (in_constructor or in_fit or callables)
        names = [name for name in in_fit if name not in in_constructor] + in_constructor
        if not metric_given or not (names or asks_for_no_metric(constructor)):
            # The parent's default metric (unless already named): always when
            # the constructor has no metric key, else when nothing is named.
            names.append("multi_logloss" if self._multiclass else "binary_logloss")
        return [*(ArrayMetric(name, params) for name in dict.fromkeys(names)),
                *(ProbabilityMetric(m, multilabel=False, posterior=self._posterior_objective,
                                    lightgbm=True) for m in callables),
                *([SklearnMetric(self.objective_, lightgbm=True)] if focal else [])]

    # -------------------------------------------- LGBMClassifier's fitted API
    # Read from booster_, so they also hold after load_model.
    def _single_booster(self):
        self._check_fitted("objective_")
        if self.booster_ is None:
            raise AttributeError(
                "a multi-label FocalLGBMClassifier holds one booster per label: see "
                "one_vs_rest_.estimators_"
            )
        return self.booster_

    @property
    def feature_importances_(self):
        """Importances of the ``importance_type`` (``"split"`` counts, or ``"gain"``)."""
        return self._single_booster().feature_importance(importance_type=self.importance_type)

    @property
    def feature_name_(self) -> list[str]:
        """Feature names as LightGBM stores them (``Column_0``, ... for arrays)."""
        return self._single_booster().feature_name()

    @property
    def n_features_(self) -> int:
        """Number of features, as ``LGBMClassifier.n_features_``."""
        return self._single_booster().num_feature()

    @property
    def n_estimators_(self) -> int:
        """Boosting rounds actually run (fewer than ``n_estimators`` after early stopping)."""
        return self._single_booster().current_iteration()

    n_iter_ = n_estimators_

    def predict(self, X, raw_score=False, start_iteration=0, num_iteration=None,
                pred_leaf=False, pred_contrib=False, validate_features=None, **kwargs):
        """The class the focal margins choose for each sample, as ``LGBMClassifier.predict``.

        With ``raw_score``, ``pred_leaf`` or ``pred_contrib`` the booster's
        output instead, as the parent returns it: margins (the starting margin
        included, in the first trees), leaf indices, or feature contributions
        that add up to the margin. ``start_iteration`` / ``num_iteration``
        select trees (default: up to the best iteration after early stopping);
        ``**kwargs`` (``predict_disable_shape_check``, ...) go to
        ``Booster.predict``, with the booster parameters given to the
        constructor, as the parent passes them. A DataFrame whose columns are
        not those of ``fit`` is refused (scikit-learn's rule) unless
        ``validate_features=False`` is passed, which reads its columns by
        position as the parent does; ``True`` is LightGBM's check.
        """
        output = self._booster_output(X, raw_score, start_iteration, num_iteration, pred_leaf,
                                      pred_contrib, validate_features, kwargs)
        return output if raw_score or pred_leaf or pred_contrib else self._labels(output)

    def predict_proba(self, X, raw_score=False, start_iteration=0, num_iteration=None,
                      pred_leaf=False, pred_contrib=False, validate_features=None, **kwargs):
        """Class probabilities, shape (n_samples, n_classes), as ``LGBMClassifier.predict_proba``.

        The class probabilities behind the focal margins by default, the
        focal probabilities with ``focal_probability="focal"``; (n_samples,
        n_labels) for a multi-label target. The keywords as for :meth:`predict`.
        """
        output = self._booster_output(X, raw_score, start_iteration, num_iteration, pred_leaf,
                                      pred_contrib, validate_features, kwargs)
        return output if raw_score or pred_leaf or pred_contrib else self._proba(output)

    def _booster_output(self, X, raw_score, start_iteration, num_iteration, pred_leaf,
                        pred_contrib, validate_features, kwargs):
        """Margins, or the leaves / contributions asked for (``Booster.predict``'s)."""
        params = {"start_iteration": start_iteration, "num_iteration": num_iteration,
                  "validate_features": bool(validate_features), **kwargs}
        check_names = validate_features is not False
        if pred_leaf or pred_contrib:
            # As Booster.predict returns them: int32 leaf indices; contributions
            # dense, or sparse for sparse X.
            return self._predicted(X, check_names=check_names, **params,
                                   pred_leaf=pred_leaf, pred_contrib=pred_contrib)
        return self._decision(X, check_names=check_names, **params)

    def _margin(self, X, **predict_params):
        if self.multilabel_:
            defaults = {"start_iteration": 0, "num_iteration": None, "validate_features": False,
                        "pred_leaf": False, "pred_contrib": False}
            selected = [k for k, v in predict_params.items()
                        if k not in defaults or v != defaults[k]]
            if selected:
                raise ValueError(
                    f"a multi-label FocalLGBMClassifier holds one booster per label: pass "
                    f"{sorted(selected)} to one_vs_rest_.estimators_[j].predict"
                )
            return self.one_vs_rest_.decision_function(X)
        if self.n_jobs is not None and "num_threads" not in predict_params:
            # LGBMClassifier predicts with its n_jobs of the moment (set_params too).
            predict_params["num_threads"] = self.n_jobs
        # ... and with the booster parameters given to its constructor
        # (pred_early_stop, ...), those of the call taking precedence.
        given = {name: value for name, value in self._extra_params.items()
                 if name not in _NOT_PREDICT_PARAMETERS}
        if self._multiclass:
            # As the parent's predict parameters (LightGBM checks the others,
            # auc_mu_weights' length, ..., against the class count).
            given.update(objective="multiclass", num_class=self.n_classes_)
        return self.booster_.predict(X, raw_score=True, **{**given, **predict_params})

    def save_model(self, filename):
        """Write the model in LightGBM's text format.

        The file loads in any LightGBM (``lightgbm.Booster(model_file=...)``
        predicts the same margins and focal probabilities, starting margin
        included) and also holds one line of focal_gbm metadata (classes,
        focal parameters) that :meth:`load_model` reads back.

        A multi-label model holds one booster per label: ``filename`` is then
        a folder (created if needed) with one such file per label,
        ``label_<j>.txt``, and ``focal_gbm.json`` (the estimator's metadata
        and which labels were constant in training).
        """
        self._check_fitted("objective_")
        if self.multilabel_:
            folder = Path(filename)
            if folder.is_file() or folder.suffix.lower() in _MODEL_FILE_SUFFIXES:
                raise ValueError(
                    f"a multi-label FocalLGBMClassifier holds one booster per label and saves "
                    f"them to a folder; give a folder name, not a file name: {str(filename)!r}"
                )
            self._save_multilabel(folder)
            return self
        with open(filename, "w") as f:
            f.write(self._model_text())
        return self

    def _save_multilabel(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        labels = []
        for j, estimator in enumerate(self.one_vs_rest_.estimators_):
            if isinstance(estimator, FocalLGBMClassifier):
                estimator.save_model(folder / f"label_{j}.txt")
                labels.append({"file": f"label_{j}.txt"})
            else:  # constant in the training data
                labels.append({"constant": int(estimator.value),
                               "class_weight": estimator.class_weight_.tolist()})
        manifest = {"estimator": json.loads(self._metadata()), "labels": labels}
        (folder / _MULTILABEL_MANIFEST).write_text(json.dumps(manifest, indent=1))

    def _model_text(self) -> str:
        """LightGBM's model text with a line of focal_gbm metadata."""
        text = self.booster_.model_to_string()
        meta_line = _META_PREFIX + self._metadata() + "\n"
        marker = text.rfind("pandas_categorical:")
        return text[:marker] + meta_line + text[marker:] if marker >= 0 else text + meta_line

    def load_model(self, filename=None, *, model_str: str | None = None):
        """Load a file (or a multi-label model's folder) written by :meth:`save_model`.

        ``model_str`` instead of ``filename``: the text of such a file (as
        ``lightgbm.Booster(model_str=...)`` takes a model). Returns self,
        predicting exactly as the estimator that was saved.
        """
        if (filename is None) == (model_str is None):
            raise TypeError("load_model takes a filename or model_str=, exactly one of them")
        if model_str is not None:
            return self._load_model_text(model_str, source="model_str")
        if Path(filename).is_dir():
            return self._load_multilabel(Path(filename))
        with open(filename) as f:
            return self._load_model_text(text=f.read(), source=filename)

    def _load_multilabel(self, folder: Path):
        manifest_path = folder / _MULTILABEL_MANIFEST
        if not manifest_path.exists():
            raise ValueError(f"{folder} is not a multi-label model folder written by "
                             f"FocalLGBMClassifier.save_model (no {_MULTILABEL_MANIFEST})")
        manifest = json.loads(manifest_path.read_text())
        self._restore_metadata(json.dumps(manifest["estimator"]))
        estimators = []
        for label in manifest["labels"]:
            if "file" in label:
                estimators.append(type(self)().load_model(folder / label["file"]))
            else:
                estimators.append(ConstantLabel.restore(label["constant"],
                                                         label["class_weight"]))
        ovr = FocalOneVsRestClassifier(type(self)(**self.get_params()),
                                       focal_gamma=self.focal_gamma,
                                       focal_alpha=self.focal_alpha,
                                       focal_gamma_neg=self.focal_gamma_neg,
                                       focal_clip=self.focal_clip)
        ovr.estimators_ = estimators
        ovr.classes_ = np.arange(len(estimators))
        ovr.class_weight_ = np.vstack([e.class_weight_ for e in estimators])
        ovr.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            ovr.feature_names_in_ = self.feature_names_in_
        self.one_vs_rest_ = ovr
        self.booster_ = None
        return self

    def _load_model_text(self, text: str, source: str):
        meta = next((line[len(_META_PREFIX):] for line in text.splitlines()
                     if line.startswith(_META_PREFIX)), None)
        if meta is None:
            raise ValueError(f"{source} was not written by FocalLGBMClassifier.save_model")
        self._restore_metadata(meta)
        self.booster_ = lgb.Booster(model_str=text)
        return self


with_focal_attributes(FocalLGBMClassifier)
