"""``focal-gbm compare``: cross entropy vs focal loss on your own data, in one command.

    focal-gbm compare                        # the built-in 90:10 demo dataset
    focal-gbm compare data.csv --target y    # your data (CSV or Parquet)

Runs stratified cross-validation of cross entropy, class-weighted cross
entropy and focal loss over a small grid of gamma and alpha, with one booster
and fixed settings (each fit stopped early on an inner validation split; the
fits run in parallel), and prints average precision, ROC AUC, balanced
accuracy (mean +- standard deviation over the folds), trees kept and fit time,
marking the best setting by average precision and those not distinguishable
from it; then the calibration of each setting's probabilities (log loss,
Brier score, expected calibration error), both the posterior probabilities
``predict_proba`` returns and the focal probabilities (sigmoid of the margins).
Errors in the input are reported on one line with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

# Candidates: (name, estimator parameters).
CANDIDATES = [
    ("cross entropy", {"focal_gamma": 0.0, "focal_alpha": None}),
    ("weighted cross entropy", {"focal_gamma": 0.0, "focal_alpha": "balanced"}),
    *[(f"focal gamma={g:g} alpha={a if a is not None else 'none'}",
       {"focal_gamma": g, "focal_alpha": a})
      for g in (1.0, 2.0, 3.0) for a in (None, 0.25, "balanced")],
]
# Multi-label targets (several --target columns): the asymmetric loss too
# (gamma_pos, gamma_neg, clip; docs/math.md §9): the paper's setting and the
# two that benchmarks/bench_multilabel.py found best for the F1 at the
# model's threshold (BENCHMARKS.md, "Multi-label: what the numbers say").
MULTILABEL_CANDIDATES = [
    ("cross entropy", {"focal_gamma": 0.0}),
    ("focal gamma=2", {"focal_gamma": 2.0}),
    ("focal gamma=2 alpha=balanced", {"focal_gamma": 2.0, "focal_alpha": "balanced"}),
    *[(f"ASL g+={gp:g} g-={gn:g} clip={m:g}",
       {"focal_gamma": gp, "focal_gamma_neg": gn, "focal_clip": m})
      for gp, gn, m in ((0.0, 4.0, 0.05), (0.0, 2.0, 0.05), (1.0, 2.0, 0.0))],
]
MULTILABEL_METRICS = ("macro_average_precision", "micro_average_precision", "macro_roc_auc",
                      "macro_f1", "micro_f1", "fit_seconds", "trees")
CALIBRATION = ("log_loss", "brier", "ece")
METRICS = ("average_precision", "roc_auc", "balanced_accuracy", *CALIBRATION,
           *(f"{m}_focal" for m in CALIBRATION), "fit_seconds", "trees")
# Non-numeric columns with at most this many distinct values are encoded as
# categories; above it they are almost certainly identifiers or free text.
MAX_CATEGORIES = 50


class InputError(Exception):
    """A problem with the user's input: reported on one line, exit code 2."""


def _load_table(path: Path):
    import pandas as pd

    if not path.exists():
        raise InputError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except ImportError as error:
        raise InputError(f"cannot read {path.name}: {error}") from None
    except Exception as error:  # pandas raises many types for unreadable files
        raise InputError(f"cannot read {path}: {str(error).splitlines()[0]}") from None
    raise InputError(f"unsupported file type {suffix!r}: give a .csv or .parquet file")


def prepare(frame, target: str):
    """``(X, y, positive_label, notes)`` from a DataFrame and its target column."""
    _check_rows(frame)
    y, positive = _binary_target(frame, target, positive=None)
    X, notes = _features(frame.drop(columns=[target]))
    return X, y, positive, notes


def prepare_multilabel(frame, targets: list[str]):
    """``(X, Y, positive_labels, notes)``: one 0/1 column of ``Y`` per target column.

    Each target column must hold two values; its positive value is 1 (or
    True) when the column is 0/1, else its minority value.
    """
    _check_rows(frame)
    if len(set(targets)) != len(targets):
        raise InputError(f"--target names a column twice: {', '.join(targets)}")
    columns, positives = [], []
    for target in targets:
        y, positive = _binary_target(frame, target, positive=1)
        columns.append(y)
        positives.append(positive)
    X, notes = _features(frame.drop(columns=list(targets)))
    return X, np.column_stack(columns), positives, notes


