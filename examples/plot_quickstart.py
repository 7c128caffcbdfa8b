"""
Quickstart: the three ways in
=============================

Focal loss through the scikit-learn estimators, through ``xgboost_train`` /
``lightgbm_train``, and as a plain objective for the boosters' own API, on
an imbalanced synthetic problem (5% positives).
"""

# %%
# The data: 3,000 rows, 5% positives, a held-out quarter.
import lightgbm as lgb
import xgboost as xgb
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

from focal_gbm import (
    FocalLGBMClassifier,
    FocalLoss,
    FocalXGBClassifier,
    lightgbm_train,
    predict_posterior,
    xgboost_train,
)

X, y = make_classification(n_samples=3000, weights=[0.95], flip_y=0.02, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# 1. The estimators: change the class name. ``predict_proba`` returns class
# probabilities (the focal link inverted), ``predict`` your labels.
for cls, extra in ((FocalXGBClassifier, {}), (FocalLGBMClassifier, {"verbose": -1})):
    clf = cls(n_estimators=100, learning_rate=0.1, focal_gamma=2.0, **extra)
    clf.fit(X_train, y_train)
    proba = clf.predict_proba(X_test)[:, 1]
    print(f"{cls.__name__:20s} AP = {average_precision_score(y_test, proba):.3f}, "
          f"mean probability {proba.mean():.3f} (positive rate {y_test.mean():.3f})")

# %%
# 2. The training functions: ``xgboost.train`` / ``lightgbm.train`` with the
# optimal starting margin; the returned boosters predict probabilities.
focal = FocalLoss(gamma=2.0)
dtrain = xgb.DMatrix(X_train, label=y_train)
dtest = xgb.DMatrix(X_test, label=y_test)
booster = xgboost_train({"max_depth": 4, "eta": 0.1}, dtrain, 200, objective=focal,
                        evals=[(dtest, "test")], early_stopping_rounds=20, verbose_eval=False)
best = (0, booster.best_iteration + 1)
proba = predict_posterior(booster, dtest, objective=focal, iteration_range=best)
print(f"xgboost_train  AP = {average_precision_score(y_test, proba):.3f} "
      f"({booster.best_iteration + 1} trees)")

booster = lightgbm_train({"num_leaves": 15, "learning_rate": 0.1, "verbose": -1},
                         lgb.Dataset(X_train, y_train), 100, objective=focal)
proba = predict_posterior(booster, X_test, objective=focal)
print(f"lightgbm_train AP = {average_precision_score(y_test, proba):.3f}")

# %%
# 3. A plain objective: ``FocalLoss`` is a callable for ``xgboost.train(obj=...)``
# and ``lightgbm.train``, and computes the loss and its derivatives on arrays.
booster = xgb.train({"max_depth": 4, "eta": 0.1, "disable_default_eval_metric": 1},
                    dtrain, 60, obj=focal)
margin = booster.predict(dtest, output_margin=True)  # starts at margin 0: your choice
print(f"xgboost.train  AP = {average_precision_score(y_test, margin):.3f}")
grad, hess = focal.grad_hess(y_test, margin)
print(f"gradient in [{grad.min():.3f}, {grad.max():.3f}], Hessian > 0: {bool((hess > 0).all())}")
