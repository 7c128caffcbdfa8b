"""What FocalXGBClassifier and FocalLGBMClassifier share.

The estimators are thin: they validate and encode the data the scikit-learn
way, build a :class:`~focal_gbm.FocalLoss` (two classes) or
:class:`~focal_gbm.SoftmaxFocalLoss` (more) in ``fit``, start the booster from
the optimal margin, and turn margins into probabilities. The booster-specific
part (which wrapper trains, how margins are read back, what a model file
holds) lives in ``_xgb_sklearn.py`` and ``_lgbm_sklearn.py``.
"""

from __future__ import annotations

import inspect
import json
import warnings
from numbers import Real

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from . import _loss
from ._booster import margin_repeat
from ._validation import check_alpha, check_clip, check_gamma, per_column
from .objective import DEFAULT_HESSIAN, FocalLoss, SoftmaxFocalLoss

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data

    _FINITE = "ensure_all_finite"
except ImportError:  # scikit-learn 1.5
    _FINITE = "force_all_finite"

    def _sk_validate_data(estimator, X, *, reset, skip_check_array=False, **check_params):
        return estimator._validate_data(
            X, reset=reset, cast_to_ndarray=not skip_check_array, **check_params
        )


FOCAL_PARAMS_DOC = """Parameters
----------
focal_gamma : float or array-like of shape (n_labels,), default=2.0
    Focusing strength, >= 0; 0 is (class-weighted) cross entropy. One value per
    label for multi-label targets.
focal_alpha : float, "balanced", array-like of shape (n_classes,) or None, default=None
    Class weights. Binary: the weight of ``classes_[1]`` in [0, 1] (``classes_[0]``
    gets ``1 - focal_alpha``). Multi-class: one weight per class, in the order of
    ``classes_``; multi-label: one positive-class weight per label. ``None`` weighs
    every class 1; ``"balanced"`` sets the weights from the inverse
    (sample-weighted) class frequencies of ``y``.
focal_hessian : {"clip", "exact", "abs", "surrogate", "fisher"}, default="clip"
    Hessian policy, see :class:`focal_gbm.FocalLoss`.
focal_gamma_neg : float, array-like of shape (n_labels,) or None, default=None
    Focusing strength of the negative class (the asymmetric loss, ASL);
    ``focal_gamma`` then focuses the positive class only. ``None``: the same
    as ``focal_gamma`` (focal loss). Binary and multi-label targets only.
focal_clip : float or array-like of shape (n_labels,), default=0.0
    Probability margin of the asymmetric loss, in [0, 1): negatives whose
    probability is below it contribute nothing, the others are scored at
    ``p - focal_clip``. 0: none. Binary and multi-label targets only.
focal_probability : {"posterior", "focal"}, default="posterior"
    What ``predict_proba`` returns. ``"posterior"``: the class probabilities
    behind the focal margins, the focal link inverted exactly
    (:meth:`focal_gbm.FocalLoss.posterior`); ``"focal"``: the sigmoid (softmax)
    of the margins, the focal optimum, which gamma pulls towards 1/2 and alpha
    shifts. Both rank examples the same. ``predict`` and ``decision_function``
    do not depend on it: ``predict`` keeps the decision rule the class weights
    chose (the focal probability above 1/2, i.e. a binary posterior above
    ``1 - focal_alpha``).
"""

FOCAL_ATTRIBUTES_DOC = """    classes_ : ndarray of shape (n_classes,)
        The class labels (``arange(n_labels)`` for a multi-label target).
    n_classes_ : int
        Number of classes (labels, for a multi-label target).
    multilabel_ : bool
        Whether ``y`` was a 2-D 0/1 indicator matrix.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Column names of a DataFrame ``X``; absent otherwise.
    objective_ : FocalLoss or SoftmaxFocalLoss
        The fitted objective (``objective_.posterior`` maps margins to
        class probabilities).
    class_weight_ : ndarray of shape (n_classes,) or (n_labels, 2)
        The weight of each class's loss term, in the order of ``classes_``
        (``[1 - alpha, alpha]`` for two classes, ones for ``focal_alpha=None``);
        for a multi-label target, one row ``[negative, positive]`` per label.
    init_score_ : float or ndarray of shape (n_outputs,)
        The starting margin (one per class or label), the minimiser of the
        weighted focal loss over constants.
"""


class _FittedAttribute:
    """A plain instance attribute in place of a parent estimator's read-only property.

    ``LGBMClassifier`` (``classes_``, ``booster_``, ...) and ``XGBClassifier``
    (``n_features_in_``, ...) expose their fitted state as properties over
    private fields that only their own ``fit`` sets; the focal estimators set
    theirs in their own ``fit``, as ordinary attributes (absent until then).
    """

    def __init__(self, name: str):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        try:
            return instance.__dict__[self.name]
        except KeyError:
            # The parent's explanation of why a fitted model lacks it, if any.
            hint = (instance._missing_attribute_hints.get(self.name)
                    if instance.__dict__.get("objective_") is not None else None)
            raise AttributeError(
                f"{type(instance).__name__!r} object has no attribute {self.name!r}"
                + (f". {hint}" if hint else "")
            ) from None

    def __set__(self, instance, value):
        instance.__dict__[self.name] = value

    def __delete__(self, instance):
        if self.name not in instance.__dict__:
            raise AttributeError(self.name)
        del instance.__dict__[self.name]


