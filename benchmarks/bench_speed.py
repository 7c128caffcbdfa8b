"""Speed: focal loss vs the boosters' built-in objectives, measured side by side.

Everything is timed in one run on one machine, interleaved (built-in, focal,
floor, built-in, ...), and reported as medians of repeats and as ratios, so
that a noisy shared machine affects both sides alike.

1. grad+hess throughput of the compiled kernel (what the boosters call,
   float32 margins, hard labels, gamma=2) vs the naive NumPy textbook
   formula (float64), at 1e4 .. 1e7 elements;
2. end-to-end training, 30 float32 features, 10% positives, 100 rounds:
   XGBoost (hist, max_depth 6) and LightGBM (num_leaves 63), built-in
   binary objective vs FocalLoss(gamma=2), at 1e5 and 1e6 rows (1e7 with
   --large). "floor" is a custom objective that returns precomputed arrays:
   the cost of the Python round trip and the copies of margins and
   gradients that any custom objective pays;
3. the same for 10 classes: SoftmaxFocalLoss vs multi:softprob / multiclass
   (1e5 rows x 100 rounds, 1e6 rows x 20 rounds);
4. peak memory (peak RSS of a fresh process) training 1e6 and 4e6 rows for
   20 rounds, focal vs built-in, and the fixed part of the difference (what
   loading the compiled kernels costs before any data).

6. the asymmetric loss (``--asymmetric``, its own results file): binary
   training as in 2 at 1e5 and 1e6 rows, built-in vs focal loss (gamma 2)
   vs ASL at the paper's setting (gamma_pos 0, gamma_neg 4, clip 0.05) and
   without its clip, interleaved in one run.

5. first use (``--first-use``, its own results file): in a fresh process, the
   time of a first ``FocalXGBClassifier().fit`` on 2,000 rows minus that of
   ``XGBClassifier().fit`` on the same data just before it (so both pay
   XGBoost's own start-up once), for binary, 3-class softmax and
   ``xgboost_train`` with ``FocalLoss``; median of fresh processes.

    python benchmarks/bench_speed.py            # writes results/speed.md
    python benchmarks/bench_speed.py --quick    # small sizes, 2 repeats
    python benchmarks/bench_speed.py --first-use  # results/first_use.md
    python benchmarks/bench_speed.py --asymmetric  # results/speed_asymmetric.md
    python benchmarks/bench_speed.py --memory      # results/memory.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

from focal_gbm import FocalLoss, SoftmaxFocalLoss  # noqa: E402

THREADS = 2


class _Timed:
    """Adds up the seconds spent inside the objective's calls (the booster's callback).

    The total lives on the class: lightgbm.train deep-copies its params, and
    with them the objective.
    """

    seconds = [0.0]

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return super().__call__(*args, **kwargs)
        finally:
            _Timed.seconds[0] += time.perf_counter() - start


class TimedFocalLoss(_Timed, FocalLoss):
    pass


class TimedSoftmaxFocalLoss(_Timed, SoftmaxFocalLoss):
    pass


def make_data(n_rows: int, n_classes: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 30)).astype(np.float32)
    if n_classes == 2:
        score = X @ rng.normal(size=30) + rng.normal(size=n_rows)
        y = (score > np.quantile(score, 0.9)).astype(np.float32)
    else:
        scores = X @ rng.normal(size=(30, n_classes)) + rng.gumbel(size=(n_rows, n_classes))
        y = np.argmax(scores, axis=1).astype(np.float32)
    return X, y


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


# ------------------------------------------------------------ 1. throughput
def naive_grad_hess(y, z, gamma=2.0):
    """The textbook formulas as blog posts write them (float64 NumPy)."""
    z = z.astype(np.float64)
    p = 1.0 / (1.0 + np.exp(-z))
    grad = y * (1 - p) ** gamma * (gamma * p * np.log(p) - (1 - p)) - (1 - y) * p**gamma * (
        gamma * (1 - p) * np.log(1 - p) - p)
    hess = y * p * (1 - p) ** gamma * ((1 - p) * (gamma * np.log(p) + gamma + 1)
                                       - gamma * (gamma * p * np.log(p) - (1 - p)))
    hess += (1 - y) * (1 - p) * p**gamma * (p * (gamma * np.log(1 - p) + gamma + 1)
                                            - gamma * (gamma * (1 - p) * np.log(1 - p) - p))
    return grad, hess


def throughput(sizes, repeats):
    from focal_gbm import FocalLoss

    rows = []
    loss = FocalLoss(gamma=2.0)
    for n in sizes:
        rng = np.random.default_rng(0)
        y = (rng.random(n) < 0.1).astype(np.float64)
        z = rng.normal(scale=2.0, size=n).astype(np.float32)
        loss._booster_grad_hess(y, z, None, None)  # compile / warm up
        kernel = median_time(lambda: loss._booster_grad_hess(y, z, None, None), repeats)
        with np.errstate(all="ignore"):
            naive = median_time(lambda: naive_grad_hess(y, z), repeats)
        rows.append([f"{n:.0e}", n / kernel / 1e6, n / naive / 1e6, naive / kernel])
        print(f"throughput n={n:.0e}: kernel {n / kernel / 1e6:.0f} M/s, "
              f"naive {n / naive / 1e6:.0f} M/s", flush=True)
    return rows


# ------------------------------------------------------------ 2-3. training
def xgb_runs(X, y, n_classes, rounds):
    import xgboost as xgb

    from focal_gbm import xgboost_train

    dtrain = xgb.DMatrix(X, label=y, nthread=THREADS)
    params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": THREADS}
    if n_classes == 2:
        builtin = {**params, "objective": "binary:logistic"}
        focal = TimedFocalLoss(gamma=2.0)
        p0 = np.full(len(y), y.mean())
        floor_grad = (p0 - y).astype(np.float32)
        floor_hess = (p0 * (1 - p0)).astype(np.float32)

        def run_focal():
            xgboost_train(params, dtrain, rounds, objective=focal)

        def run_gamma0():  # log loss through the same path: the built-in's model
            xgboost_train(params, dtrain, rounds, objective=FocalLoss(gamma=0.0))

        def run_floor():
            xgb.train(builtin, dtrain, rounds, obj=lambda predt, d: (floor_grad, floor_hess))
    else:
        run_gamma0 = None
        builtin = {**params, "objective": "multi:softprob", "num_class": n_classes}
        focal = TimedSoftmaxFocalLoss(gamma=2.0)
        z0 = focal.init_score(y.astype(np.int64), n_classes=n_classes)
        dtrain.set_base_margin(np.tile(z0, (len(y), 1)))
        onehot = np.eye(n_classes, dtype=np.float32)[y.astype(np.int64)]
        share = onehot.mean(axis=0)
        floor_grad = (share - onehot).astype(np.float32)
        floor_hess = np.broadcast_to(share * (1 - share), onehot.shape).astype(np.float32)

        def run_focal():
            xgb.train({**params, "num_class": n_classes, "disable_default_eval_metric": 1},
                      dtrain, rounds, obj=focal)

        def run_floor():
            xgb.train({**params, "num_class": n_classes, "disable_default_eval_metric": 1},
                      dtrain, rounds, obj=lambda predt, d: (floor_grad, floor_hess))

    def run_builtin():
        xgb.train(builtin, dtrain, rounds)

    def run_alone():  # the objective's calls of one training, outside training
        margins = np.zeros((len(y), n_classes) if n_classes > 2 else len(y), np.float32)
        for _ in range(rounds):
            focal(margins, dtrain)

    return run_builtin, run_focal, run_floor, focal, run_alone, run_gamma0


def lgb_runs(X, y, n_classes, rounds):
    import lightgbm as lgb

    from focal_gbm import lightgbm_train

    params = {"num_leaves": 63, "learning_rate": 0.1, "num_threads": THREADS, "verbose": -1}
    dataset = lgb.Dataset(X, y, params={"verbose": -1, "num_threads": THREADS}, free_raw_data=False)
    dataset.construct()
    if n_classes == 2:
        focal = TimedFocalLoss(gamma=2.0)
        train_set = dataset
        p0 = np.full(len(y), y.mean())
        floor_grad, floor_hess = p0 - y, p0 * (1 - p0)

        def run_builtin():
            lgb.train({**params, "objective": "binary"}, dataset, rounds)

        def run_focal():
            lightgbm_train(params, dataset, rounds, objective=focal)

        def run_gamma0():  # log loss through the same path: the built-in's model
            lightgbm_train(params, dataset, rounds, objective=FocalLoss(gamma=0.0))

        def run_floor():
            lgb.train({**params, "objective": lambda preds, d: (floor_grad, floor_hess),
                       "metric": "None"}, dataset, rounds)
    else:
        focal = TimedSoftmaxFocalLoss(gamma=2.0)
        run_gamma0 = None
        labels = y.astype(np.int64)
        z0 = focal.init_score(labels, n_classes=n_classes)
        focal_set = lgb.Dataset(X, y, init_score=np.tile(z0, (len(y), 1)),
                                params={"verbose": -1, "num_threads": THREADS},
                                free_raw_data=False)
        focal_set.construct()
        train_set = focal_set
        onehot = np.eye(n_classes)[labels]
        share = onehot.mean(axis=0)
        floor_grad = share - onehot
        floor_hess = np.broadcast_to(share * (1 - share), onehot.shape).copy()
        multi = {**params, "num_class": n_classes}

        def run_builtin():
            lgb.train({**multi, "objective": "multiclass"}, dataset, rounds)

        def run_focal():
            lgb.train({**multi, "objective": focal, "metric": "None"}, focal_set, rounds)

        def run_floor():
            lgb.train({**multi, "objective": lambda preds, d: (floor_grad, floor_hess),
                       "metric": "None"}, dataset, rounds)

    def run_alone():  # the objective's calls of one training, outside training
        margins = np.zeros(len(y) * n_classes if n_classes > 2 else len(y))
        margins = margins.reshape(len(y), -1) if n_classes > 2 else margins
        for _ in range(rounds):
            focal(margins, train_set)

    return run_builtin, run_focal, run_floor, focal, run_alone, run_gamma0


def training(cases, repeats):
    rows = []
    for label, n_rows, n_classes, rounds in cases:
        X, y = make_data(n_rows, n_classes)
        for booster, make in (("XGBoost", xgb_runs), ("LightGBM", lgb_runs)):
            (run_builtin, run_focal, run_floor, focal, run_alone,
             run_gamma0) = make(X, y, n_classes, rounds)
            run_focal()  # compile the kernels and warm caches outside the timing
            runs = [("builtin", run_builtin), ("focal", run_focal), ("floor", run_floor),
                    ("alone", run_alone)] + ([("gamma0", run_gamma0)] if run_gamma0 else [])
            times = {name: [] for name, _ in runs}
            times["inside"] = []
            for _ in range(repeats):  # interleaved, so drift hits all alike
                for name, fn in runs:
                    _Timed.seconds[0] = 0.0
                    start = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - start)
                    if name == "focal":
                        times["inside"].append(_Timed.seconds[0])
            med = {k: float(np.median(v)) if v else float("nan") for k, v in times.items()}
            rows.append([label, booster, f"{n_rows:.0e}", rounds, med["builtin"], med["focal"],
                         med["floor"], med["focal"] / med["builtin"],
                         med["floor"] / med["builtin"],
                         med.get("gamma0", float("nan")) / med["builtin"],
                         med["inside"], med["alone"]])
            print(f"{label} {booster} n={n_rows:.0e}: built-in {med['builtin']:.2f}s "
                  f"focal {med['focal']:.2f}s floor {med['floor']:.2f}s "
                  f"ratio {med['focal'] / med['builtin']:.3f}", flush=True)
    return rows


# ------------------------------------------------------ 6. asymmetric loss
ASYMMETRIC = {
    "focal gamma=2": {"gamma": 2.0},
    "ASL 0/4/0.05": {"gamma": 0.0, "gamma_neg": 4.0, "clip": 0.05},
    "ASL 0/4/0": {"gamma": 0.0, "gamma_neg": 4.0},
}


def asymmetric_training(sizes, rounds: int, repeats: int) -> list[list]:
    """Binary training time of each ASYMMETRIC objective and the built-in one, interleaved."""
    import lightgbm as lgb
    import xgboost as xgb

    from focal_gbm import lightgbm_train, xgboost_train

    rows = []
    for n_rows in sizes:
        X, y = make_data(n_rows, 2)
        dtrain = xgb.DMatrix(X, label=y, nthread=THREADS)
        xgb_params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "nthread": THREADS}
        dataset = lgb.Dataset(X, y, params={"verbose": -1, "num_threads": THREADS},
                              free_raw_data=False)
        dataset.construct()
        lgb_params = {"num_leaves": 63, "learning_rate": 0.1, "num_threads": THREADS,
                      "verbose": -1}
        boosters = {
            "XGBoost": (lambda: xgb.train({**xgb_params, "objective": "binary:logistic"},
                                          dtrain, rounds),
                        lambda loss: xgboost_train(xgb_params, dtrain, rounds, objective=loss)),
            "LightGBM": (lambda: lgb.train({**lgb_params, "objective": "binary"}, dataset,
                                           rounds),
                         lambda loss: lightgbm_train(lgb_params, dataset, rounds,
                                                     objective=loss)),
        }
        for booster, (run_builtin, run_with) in boosters.items():
            runs = {"built-in": run_builtin}
            for name, params in ASYMMETRIC.items():
                runs[name] = (lambda params=params: run_with(FocalLoss(**params)))
                runs[name]()  # compile the kernels outside the timing
            times = {name: [] for name in runs}
            for _ in range(repeats):  # interleaved, so drift hits all alike
                for name, fn in runs.items():
                    start = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - start)
            med = {name: float(np.median(v)) for name, v in times.items()}
            rows.append([booster, f"{n_rows:.0e}", rounds, med["built-in"],
                         *(med[name] for name in ASYMMETRIC),
                         *(med[name] / med["built-in"] for name in ASYMMETRIC)])
            print(f"{booster} n={n_rows:.0e}: " + ", ".join(
                f"{name} {med[name] / med['built-in']:.3f}" for name in ASYMMETRIC), flush=True)
    return rows


def render_asymmetric(rows, repeats, seconds) -> str:
    return "\n".join([
        "## Speed of the asymmetric loss",
        "",
        f"Generated by `python benchmarks/bench_speed.py --asymmetric` in {seconds / 60:.0f} "
        f"min on {_common.machine()}; {THREADS} threads; medians of {repeats} interleaved "
        "repeats; binary training, 30 float32 features, 10% positives (XGBoost hist, "
        "max_depth 6; LightGBM num_leaves 63). ASL g+/g-/clip: gamma_pos, gamma_neg and "
        "the probability margin; ratios are to the built-in binary objective.",
        "",
        _common.markdown_table(
            ["booster", "rows", "rounds", "built-in s", *(f"{n} s" for n in ASYMMETRIC),
             *(f"{n} / built-in" for n in ASYMMETRIC)], rows),
        "",
    ])


# ---------------------------------------------------------------- 4. memory
def _peak_rss_mib() -> float:
    # VmHWM is this address space's own peak. ru_maxrss is not usable here:
    # Linux carries it across fork + exec, so a child would report the
    # benchmark parent's peak.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _memory_child(booster: str, objective: str, n_rows: int):
    """Run in a fresh process: train 20 rounds, print the peak RSS in MiB."""
    X, y = make_data(n_rows)
    runs = (xgb_runs if booster == "XGBoost" else lgb_runs)(X, y, 2, 20)
    del X
    (runs[0] if objective == "builtin" else runs[1])()
    print(json.dumps({"max_rss_mib": _peak_rss_mib()}))


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _fixed_child(booster: str):
    """Resident memory that focal loss adds before any data: focal_gbm and its kernels."""
    __import__("xgboost" if booster == "XGBoost" else "lightgbm")
    before = _rss_mib()
    from focal_gbm import FocalLoss

    FocalLoss(gamma=2.0)(np.zeros(10), np.zeros(10, dtype=np.float32))  # loads the kernels
    print(json.dumps({"fixed_mib": _rss_mib() - before}))


def _child(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory(sizes, repeats: int):
    rows = []
    for booster in ("XGBoost", "LightGBM"):
        fixed = float(np.median([_child("--fixed-child", booster)["fixed_mib"]
                                 for _ in range(repeats)]))
        for n_rows in sizes:
            peaks = {objective: float(np.median([
                _child("--memory-child", booster, objective, str(n_rows))["max_rss_mib"]
                for _ in range(repeats)])) for objective in ("builtin", "focal")}
            extra = peaks["focal"] - peaks["builtin"]
            rows.append([booster, f"{n_rows:.0e}", peaks["builtin"], peaks["focal"],
                         peaks["focal"] / peaks["builtin"], fixed,
                         (extra - fixed) / n_rows * 2**20,
                         (peaks["builtin"] + fixed) / peaks["builtin"]])
            print(f"memory {booster} n={n_rows:.0e}: built-in {peaks['builtin']:.0f} MiB, "
                  f"focal {peaks['focal']:.0f} MiB, fixed {fixed:.0f} MiB", flush=True)
    return rows


# ------------------------------------------------------------------ report
FIRST_USE_CASES = ("binary estimator", "3-class estimator", "xgboost_train")


def _first_use_child(case: str):
    """One fresh process: built-in fit, then the focal one; prints their seconds."""
    import xgboost as xgb
    from sklearn.datasets import make_classification

    n_classes = 3 if case == "3-class estimator" else 2
    X, y = make_classification(2000, 20, n_informative=8, n_classes=n_classes,
                               weights=[0.9] if n_classes == 2 else None, random_state=0)
    if case == "xgboost_train":
        start = time.perf_counter()
        xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), 100)
        builtin = time.perf_counter() - start
        from focal_gbm import xgboost_train

        start = time.perf_counter()
        xgboost_train({}, xgb.DMatrix(X, label=y), 100, objective=FocalLoss())
        focal = time.perf_counter() - start
    else:
        start = time.perf_counter()
        xgb.XGBClassifier().fit(X, y)
        builtin = time.perf_counter() - start
        from focal_gbm import FocalXGBClassifier

        start = time.perf_counter()
        FocalXGBClassifier().fit(X, y)
        focal = time.perf_counter() - start
    print(json.dumps({"builtin": builtin, "focal": focal}))


def first_use(repeats: int) -> str:
    """The first-use table: extra seconds of the first focal fit in a fresh process."""
    rows = []
    for case in FIRST_USE_CASES:
        extra = []
        for _ in range(repeats):
            done = subprocess.run([sys.executable, __file__, "--first-use-child", case],
                                  capture_output=True, text=True, check=True)
            times = json.loads(done.stdout.strip().splitlines()[-1])
            extra.append(times["focal"] - times["builtin"])
        rows.append([case, f"{np.median(extra):.2f}", f"{min(extra):.2f}", f"{max(extra):.2f}"])
        print(f"first use {case}: +{rows[-1][1]} s", flush=True)
    return "\n".join([
        f"Machine: {_common.machine()}. Median of {repeats} fresh processes; seconds the first "
        "focal fit (2,000 rows x 20 features, 100 trees) takes beyond the built-in fit just "
        "before it in the same process (importing focal_gbm included).", "",
        _common.markdown_table(["case", "extra seconds (median)", "min", "max"], rows)])


def render(throughput_rows, training_rows, memory_rows, repeats, seconds) -> str:
    fmt = _common.markdown_table
    return "\n".join([
        "## Speed",
        "",
        f"Generated by `python benchmarks/bench_speed.py` in {seconds / 60:.0f} min on "
        f"{_common.machine()}; {THREADS} threads for the boosters and the kernel; medians "
        f"of {repeats} interleaved repeats.",
        "",
        "### grad+hess throughput (million elements per second)",
        "",
        fmt(["elements", "focal_gbm kernel", "naive NumPy", "speed-up"], throughput_rows),
        "",
        "### Training time, focal vs built-in objective (seconds; ratio = focal / built-in)",
        "",
        "`floor`: a custom objective that returns precomputed arrays, i.e. what any "
        "Python objective pays for the round trip and the copies of margins and "
        "gradients, with no arithmetic at all.",
        "",
        "`gamma=0`: FocalLoss(gamma=0), i.e. log loss, through the same path as "
        "focal loss (binary only): it trains the built-in objective's model, so its "
        "ratio is the whole cost of computing the objective in Python, round trip "
        "included; focal loss (gamma=2) also grows other trees, which take their "
        "own time. The `floor` objective's constant gradients grow other trees "
        "too, so `floor / built-in` is only indicative.",
        "",
        "`objective s`: time spent inside FocalLoss's calls during the focal run; "
        "`alone s`: the same calls on the same data outside training. The "
        "difference is contention: after each parallel region the booster's "
        "OpenMP threads keep spinning for several milliseconds (libgomp's "
        "default wait policy), on the cores the objective then runs on.",
        "",
        fmt(["task", "booster", "rows", "rounds", "built-in s", "focal s", "floor s",
             "focal / built-in", "floor / built-in", "gamma=0 / built-in", "objective s",
             "alone s"], training_rows),
        "",
        render_memory(memory_rows),
        "",
    ])


def render_memory(memory_rows) -> str:
    return "\n".join([
        "### Peak memory (peak RSS, VmHWM, of a fresh process per run; MiB)",
        "",
        "`fixed`: resident memory that importing focal_gbm and running its compiled "
        "kernels adds to a process that has imported the booster (measured on 10 "
        "elements); `bytes/row`: the rest of the difference, per training row; "
        "`floor ratio`: (built-in + fixed) / built-in, the best an objective with that "
        "fixed cost can do at this size.",
        "",
        _common.markdown_table(["booster", "rows", "built-in", "focal", "focal / built-in",
                                "fixed", "bytes/row", "floor ratio"], memory_rows),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--large", action="store_true", help="also train on 1e7 rows")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--fixed-child", help=argparse.SUPPRESS)
    parser.add_argument("--first-use", action="store_true",
                        help="only the first-use measurement")
    parser.add_argument("--first-use-child", help=argparse.SUPPRESS)
    parser.add_argument("--asymmetric", action="store_true",
                        help="only the asymmetric-loss training comparison")
    parser.add_argument("--memory", action="store_true",
                        help="only the peak-memory measurement (results/memory.md)")
    args = parser.parse_args(argv)
    if args.memory:  # the kernels' default threads, as users get them
        rows = memory([100_000] if args.quick else [1_000_000, 4_000_000], 3)
        text = (f"Machine: {_common.machine()}; median of 3 fresh processes per run, "
                "20 rounds.\n\n" + render_memory(rows) + "\n")
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        (out / f"memory{'_quick' if args.quick else ''}.md").write_text(text)
        print(text)
        return
    if args.asymmetric:
        os.environ.setdefault("FOCAL_GBM_NUM_THREADS", str(THREADS))
        started = time.perf_counter()
        repeats = 2 if args.quick else args.repeats
        sizes = [20_000] if args.quick else [100_000, 1_000_000]
        rows = asymmetric_training(sizes, 20 if args.quick else 100, repeats)
        text = render_asymmetric(rows, repeats, time.perf_counter() - started)
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        (out / f"speed_asymmetric{'_quick' if args.quick else ''}.md").write_text(text)
        print(text)
        return
    if args.first_use_child:
        _first_use_child(args.first_use_child)
        return
    if args.first_use:
        text = first_use(3 if args.quick else args.repeats)
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        (out / f"first_use{'_quick' if args.quick else ''}.md").write_text(text + "\n")
        print(text)
        return
    if args.memory_child:
        booster, objective, n_rows = args.memory_child
        _memory_child(booster, objective, int(n_rows))
        return
    if args.fixed_child:
        _fixed_child(args.fixed_child)
        return
    os.environ.setdefault("FOCAL_GBM_NUM_THREADS", str(THREADS))
    started = time.perf_counter()
    if args.quick:
        repeats, sizes = 2, [10_000, 100_000]
        cases = [("binary", 20_000, 2, 20), ("10 classes", 20_000, 10, 10)]
        memory_sizes = [100_000]
    else:
        repeats, sizes = args.repeats, [10_000, 100_000, 1_000_000, 10_000_000]
        cases = [("binary", 100_000, 2, 100), ("binary", 1_000_000, 2, 100),
                 ("10 classes", 100_000, 10, 100), ("10 classes", 1_000_000, 10, 20)]
        if args.large:
            cases.append(("binary", 10_000_000, 2, 100))
        memory_sizes = [1_000_000, 4_000_000]
    throughput_rows = throughput(sizes, max(repeats, 7))
    training_rows = training(cases, repeats)
    memory_rows = memory(memory_sizes, 3 if not args.quick else 1)
    text = render(throughput_rows, training_rows, memory_rows, repeats,
                  time.perf_counter() - started)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"speed{'_quick' if args.quick else ''}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
