"""Every public estimator passes scikit-learn's full estimator checks, none expected to fail.

The estimators are discovered from the package's public names (not listed by
hand), so a new one cannot skip the checks: it must either be constructed in
``CHECKED`` or have its reason in ``CHECKS_DO_NOT_APPLY``.
"""

import functools
import inspect

import pytest
import sklearn
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("dask.array")

import focal_gbm  # noqa: E402
import focal_gbm.dask  # noqa: E402

CHECKED = {
    "FocalXGBClassifier": lambda: focal_gbm.FocalXGBClassifier(n_estimators=10, n_jobs=1),
    "FocalLGBMClassifier": lambda: focal_gbm.FocalLGBMClassifier(n_estimators=10, n_jobs=1,
                                                                 verbose=-1),
}
CHECKS_DO_NOT_APPLY = {
    # The checks feed NumPy arrays; these take Dask collections only. They
    # are tested against the local estimators in tests/test_dask.py.
    "DaskFocalXGBClassifier": "Dask collections only",
    "DaskFocalLGBMClassifier": "Dask collections only",
    # Multi-label indicator matrices only (FocalLGBMClassifier uses it for
    # them); the checks' targets are 1-D. tests/test_multilabel.py covers it.
    "FocalOneVsRestClassifier": "multi-label targets only",
}


def public_estimators() -> set[str]:
    names = set()
    for module in (focal_gbm, focal_gbm.dask):
        for name in set(getattr(module, "__all__", ())) | set(getattr(module, "_LAZY", {})):
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, BaseEstimator):
                names.add(name)
    return names


def test_every_public_estimator_is_checked_or_says_why_not():
    assert public_estimators() == set(CHECKED) | set(CHECKS_DO_NOT_APPLY)


@parametrize_with_checks([make() for make in CHECKED.values()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# A user's subclass written as LightGBM's docs write one: its own keyword, then
# every parameter of the parent through **kwargs.
class ThresholdedLGBM(focal_gbm.FocalLGBMClassifier):
    def __init__(self, *, margin_shift=0.0, **kwargs):
        self.margin_shift = margin_shift
        super().__init__(**kwargs)


class ThresholdedXGB(focal_gbm.FocalXGBClassifier):
    def __init__(self, *, margin_shift=0.0, **kwargs):
        self.margin_shift = margin_shift
        super().__init__(**kwargs)


@parametrize_with_checks([ThresholdedLGBM(margin_shift=0.5, n_estimators=5, n_jobs=1, verbose=-1),
                          ThresholdedXGB(margin_shift=0.5, n_estimators=5, n_jobs=1)])
def test_subclasses_written_the_documented_way_pass_too(estimator, check):
    check(estimator)


def test_a_subclass_keeps_every_parent_parameter():
    params = ThresholdedLGBM(margin_shift=1.0, min_child_samples=7).get_params()
    assert params["margin_shift"] == 1.0 and params["min_child_samples"] == 7
    assert set(focal_gbm.FocalLGBMClassifier().get_params()) < set(params)


# --------------------------------------------------------------------- tags
@pytest.mark.parametrize("ours", ["FocalXGBClassifier", "FocalLGBMClassifier",
                                  "DaskFocalXGBClassifier", "DaskFocalLGBMClassifier"])
def test_tags_are_the_parents_but_for_multi_label_targets(ours):
    import lightgbm as lgb
    import xgboost as xgb
    import xgboost.dask

    if not hasattr(BaseEstimator, "__sklearn_tags__"):
        pytest.skip("scikit-learn < 1.6 has no Tags objects")
    parent = {"FocalXGBClassifier": xgb.XGBClassifier,
              "FocalLGBMClassifier": lgb.LGBMClassifier,
              "DaskFocalXGBClassifier": xgboost.dask.DaskXGBClassifier,
              "DaskFocalLGBMClassifier": lgb.DaskLGBMClassifier}[ours]
    module = focal_gbm.dask if ours.startswith("Dask") else focal_gbm
    tags = getattr(module, ours)().__sklearn_tags__()
    # The focal estimators take multi-label targets, whatever the parent says.
    assert tags.classifier_tags.multi_label
    tags.classifier_tags.multi_label = parent().__sklearn_tags__().classifier_tags.multi_label
    assert tags == parent().__sklearn_tags__()


class ValidatingXGB(focal_gbm.FocalXGBClassifier):
    """FocalXGBClassifier with its tags saying what it does: it validates its input.

    Its real tags say ``no_validation`` as XGBClassifier's do, which turns
    scikit-learn's input-validation checks off; this class runs them.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.no_validation = False
        return tags


def _check_function(check):
    return check.func if isinstance(check, functools.partial) else check


def _validation_checks(estimator) -> list:
    """The checks that the ``no_validation`` tag skips, for ``estimator``.

    Those yielded only without the tag, and those that read it inside.
    """
    from sklearn.utils.estimator_checks import estimator_checks_generator

    def names(est):
        return {_check_function(check).__name__
                for _, check in estimator_checks_generator(est, legacy=True, mark=None)}

    skipped = names(estimator) - names(focal_gbm.FocalXGBClassifier())
    return [check for _, check in estimator_checks_generator(estimator, legacy=True, mark=None)
            if _check_function(check).__name__ in skipped
            or "no_validation" in inspect.getsource(_check_function(check))]


NEW_CHECKS_API = hasattr(sklearn.utils.estimator_checks, "estimator_checks_generator")
VALIDATION_CHECKS = (_validation_checks(ValidatingXGB(n_estimators=5, n_jobs=1))
                     if NEW_CHECKS_API else [])


@pytest.mark.skipif(not NEW_CHECKS_API, reason="scikit-learn < 1.6")
def test_the_tag_turns_off_input_validation_checks():
    # Else the test below would check nothing.
    names = {_check_function(check).__name__ for check in VALIDATION_CHECKS}
    assert {"check_dtype_object", "check_supervised_y_no_nan",
            "check_n_features_in_after_fitting"} <= names


@pytest.mark.parametrize("check", VALIDATION_CHECKS,
                         ids=lambda check: _check_function(check).__name__)
def test_xgboost_estimator_validates_its_input_as_the_checks_expect(check):
    check(ValidatingXGB(n_estimators=5, n_jobs=1))
