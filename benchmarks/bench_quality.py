"""Model quality: cross entropy vs focal loss, and the calibration of focal probabilities.

Protocol (fixed, so that anyone can rerun it):

- every dataset in ../shared/datasets/imbalanced (12 real imbalanced sets);
- stratified 5-fold CV, shuffled with seed 0; scores on the held-out fold,
  averaged over folds: average precision, ROC AUC, balanced accuracy (of
  the model's ``predict``), log loss, Brier score and expected calibration
  error (10 equal-width bins);
- XGBoost: FocalXGBClassifier(n_estimators=100, learning_rate=0.1,
  max_depth=4); LightGBM: FocalLGBMClassifier(n_estimators=100,
  learning_rate=0.1, num_leaves=15); booster defaults otherwise; every model
  starts from its optimal constant margin;
- methods: "cross entropy" (focal_gamma=0, focal_alpha=None), "weighted
  cross entropy" (focal_gamma=0, focal_alpha="balanced"), "focal g=G a=A"
  for focal_gamma G in {1, 2, 3} and focal_alpha A in {None, "balanced"}
  ("focal g=2 a=none" is the library default), and "focal tuned" (that grid,
  chosen by an inner stratified 3-fold CV on the training folds, by average
  precision);
- probabilities of every focal and weighted method, from the same fit:
  "focal" (sigmoid of the margin), "posterior" (the focal link inverted,
  ``predict_proba``'s default) and, as the held-out-data reference,
  "isotonic" (scikit-learn's CalibratedClassifierCV(method="isotonic",
  cv=3) around the same estimator: three more fits, each calibrated on the
  third it did not train on);
- reference: CatBoost's built-in Focal loss (focal_alpha=0.5,
  focal_gamma=2), iterations=100, learning_rate=0.1, depth=4; skipped when
  catboost is not installed (pip install -r benchmarks/requirements.txt);
- figure: reliability diagrams (out-of-fold probabilities of all five
  folds, 10 quantile bins) of XGBoost on two datasets, for gamma = 2.

    python benchmarks/bench_quality.py          # writes benchmarks/results/quality.{md,csv,png}
    python benchmarks/bench_quality.py --quick  # 2 datasets, 2 folds
"""

from __future__ import annotations

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
GRID = {"focal_gamma": [1.0, 2.0, 3.0], "focal_alpha": [None, "balanced"]}
METHODS = {
    "cross entropy": {"focal_gamma": 0.0, "focal_alpha": None},
    "weighted cross entropy": {"focal_gamma": 0.0, "focal_alpha": "balanced"},
    **{f"focal g={g:g} a={a or 'none'}": {"focal_gamma": g, "focal_alpha": a}
       for g in GRID["focal_gamma"] for a in GRID["focal_alpha"]},
}
DEFAULT = "focal g=2 a=none"
# Probability variants of one fit; cross entropy's are all the same.
VARIANTS = ("focal", "posterior", "isotonic")
METRICS = ("average_precision", "roc_auc", "balanced_accuracy", *_common.CALIBRATION)
FIGURE_DATASETS = ("mammography", "abalone_binarized")
FIGURE_METHODS = ("focal g=2 a=none", "focal g=2 a=balanced")


def fit_predict(booster, method, X_train, y_train, X_test, *, threads, seed=0):
    """``({variant: (proba, decision)}, note)`` of one method on one fold."""
    if booster == "catboost":
        from catboost import CatBoostClassifier

        model = CatBoostClassifier(loss_function="Focal:focal_alpha=0.5;focal_gamma=2",
                                   iterations=100, learning_rate=0.1, depth=4,
                                   thread_count=threads, random_seed=seed, verbose=0,
                                   allow_writing_files=False)
        model.fit(X_train, y_train)
        return {"-": (model.predict_proba(X_test)[:, 1], None)}, None
    from scipy.special import expit

    cls, params = SETTINGS[booster]
    params = {**params, "n_jobs": threads, "random_state": seed}
    if method == "focal tuned":
        from sklearn.model_selection import GridSearchCV, StratifiedKFold

        search = GridSearchCV(cls(**params), GRID, scoring="average_precision",
                              cv=StratifiedKFold(3, shuffle=True, random_state=seed))
        search.fit(X_train, y_train)
        chosen = search.best_params_
        note = f"g={chosen['focal_gamma']:g}/a={chosen['focal_alpha']}"
        return {"posterior": (search.predict_proba(X_test)[:, 1],
                              search.predict(X_test))}, note
    model = cls(**params, **METHODS[method]).fit(X_train, y_train)
    decision = model.predict(X_test)
    posterior = model.predict_proba(X_test)[:, 1]
    if method == "cross entropy":
        return {"-": (posterior, decision)}, None
    variants = {"focal": (expit(model.decision_function(X_test)), decision),
                "posterior": (posterior, decision)}
    from sklearn.calibration import CalibratedClassifierCV

    isotonic = CalibratedClassifierCV(cls(**params, **METHODS[method]), method="isotonic",
                                      cv=3).fit(X_train, y_train)
    variants["isotonic"] = (isotonic.predict_proba(X_test)[:, 1], isotonic.predict(X_test))
    return variants, None


