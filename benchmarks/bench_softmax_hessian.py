"""Softmax focal Hessian: scaled as each booster scales its own, or the exact diagonal?

    python benchmarks/bench_softmax_hessian.py   # writes results/softmax_hessian.md

XGBoost trains ``multi:softprob`` on the Hessian ``2 p (1 - p)`` and
LightGBM ``multiclass`` on ``k / (k - 1) p (1 - p)``; the softmax focal
objective multiplies its Hessian by the same factor, so that ``gamma=0``
trains the built-in model. This measures whether the exact diagonal (the
factor undone) generalises better, on multi-class data: scikit-learn's
digits (10 classes) and three generated problems (3 balanced classes; 5
imbalanced classes, shares 60/20/10/7/3 %; 7 classes with 10 % label noise).
Stratified 5-fold; in each training fold 20 % is held out for early stopping
on the focal metric (patience 50, learning rate 0.1, at most 2,000 rounds);
focal gamma 0 and 2. Reported: held-out log loss of the posterior
probabilities, accuracy, and the rounds kept.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

ROUNDS, PATIENCE = 2000, 50


def _datasets():
    from sklearn.datasets import load_digits, make_classification

    yield "digits (10)", *load_digits(return_X_y=True)
    yield "balanced (3)", *make_classification(
        3000, 20, n_informative=8, n_classes=3, random_state=0)
    yield "imbalanced (5)", *make_classification(
        4000, 20, n_informative=10, n_classes=5, weights=[0.6, 0.2, 0.1, 0.07, 0.03],
        random_state=1)
    yield "noisy (7)", *make_classification(
        4000, 30, n_informative=12, n_classes=7, flip_y=0.1, random_state=2)


def _train(booster_name, loss, X_fit, y_fit, X_valid, y_valid, k, undo_scale, threads):
    """A margins function of a booster trained with ``loss``, Hessian over ``undo_scale``."""
    start = loss.init_score(y_fit, n_classes=k)
    if booster_name == "XGBoost":
        import xgboost as xgb

        def objective(margin, data):
            grad, hess = loss(margin, data)
            return grad, hess / undo_scale

        fit = xgb.DMatrix(X_fit, label=y_fit, base_margin=np.tile(start, (len(y_fit), 1)))
        valid = xgb.DMatrix(X_valid, label=y_valid,
                            base_margin=np.tile(start, (len(y_valid), 1)))
        model = xgb.train({"num_class": k, "max_depth": 6, "eta": 0.1, "nthread": threads,
                           "disable_default_eval_metric": 1}, fit, ROUNDS, obj=objective,
                          custom_metric=loss.metric, evals=[(valid, "valid")],
                          early_stopping_rounds=PATIENCE, verbose_eval=False)
        rounds = model.best_iteration + 1

        def margins(X):
            data = xgb.DMatrix(X, base_margin=np.tile(start, (len(X), 1)))
            return model.predict(data, output_margin=True, iteration_range=(0, rounds))
        return margins, rounds
    import lightgbm as lgb

    def objective(margin, data):
        grad, hess = loss(margin, data)
        return grad, hess / undo_scale

    fit = lgb.Dataset(X_fit, y_fit, init_score=np.tile(start, (len(y_fit), 1)))
    valid = lgb.Dataset(X_valid, y_valid, init_score=np.tile(start, (len(y_valid), 1)),
                        reference=fit)
    model = lgb.train({"objective": objective, "num_class": k, "learning_rate": 0.1,
                       "num_leaves": 31, "num_threads": threads, "verbose": -1,
                       "metric": "None"}, fit, ROUNDS, valid_sets=[valid], feval=loss.metric,
                      callbacks=[lgb.early_stopping(PATIENCE, verbose=False)])
    rounds = model.best_iteration
    return (lambda X: model.predict(X, raw_score=True, num_iteration=rounds) + start), rounds


def main():
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from focal_gbm import SoftmaxFocalLoss

    args, _, folds = _common.cli(__doc__, quick_datasets=1)
    started = time.perf_counter()
    rows, gains = [], []
    for name, X, y in _datasets():
        k = int(y.max()) + 1
        for booster_name in ("XGBoost", "LightGBM"):
            own_scale = 2.0 if booster_name == "XGBoost" else k / (k - 1)
            for gamma in (0.0, 2.0):
                loss = SoftmaxFocalLoss(gamma=gamma)
                result = {"scaled": ([], [], []), "exact": ([], [], [])}
                for train, test in StratifiedKFold(folds, shuffle=True,
                                                   random_state=0).split(X, y):
                    fit, valid = train_test_split(train, test_size=0.2, stratify=y[train],
                                                  random_state=0)
                    for variant, undo in (("scaled", 1.0), ("exact", own_scale)):
                        margins, rounds = _train(booster_name, loss, X[fit], y[fit], X[valid],
                                                 y[valid], k, undo, args.threads)
                        proba = loss.posterior(margins(X[test]))
                        losses, accuracies, kept = result[variant]
                        losses.append(log_loss(y[test], proba, labels=np.arange(k)))
                        accuracies.append(accuracy_score(y[test], proba.argmax(axis=1)))
                        kept.append(rounds)
                scaled, exact = ([float(np.mean(v)) for v in result[key]]
                                 for key in ("scaled", "exact"))
                gains.append(exact[0] - scaled[0])
                rows.append([name, booster_name, gamma, scaled[0], exact[0], scaled[1],
                             exact[1], f"{scaled[2]:.0f}", f"{exact[2]:.0f}"])
                print(f"{time.perf_counter() - started:6.0f}s {rows[-1]}", flush=True)
    gains = np.array(gains)
    report = "\n".join([
        f"Machine: {_common.machine()}. Wall time {time.perf_counter() - started:.0f} s.", "",
        _common.markdown_table(
            ["data (classes)", "booster", "gamma", "log loss, scaled", "log loss, exact",
             "accuracy, scaled", "accuracy, exact", "rounds, scaled", "rounds, exact"], rows),
        "",
        f"Log loss, exact - scaled: mean {gains.mean():+.4f}; the booster's scaling lower "
        f"(better) in {(gains > 0).sum()} of {len(gains)} cases, higher in "
        f"{(gains < 0).sum()}.", ""])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "softmax_hessian.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