def _check_rows(frame):
    if len(frame) == 0:
        raise InputError("the data file has a header but no rows")


def _binary_target(frame, target: str, positive):
    """``(y, positive_value)`` of a two-valued column; ``positive`` if it holds it, else
    the minority value."""
    if target not in frame.columns:
        raise InputError(
            f"target column {target!r} not found; columns are: "
            f"{', '.join(map(str, frame.columns[:20]))}"
        )
    labels = frame[target]
    if labels.isna().any():
        raise InputError(f"target column {target!r} has {int(labels.isna().sum())} missing values")
    values = labels.value_counts()
    if len(values) < 2:
        raise InputError(f"target column {target!r} has a single class ({values.index[0]!r})")
    if len(values) > 2:
        raise InputError(
            f"target column {target!r} has {len(values)} classes; compare needs a binary target"
        )
    if positive is None or positive not in set(values.index):
        positive = values.index[-1]  # the minority class
    positive = _plain(positive)
    return (labels == positive).to_numpy().astype(np.int64), positive


def _features(features):
    """``(X, notes)``: numeric, boolean and categorical columns as floats."""
    import pandas as pd

    if features.shape[1] == 0:
        raise InputError("no feature columns besides the target")
    notes = []
    columns = {}
    for name in features.columns:
        column = features[name]
        if pd.api.types.is_bool_dtype(column):
            columns[name] = column.astype(np.float64)
        elif pd.api.types.is_numeric_dtype(column):
            columns[name] = column.astype(np.float64)
            infinite = int(np.isinf(columns[name].to_numpy()).sum())
            if infinite:
                raise InputError(
                    f"column {name!r} has {infinite} infinite values; replace them "
                    "(missing values, NaN or empty, are fine)"
                )
        elif isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(
                column) or pd.api.types.is_string_dtype(column):
            distinct = column.nunique(dropna=True)
            if distinct > MAX_CATEGORIES:
                raise InputError(
                    f"column {name!r} is non-numeric with {distinct} distinct values "
                    f"(more than {MAX_CATEGORIES}); drop or encode it first"
                )
            codes = column.astype("category").cat.codes.astype(np.float64)
            columns[name] = codes.where(codes >= 0, np.nan)
            notes.append(f"column {name!r} encoded as {distinct} categories")
        else:
            raise InputError(f"column {name!r} has unsupported type {column.dtype}")
    X = np.column_stack([columns[name].to_numpy() for name in features.columns])
    return X, notes