def cross_validate(datasets, folds, runs, threads):
    """One row per (dataset, booster, method, variant): fold-mean scores.

    Also returns the out-of-fold probabilities of the figure's datasets.
    """
    from sklearn.model_selection import StratifiedKFold

    started = time.perf_counter()
    rows, out_of_fold = [], {}
    for name in datasets:
        X, y = _common.load(name)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y))
        for booster, method in runs:
            fold_scores, notes = {}, []
            for train, test in splits:
                variants, note = fit_predict(booster, method, X[train], y[train], X[test],
                                             threads=threads)
                notes += [note] if note else []
                for variant, (proba, decision) in variants.items():
                    fold_scores.setdefault(variant, []).append(
                        _common.scores(y[test], proba, decision))
                    if name in FIGURE_DATASETS and booster == "xgboost":
                        key = (name, method, variant)
                        out_of_fold.setdefault(key, np.empty(len(y)))[test] = proba
            for variant, per_fold in fold_scores.items():
                mean = {m: float(np.mean([s[m] for s in per_fold])) for m in METRICS}
                rows.append({"dataset": name, "booster": booster, "method": method,
                             "probability": variant, **mean, "tuned": " ".join(notes)})
            shown = fold_scores.get("posterior", fold_scores.get("-"))
            print(f"{time.perf_counter() - started:7.0f}s {name:20s} {booster:9s} "
                  f"{method:24s} AP={np.mean([s['average_precision'] for s in shown]):.4f} "
                  f"log loss={np.mean([s['log_loss'] for s in shown]):.4f}", flush=True)
        if name in FIGURE_DATASETS:
            out_of_fold[(name, "labels")] = y
    return rows, out_of_fold


def main():
    args, datasets, folds = _common.cli(__doc__, quick_datasets=2)
    runs = [(b, m) for b in SETTINGS for m in [*METHODS, "focal tuned"]]
    try:
        import catboost  # noqa: F401

        runs.append(("catboost", "CatBoost Focal"))
    except ImportError:
        print("catboost not installed: no external reference", file=sys.stderr)
    started = time.perf_counter()
    rows, out_of_fold = cross_validate(datasets, folds, runs, args.threads)
    report = render(rows, datasets, folds, time.perf_counter() - started)
    _common.save_results(args, "quality", rows, report)
    suffix = "_quick" if args.quick else ""
    reliability_figure(out_of_fold, args.out / f"reliability{suffix}.png")


def _table(rows, booster):
    """``{(dataset, method, variant): row}`` of one booster; cross entropy under every variant."""
    table = {}
    for r in rows:
        if r["booster"] != booster:
            continue
        variants = VARIANTS if r["probability"] == "-" else (r["probability"],)
        for variant in variants:
            table[(r["dataset"], r["method"], variant)] = r
    return table


def render(rows, datasets, folds, seconds) -> str:
    parts = [
        "# Model quality benchmark",
        "",
        f"Generated by `python benchmarks/bench_quality.py` on {_common.machine()} in "
        f"{seconds / 60:.0f} min: {len(datasets)} datasets, stratified {folds}-fold CV, "
        "protocol in the script's docstring.",
        "",
    ]
    for booster in SETTINGS:
        by = _table(rows, booster)
        methods = [*METHODS, "focal tuned"]
        parts += [f"## {booster}: ranking and decisions", "",
                  "Mean rank over datasets (1 = best) and mean score; probabilities are "
                  "`predict_proba`'s (the posterior), which rank exactly as the focal ones.", ""]
        header = ["method", *(f"rank {m}" for m in _common.METRICS),
                  *(f"mean {m}" for m in _common.METRICS)]
        table = []
        for method in methods:
            ranks = [_common.mean_ranks({(d, k): by[(d, k, "posterior")][m]
                                         for d in datasets for k in methods},
                                        methods, datasets, _common.HIGHER_IS_BETTER[m])[method]
                     for m in _common.METRICS]
            means = [float(np.mean([by[(d, method, "posterior")][m] for d in datasets]))
                     for m in _common.METRICS]
            table.append([method, *map(float, ranks), *means])
        parts += [_common.markdown_table(header, table), ""]
        wins = []
        for method in methods[1:]:
            cells = [method]
            for m in _common.METRICS:
                sign = 1 if _common.HIGHER_IS_BETTER[m] else -1
                diffs = [sign * (by[(d, method, "posterior")][m]
                                 - by[(d, "cross entropy", "posterior")][m]) for d in datasets]
                cells.append(f"{sum(x > 0 for x in diffs)}/{len(diffs)}")
            wins.append(cells)
        parts += [f"Datasets where the method beats {booster} cross entropy:", "",
                  _common.markdown_table(["method", *_common.METRICS], wins), ""]
        parts += calibration_section(by, booster, datasets)
    parts += ["## Per dataset", ""]
    parts.append(_common.markdown_table(
        ["dataset", "booster", "method", "probability", *METRICS, "tuned (per fold)"],
        [[r["dataset"], r["booster"], r["method"], r["probability"], *(r[m] for m in METRICS),
          r["tuned"]] for r in rows]))
    catboost = [r for r in rows if r["booster"] == "catboost"]
    if catboost:
        parts += ["", "CatBoost Focal (reference) mean scores: " + ", ".join(
            f"{m} {np.mean([r[m] for r in catboost]):.4f}" for m in METRICS)]
    return "\n".join(parts) + "\n"


