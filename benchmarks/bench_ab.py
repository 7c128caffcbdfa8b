"""A/B: focal training time of this checkout against another commit's, side by side.

    git worktree add /tmp/before COMMIT
    (cd /tmp/before && python setup.py -q build_ext --inplace)
    python benchmarks/bench_ab.py /tmp/before [--repeats 5]   # writes results/ab.md

What a change to the kernels or the adapter costs, independent of the
machine: the same training runs alternate between this checkout's focal_gbm
and the other one's (imported through PYTHONPATH), in fresh processes, and
the medians are compared. Cases (2 threads): binary XGBoost 1e6 rows x 100
rounds (FocalLoss through xgboost_train; focal loss and the asymmetric loss
with its clip), 10-class XGBoost and LightGBM 1e6 rows x 20 rounds
(SoftmaxFocalLoss); 30 float32 features.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

CASES = ("binary XGBoost", "asymmetric XGBoost", "10 classes XGBoost", "10 classes LightGBM")


def _child(case: str):
    """One timed training (after a one-round warm-up); prints its seconds."""
    import xgboost as xgb

    from focal_gbm import FocalLoss, SoftmaxFocalLoss, xgboost_train

    rng = np.random.default_rng(0)
    n = 1_000_000
    X = rng.normal(size=(n, 30)).astype(np.float32)
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": 2}
    if case in ("binary XGBoost", "asymmetric XGBoost"):
        score = X @ rng.normal(size=30) + rng.normal(size=n)
        y = (score > np.quantile(score, 0.9)).astype(np.float64)
        data = xgb.DMatrix(X, label=y, nthread=2)
        # the asymmetric loss at its paper's setting: the clipped negative part
        objective = (FocalLoss(gamma=2.0) if case == "binary XGBoost"
                     else FocalLoss(gamma=0.0, gamma_neg=4.0, clip=0.05))
        xgboost_train(params, data, 1, objective=objective)
        start = time.perf_counter()
        xgboost_train(params, data, 100, objective=objective)
    elif case == "10 classes XGBoost":
        y = rng.integers(0, 10, n).astype(np.float64)
        data = xgb.DMatrix(X, label=y, nthread=2)
        objective = SoftmaxFocalLoss(gamma=2.0)
        softmax = {**params, "num_class": 10, "disable_default_eval_metric": 1}
        xgb.train(softmax, data, 1, obj=objective)
        start = time.perf_counter()
        xgb.train(softmax, data, 20, obj=objective)
    else:
        import lightgbm as lgb

        y = rng.integers(0, 10, n).astype(np.float64)
        data = lgb.Dataset(X, y, params={"verbose": -1}).construct()
        softmax = {"objective": SoftmaxFocalLoss(gamma=2.0), "num_class": 10,
                   "num_leaves": 63, "learning_rate": 0.1, "num_threads": 2, "verbose": -1,
                   "metric": "None"}
        lgb.train(softmax, data, 1)
        start = time.perf_counter()
        lgb.train(softmax, data, 20)
    print(json.dumps(time.perf_counter() - start))


def _run(case: str, checkout: Path | None, cache: str) -> float:
    # A checkout from before the compiled C kernels JIT-compiles them with Numba:
    # into a cache of its own, so that only its first run pays for compiling.
    env = {**os.environ, "FOCAL_GBM_CACHE_DIR": cache, "NUMBA_CACHE_DIR": cache}
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    done = subprocess.run([sys.executable, __file__, "--child", case], capture_output=True,
                          text=True, check=True, env=env)
    return float(done.stdout.strip().splitlines()[-1])


def main():
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2])
        return
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="a checkout of the other commit, built")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side per case")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=CASES, metavar="CASE",
                        help=f"which of {', '.join(CASES)} (default: all)")
    args = parser.parse_args()
    other, repeats = args.other.resolve(), args.repeats
    rows = []
    with tempfile.TemporaryDirectory() as new_cache, tempfile.TemporaryDirectory() as old_cache:
        for case in args.cases:
            times = {"this": [], "other": []}
            for _ in range(repeats):  # alternating: drift on a shared machine hits both
                times["this"].append(_run(case, None, new_cache))
                times["other"].append(_run(case, other, old_cache))
            this, that = np.median(times["this"]), np.median(times["other"])
            rows.append([case, f"{this:.2f}", f"{that:.2f}", f"{this / that:.3f}"])
            print(f"{case}: this {this:.2f} s, other {that:.2f} s", flush=True)
    commit = subprocess.run(["git", "-C", str(other), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or str(other)
    text = "\n".join([
        f"Machine: {_common.machine()}. Focal training seconds, median of {repeats} "
        f"alternating fresh processes: this checkout against commit {commit}.", "",
        _common.markdown_table(["case", "this checkout", f"commit {commit}", "ratio"], rows)])
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "ab.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
