"""The compiled kernels: array calls side by side, and the models they train against another commit.

    python benchmarks/bench_kernels.py                  # results/kernels.md
    python benchmarks/bench_kernels.py --same-models /tmp/before   # results/same_models.md
    PYTHONPATH=/tmp/before python benchmarks/bench_kernels.py --output kernels_before.md

1. Array calls at 1e6 rows, interleaved, median of repeats, on this
   machine's 2 cores: ``FocalLoss(gamma=2)`` called as XGBoost calls it
   (float32 margins, a DMatrix, 21-bit rounding, float32 out) with the
   default threads (one at this size: see ``_loss._threads``) and with
   ``FOCAL_GBM_NUM_THREADS=2``; the asymmetric loss (gamma_neg 4, clip 0.05)
   the same way; NumPy's cheapest cross-entropy objective on the
   same float32 margins (``p = 1 / (1 + exp(-z))``, ``p - y``,
   ``p (1 - p)``: the floor of any Python objective), and the public
   ``FocalLoss.grad_hess`` / ``loss`` on float64 arrays (validation
   included).
2. ``--same-models OTHER``: on each of the twelve shared imbalanced datasets
   (a fixed 70/30 split), FocalXGBClassifier and FocalLGBMClassifier (gamma
   2, alpha 0.25, 100 trees) and the asymmetric loss with XGBoost, trained
   by this checkout and by the checkout at OTHER (imported through
   PYTHONPATH in a fresh process): how far their test probabilities differ.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

THREADS = 2
N_ROWS = 1_000_000


def array_calls(repeats: int) -> list[list]:
    import xgboost as xgb

    from focal_gbm import FocalLoss

    rng = np.random.default_rng(0)
    y = (rng.random(N_ROWS) < 0.1).astype(np.float64)
    z64 = rng.normal(scale=2.0, size=N_ROWS)
    z32 = z64.astype(np.float32)
    data = xgb.DMatrix(np.zeros((N_ROWS, 1), dtype=np.float32), label=y, nthread=THREADS)
    focal = FocalLoss(gamma=2.0)
    asymmetric = FocalLoss(gamma=0.0, gamma_neg=4.0, clip=0.05)

    def numpy_cross_entropy():
        p = 1.0 / (1.0 + np.exp(-z32))
        return p - y, p * (1.0 - p)

    def with_threads(call):
        """``call`` with FOCAL_GBM_NUM_THREADS set (the boosters' call then splits)."""
        def run():
            os.environ["FOCAL_GBM_NUM_THREADS"] = str(THREADS)
            try:
                return call()
            finally:
                del os.environ["FOCAL_GBM_NUM_THREADS"]
        return run

    calls = {
        "NumPy cross entropy (float32 margins)": numpy_cross_entropy,
        "FocalLoss as XGBoost calls it": lambda: focal(z32, data),
        f"FocalLoss as XGBoost calls it, FOCAL_GBM_NUM_THREADS={THREADS}": with_threads(
            lambda: focal(z32, data)),
        "asymmetric loss as XGBoost calls it": lambda: asymmetric(z32, data),
        f"asymmetric loss as XGBoost calls it, FOCAL_GBM_NUM_THREADS={THREADS}": with_threads(
            lambda: asymmetric(z32, data)),
        "FocalLoss.grad_hess (float64)": lambda: focal.grad_hess(y, z64),
        "FocalLoss.loss (float64)": lambda: focal.loss(y, z64),
    }
    for call in calls.values():  # warm-up: first calls, the DMatrix's label cache
        call()
    times = {name: [] for name in calls}
    for _ in range(repeats):  # interleaved: drift on a shared machine hits all alike
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    medians = {name: float(np.median(t)) for name, t in times.items()}
    floor = medians["NumPy cross entropy (float32 margins)"]
    booster = medians["FocalLoss as XGBoost calls it"]
    return [[name, f"{1e3 * seconds:.2f}", f"{seconds / floor:.2f}", f"{seconds / booster:.2f}"]
            for name, seconds in medians.items()]


# ------------------------------------------------------------ same models
MODELS = ("XGBoost focal", "LightGBM focal", "XGBoost asymmetric")


def _models_child(out: str):
    """Train every model on every dataset; save the test probabilities to ``out``."""
    from sklearn.model_selection import train_test_split

    from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier

    focal = {"focal_gamma": 2.0, "focal_alpha": 0.25, "n_estimators": 100, "n_jobs": THREADS}
    models = {
        "XGBoost focal": lambda: FocalXGBClassifier(**focal),
        "LightGBM focal": lambda: FocalLGBMClassifier(**focal, verbose=-1),
        "XGBoost asymmetric": lambda: FocalXGBClassifier(
            focal_gamma=0.0, focal_gamma_neg=4.0, focal_clip=0.05, n_estimators=100,
            n_jobs=THREADS),
    }
    probabilities = {}
    for name in _common.dataset_names():
        X, y = _common.load(name)
        X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, stratify=y,
                                                       random_state=0)
        for model in MODELS:
            estimator = models[model]().fit(X_train, y_train)
            probabilities[f"{name}|{model}"] = estimator.predict_proba(X_test)[:, 1]
    np.savez(out, **probabilities)


def same_models(other: Path) -> str:
    with tempfile.TemporaryDirectory() as folder:
        runs = {}
        for label, checkout in (("this", None), ("other", other)):
            env = dict(os.environ)
            if checkout is not None:
                env["PYTHONPATH"] = str(checkout)
            out = str(Path(folder) / f"{label}.npz")
            subprocess.run([sys.executable, __file__, "--models-child", out], check=True,
                           env=env)
            runs[label] = dict(np.load(out))
    rows = []
    worst = {model: 0.0 for model in MODELS}
    for name in _common.dataset_names():
        row = [name]
        for model in MODELS:
            key = f"{name}|{model}"
            difference = float(np.max(np.abs(runs["this"][key] - runs["other"][key])))
            worst[model] = max(worst[model], difference)
            row.append(f"{difference:.1e}")
        rows.append(row)
    rows.append(["**largest**", *(f"{worst[model]:.1e}" for model in MODELS)])
    commit = subprocess.run(["git", "-C", str(other), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or str(other)
    return "\n".join([
        f"Machine: {_common.machine()}. Largest absolute difference in test-set probability "
        f"between the models this checkout and commit {commit} train (gamma 2, alpha 0.25, "
        "100 trees; asymmetric: gamma_neg 4, clip 0.05), 70/30 split of each dataset.", "",
        _common.markdown_table(["dataset", *MODELS], rows)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=101)
    parser.add_argument("--same-models", type=Path, metavar="OTHER",
                        help="compare trained models with the checkout at OTHER")
    parser.add_argument("--output", default="kernels.md",
                        help="results file of the array calls (default: %(default)s)")
    parser.add_argument("--models-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.pop("FOCAL_GBM_NUM_THREADS", None)  # the defaults, as users get them
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    if args.models_child:
        _models_child(args.models_child)
        return
    if args.same_models:
        text = same_models(args.same_models.resolve())
        (out / "same_models.md").write_text(text + "\n")
        print(text)
        return
    rows = array_calls(args.repeats)
    text = "\n".join([
        f"Machine: {_common.machine()}. Milliseconds per call on "
        f"{N_ROWS:.0e} rows (10% positives), median of {args.repeats} interleaved repeats.", "",
        _common.markdown_table(["call", "ms", "/ NumPy cross entropy", "/ booster call"],
                               rows)])
    (out / args.output).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
