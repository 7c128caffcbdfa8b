"""Multi-label focal loss on real features: per-label cross entropy vs focal loss.

The 8x8 digit images of scikit-learn become a multi-label problem with rare
labels ("zero", "seven", "eight": about 10% each) and common ones ("round":
0/6/8/9, "prime": 2/3/5/7). XGBoost trains one multi-output booster,
LightGBM one booster per label; both with cross entropy (focal_gamma=0) and
focal loss (focal_gamma=2, per-label balanced alpha). Prints per-label
average precision and ROC AUC on a held-out 30%.

    python examples/multilabel_digits.py
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier, multilabel_report

GROUPS = {"zero": [0], "seven": [7], "eight": [8], "round": [0, 6, 8, 9], "prime": [2, 3, 5, 7]}

digits = load_digits()
Y = np.column_stack([np.isin(digits.target, g) for g in GROUPS.values()]).astype(int)
X_train, X_test, Y_train, Y_test = train_test_split(digits.data, Y, test_size=0.3,
                                                    random_state=0)

models = {
    "XGBoost": (FocalXGBClassifier, {"n_estimators": 100, "max_depth": 3,
                                     "learning_rate": 0.2}),
    "LightGBM": (FocalLGBMClassifier, {"n_estimators": 100, "num_leaves": 15,
                                       "learning_rate": 0.1, "verbose": -1}),
}
losses = {
    "cross entropy": {"focal_gamma": 0.0, "focal_alpha": None},
    "focal (gamma=2, balanced)": {"focal_gamma": 2.0, "focal_alpha": "balanced"},
}
for booster, (cls, params) in models.items():
    for loss, focal_params in losses.items():
        clf = cls(**params, **focal_params).fit(X_train, Y_train)
        report = multilabel_report(Y_test, clf.predict_proba(X_test), label_names=list(GROUPS))
        print(f"\n### {booster}, {loss}\n\n{report}")