def calibration_section(by, booster, datasets) -> list[str]:
    """Mean log loss, Brier and ECE of every probability variant, and the targets."""
    def mean(method, variant, metric):
        return float(np.mean([by[(d, method, variant)][metric] for d in datasets]))

    entropy = {m: mean("cross entropy", "posterior", m) for m in _common.CALIBRATION}
    header = ["method", *(f"{m} {v}" for m in _common.CALIBRATION for v in VARIANTS),
              "log loss post / CE", "Brier post / CE", "ECE post / CE",
              "log loss post / iso", "Brier post / iso"]
    table = []
    for method in [m for m in METHODS if m != "cross entropy"]:
        cells = [mean(method, v, m) for m in _common.CALIBRATION for v in VARIANTS]
        post = {m: mean(method, "posterior", m) for m in _common.CALIBRATION}
        iso = {m: mean(method, "isotonic", m) for m in _common.CALIBRATION}
        table.append([method, *cells, post["log_loss"] / entropy["log_loss"],
                      post["brier"] / entropy["brier"], post["ece"] / entropy["ece"],
                      post["log_loss"] / iso["log_loss"], post["brier"] / iso["brier"]])
    identical = max(abs(by[(d, m, "posterior")][k] - by[(d, m, "focal")][k])
                    for d in datasets for m in METHODS for k in ("average_precision", "roc_auc"))
    return [
        f"### {booster}: calibration (mean over datasets; lower is better)", "",
        f"Cross entropy: log loss {entropy['log_loss']:.4f}, Brier {entropy['brier']:.4f}, "
        f"ECE {entropy['ece']:.4f}. Columns per metric: focal probabilities, posterior, "
        "isotonic calibration on held-out thirds; ratios are of the posterior to cross "
        "entropy (CE) and to isotonic (iso).", "",
        _common.markdown_table(header, table), "",
        f"Largest difference in average precision or ROC AUC between the posterior and the "
        f"focal probabilities of the same fit, over every dataset and method: {identical:.1e}.",
        "",
    ]


def reliability_figure(out_of_fold, path: Path):
    """Observed rate against mean probability, per quantile bin, log scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    names = [d for d in FIGURE_DATASETS if (d, "labels") in out_of_fold]
    if not names:
        return
    fig, axes = plt.subplots(len(names), len(FIGURE_METHODS),
                             figsize=(5.5 * len(FIGURE_METHODS), 5 * len(names)), squeeze=False)
    styles = {"focal": ("#d9622b", "focal probability"),
              "posterior": ("#2b8a3e", "posterior (focal link inverted)"),
              "isotonic": ("#7b5ea7", "isotonic, held-out thirds")}
    for i, name in enumerate(names):
        y = out_of_fold[(name, "labels")]
        for j, method in enumerate(FIGURE_METHODS):
            ax = axes[i][j]
            curves = [("cross entropy", "-", "#4a74a8", "cross entropy")]
            curves += [(method, v, *styles[v]) for v in VARIANTS]
            for source, variant, colour, label in curves:
                proba = out_of_fold[(name, source, variant)]
                rate, mean = calibration_curve(y, proba, n_bins=10, strategy="quantile")
                seen = rate > 0  # a bin without positives has no place on a log scale
                ax.plot(mean[seen], rate[seen], "o-", color=colour, label=label, markersize=4)
            ax.plot([1e-4, 1], [1e-4, 1], ":", color="grey", label="perfect calibration")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(1e-4, 1)
            ax.set_ylim(1e-4, 1)
            ax.set_xlabel("mean predicted probability (10 quantile bins)")
            ax.set_ylabel("observed positive rate")
            ax.set_title(f"{name}, XGBoost, {method}")
            ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("Reliability: observed positive rate per bin (bins without positives "
                 "left out: a log scale has no 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    main()