def _plain(value):
    """A NumPy scalar as the Python value it holds (``True``, not ``np.True_``)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_writable(path: Path, option: str):
    """Fail before the run, not after it, when an output file cannot be written."""
    existed = path.exists()
    try:
        with open(path, "a"):
            pass
    except OSError as error:
        raise InputError(f"cannot write {option} {path}: {error.strerror}") from None
    if not existed:
        path.unlink()


# At most this many boosting rounds per fit. With early stopping, a first fit
# on (1 - INNER_VALIDATION) of the training rows stops when its own loss on the
# rest has not improved for EARLY_STOPPING rounds; the model is then refitted
# on all training rows with the trees that kept (reported).
MAX_ROUNDS = 200
EARLY_STOPPING = 20
INNER_VALIDATION = 0.2


def usable_cores() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _estimator(booster: str, params: dict, seed: int, early_stopping: int | None,
               rounds: int):
    common = {"n_estimators": rounds, "learning_rate": 0.05, "random_state": seed,
              # One thread per fit: the fits themselves run in parallel, which
              # on small data beats threads inside each fit.
              "n_jobs": 1, **params}
    if booster == "xgboost":
        from focal_gbm import FocalXGBClassifier

        return FocalXGBClassifier(max_depth=4, early_stopping_rounds=early_stopping, **common)
    from focal_gbm import FocalLGBMClassifier

    return FocalLGBMClassifier(num_leaves=15, verbose=-1, **common)


def _fit_and_score(X, y, train, test, *, booster, params, seed, early_stopping):
    """One candidate on one fold: its scores, fit time and trees kept."""
    from scipy.special import expit
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    from focal_gbm.metrics import calibration_scores

    start = time.perf_counter()
    trees = MAX_ROUNDS
    if early_stopping:
        # The number of trees from an inner validation split, then the model
        # refitted on all the training rows with that many trees.
        fit, valid = train_test_split(train, test_size=INNER_VALIDATION, stratify=y[train],
                                      random_state=seed)
        probe = _estimator(booster, params, seed, early_stopping, MAX_ROUNDS)
        extra = {"eval_set": [(X[valid], y[valid])]}
        if booster == "lightgbm":
            import lightgbm

            extra["callbacks"] = [lightgbm.early_stopping(early_stopping, verbose=False)]
        probe.fit(X[fit], y[fit], **extra)
        trees = (probe.best_iteration + 1 if booster == "xgboost"
                 else probe.best_iteration_ or MAX_ROUNDS)
    model = _estimator(booster, params, seed, None, trees).fit(X[train], y[train])
    seconds = time.perf_counter() - start
    margin = model.decision_function(X[test])
    posterior = model.predict_proba(X[test])[:, 1]  # the posterior, predict_proba's default
    focal = expit(margin)
    return {
        # Ranks are the same for both probabilities (a strictly increasing map).
        "average_precision": average_precision_score(y[test], posterior),
        "roc_auc": roc_auc_score(y[test], posterior),
        # The decisions alpha chose: focal probability above 1/2.
        "balanced_accuracy": balanced_accuracy_score(y[test], model.predict(X[test])),
        **calibration_scores(y[test], posterior),
        **{f"{m}_focal": v for m, v in calibration_scores(y[test], focal).items()},
        "fit_seconds": seconds,
        "trees": trees,
    }


def compare(X, y, *, booster: str = "xgboost", folds: int = 5, seed: int = 0,
            progress: bool = True, n_jobs: int | None = None,
            early_stopping: int | None = EARLY_STOPPING) -> list[dict]:
    """Cross-validated scores of every candidate; one dict per candidate.

    Every (candidate, fold) fit runs as its own job, ``n_jobs`` at a time
    (default: the usable cores), each booster on one thread. With
    ``early_stopping`` the number of trees comes from a first fit that holds
    out a stratified ``INNER_VALIDATION`` share of the training rows and stops
    when its own loss there has not improved for that many rounds; the model
    scored is refitted on all training rows with that many trees. ``None``
    trains ``MAX_ROUNDS`` trees.
    """
    from functools import partial

    from sklearn.model_selection import StratifiedKFold

    minority = int(min(y.sum(), len(y) - y.sum()))
    needed = folds * (2 if early_stopping else 1)  # and some in each inner validation split
    if minority < needed:
        raise InputError(
            f"the minority class has {minority} rows; --folds {folds} needs at least {needed}"
        )
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y))
    score = partial(_fit_and_score, X, y, booster=booster, seed=seed,
                    early_stopping=early_stopping)
    results = _cross_validate(CANDIDATES, splits, score, METRICS, progress, n_jobs)
    mark_best(results)
    return results


def compare_multilabel(X, Y, *, booster: str = "xgboost", folds: int = 5, seed: int = 0,
                       progress: bool = True, n_jobs: int | None = None) -> list[dict]:
    """Cross-validated multi-label scores of every ``MULTILABEL_CANDIDATES`` entry.

    ``Y`` is a 0/1 matrix (n_samples, n_labels). Shuffled K-fold (no
    stratification across labels), ``MAX_ROUNDS`` trees per fit (XGBoost:
    one multi-output booster; LightGBM: one booster per label), scored by
    macro / micro average precision and ROC AUC of the margins and F1 of
    ``predict``; the best macro average precision is marked as in
    :func:`compare`.
    """
    from functools import partial

    from sklearn.model_selection import KFold

    rare = int(min(Y.sum(axis=0).min(), (len(Y) - Y.sum(axis=0)).min()))
    if rare < folds:
        raise InputError(f"a target column has only {rare} rows of one value; --folds "
                         f"{folds} needs at least {folds}")
    splits = list(KFold(folds, shuffle=True, random_state=seed).split(X))
    score = partial(_fit_and_score_multilabel, X, Y, booster=booster, seed=seed)
    results = _cross_validate(MULTILABEL_CANDIDATES, splits, score, MULTILABEL_METRICS,
                              progress, n_jobs)
    mark_best(results, metric="macro_average_precision")
    return results


def _fit_and_score_multilabel(X, Y, train, test, *, booster, params, seed):
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    start = time.perf_counter()
    model = _estimator(booster, params, seed, None, MAX_ROUNDS).fit(X[train], Y[train])
    seconds = time.perf_counter() - start
    # Ranked by the margins: with a clip the posterior ties the rows below it.
    margin = model.decision_function(X[test])
    predicted = model.predict(X[test])
    truth = Y[test]
    both = [j for j in range(truth.shape[1]) if 0 < truth[:, j].sum() < truth.shape[0]]
    return {
        "macro_average_precision": float(np.mean(
            [average_precision_score(truth[:, j], margin[:, j]) for j in both])),
        "micro_average_precision": average_precision_score(truth[:, both], margin[:, both],
                                                           average="micro"),
        "macro_roc_auc": float(np.mean([roc_auc_score(truth[:, j], margin[:, j])
                                        for j in both])),
        "macro_f1": f1_score(truth, predicted, average="macro", zero_division=0.0),
        "micro_f1": f1_score(truth, predicted, average="micro", zero_division=0.0),
        "fit_seconds": seconds,
        "trees": MAX_ROUNDS,
    }


def _cross_validate(candidates, splits, score, metrics, progress, n_jobs) -> list[dict]:
    """``score(train, test, params=...)`` of every (candidate, fold), in parallel threads."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    folds = len(splits)
    jobs = [(i, f) for i in range(len(candidates)) for f in range(folds)]
    scores = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), unit="fit", file=sys.stderr, dynamic_ncols=True)
    # Threads: XGBoost, LightGBM and the focal kernels release the GIL.
    with ThreadPoolExecutor(max_workers=n_jobs or usable_cores()) as pool:
        futures = {}
        for i, f in jobs:
            train, test = splits[f]
            futures[pool.submit(score, train, test, params=candidates[i][1])] = (i, f)
        try:
            for future in as_completed(futures):
                scores[futures[future]] = future.result()
                if bar is not None:
                    bar.set_postfix_str(candidates[futures[future][0]][0], refresh=False)
                    bar.update()
        except BaseException:  # an error or Ctrl-C: do not start the remaining fits
            for future in futures:
                future.cancel()
            raise
        finally:
            if bar is not None:
                bar.close()
    results = []
    for i, (name, params) in enumerate(candidates):
        values = {m: [float(scores[(i, f)][m]) for f in range(folds)] for m in metrics}
        results.append({"name": name, **params,
                        **{m: float(np.mean(v)) for m, v in values.items()},
                        **{f"{m}_std": float(np.std(v)) for m, v in values.items()},
                        **{f"{m}_folds": v for m, v in values.items()}})
    return results


