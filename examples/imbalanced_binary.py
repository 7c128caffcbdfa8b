"""Cross entropy vs focal loss on a 90:10 two-feature problem, with pictures.

Trains XGBoost and LightGBM with cross entropy and with focal loss (gamma=2,
alpha = inverse class frequency), same trees and rounds, prints held-out
metrics, and saves three figures to examples/figures/:

- decision_regions.png: where each model predicts the minority class;
- loss_vs_pt.png: cross entropy and focal loss (gamma = 3) against p_t, y = 1;
- focal_gammas.png: focal loss against p_t for several gammas.

    python examples/imbalanced_binary.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split  # noqa: E402

from focal_gbm import FocalLGBMClassifier, FocalLoss, FocalXGBClassifier  # noqa: E402
from focal_gbm.datasets import make_imbalanced  # noqa: E402

FIGURES = Path(__file__).resolve().parent / "figures"
BOOSTERS = {
    "XGBoost": (FocalXGBClassifier, {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1}),
    "LightGBM": (FocalLGBMClassifier, {"n_estimators": 100, "num_leaves": 8,
                                       "learning_rate": 0.1, "verbose": -1}),
}
LOSSES = {
    "cross entropy": {"focal_gamma": 0.0, "focal_alpha": None},
    "focal loss": {"focal_gamma": 2.0, "focal_alpha": "balanced"},
}


def main():
    X, y = make_imbalanced(2000, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    models = {}
    header = (f"{'booster':9s} {'loss':14s} {'accuracy':>8s} {'bal.acc':>8s} "
              f"{'recall':>8s} {'precision':>9s} {'AP':>7s} {'ROC AUC':>8s}")
    print(header)
    print("-" * len(header))
    for booster, (cls, params) in BOOSTERS.items():
        for loss, focal in LOSSES.items():
            clf = cls(**params, **focal).fit(X_train, y_train)
            models[booster, loss] = clf
            proba = clf.predict_proba(X_test)[:, 1]
            pred = clf.predict(X_test)
            print(f"{booster:9s} {loss:14s} {accuracy_score(y_test, pred):8.3f} "
                  f"{balanced_accuracy_score(y_test, pred):8.3f} "
                  f"{recall_score(y_test, pred):8.3f} "
                  f"{precision_score(y_test, pred, zero_division=0):9.3f} "
                  f"{average_precision_score(y_test, proba):7.3f} "
                  f"{roc_auc_score(y_test, proba):8.3f}")
    FIGURES.mkdir(exist_ok=True)
    plot_regions(models, X_test, y_test, FIGURES / "decision_regions.png")
    plot_losses(FIGURES / "loss_vs_pt.png", FIGURES / "focal_gammas.png")
    print("\nfigures written to examples/figures/")


def plot_regions(models, X, y, path):
    grid_x, grid_y = np.meshgrid(np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 300),
                                 np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 300))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    fig, axes = plt.subplots(2, 2, figsize=(10, 9), sharex=True, sharey=True)
    for ax, ((booster, loss), clf) in zip(axes.ravel(), models.items()):
        region = clf.predict(grid).reshape(grid_x.shape)
        ax.contourf(grid_x, grid_y, region, levels=[-0.5, 0.5, 1.5],
                    colors=["#dde6f0", "#f6c9a8"])
        ax.scatter(*X[y == 0].T, s=6, c="#4a74a8", label="majority (0)")
        ax.scatter(*X[y == 1].T, s=12, c="#d9622b", label="minority (1)")
        recall = (clf.predict(X)[y == 1] == 1).mean()
        ax.set_title(f"{booster}, {loss}\nminority recall {recall:.2f}")
    axes[0, 0].legend(loc="lower left")
    fig.suptitle("Predicted minority region (orange), held-out points")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _loss_curve(p_t, gamma):
    # y = 1 and margin logit(p_t): the loss of an example whose true class
    # gets probability p_t
    margin = np.log(p_t) - np.log1p(-p_t)
    return FocalLoss(gamma=gamma).loss(np.ones_like(p_t), margin)


def plot_losses(path_pair, path_gammas):
    p_t = np.linspace(0.01, 0.99, 400)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(p_t, _loss_curve(p_t, 0.0), label="cross entropy (gamma = 0)")
    ax.plot(p_t, _loss_curve(p_t, 3.0), label="focal loss (gamma = 3)")
    ax.set_xlabel("p_t (probability of the true class)")
    ax.set_ylabel("loss, y = 1")
    ax.set_title("Focal loss ignores what is already right")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path_pair, dpi=80)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
        ax.plot(p_t, _loss_curve(p_t, gamma), label=f"gamma = {gamma:g}")
    ax.set_xlabel("p_t (probability of the true class)")
    ax.set_ylabel("focal loss")
    ax.set_title("Focal loss for several gammas")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path_gammas, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    main()