def plain_fitted_attributes(*names: str):
    """Class decorator: make ``names`` ordinary instance attributes (see _FittedAttribute)."""

    def decorate(cls):
        for name in names:
            setattr(cls, name, _FittedAttribute(name))
        return cls

    return decorate


def with_focal_attributes(cls):
    """Complete ``cls``'s docstring: its ``__init__``'s ``Parameters`` section (as
    scikit-learn documents an estimator's parameters on the class) before the
    ``Attributes`` section, which gets the attributes every focal estimator has."""
    if cls.__doc__ is None:  # python -OO strips docstrings
        return cls
    doc = cls.__doc__.replace("%(focal_attributes)s", FOCAL_ATTRIBUTES_DOC.strip())
    parameters = cls.__init__.__doc__ or ""
    marker = "\n    Attributes\n    ----------\n"
    if parameters.startswith("Parameters") and marker in doc:
        indented = "".join(f"    {line}" if line.strip() else line
                           for line in parameters.strip().splitlines(keepends=True))
        doc = doc.replace(marker, f"\n{indented}\n{marker}", 1)
    cls.__doc__ = doc
    return cls


_FOCAL_DEFAULTS = {"focal_gamma": 2.0, "focal_alpha": None, "focal_hessian": DEFAULT_HESSIAN,
                   "focal_probability": "posterior", "focal_gamma_neg": None, "focal_clip": 0.0}
_METADATA_VERSION = 1
_NOT_KEPT = object()  # see FocalClassifierBase._feature_names_in_booster


def _is_dataframe(X) -> bool:
    # Passed through untouched so that the booster sees pandas categorical
    # columns; sklearn's check_array would turn them into floats or fail.
    return hasattr(X, "iloc") and hasattr(X, "dtypes")


def _checked_sample_weight(sample_weight, X):
    # scikit-learn's own check, with its own message; the keyword that turns
    # on the sign check was renamed in 1.6, so that part is done here.
    weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if weight.size and weight.min() < 0:
        raise ValueError("Negative values in data passed to `sample_weight`.")
    return weight


def _is_polars(X) -> bool:
    return type(X).__module__.split(".", 1)[0] == "polars" and hasattr(X, "to_pandas")


# scikit-learn's words, which its estimator checks look for.
_FEATURE_NAMES_MISMATCH = ("The feature names should match those that were passed during fit. "
                           "Feature names must be in the same order as they were in fit.")


def validate_X(estimator, X, *, reset: bool, check_names: bool = True):
    """scikit-learn's checks of X; DataFrames keep their dtypes (categories).

    A polars DataFrame becomes a pandas one first (its Categorical and Enum
    columns pandas categories), which both boosters take with their
    categorical support.
    """
    if _is_polars(X):
        X = X.to_pandas()
    if getattr(X, "ndim", None) == 1 and hasattr(X, "to_frame"):
        X = X.to_frame()  # a pandas Series: one feature, as both boosters read it
    if _is_dataframe(X):
        if not check_names:
            return X  # by position, as the caller asked; the booster checks the count
        expected = getattr(estimator, "feature_names_in_", None) if not reset else None
        columns = list(map(str, X.columns))
        if expected is not None and columns != list(expected):
            raise estimator._feature_names_error(list(expected), columns)
        _sk_validate_data(estimator, X, reset=reset, skip_check_array=True)
        return X
    return _sk_validate_data(
        estimator, X, reset=reset, accept_sparse=("csr", "csc"),
        dtype=(np.float64, np.float32), **{_FINITE: "allow-nan"},
    )