def mark_best(results: list[dict], metric: str = "average_precision", level: float = 0.05):
    """Mark the best mean ``metric`` and the candidates not distinguishable from it.

    All candidates are scored on the same folds, so they are compared with
    the best by a paired t-test over the folds: ``tied_with_best`` means its
    p-value is at least ``level`` (identical fold scores count as tied).
    Differences smaller than the fold-to-fold spread are not evidence.
    """
    from scipy.stats import ttest_rel

    best = max(range(len(results)), key=lambda i: results[i][metric])
    best_folds = np.asarray(results[best][f"{metric}_folds"])
    for i, row in enumerate(results):
        row["best"] = i == best
        differences = best_folds - np.asarray(row[f"{metric}_folds"])
        if i == best or not np.any(differences):
            row["p_value_vs_best"] = 1.0
        else:
            row["p_value_vs_best"] = float(ttest_rel(best_folds, row[f"{metric}_folds"]).pvalue)
        row["tied_with_best"] = i != best and row["p_value_vs_best"] >= level


def _mark(row: dict) -> str:
    """``*`` for the best candidate, ``=`` for those not distinguishable from it."""
    return "*" if row["best"] else "=" if row["tied_with_best"] else " "


def _mean_std(row: dict, metric: str) -> str:
    return f"{row[metric]:.4f} +- {row[f'{metric}_std']:.4f}"


