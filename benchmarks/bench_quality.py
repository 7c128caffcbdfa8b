"""Model quality: cross entropy vs weighted cross entropy vs focal loss.

Protocol (fixed, so that anyone can rerun it):

- every dataset in ../shared/datasets/imbalanced (12 real imbalanced sets);
- stratified 5-fold CV, shuffled with seed 0; scores on the held-out fold,
  averaged over folds: average precision, ROC AUC, balanced accuracy
  (threshold 0.5) and log loss;
- XGBoost: FocalXGBClassifier(n_estimators=100, learning_rate=0.1,
  max_depth=4); LightGBM: FocalLGBMClassifier(n_estimators=100,
  learning_rate=0.1, num_leaves=15); booster defaults otherwise; every model
  starts from its optimal constant margin;
- methods: "cross entropy" (focal_gamma=0, focal_alpha=None), "weighted
  cross entropy" (focal_gamma=0, focal_alpha="balanced"), "focal default"
  (the library defaults, focal_gamma=2, focal_alpha=None), "focal tuned"
  (focal_gamma in {1, 2, 3} x focal_alpha in {None, "balanced"}, chosen by an
  inner stratified 3-fold CV on the training folds, by average precision);
- reference: CatBoost's built-in Focal loss (focal_alpha=0.5,
  focal_gamma=2: the same weighting as "focal default" up to a factor 1/2),
  iterations=100, learning_rate=0.1, depth=4; skipped when catboost is not
  installed (pip install catboost).

    python benchmarks/bench_quality.py          # writes benchmarks/results/quality.{md,csv}
    python benchmarks/bench_quality.py --quick  # 2 datasets, 2 folds
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier  # noqa: E402

SETTINGS = {
    "xgboost": (FocalXGBClassifier, {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 4}),
    "lightgbm": (FocalLGBMClassifier, {"n_estimators": 100, "learning_rate": 0.1,
                                       "num_leaves": 15, "verbose": -1}),
}
METHODS = {
    "cross entropy": {"focal_gamma": 0.0, "focal_alpha": None},
    "weighted cross entropy": {"focal_gamma": 0.0, "focal_alpha": "balanced"},
    "focal default": {"focal_gamma": 2.0, "focal_alpha": None},
}
GRID = {"focal_gamma": [1.0, 2.0, 3.0], "focal_alpha": [None, "balanced"]}


def fit_predict(booster, method, X_train, y_train, X_test, threads, seed):
    if booster == "catboost":
        from catboost import CatBoostClassifier

        model = CatBoostClassifier(loss_function="Focal:focal_alpha=0.5;focal_gamma=2",
                                   iterations=100, learning_rate=0.1, depth=4,
                                   thread_count=threads, random_seed=seed, verbose=0)
        model.fit(X_train, y_train)
        return model.predict_proba(X_test)[:, 1], None
    cls, params = SETTINGS[booster]
    params = {**params, "n_jobs": threads, "random_state": seed}
    if method == "focal tuned":
        from sklearn.model_selection import GridSearchCV, StratifiedKFold

        search = GridSearchCV(cls(**params), GRID, scoring="average_precision",
                              cv=StratifiedKFold(3, shuffle=True, random_state=seed))
        search.fit(X_train, y_train)
        chosen = search.best_params_
        return search.predict_proba(X_test)[:, 1], chosen
    model = cls(**params, **METHODS[method]).fit(X_train, y_train)
    return model.predict_proba(X_test)[:, 1], None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    from sklearn.model_selection import StratifiedKFold

    datasets = _common.dataset_names()
    folds = 5
    if args.quick:
        datasets, folds = datasets[:2], 2
    runs = [(b, m) for b in SETTINGS for m in [*METHODS, "focal tuned"]]
    try:
        import catboost  # noqa: F401

        runs.append(("catboost", "CatBoost Focal"))
    except ImportError:
        print("catboost not installed: no external reference", file=sys.stderr)
    rows = []
    started = time.perf_counter()
    for name in datasets:
        X, y = _common.load(name)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y))
        for booster, method in runs:
            fold_scores, chosen = [], []
            for train, test in splits:
                proba, params = fit_predict(booster, method, X[train], y[train], X[test],
                                            args.threads, seed=0)
                fold_scores.append(_common.scores(y[test], proba))
                if params:
                    chosen.append(f"g={params['focal_gamma']:g}/a={params['focal_alpha']}")
            mean = {m: float(np.mean([s[m] for s in fold_scores])) for m in _common.METRICS}
            rows.append({"dataset": name, "booster": booster, "method": method, **mean,
                         "tuned": " ".join(chosen)})
            print(f"{time.perf_counter() - started:7.0f}s {name:20s} {booster:8s} {method:24s} "
                  f"AP={mean['average_precision']:.4f} AUC={mean['roc_auc']:.4f}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    with open(args.out / f"quality{suffix}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = render(rows, datasets, folds, time.perf_counter() - started)
    (args.out / f"quality{suffix}.md").write_text(report)
    print(report)


def render(rows, datasets, folds, seconds) -> str:
    parts = [
        "# Model quality benchmark",
        "",
        f"Generated by `python benchmarks/bench_quality.py` on {_common.machine()} in "
        f"{seconds / 60:.0f} min: {len(datasets)} datasets, stratified {folds}-fold CV, "
        "protocol in the script's docstring.",
        "",
    ]
    for booster in ("xgboost", "lightgbm"):
        methods = [m for b, m in _unique((r["booster"], r["method"]) for r in rows) if b == booster]
        by = {(r["dataset"], r["method"]): r for r in rows if r["booster"] == booster}
        parts += [f"## {booster}: mean rank over datasets (1 = best) and mean score", ""]
        header = ["method", *(f"rank {m}" for m in _common.METRICS),
                  *(f"mean {m}" for m in _common.METRICS)]
        table = []
        for method in methods:
            ranks = [_common.mean_ranks({k: v[m] for k, v in by.items()}, methods, datasets,
                                        _common.HIGHER_IS_BETTER[m])[method]
                     for m in _common.METRICS]
            means = [float(np.mean([by[(d, method)][m] for d in datasets]))
                     for m in _common.METRICS]
            table.append([method, *map(float, ranks), *means])
        parts += [_common.markdown_table(header, table), ""]
        wins = []
        for method in methods[1:]:
            cells = [method]
            for m in _common.METRICS:
                sign = 1 if _common.HIGHER_IS_BETTER[m] else -1
                diffs = [sign * (by[(d, method)][m] - by[(d, "cross entropy")][m])
                         for d in datasets]
                cells.append(f"{sum(x > 0 for x in diffs)}/{len(diffs)}")
            wins.append(cells)
        parts += [f"Datasets where the method beats {booster} cross entropy:", "",
                  _common.markdown_table(["method", *_common.METRICS], wins), ""]
    parts += ["## Per dataset", ""]
    parts.append(_common.markdown_table(
        ["dataset", "booster", "method", *_common.METRICS, "tuned (per fold)"],
        [[r["dataset"], r["booster"], r["method"], *(r[m] for m in _common.METRICS), r["tuned"]]
         for r in rows]))
    catboost = [r for r in rows if r["booster"] == "catboost"]
    if catboost:
        parts += ["", "CatBoost Focal (reference) mean scores: " + ", ".join(
            f"{m} {np.mean([r[m] for r in catboost]):.4f}" for m in _common.METRICS)]
    return "\n".join(parts) + "\n"


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


if __name__ == "__main__":
    main()
