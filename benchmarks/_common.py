"""Shared pieces of the benchmark scripts: datasets, folds, metrics, tables."""

from __future__ import annotations

import csv
import os
import platform
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "imbalanced"
METRICS = ("average_precision", "roc_auc", "log_loss", "balanced_accuracy")
HIGHER_IS_BETTER = {"average_precision": True, "roc_auc": True, "log_loss": False,
                    "balanced_accuracy": True}


def dataset_names(data_dir: Path = DATA_DIR) -> list[str]:
    with open(data_dir / "MANIFEST.csv", newline="") as f:
        return [row["name"] for row in csv.DictReader(f)]


def load(name: str, data_dir: Path = DATA_DIR):
    data = np.genfromtxt(data_dir / f"{name}.csv", delimiter=",", names=True, dtype=np.float64)
    X = np.column_stack([data[c] for c in data.dtype.names if c != "label"])
    return X, data["label"]


def scores(y_true, proba) -> dict[str, float]:
    from sklearn.metrics import (average_precision_score, balanced_accuracy_score,
                                 log_loss, roc_auc_score)

    proba = np.clip(proba, 1e-15, 1 - 1e-15)
    return {
        "average_precision": average_precision_score(y_true, proba),
        "roc_auc": roc_auc_score(y_true, proba),
        "log_loss": log_loss(y_true, proba, labels=[0, 1]),
        "balanced_accuracy": balanced_accuracy_score(y_true, proba >= 0.5),
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