def format_table(results: list[dict]) -> str:
    cell = _mean_std
    header = (f"  {'setting':34s} {'avg prec':>17s} {'ROC AUC':>17s} {'bal acc':>17s} "
              f"{'trees':>5s} {'fit s':>6s}")
    lines = [header, "  " + "-" * (len(header) - 2)]
    for row in results:
        mark = _mark(row)
        lines.append(
            f"{mark} {row['name']:34s} {cell(row, 'average_precision'):>17s} "
            f"{cell(row, 'roc_auc'):>17s} {cell(row, 'balanced_accuracy'):>17s} "
            f"{row['trees']:5.0f} {row['fit_seconds']:6.2f}"
        )
    lines.append("mean +- standard deviation over the folds; trees: kept after early stopping "
                 "(mean over folds).")
    lines.append("* best average precision; = not distinguishable from it (paired t-test over "
                 "the folds, p >= 0.05).")
    lines += ["", "Calibration (lower is better; mean over the folds):", ""]
    names = {"log_loss": "log loss", "brier": "Brier", "ece": "ECE"}
    header = f"  {'setting':34s}" + "".join(f" {names[m]:>19s}" for m in CALIBRATION)
    lines += [header, f"  {'':34s}" + f" {'posterior':>9s} {'focal':>9s}" * len(CALIBRATION),
              "  " + "-" * (len(header) - 2)]
    for row in results:
        lines.append(f"  {row['name']:34s}" + "".join(
            f" {row[m]:9.4f} {row[f'{m}_focal']:9.4f}" for m in CALIBRATION))
    lines.append("posterior: the class probability behind the focal margin, what predict_proba "
                 "returns; focal: sigmoid of the margin, pulled towards 1/2 by gamma and "
                 "shifted by alpha. ECE: 10 equal-width bins.")
    return "\n".join(lines)


def format_multilabel_table(results: list[dict]) -> str:
    cell = _mean_std
    header = (f"  {'setting':30s} {'macro AP':>17s} {'micro AP':>9s} {'macro AUC':>9s} "
              f"{'macro F1':>9s} {'micro F1':>9s} {'fit s':>6s}")
    lines = [header, "  " + "-" * (len(header) - 2)]
    for row in results:
        mark = _mark(row)
        lines.append(
            f"{mark} {row['name']:30s} {cell(row, 'macro_average_precision'):>17s} "
            f"{row['micro_average_precision']:9.4f} {row['macro_roc_auc']:9.4f} "
            f"{row['macro_f1']:9.4f} {row['micro_f1']:9.4f} {row['fit_seconds']:6.2f}")
    lines.append("macro: mean over labels; micro: pooled. AP and AUC rank by the margins, F1 "
                 "is that of predict (the threshold each loss implies). Mean (+- std) over "
                 "the folds.")
    lines.append("* best macro average precision; = not distinguishable from it (paired "
                 "t-test over the folds, p >= 0.05). ASL: asymmetric loss, g+ / g- the "
                 "positive / negative focusing, clip the probability margin.")
    return "\n".join(lines)


def plot(results: list[dict], path: Path, title: str,
         metrics=(("average_precision", "average precision"), ("roc_auc", "ROC AUC"))):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install matplotlib") from None
    fig = _figure(results, title, plt, metrics)
    try:
        fig.savefig(path, dpi=90)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    finally:
        plt.close(fig)


