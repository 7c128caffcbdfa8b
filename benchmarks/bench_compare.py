"""`focal-gbm compare` itself: wall time on wide data, and whether its speed-ups change the answer.

    python benchmarks/bench_compare.py          # writes results/compare.md
    python benchmarks/bench_compare.py --quick  # 3 datasets

1. Wall time of `focal-gbm compare DATA --target label` (default settings, as
   a user runs it, in a fresh process) on a 2,000 x 500 numeric CSV, next to
   the previous settings (`--early-stopping 0 --n-jobs 1`: every fit 200
   trees, one after another); the previous version also gave each fit 2
   booster threads, which on this size is no faster than one.
2. On the twelve imbalanced datasets, `compare` (XGBoost, 5 folds, seed 0)
   with the default settings (trees chosen by early stopping on an inner
   split, then refitted) against the previous ones (200 trees): the best
   candidate by mean average precision under each, whether they agree, and
   whether the new pick is among the candidates the previous run could not
   tell from its best (paired t-test, p >= 0.05). As the noise floor of that
   comparison, the previous settings are also run with seed 1 (other folds
   and booster seeds): how often does the best candidate survive a reseed
   alone?
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

from focal_gbm import comparison  # noqa: E402


def _wide_csv(path: Path):
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(2000, 500, n_informative=20, weights=[0.9], random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["label"] = y
    frame.to_csv(path, index=False)


def _timed_run(args: list[str]) -> float:
    exe = Path(sys.executable).parent / "focal-gbm"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "focal_gbm.cli"]
    start = time.perf_counter()
    subprocess.run(command + ["compare", *args, "--no-progress"], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main():
    args, datasets, folds = _common.cli(__doc__, quick_datasets=3)
    lines = [f"Machine: {_common.machine()}.", ""]

    with tempfile.TemporaryDirectory() as tmp:
        wide = Path(tmp) / "wide.csv"
        _wide_csv(wide)
        _timed_run([str(wide), "--target", "label", "--folds", "2"])  # compile the kernels
        common = [str(wide), "--target", "label", "--folds", str(folds)]
        new = _timed_run(common)
        old = _timed_run(common + ["--early-stopping", "0", "--n-jobs", "1"])
    print(f"wide: default {new:.0f} s, previous settings {old:.0f} s", flush=True)
    lines += [f"### Wall time, 2,000 x 500 numeric CSV ({folds} folds, 11 candidates, XGBoost)",
              "",
              _common.markdown_table(["settings", "wall seconds"],
                                     [["default (early stopping + refit, parallel fits)",
                                       f"{new:.0f}"],
                                      ["previous (200 trees, one fit at a time)",
                                       f"{old:.0f}"]]), ""]

    rows, agree, tied, stable = [], 0, 0, 0
    for name in datasets:
        X, y = _common.load(name)
        y = y.astype(np.int64)
        before = comparison.compare(X, y, folds=folds, early_stopping=None).results
        after = comparison.compare(X, y, folds=folds).results
        reseeded = comparison.compare(X, y, folds=folds, seed=1, early_stopping=None).results
        best_before = next(r for r in before if r["best"])
        best_after = next(r for r in after if r["best"])
        same = best_before["name"] == best_after["name"]
        # The new pick, as the previous run saw it: its best or tied with it?
        seen = next(r for r in before if r["name"] == best_after["name"])
        among = same or seen["tied_with_best"]
        best_reseeded = next(r for r in reseeded if r["best"])
        survives = best_reseeded["name"] == best_before["name"]
        stable += survives
        agree += same
        tied += among
        trees = np.mean([r["trees"] for r in after])
        rows.append([name, best_before["name"], best_after["name"], "yes" if same else "no",
                     "yes" if among else "no", f"{trees:.0f}", best_reseeded["name"],
                     "yes" if survives else "no"])
        print(f"{name:20s} before: {best_before['name']:32s} after: {best_after['name']:32s}"
              f" same={same} tied={among}", flush=True)
    lines += ["### Best candidate, previous settings vs default (XGBoost, "
              f"{folds}-fold CV)", "",
              _common.markdown_table(
                  ["dataset", "best, 200 trees", "best, early stopping", "same",
                   "new pick tied with previous best", "mean trees kept",
                   "best, 200 trees, seed 1", "same as seed 0"], rows), "",
              f"Same best candidate on {agree} of {len(datasets)} datasets; the new pick is "
              f"the previous best or not distinguishable from it on {tied} of "
              f"{len(datasets)}. Noise floor: the previous settings alone, reseeded, keep "
              f"their best candidate on {stable} of {len(datasets)}."]
    report = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (args.out / f"compare{suffix}.md").write_text(report + "\n")
    print(report)


if __name__ == "__main__":
    main()
