"""The Python snippets of the README and the user guide run as written.

Each page's snippets run top to bottom in one namespace, as a reader runs
them (later snippets reuse earlier imports), on small data bound to the
names the pages use (``X_train``, ``Y``, ...). The Dask page's example needs
a cluster of its own: tests/test_dask.py runs it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "docs" / "getting_started.md",
         *sorted((ROOT / "docs" / "user_guide").glob("*.md"))]


def _snippets(page: Path) -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
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
            "log_loss": log_loss}


def test_the_pages_have_snippets():
    assert sum(len(_snippets(page)) for page in PAGES) >= 12


@pytest.mark.parametrize("page", [p for p in PAGES if _snippets(p)],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_page_snippets_run_in_order(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = _namespace(tmp_path)
    for index, snippet in enumerate(_snippets(page), start=1):
        try:
            exec(compile(snippet, f"{page.name} snippet {index}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{page.name} snippet {index} fails:\n{snippet}") from error
