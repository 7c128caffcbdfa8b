"""Should `focal_loss` take part in early stopping when the user names a metric in `fit`?

    python benchmarks/bench_early_stopping.py   # writes results/early_stopping.md

With `lightgbm.early_stopping(50)` LightGBM stops when any recorded metric
stops improving. `LGBMClassifier` records a metric named in `fit` next to its
objective's own (`binary_logloss`); the question is whether
`FocalLGBMClassifier` should record `focal_loss` next to a named metric
(`eval_metric=["average_precision", "focal_loss"]`, "both") or the named
metric alone (its rule, "named only"). On the twelve imbalanced
datasets (stratified 5-fold; in each training fold 20% held out as the
`eval_set`; focal gamma 2; learning rate 0.05; at most 2,000 rounds) this
measures the held-out average precision and the rounds kept when stopping
follows both metrics against the named metric alone.
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
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from focal_gbm import FocalLGBMClassifier

    args, datasets, folds = _common.cli(__doc__, quick_datasets=3)
    started = time.perf_counter()
    rows = []
    for name in datasets:
        X, y = _common.load(name)
        result = {"both": ([], []), "named only": ([], [])}
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
            fit, valid = train_test_split(train, test_size=0.2, stratify=y[train],
                                          random_state=0)
            for variant, metrics in (("both", ["average_precision", "focal_loss"]),
                                     ("named only", ["average_precision"])):
                model = FocalLGBMClassifier(
                    focal_gamma=2.0, n_estimators=ROUNDS, learning_rate=0.05, num_leaves=15,
                    n_jobs=args.threads, verbose=-1, random_state=0,
                ).fit(X[fit], y[fit], eval_set=[(X[valid], y[valid])], eval_metric=metrics,
                      callbacks=[lightgbm.early_stopping(PATIENCE, verbose=False)])
                scores, rounds = result[variant]
                scores.append(average_precision_score(y[test], model.decision_function(X[test])))
                rounds.append(model.best_iteration_)
        both, named = result["both"], result["named only"]
        rows.append([name, float(np.mean(both[0])), float(np.mean(named[0])),
                     float(np.mean(named[0]) - np.mean(both[0])), f"{np.mean(both[1]):.0f}",
                     f"{np.mean(named[1]):.0f}"])
        print(f"{time.perf_counter() - started:6.0f}s {name}: {rows[-1][1:]}", flush=True)
    differences = np.array([r[3] for r in rows])
    header = ["dataset", "AP, both stop", "AP, named only", "difference", "rounds, both",
              "rounds, named only"]
    report = "\n".join([
        f"Machine: {_common.machine()}. Wall time {time.perf_counter() - started:.0f} s.", "",
        _common.markdown_table(header, rows), "",
        f"Mean difference (named only - both): {differences.mean():+.4f} average precision; "
        f"named only better on {(differences > 0).sum()} of {len(rows)} datasets, worse on "
        f"{(differences < 0).sum()}.", ""])
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (args.out / f"early_stopping{suffix}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
