"""Shared fixtures: the real imbalanced datasets, skipped where absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "imbalanced"


def load_dataset(name: str):
    """(X, y) of ``../shared/datasets/imbalanced/NAME.csv``, or skip the test."""
    path = DATASETS / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"benchmark dataset {path} is absent (it lives outside the repository)")
    data = np.genfromtxt(path, delimiter=",", names=True, dtype=np.float64)
    columns = data.dtype.names
    X = np.column_stack([data[c] for c in columns if c != "label"])
    y = data["label"]
    return X, y


@pytest.fixture
def rng():
    return np.random.default_rng(20261126)