def _figure(results: list[dict], title: str, plt,
            metrics=(("average_precision", "average precision"), ("roc_auc", "ROC AUC"))):
    """Bars of two metrics (mean +- std), in the table's order from the top."""
    names = [r["name"] for r in results]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.35 * len(names) + 1.5), sharey=True)
    for ax, (metric, label) in zip(axes, metrics):
        values = [r[metric] for r in results]
        errors = [r[f"{metric}_std"] for r in results]
        colours = ["#d9622b" if r["best"] else "#e8a87c" if r["tied_with_best"] else "#4a74a8"
                   for r in results]
        ax.barh(names, values, xerr=errors, color=colours)
        low = min(v - e for v, e in zip(values, errors))
        ax.set_xlim(max(0.0, low - 0.05), min(1.0, max(values) + 0.05))
        ax.set_xlabel(f"{label} (mean +- std over folds)")
    # Once: the axes share y, and inverting each would undo the first.
    axes[0].invert_yaxis()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="focal-gbm",
                                     description="Focal loss for gradient boosting.")
    commands = parser.add_subparsers(dest="command", required=True)
    cmp = commands.add_parser(
        "compare", help="cross-validate cross entropy vs focal loss",
        description="Stratified cross-validation of cross entropy, class-weighted cross "
                    "entropy and focal loss (a grid of gamma and alpha). Without DATA it "
                    "runs on a built-in 2-feature dataset with a 90:10 class ratio.")
    cmp.add_argument("data", nargs="?", type=Path, help="a .csv or .parquet file")
    cmp.add_argument("--target", action="append",
                     help="name of the binary target column (required with DATA); give it "
                          "several times for a multi-label target (one 0/1 column per "
                          "label): then the asymmetric loss (ASL) is compared too")
    cmp.add_argument("--booster", choices=("xgboost", "lightgbm"), default="xgboost")
    cmp.add_argument("--folds", type=int, default=5)
    cmp.add_argument("--seed", type=int, default=0)
    cmp.add_argument("--n-jobs", type=int, metavar="N",
                     help="fits run at the same time (default: the usable CPU cores)")
    # (argparse %-formats help texts: a literal percent sign is written %%.)
    cmp.add_argument("--early-stopping", type=int, default=EARLY_STOPPING, metavar="ROUNDS",
                     help=f"choose each fit's trees by stopping after ROUNDS rounds without "
                          f"improvement on {INNER_VALIDATION:.0%}% of its training rows, then "
                          f"refit; 0 trains all {MAX_ROUNDS} rounds (default: %(default)s)")
    cmp.add_argument("--plot", type=Path, metavar="FILE", help="save a comparison figure (PNG)")
    cmp.add_argument("--json", type=Path, metavar="FILE", help="save results as JSON")
    cmp.add_argument("--no-progress", action="store_true",
                     help="hide the progress bar (shown only on a terminal)")
    cache = commands.add_parser(
        "cache", help="show (or clear) the compiled-kernel cache folder",
        description="Print the folder where focal_gbm caches its compiled kernels "
                    "(FOCAL_GBM_CACHE_DIR, else NUMBA_CACHE_DIR, else the user cache folder).")
    cache.add_argument("--clear", action="store_true", help="delete the cached kernels")
    return parser


def run_cache(args) -> int:
    from focal_gbm import clear_kernel_cache, kernel_cache_dir

    if args.clear:
        print(f"cleared {clear_kernel_cache()}")
    else:
        print(kernel_cache_dir())
    return 0


