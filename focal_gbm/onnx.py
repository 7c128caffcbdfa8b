"""ONNX export of FocalXGBClassifier and FocalLGBMClassifier.

Importing this module registers the estimators (of the installed boosters)
with skl2onnx and onnxmltools, so that the calls that export an ``XGBClassifier`` or an
``LGBMClassifier`` export them too, alone or inside a scikit-learn pipeline::

    import focal_gbm.onnx  # noqa: F401  (registers the converters)
    onnx_model = skl2onnx.to_onnx(clf, X[:1].astype(np.float32),
                                  target_opset={"": 17, "ai.onnx.ml": 3})
    onnx_model = onnxmltools.convert_xgboost(clf, initial_types=..., target_opset=15)
    onnx_model = onnxmltools.convert_lightgbm(clf, initial_types=..., target_opset=15)

(skl2onnx asks the same registration step for ``XGBClassifier`` and
``LGBMClassifier`` themselves; onnxmltools recognises models by their exact
type, so a subclass needs it too.) The graph is the booster's own converter's
(onnxmltools': the tree ensemble, the label, the focal probabilities) followed,
for ``focal_probability="posterior"`` (the default), by the posterior map of
:meth:`focal_gbm.FocalLoss.posterior` / :meth:`focal_gbm.SoftmaxFocalLoss.posterior`
computed in float64 from the focal probabilities, so that the ``probabilities``
output is ``predict_proba``'s to 1e-6 (the tree ensemble's float32 output
sets the precision; tests/test_interop.py measures at most 4e-7). The
``label`` output is ``predict``'s.

Requires ``onnxmltools`` (which brings ``onnx``) and, for ``skl2onnx.to_onnx``,
``skl2onnx`` (``pip install focal-gbm[onnx]``). As for the plain estimators,
skl2onnx 1.20 needs ``target_opset={"": 17, "ai.onnx.ml": 3}`` (onnxmltools'
tree converters otherwise write an ``ai.onnx.ml`` version skl2onnx refuses)
and onnxmltools 1.16 a ``target_opset`` of at most 15. The posterior map
needs opset 13 or later.
Not converted: multi-label models (onnxmltools makes one or two probability
columns for a multi-label XGBoost model, plain or focal; a multi-label
``FocalLGBMClassifier`` is one booster per label), and multi-class
``FocalXGBClassifier`` models trained by an XGBoost without the vector
intercept (< 3.1), whose starting margins are outside the booster.

Examples
--------
>>> import numpy as np, onnxruntime, skl2onnx
>>> from sklearn.datasets import make_classification
>>> import focal_gbm.onnx  # noqa: F401
>>> from focal_gbm import FocalXGBClassifier
>>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
>>> X = X.astype(np.float32)
>>> clf = FocalXGBClassifier(n_estimators=20, max_depth=3).fit(X, y)
>>> onx = skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False},
...                        target_opset={"": 17, "ai.onnx.ml": 3})
>>> session = onnxruntime.InferenceSession(onx.SerializeToString())
>>> label, proba = session.run(None, {"X": X})
>>> bool(np.abs(proba - clf.predict_proba(X)).max() < 1e-6)
True
"""

from __future__ import annotations

import sys

import numpy as np
from onnx import TensorProto
from onnxmltools.convert.common import _registration as onnxmltools_registry

from ._sklearn import FocalClassifierBase
from .objective import SoftmaxFocalLoss

__all__ = ["register_converters"]

# Probabilities are kept this far from 0 and 1 before the map: the float32
# focal probabilities of the tree ensemble round to exactly 0 or 1 there,
# where the map's log-terms would be infinite; the posterior moves by less
# than 1e-8 (absolute) for it.
_EDGE = 2.0**-30
# Stands for a log-odds of -inf (a class probability of exactly 0).
_MINUS_INFINITY = -1e300
# The nodes below use the operators' signatures of this ONNX opset
# (Clip and Slice with tensor inputs, Softmax over the last axis).
_OPSET = 13