def refuse_unknown_focal_names(owner: str, params: dict):
    """A TypeError for a ``focal_*`` name that is no focal parameter (a typo).

    Booster parameters outside the signature are passed on to the booster
    as the parents' ``**kwargs`` are; a misspelled focal parameter would be
    passed on too, and silently do nothing.
    """
    import difflib

    for name in params:
        if name.startswith("focal_") and name not in _FOCAL_DEFAULTS:
            close = difflib.get_close_matches(name, list(_FOCAL_DEFAULTS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(
                f"{owner} got an unexpected focal parameter {name!r}{hint}; the focal "
                f"parameters are {', '.join(_FOCAL_DEFAULTS)}"
            )


def keywords_from_positions(call: str, names: tuple[str, ...], args: tuple, given: dict, *,
                            leading: tuple[str, ...] = (), warn: bool, stacklevel: int) -> dict:
    """Arguments given by position, named in the parent's order ``names``.

    ``leading``: the positional parameters before them (``X, y`` of ``fit``),
    counted in the error. ``warn``: XGBoost's ``FutureWarning`` (its
    ``_deprecate_positional_args``), ``stacklevel`` as the caller's caller sees
    it. A name also given by keyword is Python's own ``TypeError``.
    """
    if len(args) > len(names):
        accepted = leading + names
        raise TypeError(f"{call} takes at most {len(accepted)} positional arguments "
                        f"({', '.join(accepted)}), got {len(leading) + len(args)}" if accepted
                        else f"{call} takes keyword arguments only, got {len(args)} by position")
    named = dict(zip(names, args))
    if warn:
        warnings.warn(f"Pass `{', '.join(named)}` as keyword args.", FutureWarning,
                      stacklevel=stacklevel + 1)
    clash = next((name for name in named if given.get(name) is not None), None)
    if clash is not None:
        raise TypeError(f"{call} got multiple values for argument {clash!r}")
    return named


def make_init(booster_defaults: dict, docstring: str, *, positional: tuple[str, ...] = ()):
    """An ``__init__`` whose signature lists the focal and booster parameters.

    scikit-learn reads parameter names from ``inspect.signature(__init__)``;
    generating it from the installed booster's own signature keeps every
    booster parameter a real, clonable, grid-searchable parameter on every
    booster version, without a hand-copied list drifting out of date.
    ``positional``: the names the parent gives to arguments passed by
    position, deprecated there (``XGBClassifier(objective)``); the signature
    stays keyword-only, as the parent's shows.
    """

    def __init__(self, *args, **kwargs):
        if args:
            kwargs.update(keywords_from_positions(f"{type(self).__name__}()", positional, args,
                                                  kwargs, warn=True, stacklevel=2))
        refuse_unknown_focal_names(type(self).__name__, kwargs)
        for name, default in {**_FOCAL_DEFAULTS, **booster_defaults}.items():
            setattr(self, name, kwargs.pop(name, default))
        # Booster parameters outside the signature (e.g. LightGBM's verbose),
        # kept like the boosters' own **kwargs.
        self._extra_params = kwargs

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in {**_FOCAL_DEFAULTS, **booster_defaults}.items()
    ]
    parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    __init__.__signature__ = inspect.Signature(parameters)
    __init__.__doc__ = docstring
    return __init__


def booster_defaults(wrapper_cls, exclude=()) -> dict:
    """Constructor parameters and defaults of a booster's sklearn wrapper."""
    defaults = {}
    for klass in reversed(wrapper_cls.__mro__):
        init = vars(klass).get("__init__")
        if init is None or klass is object:
            continue
        for name, param in inspect.signature(init).parameters.items():
            if param.kind is param.KEYWORD_ONLY or param.kind is param.POSITIONAL_OR_KEYWORD:
                if name != "self" and name not in exclude:
                    defaults[name] = param.default
    return defaults


class FocalTagsMixin:
    """Tags of every focal estimator: NaN and sparse input, multi-label targets."""

    # Built from scikit-learn's base tags, not from XGBClassifier's /
    # LGBMClassifier's (parents of the estimators): theirs describe their own
    # capabilities (LGBMClassifier takes no multi-label target) and list
    # LightGBM's expected check failures. Two tags that state no capability
    # are the parent's, for code that compares them: XGBClassifier declares
    # no_validation (it validates its input nonetheless, as ours do:
    # tests/test_sklearn_checks.py runs the checks that tag turns off), and
    # LGBMClassifier one_d_labels.
    _parent_no_validation = False
    _parent_one_d_labels = False

    def __sklearn_tags__(self):  # scikit-learn >= 1.6, where ClassifierTags exists
        from sklearn.utils import ClassifierTags

        tags = BaseEstimator.__sklearn_tags__(self)
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_label=True)
        tags.target_tags.required = True
        tags.target_tags.one_d_labels = self._parent_one_d_labels
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.no_validation = self._parent_no_validation
        return tags

    def _more_tags(self):  # scikit-learn 1.5 merges every parent's, this one last
        return {"allow_nan": True, "multilabel": True,
                "no_validation": self._parent_no_validation,
                "X_types": ["2darray", "sparse", "1dlabels"], "non_deterministic": False,
                "_xfail_checks": {}}


