"""The fitted API of XGBClassifier / LGBMClassifier, on the focal estimators.

"Existing code only changes the class name" (README): every attribute and
method listed here is used after fitting in real code; each test fits the
parent and ours side by side and checks that ours has it, with the parent's
meaning (same kind of value, same shape, consistent with the model).
"""

from __future__ import annotations

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier  # noqa: E402


@pytest.fixture
def split(rng):
    X = rng.normal(size=(600, 4))
    y = (X[:, 0] + 0.7 * rng.normal(size=600) > 1.0).astype(int)
    return X[:400], y[:400], X[400:], y[400:]


def test_xgboost_fitted_attributes_and_methods(split, tmp_path):
    X, y, X_valid, y_valid = split
    params = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.3,
              "early_stopping_rounds": 5}
    parent = xgb.XGBClassifier(**params).fit(X, y, eval_set=[(X_valid, y_valid)], verbose=False)
    ours = FocalXGBClassifier(**params).fit(X, y, eval_set=[(X_valid, y_valid)])

    assert ours.get_booster() is ours.booster_
    assert isinstance(ours.get_booster(), type(parent.get_booster()))
    for fitted in (parent, ours):
        assert isinstance(fitted.best_iteration, int) and fitted.best_iteration < 199
        assert isinstance(fitted.best_score, float)
        assert fitted.feature_importances_.shape == (4,)
        assert fitted.n_features_in_ == 4
        assert fitted.apply(X_valid).shape[0] == len(X_valid)
    history = ours.evals_result()["validation_0"]["focal_loss"]
    assert list(parent.evals_result()) == list(ours.evals_result()) == ["validation_0"]
    # best_score is the metric at best_iteration, as XGBoost records it
    assert ours.best_score == pytest.approx(history[ours.best_iteration], rel=1e-6)
    assert ours.best_score == pytest.approx(min(history), rel=1e-6)
    np.testing.assert_allclose(ours.feature_importances_.sum(), 1.0, rtol=1e-6)
    assert np.argmax(ours.feature_importances_) == 0  # the informative feature
    # the same after a round trip through the model file
    ours.save_model(tmp_path / "m.json")
    loaded = FocalXGBClassifier().load_model(tmp_path / "m.json")
    assert loaded.best_iteration == ours.best_iteration
    np.testing.assert_array_equal(loaded.feature_importances_, ours.feature_importances_)


def test_xgboost_without_eval_set_raises_as_the_parent_does(split):
    X, y, _, _ = split
    parent = xgb.XGBClassifier(n_estimators=3).fit(X, y)
    ours = FocalXGBClassifier(n_estimators=3).fit(X, y)
    for fitted in (parent, ours):
        with pytest.raises(xgb.core.XGBoostError, match="No evaluation result"):
            fitted.evals_result()
        with pytest.raises(AttributeError):
            fitted.best_iteration  # noqa: B018 - only defined under early stopping


def test_lightgbm_fitted_attributes(split, tmp_path):
    X, y, X_valid, y_valid = split
    params = {"n_estimators": 200, "num_leaves": 7, "learning_rate": 0.3, "verbose": -1}
    stop = [lgb.early_stopping(5, verbose=False)]
    parent = lgb.LGBMClassifier(**params).fit(X, y, eval_set=[(X_valid, y_valid)],
                                               callbacks=stop)
    ours = FocalLGBMClassifier(**params).fit(X, y, eval_set=[(X_valid, y_valid)],
                                             callbacks=stop)
    for fitted in (parent, ours):
        assert 0 < fitted.best_iteration_ < 200
        assert list(fitted.best_score_) == list(fitted.evals_result_) == ["valid_0"]
        assert fitted.feature_importances_.shape == (4,)
        assert fitted.feature_name_ == [f"Column_{i}" for i in range(4)]
        assert fitted.n_features_ == fitted.n_features_in_ == 4
        assert fitted.n_estimators_ == fitted.n_iter_ == fitted.booster_.current_iteration()
        assert fitted.n_estimators_ < 200
    assert ours.best_score_["valid_0"]["focal_loss"] == pytest.approx(
        min(ours.evals_result_["valid_0"]["focal_loss"]))
    assert np.argmax(ours.feature_importances_) == 0
    ours.save_model(tmp_path / "m.txt")
    loaded = FocalLGBMClassifier().load_model(tmp_path / "m.txt")
    np.testing.assert_array_equal(loaded.feature_importances_, ours.feature_importances_)
    assert loaded.n_estimators_ == ours.n_estimators_


def test_lightgbm_without_eval_set_matches_the_parent(split):
    X, y, _, _ = split
    parent = lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    ours = FocalLGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    for fitted in (parent, ours):
        assert fitted.best_iteration_ == 0
        assert dict(fitted.evals_result_) == {} and dict(fitted.best_score_) == {}