def _is_xgboost(clf) -> bool:
    xgboost = sys.modules.get("xgboost")  # imported wherever an XGBoost model exists
    return xgboost is not None and isinstance(clf, xgboost.XGBModel)


def _plain_model(clf):
    """The estimator as the booster's converter reads it (objective, classes, trees)."""
    if not _is_xgboost(clf):
        if clf.multilabel_:
            raise NotImplementedError(
                "ONNX export of a multi-label FocalLGBMClassifier: it holds one booster per "
                "label (convert one_vs_rest_.estimators_[j] each)")
        return clf  # the converter reads booster_ and classes_, as an LGBMClassifier's
    if clf.multilabel_:
        raise NotImplementedError(
            "ONNX export of a multi-label FocalXGBClassifier: onnxmltools' XGBoost converter "
            "makes one or two probability columns, not one per label (for a plain "
            "multi-label XGBClassifier too)")
    from ._xgb_sklearn import INTERCEPT_ATTRIBUTE

    # Binary models always hold their start (base_score); multi-class ones
    # only where XGBoost has the vector intercept, as the model file records.
    if len(clf.classes_) > 2 and clf.get_booster().attr(INTERCEPT_ATTRIBUTE) != "1":
        raise NotImplementedError(
            "ONNX export of a multi-class FocalXGBClassifier needs XGBoost's "
            "vector intercept (XGBoost >= 3.1) to hold the starting margins; this model keeps "
            "them outside the booster")
    import xgboost

    class LoadedXGBClassifier(xgboost.XGBClassifier):
        # XGBClassifier's classes are always arange(n_classes_); the converter
        # writes classes_ into the graph as the labels it outputs.
        classes_ = None  # a plain attribute in place of XGBClassifier's property

    plain = LoadedXGBClassifier()
    plain.load_model(bytearray(clf.get_booster().save_raw("ubj")))
    plain.classes_ = clf.classes_
    return plain


class _AsPlainModel:
    """The converter's operator, seen with the plain model and another probability output."""

    def __init__(self, operator, raw_operator, probabilities):
        self._operator = operator
        self.raw_operator = raw_operator
        self.outputs = [operator.outputs[0], probabilities]

    @property
    def output_full_names(self):
        return [variable.full_name for variable in self.outputs]

    def __getattr__(self, name):
        return getattr(self._operator, name)


class _Variable:
    def __init__(self, full_name):
        self.full_name = full_name
        self.onnx_name = full_name


def _is_focal(operator) -> bool:
    return isinstance(operator.raw_operator, FocalClassifierBase)


def _converter(convert_plain):
    """The booster's converter, then the posterior map for a focal estimator."""

    def convert(scope, operator, container):
        if not _is_focal(operator):
            return convert_plain(scope, operator, container)
        clf = operator.raw_operator
        posterior = clf.focal_probability == "posterior"
        # The focal probabilities are the output itself, or the posterior map's input.
        focal = (_Variable(scope.get_unique_variable_name("focal_probabilities"))
                 if posterior else operator.outputs[1])
        convert_plain(scope, _AsPlainModel(operator, _plain_model(clf), focal), container)
        if posterior:
            _posterior(_Graph(scope, container), clf, focal.full_name,
                       operator.outputs[1].full_name)

    return convert


def _shape_calculator(calculate_plain):
    def calculate(operator):
        if not _is_focal(operator):
            return calculate_plain(operator)
        return calculate_plain(_AsPlainModel(operator, _plain_model(operator.raw_operator),
                                             operator.outputs[1]))

    return calculate


