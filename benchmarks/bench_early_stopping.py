"""Which metrics should LightGBM's early stopping watch, named or not?

    python benchmarks/bench_early_stopping.py   # writes results/early_stopping.md

With `lightgbm.early_stopping(50)` LightGBM stops when any recorded metric
stops improving. On the twelve imbalanced datasets (stratified 5-fold; in
each training fold 20% held out as the `eval_set`; focal gamma 2; learning
rate 0.05; at most 2,000 rounds) this measures held-out average precision
and the rounds kept, three ways:

1. A metric named in `fit` (`average_precision`), with `focal_loss` named
   next to it ("both") or alone ("named only"); `metric="None"` so that
   nothing else is recorded.
2. The named metric with the estimator's default `binary_logloss` (of the
   focal probabilities, what `LGBMClassifier` records next to a named
   metric) against the named metric alone.
3. Nothing named (`focal_loss` and `binary_logloss`, the default) against
   `focal_loss` alone; here also the held-out log loss of `predict_proba`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

ROUNDS, PATIENCE = 2000, 50


def main():
    import lightgbm
    from sklearn.metrics import average_precision_score, log_loss
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from focal_gbm import FocalLGBMClassifier

    args, datasets, folds = _common.cli(__doc__, quick_datasets=3)
    started = time.perf_counter()
    rows, default_rows, logloss_rows = [], [], []
    # (the constructor's metric, fit's eval_metric): metric="None" turns off the
    # binary_logloss the estimator records by default, as LGBMClassifier's does.
    variants = {"both": ("None", ["average_precision", "focal_loss"]),
                "named only": ("None", ["average_precision"]),
                "named + logloss": (None, ["average_precision"]),
                "focal only": ("None", "focal_loss"),
                "nothing named": (None, None)}
    for name in datasets:
        X, y = _common.load(name)
        result = {variant: ([], [], []) for variant in variants}
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
            fit, valid = train_test_split(train, test_size=0.2, stratify=y[train],
                                          random_state=0)
            for variant, (metric, metrics) in variants.items():
                model = FocalLGBMClassifier(
                    focal_gamma=2.0, n_estimators=ROUNDS, learning_rate=0.05, num_leaves=15,
                    n_jobs=args.threads, verbose=-1, random_state=0, metric=metric,
                ).fit(X[fit], y[fit], eval_set=[(X[valid], y[valid])], eval_metric=metrics,
                      callbacks=[lightgbm.early_stopping(PATIENCE, verbose=False)])
                scores, losses, rounds = result[variant]
                scores.append(average_precision_score(y[test], model.decision_function(X[test])))
                losses.append(log_loss(y[test], model.predict_proba(X[test])[:, 1]))
                rounds.append(model.best_iteration_)
        both, named = result["both"], result["named only"]
        rows.append([name, float(np.mean(both[0])), float(np.mean(named[0])),
                     float(np.mean(named[0]) - np.mean(both[0])), f"{np.mean(both[2]):.0f}",
                     f"{np.mean(named[2]):.0f}"])
        logloss_rows.append([name, float(np.mean(named[0])),
                             float(np.mean(result["named + logloss"][0])),
                             f"{np.mean(result['named + logloss'][2]):.0f}"])
        alone, default = result["focal only"], result["nothing named"]
        default_rows.append([name, float(np.mean(alone[0])), float(np.mean(default[0])),
                             float(np.mean(alone[1])), float(np.mean(default[1])),
                             f"{np.mean(alone[2]):.0f}", f"{np.mean(default[2]):.0f}"])
        print(f"{time.perf_counter() - started:6.0f}s {name}: {rows[-1][1:]} "
              f"{default_rows[-1][1:]}", flush=True)
    differences = np.array([r[3] for r in rows])
    header = ["dataset", "AP, both stop", "AP, named only", "difference", "rounds, both",
              "rounds, named only"]
    report = "\n".join([
        f"Machine: {_common.machine()}. Wall time {time.perf_counter() - started:.0f} s.", "",
        _common.markdown_table(header, rows), "",
        f"Mean difference (named only - both): {differences.mean():+.4f} average precision; "
        f"named only better on {(differences > 0).sum()} of {len(rows)} datasets, worse on "
        f"{(differences < 0).sum()}.", "",
        "The named metric and `binary_logloss` (of the focal probabilities, what "
        "`LGBMClassifier` records next to a metric named in `fit`), both watched by early "
        "stopping, against the named metric alone.", "",
        _common.markdown_table(["dataset", "AP, named only", "AP, named + binary_logloss",
                                "rounds, named + binary_logloss"], logloss_rows), "",
        f"Mean difference (named + binary_logloss - named only): "
        f"{np.mean([r[2] - r[1] for r in logloss_rows]):+.4f} average precision.", "",
        "Nothing named: `focal_loss` alone against `focal_loss` and `binary_logloss` "
        "(the default), both watched by early stopping.", "",
        _common.markdown_table(
            ["dataset", "AP, focal_loss", "AP, default", "log loss, focal_loss",
             "log loss, default", "rounds, focal_loss", "rounds, default"], default_rows), "",
        f"Mean difference (default - focal_loss alone): "
        f"{np.mean([r[2] - r[1] for r in default_rows]):+.4f} average precision, "
        f"{np.mean([r[4] - r[3] for r in default_rows]):+.4f} log loss.", ""])
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (args.out / f"early_stopping{suffix}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
