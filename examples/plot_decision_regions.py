"""
Cross entropy vs focal loss: where each model says "minority"
=============================================================

XGBoost and LightGBM with cross entropy and with focal loss (gamma 2,
balanced alpha), same trees and rounds, on the built-in 90:10 two-feature
problem. Cross entropy gravitates to the majority class; focal loss with
class weights moves the boundary, finding more of the minority class at the
price of more false alarms. The ranking (average precision) hardly moves.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import average_precision_score, balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier
from focal_gbm.datasets import make_imbalanced

X, y = make_imbalanced(2000, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
boosters = {
    "XGBoost": (FocalXGBClassifier, {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1}),
    "LightGBM": (FocalLGBMClassifier, {"n_estimators": 100, "num_leaves": 8,
                                       "learning_rate": 0.1, "verbose": -1}),
}
losses = {
    "cross entropy": {"focal_gamma": 0.0, "focal_alpha": None},
    "focal loss": {"focal_gamma": 2.0, "focal_alpha": "balanced"},
}
models = {}
for booster, (cls, params) in boosters.items():
    for loss, focal in losses.items():
        clf = cls(**params, **focal).fit(X_train, y_train)
        models[booster, loss] = clf
        pred = clf.predict(X_test)
        print(f"{booster:8s} {loss:13s} minority recall {recall_score(y_test, pred):.2f}, "
              f"balanced accuracy {balanced_accuracy_score(y_test, pred):.2f}, AP "
              f"{average_precision_score(y_test, clf.predict_proba(X_test)[:, 1]):.3f}")

# %%
# The predicted minority region (orange) of each model, with the held-out points.
grid_x, grid_y = np.meshgrid(np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 250),
                             np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 250))
grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
fig, axes = plt.subplots(2, 2, figsize=(9, 8), sharex=True, sharey=True)
for ax, ((booster, loss), clf) in zip(axes.ravel(), models.items()):
    region = clf.predict(grid).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, region, levels=[-0.5, 0.5, 1.5], colors=["#dde6f0", "#f6c9a8"])
    ax.scatter(*X_test[y_test == 0].T, s=5, c="#4a74a8", label="majority (0)")
    ax.scatter(*X_test[y_test == 1].T, s=10, c="#d9622b", label="minority (1)")
    ax.set_title(f"{booster}, {loss}")
axes[0, 0].legend(loc="lower left")
fig.tight_layout()