class _Graph:
    """Adds one ONNX node per call and returns its output's name (float64 arithmetic)."""

    def __init__(self, scope, container):
        if container.target_opset < _OPSET:
            raise ValueError(f"the posterior map needs target_opset >= {_OPSET}, got "
                             f"{container.target_opset}")
        self.scope, self.container = scope, container

    def node(self, op_type, *inputs, output=None, **attributes):
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(op_type, list(inputs), [output], op_version=_OPSET,
                                name=self.scope.get_unique_operator_name(op_type), **attributes)
        return output

    def constant(self, value):
        value = np.asarray(value, dtype=np.float64)
        name = self.scope.get_unique_variable_name("constant")
        self.container.add_initializer(name, TensorProto.DOUBLE, list(value.shape),
                                       value.ravel().tolist())
        return name

    def int_constant(self, value):
        name = self.scope.get_unique_variable_name("index")
        self.container.add_initializer(name, TensorProto.INT64, [len(value)], list(value))
        return name

    def add(self, a, b):
        return self.node("Add", a, b)

    def sub(self, a, b):
        return self.node("Sub", a, b)

    def mul(self, a, b):
        return self.node("Mul", a, b)

    def div(self, a, b):
        return self.node("Div", a, b)

    def log(self, a):
        return self.node("Log", a)

    def log1p(self, a):
        # log(1 + a) loses a's digits below 1e-16 absolute: beyond the
        # precision the float32 input carries.
        return self.log(self.add(self.constant(1.0), a))


def _posterior(graph: _Graph, clf, focal_name: str, output_name: str):
    """Nodes mapping focal probabilities (float32, n x k) to ``predict_proba``'s."""
    objective = clf.objective_
    p = graph.node("Clip", graph.node("Cast", focal_name, to=TensorProto.DOUBLE),
                   graph.constant(_EDGE), graph.constant(1.0 - _EDGE))
    q = graph.sub(graph.constant(1.0), p)
    s1 = graph.node("Neg", graph.log(p))  # -log p
    s0 = graph.node("Neg", graph.log(q))  # -log q
    if isinstance(objective, SoftmaxFocalLoss):
        # r_c proportional to h(p_c) / a_c (docs/math.md §8), each p_c the
        # one-vs-rest probability of class c, as _loss.softmax_focal_posterior.
        # log h(p) = -log|phi'(p)|, phi's slope as in the binary map.
        log_h = graph.node("Neg", _log_slope(graph, p, q, s1, s0, graph.constant(objective.gamma)))
        log_weight = graph.sub(log_h, graph.constant(np.log(clf.class_weight_)))
        result = graph.node("Softmax", log_weight, axis=-1)
    else:
        # One probability per label (or the positive class's, column 1 of two).
        # Scalars, or one value per label (broadcast along the columns).
        gamma = np.asarray(clf.focal_gamma, dtype=np.float64)
        gamma_neg = (gamma if clf.focal_gamma_neg is None
                     else np.asarray(clf.focal_gamma_neg, dtype=np.float64))
        clip = np.asarray(clf.focal_clip, dtype=np.float64)
        weights = np.asarray(clf.class_weight_, dtype=np.float64)
        shift = np.log(weights[..., 0]) - np.log(weights[..., 1])
        if not clf.multilabel_:
            p, q, s1, s0 = (graph.node("Slice", v, graph.int_constant([1]),
                                       graph.int_constant([2]), graph.int_constant([1]))
                            for v in (p, q, s1, s0))
        logit = graph.add(_binary_posterior_logit(graph, p, q, s1, s0, gamma, gamma_neg, clip),
                          graph.constant(shift))
        positive = graph.node("Sigmoid", logit)
        if clf.multilabel_:
            result = positive
        else:
            negative = graph.node("Sigmoid", graph.node("Neg", logit))
            result = graph.node("Concat", negative, positive, axis=1)
    graph.node("Cast", result, output=output_name, to=TensorProto.FLOAT)


def _log_slope(graph, p, q, s1, s0, g):
    """``log|phi'(p)|`` of ``phi = (1-p)^g (-log p)``, up to the terms the maps share.

    ``s1 - g s0 + log1p(g p s1 / q)``; swapping ``p``/``q`` and ``s1``/``s0`` gives
    the negative class's.
    """
    return graph.add(graph.sub(s1, graph.mul(g, s0)),
                     graph.log1p(graph.div(graph.mul(g, graph.mul(p, s1)), q)))


