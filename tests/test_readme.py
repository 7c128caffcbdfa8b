"""The README's Python snippets run as written, on small data with the names they use."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    # The Dask example needs a cluster: tests/test_dask.py runs it.
    return [b for b in blocks if "__main__" not in b]


def _namespace(tmp_path) -> dict:
    from sklearn.metrics import log_loss

    from focal_gbm.datasets import make_imbalanced

    X, y = make_imbalanced(900, random_state=3)
    X_test, _ = make_imbalanced(200, random_state=4)
    Y = np.column_stack([y, X[:, 0] > 0, X[:, 1] > 0.5]).astype(int)[:600]
    csv = tmp_path / "data.csv"
    csv.write_text("a,b,label\n" + "\n".join(f"{a},{b},{int(c)}" for (a, b), c in zip(X, y)))
    return {"X_train": X[:600], "y_train": y[:600], "X_valid": X[600:], "y_valid": y[600:],
            "X_test": X_test, "X": X[:600], "y": y[:600], "Xv": X[600:], "yv": y[600:],
            "Y": Y, "Y_test": Y[:200], "names": ["rare", "left", "top"],
            "log_loss": log_loss, "DATA_CSV": str(csv)}


def test_the_readme_has_snippets():
    assert len(_snippets()) >= 6


def test_readme_snippets_run_in_order(tmp_path, monkeypatch):
    """Top to bottom in one namespace, as a reader runs them (later ones reuse imports)."""
    monkeypatch.chdir(tmp_path)
    namespace = _namespace(tmp_path)
    for index, snippet in enumerate(_snippets(), start=1):
        code = snippet.replace('"data.csv"', "DATA_CSV")
        try:
            exec(compile(code, f"README.md snippet {index}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"README snippet {index} fails:\n{snippet}") from error
