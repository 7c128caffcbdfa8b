"""
Probabilities that mean what they say
=====================================

A focal model's sigmoid of the margin (the "focal probability") is pulled
towards 1/2: focal loss is not a proper scoring rule. focal_gbm inverts that
link exactly, and ``predict_proba`` returns the class probabilities behind
the margins (the posterior). Out-of-fold reliability on an imbalanced
problem: cross entropy, and focal loss (gamma 2) before and after the map.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.special import expit
from sklearn.datasets import make_classification
from sklearn.model_selection import cross_val_predict

from focal_gbm import FocalXGBClassifier
from focal_gbm.metrics import calibration_scores

X, y = make_classification(n_samples=4000, weights=[0.9], flip_y=0.03, class_sep=0.8,
                           random_state=1)
params = {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.05}
entropy = cross_val_predict(FocalXGBClassifier(focal_gamma=0.0, **params), X, y, cv=3,
                            method="predict_proba")[:, 1]
focal_margin = cross_val_predict(FocalXGBClassifier(focal_gamma=2.0, **params), X, y, cv=3,
                                 method="decision_function")
posterior = cross_val_predict(FocalXGBClassifier(focal_gamma=2.0, **params), X, y, cv=3,
                              method="predict_proba")[:, 1]
curves = {"cross entropy": entropy, "focal, sigmoid of the margin": expit(focal_margin),
          "focal, posterior (predict_proba)": posterior}
for name, proba in curves.items():
    scores = calibration_scores(y, proba)
    print(f"{name:34s} log loss {scores['log_loss']:.4f}, ECE {scores['ece']:.4f}")

# %%
# Reliability: mean predicted probability against the observed rate, in ten
# bins of equal count.
fig, ax = plt.subplots(figsize=(5.5, 5))
for name, proba in curves.items():
    order = np.argsort(proba)
    bins = np.array_split(order, 10)
    ax.plot([proba[b].mean() for b in bins], [y[b].mean() for b in bins], "o-", label=name)
ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
ax.set_xlabel("predicted probability")
ax.set_ylabel("observed positive rate")
ax.legend(loc="upper left", fontsize="small")
fig.tight_layout()