def _binary_posterior_logit(graph, p, q, s1, s0, gamma, gamma_neg, clip):
    """``logit r`` of :func:`focal_gbm._loss.binary_focal_posterior_margin`, from ``p``."""
    g, g_neg = graph.constant(gamma), graph.constant(gamma_neg)
    log_pos_slope = _log_slope(graph, p, q, s1, s0, g)
    if not np.any(clip):
        log_neg_slope = _log_slope(graph, q, p, s0, s1, g_neg)
        return graph.sub(log_neg_slope, log_pos_slope)
    # With a probability margin m: u = p - m, v = 1 - u, c = -log v and
    # log phi_neg'(p) = g_neg log u + log(g_neg c / u + 1 / v) for u > 0;
    # a rate of 0 (log-odds -inf) at and below the kink (docs/math.md §9).
    m = graph.constant(clip)
    u = graph.sub(p, m)
    above = graph.node("Greater", u, graph.constant(0.0))
    safe_u = graph.node("Where", above, u, graph.constant(1.0))
    v = graph.add(q, m)
    c = graph.node("Neg", graph.log(v))
    log_neg_slope = graph.add(
        graph.mul(g_neg, graph.log(safe_u)),
        graph.log(graph.add(graph.div(graph.mul(g_neg, c), safe_u),
                            graph.div(graph.constant(1.0), v))))
    return graph.node("Where", above, graph.sub(log_neg_slope, log_pos_slope),
                      graph.constant(_MINUS_INFINITY))


def _installed_boosters():
    """``(estimator, onnxmltools alias, converter, shape calculator, register in parser)``."""
    boosters = []
    try:
        from onnxmltools.convert.xgboost import _parse as xgboost_parse
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
        from onnxmltools.convert.xgboost.shape_calculators.Classifier import (
            calculate_xgboost_classifier_output_shapes,
        )

        from ._xgb_sklearn import FocalXGBClassifier
    except ImportError:  # no XGBoost
        pass
    else:
        def register_xgboost():
            xgboost_parse.xgboost_operator_name_map[FocalXGBClassifier] = "XGBClassifier"
            xgboost_parse.xgboost_classifier_list.append(FocalXGBClassifier)

        boosters.append((FocalXGBClassifier, "XGBClassifier", convert_xgboost,
                         calculate_xgboost_classifier_output_shapes, register_xgboost))
    try:
        from onnxmltools.convert.lightgbm import _parse as lightgbm_parse
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
        from onnxmltools.convert.lightgbm.shape_calculators.Classifier import (
            calculate_lightgbm_classifier_output_shapes,
        )

        from ._lgbm_sklearn import FocalLGBMClassifier
    except ImportError:  # no LightGBM
        pass
    else:
        def register_lightgbm():
            lightgbm_parse.lightgbm_operator_name_map[FocalLGBMClassifier] = "LgbmClassifier"

        boosters.append((FocalLGBMClassifier, "LgbmClassifier", convert_lightgbm,
                         calculate_lightgbm_classifier_output_shapes, register_lightgbm))
    return boosters


_REGISTERED: set = set()


def register_converters():
    """Register the focal estimators with onnxmltools and (if installed) skl2onnx.

    Called when this module is imported; calling it again changes nothing.
    For each installed booster: onnxmltools maps the estimator to the
    ``XGBClassifier`` / ``LgbmClassifier`` operator, whose converter and
    shape calculator hand a focal estimator's plain model to the originals
    (plain models go to them unchanged); skl2onnx gets the estimator with
    the same converter, as its documentation registers the parents.
    """
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    except ImportError:  # onnxmltools alone
        update_registered_converter = None
    for estimator, alias, convert, calculate, register_parser in _installed_boosters():
        if estimator in _REGISTERED:
            continue
        register_parser()
        onnxmltools_registry.register_converter(alias, _converter(convert), overwrite=True)
        onnxmltools_registry.register_shape_calculator(alias, _shape_calculator(calculate),
                                                       overwrite=True)
        if update_registered_converter is not None:
            update_registered_converter(
                estimator, f"FocalGbm{estimator.__name__}",
                calculate_linear_classifier_output_shapes, _converter(convert),
                options={"nocl": [True, False], "zipmap": [True, False, "columns"]})
        _REGISTERED.add(estimator)


register_converters()