class FocalClassifierBase(FocalTagsMixin, ClassifierMixin, BaseEstimator):
    """Shared fit/predict logic; subclasses implement the booster calls."""

    _parameter_constraints: dict = {
        "focal_gamma": [Interval(Real, 0, None, closed="left"), "array-like"],
        "focal_alpha": [None, StrOptions({"balanced"}), Interval(Real, 0, 1, closed="both"),
                        "array-like"],
        "focal_hessian": [StrOptions(set(_loss.HESSIAN_POLICIES))],
        "focal_probability": [StrOptions({"posterior", "focal"})],
        "focal_gamma_neg": [None, Interval(Real, 0, None, closed="left"), "array-like"],
        "focal_clip": [Interval(Real, 0, 1, closed="left"), "array-like"],
    }

    # ----------------------------------------------------------- parameters
    @classmethod
    def _get_param_names(cls):
        """The parameters of every ``__init__`` from ``cls`` up to the focal estimator.

        A user's subclass written as LightGBM documents it,
        ``__init__(self, *, my_param, **kwargs)`` then
        ``super().__init__(**kwargs)``, keeps every focal and booster
        parameter besides its own, so that ``get_params``, ``clone`` and
        scikit-learn's checks see them all.
        """
        names = set()
        for init in cls._inits():
            names |= {name for name, p in inspect.signature(init).parameters.items()
                      if name != "self" and p.kind != p.VAR_KEYWORD}
        return sorted(names)

    @classmethod
    def _inits(cls):
        """The ``__init__`` of ``cls`` and its parents, up to the generated one (focal +
        booster parameters, last)."""
        for klass in cls.__mro__:
            init = vars(klass).get("__init__")
            if init is not None and issubclass(klass, FocalClassifierBase):
                yield init
                if "__signature__" in vars(init):
                    return

    # scikit-learn's own get_params / set_params, not the booster estimators'
    # (a subclass's parents): theirs read state their __init__ sets.
    def get_params(self, deep=True):
        params = BaseEstimator.get_params(self, deep=deep)
        params.update(self._extra_params)
        return params

    # The parent's objective parameter, as code written for it (and tools
    # such as SHAP) reads it: the cross entropy the focal loss generalises,
    # or the name given (objective= takes those only). Not in the signature:
    # the focal loss is the objective.
    @property
    def objective(self):
        return self._extra_params.get("objective", self._parent_objective())

    @objective.setter
    def objective(self, value):
        self._extra_params["objective"] = value

    def _parent_objective(self):
        """The parent's ``objective`` where none was given (its default, or the fitted task's)."""
        return None

    def set_params(self, **params):
        refuse_unknown_focal_names(type(self).__name__, params)
        valid = set(self._get_param_names())
        given = dict(params)
        for key in [k for k in params if k not in valid]:
            self._extra_params[key] = params.pop(key)
        BaseEstimator.set_params(self, **params)
        if self.__sklearn_is_fitted__():
            self._update_fitted(given)
        return self

    def _update_fitted(self, params: dict):
        """Pass parameters set after ``fit`` on to the fitted model, as the parents do."""

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "objective_")

    # The parent's words for "not fitted" (a scikit-learn NotFittedError either way),
    # and the parent's error type for fit(None, y).
    _not_fitted_message: str | None = None
    # Why a fitted model lacks one of its _FittedAttribute's, in the parent's words.
    _missing_attribute_hints: dict[str, str] = {}
    _no_data_error: type[Exception] = ValueError
    _no_labels_message: str | None = None

    def _check_fitted(self, attribute: str = "objective_"):
        check_is_fitted(self, attribute, msg=self._not_fitted_message)

    # The parent's cross-entropy objectives, which focal loss generalises: named
    # as objective=, they train focal loss (cross entropy at focal_gamma=0).
    _cross_entropy_objectives: frozenset[str] = frozenset()

    # The parent's fit arguments after y, in the order it takes them by position.
    _positional_fit_params: tuple[str, ...] = ()
    _positional_fit_warns = False  # XGBoost deprecates passing them by position

    def _fit_arguments(self, positional: tuple, sample_weight, eval_set, eval_sample_weight,
                       fit_params: dict):
        """``fit``'s keywords with the arguments given by position after ``y`` added.

        Returns ``(sample_weight, eval_set, eval_sample_weight)``; the other
        positional arguments go into ``fit_params``.
        """
        if not positional:
            return sample_weight, eval_set, eval_sample_weight
        keywords = {"sample_weight": sample_weight, "eval_set": eval_set,
                    "eval_sample_weight": eval_sample_weight}
        named = keywords_from_positions(
            f"{type(self).__name__}.fit()", self._positional_fit_params, positional,
            {**fit_params, **keywords}, leading=("X", "y"), warn=self._positional_fit_warns,
            stacklevel=3)
        fit_params.update({n: v for n, v in named.items() if n not in keywords})
        return tuple(named.get(n, keywords[n]) for n in keywords)

    def _feature_names_error(self, expected: list[str], got: list[str]) -> Exception:
        """The error for a DataFrame whose columns are not those of ``fit`` (the parent's words)."""
        return ValueError(_FEATURE_NAMES_MISMATCH)

    # How a starting margin is repeated for every row (Dask: partition-wise).
    _repeat_margin = staticmethod(margin_repeat)

    def _new_wrapper(self, params: dict, **fixed):
        """The booster's scikit-learn (or Dask) wrapper that trains the model."""
        return self._wrapper_class(**params, **fixed)

    def _booster_params(self) -> dict:
        # The booster's own parameters only: not the focal ones, nor those a
        # user's subclass adds.
        *_, generated = self._inits()
        names = set(inspect.signature(generated).parameters) - set(_FOCAL_DEFAULTS) - {
            "self", "kwargs"}
        params = {name: getattr(self, name) for name in sorted(names)}
        params.update(self._extra_params)
        objective = params.pop("objective", None)
        if objective is not None and not (isinstance(objective, str)
                                          and objective in self._cross_entropy_objectives):
            accepted = ", ".join(sorted(self._cross_entropy_objectives))
            raise ValueError(
                f"objective={objective!r}: {type(self).__name__} trains with focal loss "
                "(focal_gamma, focal_alpha, ...), whose focal_gamma=0 is the parent's "
                f"cross entropy; objective may only name that ({accepted}), for code "
                "written for the parent. Use the booster's own estimator for another "
                "objective"
            )
        return params

    # ----------------------------------------------------------- validation
    def _validate_X(self, X, *, reset: bool, check_names: bool = True):
        return validate_X(self, X, reset=reset, check_names=check_names)

    def _check_targets(self, y):
        """``(y, multilabel)``: 1-D labels, or a 2-D 0/1 indicator matrix."""
        y = np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if y.ndim == 1:
            return y, False
        if type_of_target(y) != "multilabel-indicator":
            raise ValueError(
                "2-D y must be a multi-label indicator matrix of 0/1 values, shape "
                f"(n_samples, n_labels); got {type_of_target(y)!r} targets"
            )
        return y.astype(np.float64), True

    def _objective(self, n_classes: int, multilabel: bool = False):
        # The focal parameters are checked here, once per fit and under
        # their own names (focal_hessian and the scalar ranges by
        # _parameter_constraints); the loss object built from them checks its
        # arguments in its constructor as it does for any caller.
        params = {"gamma": check_gamma(self.focal_gamma, name="focal_gamma"),
                  "alpha": check_alpha(self.focal_alpha, name="focal_alpha"),
                  "hessian": self.focal_hessian}
        asymmetric = {
            "gamma_neg": (None if self.focal_gamma_neg is None
                          else check_gamma(self.focal_gamma_neg, name="focal_gamma_neg")),
            "clip": check_clip(self.focal_clip, name="focal_clip"),
        }
        what, each = ("labels", "label") if multilabel else ("classes", "class")
        for name in ("focal_gamma", "focal_alpha", "focal_gamma_neg", "focal_clip"):
            value = getattr(self, name)
            if np.ndim(value) == 1 and (n_classes == 2 and not multilabel):
                raise ValueError(
                    f"{name} must be a single value for a binary problem (focal_alpha is the "
                    "weight of classes_[1]), got an array"
                )
            per_column(value, n_classes, name=name,
                       counted=f"y has {{n}} {what}; give one value per {each}, "
                               "in the order of classes_")
        if (n_classes > 2 and not multilabel and params["alpha"] is not None
                and not isinstance(params["alpha"], str) and np.ndim(params["alpha"]) == 0):
            # One number cannot be the binary weight of classes_[1] here, and the
            # same weight for every class would silently mean no weighting.
            raise ValueError(
                f"focal_alpha must give one weight per class for a multi-class problem (y "
                f"has {n_classes} classes, in the order of classes_), 'balanced' or None; "
                f"got the single value {self.focal_alpha!r}"
            )
        if multilabel or n_classes == 2:
            return FocalLoss(**params, **asymmetric)
        if np.ndim(self.focal_gamma) == 1:
            raise ValueError("focal_gamma must be a single value for a multi-class problem")
        if asymmetric["gamma_neg"] is not None or np.any(asymmetric["clip"]):
            raise ValueError(
                "focal_gamma_neg and focal_clip (the asymmetric loss) apply to binary and "
                f"multi-label targets; y has {n_classes} classes, trained with softmax focal "
                "loss: leave them at None and 0"
            )
        return SoftmaxFocalLoss(**params)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, *positional, sample_weight=None, eval_set=None,
            eval_sample_weight=None, **fit_params):
        """Fit the booster with focal loss, from the optimal starting margin.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data; missing values (NaN) are allowed, and pandas
            categorical columns are passed to the booster as they are.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels of any sortable type, or a 0/1 indicator matrix
            for multi-label problems.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, applied to the loss by the objective.
        eval_set : list of (X, y) pairs, default=None
            Validation data, scored with the metrics the parent records
            (its default log loss unless others are named) and the focal
            metric (mean weighted focal loss, ``focal_loss``) when none is
            named; early stopping follows the booster's rule over them
            (docs/user_guide/metrics.md).
        eval_sample_weight : list of array-like, default=None
            Weights for each pair in ``eval_set``.
        *positional
            The parent's ``fit`` arguments after ``y``, in its order
            (``LGBMClassifier``: ``sample_weight, init_score, eval_set, ...``;
            ``XGBClassifier``: ``sample_weight, base_margin, eval_set, ...``,
            with its ``FutureWarning``).
        **fit_params
            Passed to the booster's ``fit`` (``verbose`` for XGBoost,
            ``callbacks`` for LightGBM, ...).

        Returns
        -------
        self
        """
        sample_weight, eval_set, eval_sample_weight = self._fit_arguments(
            positional, sample_weight, eval_set, eval_sample_weight, fit_params)
        self._begin_fit(y)
        given_X, given_y = X, y
        if X is None:
            raise self._no_data_error(f"{type(self).__name__}.fit needs training data X "
                                      "(array-like), got NoneType")
        if "sample_weight_eval_set" in fit_params:  # XGBoost's name for eval_sample_weight
            if eval_sample_weight is not None:
                raise TypeError("give eval_sample_weight or sample_weight_eval_set, not both")
            eval_sample_weight = fit_params.pop("sample_weight_eval_set")
        if isinstance(eval_set, tuple) and len(eval_set) == 2 and not isinstance(eval_set[0],
                                                                                   tuple):
            eval_set = [eval_set]  # one (X, y) pair, as LightGBM accepts it
        X = self._validate_X(X, reset=True)
        y, self.multilabel_ = self._check_targets(y)
        check_consistent_length(X, y)
        if self.multilabel_:
            self._set_classes(np.arange(y.shape[1]))
            encode = np.asarray
        else:
            encoder = LabelEncoder().fit(y)
            self._set_classes(encoder.classes_)
            encode = encoder.transform
        y_encoded = encode(y)
        if sample_weight is not None:
            sample_weight = _checked_sample_weight(sample_weight, X)
        sample_weight = self._effective_weight(y, sample_weight)
        objective = self._objective(self.n_classes_, self.multilabel_)
        objective.fit_alpha(y_encoded, sample_weight, **self._class_count_kw())
        self.init_score_ = np.asarray(
            objective.init_score(y_encoded, sample_weight, **self._class_count_kw())
        )
        self._set_objective(objective)
        if eval_sample_weight is not None and len(eval_sample_weight) != len(eval_set or []):
            raise ValueError(
                f"eval_sample_weight (sample_weight_eval_set) holds {len(eval_sample_weight)} "
                f"weight arrays for {len(eval_set or [])} eval_set pairs; give one per pair")
        evals = []
        for i, (X_eval, y_eval) in enumerate(eval_set or []):
            given_w = None if eval_sample_weight is None else eval_sample_weight[i]
            if X_eval is given_X and y_eval is given_y:
                # The training data itself: the very objects the booster trains on,
                # so that it knows them (LightGBM reports them as "training").
                evals.append((X, y_encoded, None if given_w is None
                              else _checked_sample_weight(given_w, X)))
                continue
            X_eval = self._validate_X(X_eval, reset=False)
            y_eval, multilabel = self._check_targets(y_eval)
            if multilabel != self.multilabel_ or (multilabel and y_eval.shape[1] != y.shape[1]):
                raise ValueError(f"eval_set[{i}] targets do not have the shape of y's")
            if not multilabel:
                unknown = np.setdiff1d(y_eval, self.classes_)
                if unknown.size:
                    raise ValueError(f"eval_set[{i}] holds labels not seen in y: {unknown[:5]}")
            w_eval = None if given_w is None else _checked_sample_weight(given_w, X_eval)
            evals.append((X_eval, encode(y_eval), w_eval))
        self._fit_booster(X, y_encoded, sample_weight, evals, fit_params)
        return self

    def _begin_fit(self, y):
        self._validate_params()
        if y is None:
            # scikit-learn's words, then the parent's
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
                + (f" ({self._no_labels_message})" if self._no_labels_message else ""))

    def _set_classes(self, classes):
        self.classes_ = classes
        self.n_classes_ = len(classes)
        if self.n_classes_ < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {classes[0]!r}"
            )

    def _set_objective(self, objective):
        """Keep the fitted objective and the class weights it fixed."""
        self.objective_ = objective
        self.class_weight_ = class_weight_table(objective, self.n_classes_, self.multilabel_)
        if self.focal_probability == "posterior" and not np.all(self.class_weight_ > 0):
            raise ValueError(
                "focal_probability='posterior' needs every class weight > 0 (focal_alpha "
                "strictly inside (0, 1)): a class of weight 0 leaves the model no information "
                "about its probability; use focal_probability='focal'"
            )

    def _class_count_kw(self) -> dict:
        """SoftmaxFocalLoss needs the class count (the labels may not show them all)."""
        softmax_loss = self.n_classes_ > 2 and not self.multilabel_
        return {"n_classes": self.n_classes_} if softmax_loss else {}

    @property
    def _single_margin(self) -> bool:
        """One margin per sample (binary), whose start XGBoost can store itself."""
        return self.n_classes_ == 2 and not self.multilabel_

    def _effective_weight(self, y, sample_weight):
        """Sample weights the objective applies (LightGBM folds class_weight in)."""
        return sample_weight

    # -------------------------------------------------------------- predict
    def decision_function(self, X):
        """Margins (raw scores) including the starting margin.

        Shape (n_samples,) for two classes (the log-odds of ``classes_[1]``),
        (n_samples, n_classes) for more, (n_samples, n_labels) for multi-label
        targets (one log-odds per label).
        """
        return self._decision(X)

    def _predicted(self, X, *, check_names: bool = True, **predict_params):
        """The booster's output for validated ``X`` as ``_margin`` returns it.

        ``predict_params`` are the booster's; ``check_names=False``: a
        DataFrame's columns are read by position.
        """
        self._check_fitted("objective_")
        X = self._validate_X(X, reset=False, check_names=check_names)
        return self._margin(X, **predict_params)

    def _decision(self, X, **kwargs):
        """Margins of ``X``, float64 (``kwargs`` as for :meth:`_predicted`)."""
        return np.asarray(self._predicted(X, **kwargs), dtype=np.float64)

    def _proba(self, margin):
        return proba_from_margin(margin, self.multilabel_, self._posterior_objective)

    def _labels(self, margin):
        return labels_from_margin(margin, self.classes_, self.multilabel_)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes); rows sum to 1.

        The class probabilities behind the focal margins by default, the focal
        probabilities with ``focal_probability="focal"``. For multi-label
        targets, the probability of each label, shape (n_samples, n_labels),
        as ``XGBClassifier`` returns them.
        """
        return self._proba(self._decision(X))

    @property
    def _posterior_objective(self):
        """The objective whose posterior ``predict_proba`` returns, or None (focal)."""
        return self.objective_ if self.focal_probability == "posterior" else None

    def predict(self, X):
        """The class the focal margins choose for each sample (a 0/1 row for multi-label).

        The class of the largest margin: for two classes (and each label),
        ``classes_[1]`` where the margin is positive, i.e. where the focal
        probability exceeds 1/2 and the posterior exceeds ``1 - focal_alpha``
        (1/2 for ``focal_alpha=None``, so that ``predict`` is the argmax of
        ``predict_proba`` for equal class weights).
        """
        return self._labels(self._decision(X))

    # ------------------------------------------------------------ metadata
    def _metadata(self) -> str:
        self._check_fitted("objective_")
        classes = np.asarray(self.classes_)
        meta = {
            "version": _METADATA_VERSION,
            "classes": classes.tolist(),
            "multilabel": bool(self.multilabel_),
            "classes_dtype": classes.dtype.str if classes.dtype != object else "object",
            "init_score": np.asarray(self.init_score_).tolist(),
            "n_features_in": int(self.n_features_in_),
            "focal_gamma": np.asarray(self.focal_gamma).tolist(),
            "focal_alpha": (self.focal_alpha if isinstance(self.focal_alpha, (str, type(None)))
                            else np.asarray(self.focal_alpha).tolist()),
            "focal_hessian": self.focal_hessian,
            "focal_probability": self.focal_probability,
            "focal_gamma_neg": (None if self.focal_gamma_neg is None
                                else np.asarray(self.focal_gamma_neg).tolist()),
            "focal_clip": np.asarray(self.focal_clip).tolist(),
            "fitted_alpha": (None if self.objective_.fitted_alpha is None
                             else np.asarray(self.objective_.fitted_alpha).tolist()),
        }
        names = (list(map(str, self.feature_names_in_)) if hasattr(self, "feature_names_in_")
                 else None)
        if names != self._feature_names_in_booster():
            # Only what the model does not keep itself: a file then depends on
            # the column names as the parent's does, through the booster.
            meta["feature_names_in"] = names
        return json.dumps(meta)

    @staticmethod
    def _cross_entropy_metadata(classes, *, multilabel: bool, init_score,
                                n_features_in: int) -> str:
        """The metadata of a model of the parent's cross entropy, which is focal loss
        at ``focal_gamma=0`` without class weights (a file the booster wrote itself)."""
        classes = np.asarray(classes)
        return json.dumps({
            "version": _METADATA_VERSION, "classes": classes.tolist(), "multilabel": multilabel,
            "classes_dtype": classes.dtype.str, "init_score": np.asarray(init_score).tolist(),
            "n_features_in": int(n_features_in), **_FOCAL_DEFAULTS, "focal_gamma": 0.0,
            "fitted_alpha": None,
        })

    def _feature_names_in_booster(self):
        """The training columns' names as the booster keeps them (None: none);
        ``_NOT_KEPT`` where it does not tell (LightGBM names array columns)."""
        return _NOT_KEPT

    def _restore_metadata(self, text: str):
        meta = json.loads(text)
        if meta.get("version") != _METADATA_VERSION:
            raise ValueError(f"unsupported focal_gbm model metadata version {meta.get('version')}")
        dtype = object if meta["classes_dtype"] == "object" else np.dtype(meta["classes_dtype"])
        self.classes_ = np.array(meta["classes"], dtype=dtype)
        self.n_classes_ = len(self.classes_)
        self.multilabel_ = meta["multilabel"]
        self.init_score_ = np.asarray(meta["init_score"], dtype=np.float64)
        self.n_features_in_ = meta["n_features_in"]
        names = (meta["feature_names_in"] if "feature_names_in" in meta
                 else self._feature_names_in_booster())
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.focal_gamma = meta["focal_gamma"]
        self.focal_alpha = meta["focal_alpha"]
        self.focal_hessian = meta["focal_hessian"]
        # Files written before focal_probability existed get today's default.
        for name in ("focal_probability", "focal_gamma_neg", "focal_clip"):
            setattr(self, name, meta.get(name, _FOCAL_DEFAULTS[name]))
        objective = self._objective(self.n_classes_, self.multilabel_)
        if meta["fitted_alpha"] is not None:
            objective = objective.with_fitted_alpha(np.asarray(meta["fitted_alpha"],
                                                               dtype=np.float64))
        self._set_objective(objective)


class ProbabilityMetric:
    """A user's ``eval_metric`` callable, given ``predict_proba``'s probabilities.

    With a callable objective both boosters hand metrics raw margins; the
    parents' estimators hand them probabilities (of ``classes_[1]`` for two
    classes). This restores that: the margins are mapped as ``predict_proba``
    maps them. The call follows the booster's convention: XGBoost's
    ``(y_true, y_score[, sample_weight=])`` and the value; for LightGBM, its
    ``(y_true, y_pred[, weight[, group]])`` by the number of positional
    parameters (as ``LGBMClassifier``), or scikit-learn's
    ``f(y_true, y_score, *, sample_weight=...)``; a plain number returned is
    reported under the function's name, higher-is-better when the name ends
    in ``score`` (scikit-learn's convention: ``roc_auc_score``, not
    ``log_loss``). A module-level class so that fitted estimators pickle.
    """

    def __init__(self, func, *, multilabel: bool, posterior, lightgbm: bool,
                 class_labels: bool = False):
        self.func, self.multilabel, self.posterior = func, multilabel, posterior
        # XGBoost's multi:softmax hands metrics the predicted class, not probabilities.
        self.class_labels = class_labels
        self.__name__ = getattr(func, "__name__", type(func).__name__)
        self._lightgbm = lightgbm
        try:
            parameters = inspect.signature(func).parameters.values()
        except (TypeError, ValueError):  # a callable without a signature (a builtin)
            parameters = []
        positional = [p for p in parameters
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self._n_args = min(len(positional), 4) if positional else 2
        self._weight_keyword = any(p.name == "sample_weight" for p in parameters)
        self._higher_is_better = self.__name__.endswith("score")

    def _proba(self, margin):
        proba = proba_from_margin(np.asarray(margin, dtype=np.float64), self.multilabel,
                                  self.posterior)
        if self.class_labels and proba.ndim == 2 and not self.multilabel:
            return proba.argmax(axis=1).astype(np.float64)
        return proba[:, 1] if np.ndim(margin) == 1 else proba

    def __call__(self, y_true, y_score, sample_weight=None):
        proba = self._proba(y_score)
        if not self._lightgbm:
            if sample_weight is None:
                return self.func(y_true, proba)
            return self.func(y_true, proba, sample_weight=sample_weight)
        if self._n_args > 2:  # LightGBM's (y_true, y_pred, weight[, group])
            value = self.func(y_true, proba, *(sample_weight, None)[:self._n_args - 2])
        elif self._weight_keyword and sample_weight is not None:
            value = self.func(y_true, proba, sample_weight=sample_weight)
        else:
            value = self.func(y_true, proba)
        if isinstance(value, tuple):  # LightGBM's (name, value, is_higher_better)
            return value
        return self.__name__, float(value), self._higher_is_better


def class_weight_table(objective, n_classes: int, multilabel: bool) -> NDArray:
    """The fitted class weights as ``class_weight_``: (n_classes,) or (n_labels, 2)."""
    if isinstance(objective, SoftmaxFocalLoss):
        return np.asarray(objective.fitted_class_weights(n_classes), dtype=np.float64)
    alpha_pos, alpha_neg = objective.fitted_class_weights(n_classes if multilabel else None)
    n_rows = n_classes if multilabel else 1
    table = np.column_stack([np.broadcast_to(alpha_neg, (n_rows,)),
                             np.broadcast_to(alpha_pos, (n_rows,))]).astype(np.float64)
    return table if multilabel else table[0]


def proba_from_margin(margin, multilabel: bool, posterior=None):
    """Probabilities from margins: (n, 2) for one margin per row, else (n, k).

    ``posterior`` is the fitted objective whose posterior map to apply, or
    None for the focal probabilities (sigmoid / softmax of the margins).
    """
    if posterior is not None and (multilabel or margin.ndim == 1):
        margin = posterior.posterior_margin(margin)
    if multilabel:
        return expit(margin)
    if margin.ndim == 1:
        # expit(-m) rather than 1 - expit(m): no rounding of small values
        return np.column_stack([expit(-margin), expit(margin)])
    if posterior is not None:
        return posterior.posterior(margin)
    return softmax(margin, axis=1)


def labels_from_margin(margin, classes, multilabel: bool):
    """The most probable class of each row (a 0/1 row for multi-label)."""
    if multilabel:
        return (margin > 0).astype(np.int64)
    index = (margin > 0).astype(np.intp) if margin.ndim == 1 else np.argmax(margin, axis=1)
    return classes[index]
