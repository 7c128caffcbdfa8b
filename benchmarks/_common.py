"""Shared pieces of the benchmark scripts: datasets, folds, metrics, tables."""

from __future__ import annotations

import csv
import os
import platform
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "imbalanced"
METRICS = ("average_precision", "roc_auc", "log_loss", "balanced_accuracy")
CALIBRATION = ("log_loss", "brier", "ece")
HIGHER_IS_BETTER = {"average_precision": True, "roc_auc": True, "log_loss": False,
                    "balanced_accuracy": True, "brier": False, "ece": False}


def dataset_names(data_dir: Path = DATA_DIR) -> list[str]:
    with open(data_dir / "MANIFEST.csv", newline="") as f:
        return [row["name"] for row in csv.DictReader(f)]


def load(name: str, data_dir: Path = DATA_DIR):
    data = np.genfromtxt(data_dir / f"{name}.csv", delimiter=",", names=True, dtype=np.float64)
    X = np.column_stack([data[c] for c in data.dtype.names if c != "label"])
    return X, data["label"]


def scores(y_true, proba, decision=None) -> dict[str, float]:
    """Ranking, decision and calibration scores of positive-class probabilities.

    ``decision`` (0/1) are the model's own predictions, for balanced
    accuracy; default: ``proba >= 0.5``. Calibration (log loss, Brier, ECE)
    comes from :func:`focal_gbm.metrics.calibration_scores`.
    """
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, roc_auc_score

    from focal_gbm.metrics import calibration_scores

    decision = proba >= 0.5 if decision is None else decision
    return {
        "average_precision": average_precision_score(y_true, proba),
        "roc_auc": roc_auc_score(y_true, proba),
        "balanced_accuracy": balanced_accuracy_score(y_true, decision),
        **calibration_scores(y_true, proba),
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def markdown_table(header: list[str], rows: list[list]) -> str:
    def fmt(v):
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def mean_ranks(table: dict[tuple[str, str], float], candidates: list[str], datasets: list[str],
               higher_is_better: bool) -> dict[str, float]:
    """Average rank (1 = best) of each candidate over datasets; ties share ranks."""
    from scipy.stats import rankdata

    ranks = []
    for d in datasets:
        values = np.array([table[(d, c)] for c in candidates])
        ranks.append(rankdata(-values if higher_is_better else values))
    return dict(zip(candidates, np.mean(ranks, axis=0)))


def cli(doc: str, quick_datasets: int):
    """The benchmarks' shared options; returns (args, datasets, folds)."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{quick_datasets} datasets, 2 folds: a smoke run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    datasets, folds = dataset_names(), 5
    if args.quick:
        datasets, folds = datasets[:quick_datasets], 2
    return args, datasets, folds


def cross_validate(datasets, folds, runs, fields, fit_predict):
    """Mean held-out scores of every run on every dataset, stratified CV, seed 0.

    ``runs`` is a list of tuples named by ``fields``;
    ``fit_predict(*run, X_train, y_train, X_test)`` returns (probabilities,
    note). Returns one row dict per (dataset, run): the dataset, the run's
    fields, the mean of every metric, and the folds' notes under ``notes``.
    Progress goes to stdout.
    """
    import time

    from sklearn.model_selection import StratifiedKFold

    started = time.perf_counter()
    rows = []
    for name in datasets:
        X, y = load(name)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y))
        for run in runs:
            fold_scores, notes = [], []
            for train, test in splits:
                proba, note = fit_predict(*run, X[train], y[train], X[test])
                fold_scores.append(scores(y[test], proba))
                if note:
                    notes.append(note)
            mean = {m: float(np.mean([s[m] for s in fold_scores])) for m in METRICS}
            print(f"{time.perf_counter() - started:7.0f}s {name:20s} "
                  f"{' '.join(map(str, run)):34s} AP={mean['average_precision']:.4f} "
                  f"AUC={mean['roc_auc']:.4f}", flush=True)
            rows.append({"dataset": name, **dict(zip(fields, run)), **mean,
                         "notes": " ".join(notes)})
    return rows


def save_results(args, stem: str, rows: list[dict], report: str):
    """``results/STEM.csv`` and ``STEM.md`` (``STEM_quick.*`` for --quick runs)."""
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    write_csv(args.out / f"{stem}{suffix}.csv", rows)
    (args.out / f"{stem}{suffix}.md").write_text(report)
    print(report)


def write_csv(path: Path, rows: list[dict]):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
