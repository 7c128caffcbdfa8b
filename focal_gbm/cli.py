"""``focal-gbm compare``: cross entropy vs focal loss on your own data, in one command.

    focal-gbm compare                        # the built-in 90:10 demo dataset
    focal-gbm compare data.csv --target y    # your data (CSV or Parquet)

Runs stratified cross-validation of cross entropy, class-weighted cross
entropy and focal loss over a small grid of gamma and alpha, with one booster
and fixed settings, and prints average precision, ROC AUC, balanced accuracy,
log loss (mean +- standard deviation over the folds) and fit time, marking the
best setting by average precision and those not distinguishable from it.
Errors in the input are reported on one line with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

# Candidates: (name, focal_gamma, focal_alpha).
CANDIDATES = [
    ("cross entropy", 0.0, None),
    ("weighted cross entropy", 0.0, "balanced"),
    *[(f"focal gamma={g:g} alpha={a if a is not None else 'none'}", g, a)
      for g in (1.0, 2.0, 3.0) for a in (None, 0.25, "balanced")],
]
METRICS = ("average_precision", "roc_auc", "balanced_accuracy", "log_loss", "fit_seconds")
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
    import pandas as pd

    if len(frame) == 0:
        raise InputError("the data file has a header but no rows")
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
    positive = _plain(values.index[-1])  # the minority class
    y = (labels == positive).to_numpy().astype(np.int64)
    features = frame.drop(columns=[target])
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
    return X, y, positive, notes


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


def _estimator(booster: str, gamma: float, alpha, seed: int):
    if booster == "xgboost":
        from focal_gbm import FocalXGBClassifier

        return FocalXGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.05,
                                  random_state=seed, n_jobs=2, focal_gamma=gamma,
                                  focal_alpha=alpha)
    from focal_gbm import FocalLGBMClassifier

    return FocalLGBMClassifier(n_estimators=200, num_leaves=15, learning_rate=0.05,
                               random_state=seed, n_jobs=2, verbose=-1, focal_gamma=gamma,
                               focal_alpha=alpha)


class _Progress:
    """A one-line text progress bar on stderr."""

    def __init__(self, total: int, stream=sys.stderr, width: int = 30):
        self.total, self.done, self.stream, self.width = total, 0, stream, width

    def step(self, label: str):
        self.done += 1
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:40s}")
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def compare(X, y, *, booster: str = "xgboost", folds: int = 5, seed: int = 0,
            progress: bool = True) -> list[dict]:
    """Cross-validated scores of every candidate; one dict per candidate."""
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        log_loss,
        roc_auc_score,
    )
    from sklearn.model_selection import StratifiedKFold

    minority = int(min(y.sum(), len(y) - y.sum()))
    if minority < folds:
        raise InputError(
            f"the minority class has {minority} rows, fewer than --folds {folds}"
        )
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y))
    bar = _Progress(len(CANDIDATES) * folds) if progress else None
    results = []
    for name, gamma, alpha in CANDIDATES:
        scores = {m: [] for m in METRICS}
        for train, test in splits:
            start = time.perf_counter()
            model = _estimator(booster, gamma, alpha, seed).fit(X[train], y[train])
            scores["fit_seconds"].append(time.perf_counter() - start)
            proba = model.predict_proba(X[test])[:, 1]
            scores["average_precision"].append(average_precision_score(y[test], proba))
            scores["roc_auc"].append(roc_auc_score(y[test], proba))
            scores["balanced_accuracy"].append(balanced_accuracy_score(y[test], proba >= 0.5))
            scores["log_loss"].append(log_loss(y[test], np.clip(proba, 1e-15, 1 - 1e-15),
                                               labels=[0, 1]))
            if bar:
                bar.step(name)
        results.append({"name": name, "focal_gamma": gamma, "focal_alpha": alpha,
                        **{m: float(np.mean(v)) for m, v in scores.items()},
                        **{f"{m}_std": float(np.std(v)) for m, v in scores.items()},
                        **{f"{m}_folds": [float(x) for x in v] for m, v in scores.items()}})
    mark_best(results)
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


def format_table(results: list[dict]) -> str:
    def cell(row, metric):
        return f"{row[metric]:.4f} +- {row[f'{metric}_std']:.4f}"

    header = (f"  {'setting':34s} {'avg prec':>17s} {'ROC AUC':>17s} {'bal acc':>17s} "
              f"{'log loss':>17s} {'fit s':>6s}")
    lines = [header, "  " + "-" * (len(header) - 2)]
    for row in results:
        mark = "*" if row["best"] else "=" if row["tied_with_best"] else " "
        lines.append(
            f"{mark} {row['name']:34s} {cell(row, 'average_precision'):>17s} "
            f"{cell(row, 'roc_auc'):>17s} {cell(row, 'balanced_accuracy'):>17s} "
            f"{cell(row, 'log_loss'):>17s} {row['fit_seconds']:6.2f}"
        )
    lines.append("mean +- standard deviation over the folds.")
    lines.append("* best average precision; = not distinguishable from it (paired t-test over "
                 "the folds, p >= 0.05).")
    lines.append("Log loss rewards calibration, which focal loss trades for ranking.")
    return "\n".join(lines)


def plot(results: list[dict], path: Path, title: str):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install matplotlib") from None
    fig = _figure(results, title, plt)
    try:
        fig.savefig(path, dpi=90)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    finally:
        plt.close(fig)


def _figure(results: list[dict], title: str, plt):
    """Bars of average precision and ROC AUC, in the table's order from the top."""
    names = [r["name"] for r in results]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.35 * len(names) + 1.5), sharey=True)
    for ax, metric, label in zip(axes, ("average_precision", "roc_auc"),
                                 ("average precision", "ROC AUC")):
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
    cmp.add_argument("--target", help="name of the binary target column (required with DATA)")
    cmp.add_argument("--booster", choices=("xgboost", "lightgbm"), default="xgboost")
    cmp.add_argument("--folds", type=int, default=5)
    cmp.add_argument("--seed", type=int, default=0)
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
    if args.data is None:
        from focal_gbm.datasets import make_imbalanced

        X, y = make_imbalanced(2000, random_state=args.seed)
        source, positive, notes = "built-in 90:10 demo dataset (2000 rows, 2 features)", 1, []
    else:
        if not args.target:
            raise InputError("--target COLUMN is required with a data file")
        X, y, positive, notes = prepare(_load_table(args.data), args.target)
        source = str(args.data)
    for path, option in ((args.json, "--json"), (args.plot, "--plot")):
        if path is not None:
            _check_writable(path, option)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"data: {source}; positive class {positive!r}: {int(y.sum())} of {len(y)} rows "
          f"({100 * y.mean():.1f}%)")
    print(f"booster: {args.booster}, 200 rounds, learning rate 0.05; "
          f"stratified {args.folds}-fold CV (seed {args.seed})\n")
    results = compare(X, y, booster=args.booster, folds=args.folds, seed=args.seed,
                      progress=not args.no_progress and sys.stderr.isatty())
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
