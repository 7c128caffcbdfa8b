"""Both estimators pass scikit-learn's full estimator checks, none expected to fail."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier  # noqa: E402


@parametrize_with_checks(
    [FocalXGBClassifier(n_estimators=10, n_jobs=1),
     FocalLGBMClassifier(n_estimators=10, n_jobs=1, verbose=-1)]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
