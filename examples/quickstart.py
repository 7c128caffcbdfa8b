"""The README quickstarts, runnable: focal loss with xgboost.train and lightgbm.train.

    python examples/quickstart.py
"""

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

from focal_gbm import FocalLoss, lightgbm_train, xgboost_train

X, y = make_classification(n_samples=5000, weights=[0.95], flip_y=0.02, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
focal = FocalLoss(gamma=2.0, alpha="balanced")

# XGBoost: starts from the optimal margin; predict() returns probabilities.
dtrain = xgb.DMatrix(X_train, label=y_train)
dtest = xgb.DMatrix(X_test, label=y_test)
booster = xgboost_train({"max_depth": 4, "eta": 0.1}, dtrain, 200, objective=focal,
                        evals=[(dtest, "test")], early_stopping_rounds=20, verbose_eval=False)
proba = booster.predict(dtest, iteration_range=(0, booster.best_iteration + 1))
print(f"XGBoost  focal loss: AP = {average_precision_score(y_test, proba):.3f}")

# LightGBM: the starting margin is baked into the returned model.
train_set = lgb.Dataset(X_train, y_train)
valid_set = lgb.Dataset(X_test, y_test, reference=train_set)
booster = lightgbm_train({"num_leaves": 15, "learning_rate": 0.1, "verbose": -1}, train_set, 200,
                         objective=focal, valid_sets=[valid_set],
                         callbacks=[lgb.early_stopping(20, verbose=False)])
proba = booster.predict(X_test)
print(f"LightGBM focal loss: AP = {average_precision_score(y_test, proba):.3f}")

# Or plug the objective in by hand (then the starting margin is yours to set).
margin = np.zeros(len(y_train))
grad, hess = focal.grad_hess(y_train, margin)
print(f"first-round gradient range: [{grad.min():.3f}, {grad.max():.3f}]")
