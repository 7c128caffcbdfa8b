"""
Multi-label: cross entropy vs focal loss per label
==================================================

The 8x8 digit images of scikit-learn become five labels, three rare
("zero", "seven", "eight": about 10% each) and two common ("round": 0/6/8/9,
"prime": 2/3/5/7). XGBoost trains one multi-output booster, LightGBM one
booster per label; both with cross entropy and with focal loss (gamma 2,
per-label balanced alpha). On this easy problem the two losses are within
about 0.01 average precision of each other on every label: focal loss is no
free win where cross entropy already separates the classes.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier, multilabel_report

groups = {"zero": [0], "seven": [7], "eight": [8], "round": [0, 6, 8, 9], "prime": [2, 3, 5, 7]}
digits = load_digits()
Y = np.column_stack([np.isin(digits.target, g) for g in groups.values()]).astype(int)
X_train, X_test, Y_train, Y_test = train_test_split(digits.data, Y, test_size=0.3,
                                                    random_state=0)
models = {
    "XGBoost": (FocalXGBClassifier, {"n_estimators": 60, "max_depth": 3, "learning_rate": 0.2}),
    "LightGBM": (FocalLGBMClassifier, {"n_estimators": 60, "num_leaves": 15,
                                       "learning_rate": 0.15, "verbose": -1}),
}
losses = {"cross entropy": {"focal_gamma": 0.0},
          "focal": {"focal_gamma": 2.0, "focal_alpha": "balanced"}}
scores = {}
for booster, (cls, params) in models.items():
    for loss, focal in losses.items():
        proba = cls(**params, **focal).fit(X_train, Y_train).predict_proba(X_test)
        scores[booster, loss] = [average_precision_score(Y_test[:, j], proba[:, j])
                                 for j in range(Y.shape[1])]
print(multilabel_report(Y_test, proba, label_names=list(groups)))

# %%
# Average precision per label: each booster's cross entropy (light) and
# focal loss (dark).
fig, ax = plt.subplots(figsize=(8, 4))
width = 0.2
for k, ((booster, loss), values) in enumerate(scores.items()):
    ax.bar(np.arange(len(groups)) + (k - 1.5) * width, values, width, label=f"{booster}, {loss}",
           color=["#9fbbe0", "#2b5d9c", "#f2b48c", "#c2541c"][k])
ax.set_xticks(np.arange(len(groups)), list(groups))
ax.set_ylim(0.8, 1.005)
ax.set_ylabel("held-out average precision")
ax.legend(fontsize="small", loc="lower left")
fig.tight_layout()
