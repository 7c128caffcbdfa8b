"""Multi-label: cross entropy vs focal loss vs the asymmetric loss (ASL), per label.

Protocol (fixed, so that anyone can rerun it):

- datasets: ``yeast`` (../shared/datasets/multilabel/yeast.csv: 2417 genes,
  103 features, 14 labels, rates 1.4% to 75%) and ``digits`` (scikit-learn's
  8x8 digit images, 1797 rows, 64 features, with 7 overlapping labels made
  from the digit: "zero", "one", "seven", "eight" (about 10% each), "round"
  (0/6/8/9), "prime" (2/3/5/7) and "odd": real features, labels derived
  from the true class);
- 5-fold CV, shuffled with seed 0 (the same folds for every method);
- XGBoost: FocalXGBClassifier(n_estimators=100, learning_rate=0.1,
  max_depth=4) on the 2-D label matrix (one multi-output booster); LightGBM:
  FocalLGBMClassifier(n_estimators=100, learning_rate=0.1, num_leaves=15),
  one booster per label; every model starts from its optimal margins;
- methods: cross entropy (gamma 0), focal loss (gamma 2; without alpha and
  with per-label balanced alpha), ASL at the paper's setting (gamma_pos 0,
  gamma_neg 4, clip 0.05) and a small grid (gamma_pos in {0, 1}, gamma_neg
  in {2, 4}, clip in {0, 0.05});
- scores on the held-out fold, then averaged over folds: per-label average
  precision and ROC AUC (of the margins: with a clip the posterior ties every
  row below the kink, the margin still ranks them), the F1 at the threshold
  the model implies (``predict``: margin above 0), and their macro (mean over
  labels) and micro (pooled) averages; the standard deviation over folds of
  macro average precision and of its difference to cross entropy.

    python benchmarks/bench_multilabel.py          # writes results/multilabel.{md,csv}
    python benchmarks/bench_multilabel.py --quick  # digits only, 2 folds
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier  # noqa: E402

YEAST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "multilabel" / "yeast.csv"
DIGIT_LABELS = {"zero": [0], "one": [1], "seven": [7], "eight": [8], "round": [0, 6, 8, 9],
                "prime": [2, 3, 5, 7], "odd": [1, 3, 5, 7, 9]}
SETTINGS = {
    "xgboost": (FocalXGBClassifier, {"n_estimators": 100, "learning_rate": 0.1,
                                     "max_depth": 4}),
    "lightgbm": (FocalLGBMClassifier, {"n_estimators": 100, "learning_rate": 0.1,
                                       "num_leaves": 15, "verbose": -1}),
}
PAPER = "ASL g+=0 g-=4 m=0.05"
METHODS = {
    "cross entropy": {"focal_gamma": 0.0},
    "focal g=2": {"focal_gamma": 2.0},
    "focal g=2 balanced": {"focal_gamma": 2.0, "focal_alpha": "balanced"},
    **{f"ASL g+={gp:g} g-={gn:g} m={m:g}": {"focal_gamma": gp, "focal_gamma_neg": gn,
                                             "focal_clip": m}
       for gp in (0.0, 1.0) for gn in (2.0, 4.0) for m in (0.0, 0.05)},
}
SUMMARY = ("macro_ap", "micro_ap", "macro_auc", "macro_f1", "micro_f1")


def load(name: str):
    """``(X, Y, label_names)`` of a benchmark dataset."""
    if name == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        Y = np.column_stack([np.isin(digits.target, g) for g in DIGIT_LABELS.values()])
        return digits.data, Y.astype(int), list(DIGIT_LABELS)
    data = np.genfromtxt(YEAST, delimiter=",", names=True, dtype=np.float64)
    labels = [c for c in data.dtype.names if c.startswith("label")]
    X = np.column_stack([data[c] for c in data.dtype.names if c not in labels])
    return X, np.column_stack([data[c] for c in labels]).astype(int), labels


def fold_scores(Y, margin, predicted) -> dict:
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    both = [j for j in range(Y.shape[1]) if 0 < Y[:, j].sum() < Y.shape[0]]
    ap = np.full(Y.shape[1], np.nan)
    auc = np.full(Y.shape[1], np.nan)
    for j in both:
        ap[j] = average_precision_score(Y[:, j], margin[:, j])
        auc[j] = roc_auc_score(Y[:, j], margin[:, j])
    f1 = f1_score(Y, predicted, average=None, zero_division=0.0)
    return {"ap": ap, "auc": auc, "f1": f1,
            "macro_ap": float(np.nanmean(ap)),
            "micro_ap": float(average_precision_score(Y[:, both], margin[:, both],
                                                      average="micro")),
            "macro_auc": float(np.nanmean(auc)),
            "macro_f1": float(np.mean(f1)),
            "micro_f1": float(f1_score(Y, predicted, average="micro", zero_division=0.0))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only, 2 folds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    from sklearn.model_selection import KFold

    datasets = ["digits"] if args.quick or not YEAST.exists() else ["yeast", "digits"]
    if not YEAST.exists():
        print(f"{YEAST} is absent: digits only", file=sys.stderr)
    folds = 2 if args.quick else 5
    started = time.perf_counter()
    rows, per_label, per_fold = [], [], {}
    for name in datasets:
        X, Y, label_names = load(name)
        splits = list(KFold(folds, shuffle=True, random_state=0).split(X))
        for booster, (cls, params) in SETTINGS.items():
            for method, focal in METHODS.items():
                scores = []
                for train, test in splits:
                    model = cls(**params, **focal, n_jobs=args.threads,
                                random_state=0).fit(X[train], Y[train])
                    scores.append(fold_scores(Y[test], model.decision_function(X[test]),
                                              model.predict(X[test])))
                per_fold[(name, booster, method)] = [s["macro_ap"] for s in scores]
                mean = {k: float(np.mean([s[k] for s in scores])) for k in SUMMARY}
                rows.append({"dataset": name, "booster": booster, "method": method, **mean,
                             "macro_ap_std": float(np.std(per_fold[(name, booster, method)]))})
                for j, label in enumerate(label_names):
                    per_label.append({
                        "dataset": name, "booster": booster, "method": method, "label": label,
                        "rate": float(Y[:, j].mean()),
                        **{k: float(np.nanmean([s[k][j] for s in scores]))
                           for k in ("ap", "auc", "f1")}})
                print(f"{time.perf_counter() - started:6.0f}s {name:7s} {booster:9s} "
                      f"{method:24s} macro AP {mean['macro_ap']:.4f}", flush=True)
    report = render(rows, per_label, per_fold, datasets, folds,
                    time.perf_counter() - started)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    _common.write_csv(args.out / f"multilabel{suffix}.csv", rows)
    _common.write_csv(args.out / f"multilabel_per_label{suffix}.csv", per_label)
    (args.out / f"multilabel{suffix}.md").write_text(report)
    print(report)


def render(rows, per_label, per_fold, datasets, folds, seconds) -> str:
    parts = ["# Multi-label benchmark", "",
             f"Generated by `python benchmarks/bench_multilabel.py` on {_common.machine()} in "
             f"{seconds / 60:.0f} min: {', '.join(datasets)}, {folds}-fold CV, protocol in the "
             "script's docstring. `macro AP - CE`: the difference to cross entropy's macro "
             "average precision, mean +- standard deviation over the folds (paired: the same "
             "folds).", ""]
    for name in datasets:
        for booster in SETTINGS:
            base = per_fold[(name, booster, "cross entropy")]
            table = []
            for r in rows:
                if r["dataset"] != name or r["booster"] != booster:
                    continue
                diff = np.subtract(per_fold[(name, booster, r["method"])], base)
                table.append([r["method"], f"{r['macro_ap']:.4f} +- {r['macro_ap_std']:.4f}",
                              f"{diff.mean():+.4f} +- {diff.std():.4f}", r["micro_ap"],
                              r["macro_auc"], r["macro_f1"], r["micro_f1"]])
            parts += [f"## {name}, {booster}", "", _common.markdown_table(
                ["method", "macro AP", "macro AP - CE", "micro AP", "macro ROC AUC",
                 "macro F1", "micro F1"], table), ""]
        best = {b: max((r for r in rows if r["dataset"] == name and r["booster"] == b
                        and r["method"].startswith("ASL")), key=lambda r: r["macro_ap"])["method"]
                for b in SETTINGS}
        for booster in SETTINGS:
            shown = ["cross entropy", "focal g=2", PAPER, best[booster]]
            shown = list(dict.fromkeys(shown))
            labels = [r for r in per_label if r["dataset"] == name and r["booster"] == booster]
            by = {(r["label"], r["method"]): r for r in labels}
            names = list(dict.fromkeys(r["label"] for r in labels))
            table = [[label, by[(label, shown[0])]["rate"],
                      *(by[(label, m)]["ap"] for m in shown),
                      *(by[(label, m)]["f1"] for m in shown)] for label in names]
            parts += [f"### {name}, {booster}: per label (average precision, then F1 at the "
                      f"model's threshold; best ASL here: {best[booster]})", "",
                      _common.markdown_table(
                          ["label", "rate", *(f"AP {m}" for m in shown),
                           *(f"F1 {m}" for m in shown)], table), ""]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    main()