def run_compare(args) -> int:
    if args.folds < 2:
        raise InputError(f"--folds must be at least 2, got {args.folds}")
    if args.n_jobs is not None and args.n_jobs < 1:
        raise InputError(f"--n-jobs must be at least 1, got {args.n_jobs}")
    if args.early_stopping < 0:
        raise InputError(f"--early-stopping must be >= 0 (0: off), got {args.early_stopping}")
    targets = args.target or []
    if args.data is None:
        if targets:
            raise InputError("--target needs a data file")
        from focal_gbm.datasets import make_imbalanced

        X, y = make_imbalanced(2000, random_state=args.seed)
        source, positive, notes = "built-in 90:10 demo dataset (2000 rows, 2 features)", 1, []
    elif not targets:
        raise InputError("--target COLUMN is required with a data file")
    elif len(targets) > 1:
        return _run_compare_multilabel(args, targets)
    else:
        X, y, positive, notes = prepare(_load_table(args.data), targets[0])
        source = str(args.data)
    for path, option in ((args.json, "--json"), (args.plot, "--plot")):
        if path is not None:
            _check_writable(path, option)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"data: {source}; positive class {positive!r}: {int(y.sum())} of {len(y)} rows "
          f"({100 * y.mean():.1f}%)")
    stopping = (f"trees chosen by early stopping ({args.early_stopping} rounds) on "
                f"{INNER_VALIDATION:.0%} of each training fold" if args.early_stopping
                else "no early stopping")
    n_jobs = args.n_jobs or usable_cores()
    print(f"booster: {args.booster}, at most {MAX_ROUNDS} rounds, learning rate 0.05, "
          f"{stopping}; stratified {args.folds}-fold CV (seed {args.seed}), "
          f"{n_jobs} fits at a time\n")
    results = compare(X, y, booster=args.booster, folds=args.folds, seed=args.seed,
                      progress=not args.no_progress and sys.stderr.isatty(), n_jobs=n_jobs,
                      early_stopping=args.early_stopping or None)
    print(format_table(results))
    if args.json:
        plain = isinstance(positive, (str, int, float, bool))
        payload = {"data": source, "positive_class": positive if plain else str(positive),
                   "booster": args.booster, "folds": args.folds, "seed": args.seed,
                   "results": results}
        try:
            args.json.write_text(json.dumps(payload, indent=2))
        except OSError as error:
            raise InputError(f"cannot write {args.json}: {error.strerror}") from None
    if args.plot:
        plot(results, args.plot, f"{source} - {args.booster}")
    return 0


def _run_compare_multilabel(args, targets: list[str]) -> int:
    X, Y, positives, notes = prepare_multilabel(_load_table(args.data), targets)
    for path, option in ((args.json, "--json"), (args.plot, "--plot")):
        if path is not None:
            _check_writable(path, option)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    rates = ", ".join(f"{t} {100 * Y[:, j].mean():.1f}%" for j, t in enumerate(targets))
    print(f"data: {args.data}; {len(targets)} labels, positive rates: {rates}; {len(Y)} rows")
    n_jobs = args.n_jobs or usable_cores()
    print(f"booster: {args.booster}, {MAX_ROUNDS} rounds, learning rate 0.05 (no early "
          f"stopping for multi-label targets); {args.folds}-fold CV (seed {args.seed}), "
          f"{n_jobs} fits at a time\n")
    results = compare_multilabel(X, Y, booster=args.booster, folds=args.folds, seed=args.seed,
                                 progress=not args.no_progress and sys.stderr.isatty(),
                                 n_jobs=n_jobs)
    print(format_multilabel_table(results))
    if args.json:
        payload = {"data": str(args.data), "targets": targets,
                   "positive_values": [p if isinstance(p, (str, int, float, bool)) else str(p)
                                       for p in positives],
                   "booster": args.booster, "folds": args.folds, "seed": args.seed,
                   "results": results}
        try:
            args.json.write_text(json.dumps(payload, indent=2))
        except OSError as error:
            raise InputError(f"cannot write {args.json}: {error.strerror}") from None
    if args.plot:
        plot(results, args.plot, f"{args.data} - {args.booster}",
             metrics=(("macro_average_precision", "macro average precision"),
                      ("macro_roc_auc", "macro ROC AUC")))
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run_cache(args) if args.command == "cache" else run_compare(args)
    except InputError as error:
        print(f"focal-gbm: error: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        # The install hint only helps when a dependency is missing, not focal_gbm itself.
        missing = (error.name or "").split(".")[0]
        hint = "" if missing == "focal_gbm" else " (pip install 'focal-gbm[all]')"
        print(f"focal-gbm: error: {error}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nfocal-gbm: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # never a traceback for a command-line user
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"focal-gbm: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
