"""Which loss suits your data: cross-validated comparison and a recommendation.

:func:`compare` cross-validates cross entropy, class-weighted cross entropy
and focal loss over a small grid of gamma and alpha (for a 2-D target,
cross entropy, focal loss and the asymmetric loss) with one booster, and
recommends one candidate: the one whose paired gain in average precision
over cross entropy stands out from the fold-to-fold noise, or cross entropy
when none does (:func:`recommend`). What ``focal-gbm compare`` prints and
saves comes from here; :mod:`focal_gbm.cli` only parses arguments.

From a CSV file to a fitted recommended model::

    data = load_table("data.csv", target="label")
    model = compare(data.X, data.y).recommended.estimator.fit(data.X, data.y)

Why the rule: choosing the candidate with the best mean score ("the winner")
chases fold noise on small data; measured nested on the twelve shared
imbalanced datasets with both boosters (``benchmarks/bench_recommend.py``,
``benchmarks/results/recommend.md``), asking the gain to exceed its
standard error and ranking by the t statistic kept more of the held-out gain
over cross entropy than the winner did.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

# Candidates: (name, estimator parameters).
CANDIDATES = [
    ("cross entropy", {"focal_gamma": 0.0, "focal_alpha": None}),
    ("weighted cross entropy", {"focal_gamma": 0.0, "focal_alpha": "balanced"}),
    *[(f"focal gamma={g:g} alpha={a if a is not None else 'none'}",
       {"focal_gamma": g, "focal_alpha": a})
      for g in (1.0, 2.0, 3.0) for a in (None, 0.25, "balanced")],
]
# Multi-label targets (2-D y): the asymmetric loss too (gamma_pos, gamma_neg,
# clip; docs/math.md §9): the paper's setting and the two that
# benchmarks/bench_multilabel.py found best for the F1 at the model's threshold.
MULTILABEL_CANDIDATES = [
    ("cross entropy", {"focal_gamma": 0.0}),
    ("focal gamma=2", {"focal_gamma": 2.0}),
    ("focal gamma=2 alpha=balanced", {"focal_gamma": 2.0, "focal_alpha": "balanced"}),
    *[(f"ASL g+={gp:g} g-={gn:g} clip={m:g}",
       {"focal_gamma": gp, "focal_gamma_neg": gn, "focal_clip": m})
      for gp, gn, m in ((0.0, 4.0, 0.05), (0.0, 2.0, 0.05), (1.0, 2.0, 0.0))],
]
BASELINE = "cross entropy"
"""The candidate a recommendation falls back to (the first of both candidate lists)."""

CALIBRATION = ("log_loss", "brier", "ece")
METRICS = ("average_precision", "roc_auc", "balanced_accuracy", *CALIBRATION,
           *(f"{m}_focal" for m in CALIBRATION), "fit_seconds", "trees")
MULTILABEL_METRICS = ("macro_average_precision", "micro_average_precision", "macro_roc_auc",
                      "macro_f1", "micro_f1", "fit_seconds", "trees")

MAX_ROUNDS = 200
"""Boosting rounds of each fit at most (``--max-rounds``)."""
LEARNING_RATE = 0.05
"""Every candidate's learning rate (``--learning-rate``)."""
EARLY_STOPPING = 20
"""Rounds without improvement that stop a fit's probe (``--early-stopping``)."""
INNER_VALIDATION = 0.2
"""Share of a training fold the probe holds out to choose the number of trees."""
STANDARD_ERRORS = 1.0
"""How many standard errors a candidate's paired gain over cross entropy must exceed
to be recommended (chosen by ``benchmarks/bench_recommend.py``)."""
# Non-numeric columns with at most this many distinct values are encoded as
# categories; above it they are almost certainly identifiers or free text.
MAX_CATEGORIES = 50
# The booster settings every candidate shares besides rounds and learning rate.
_BOOSTER_DEFAULTS = {"xgboost": {"max_depth": 4}, "lightgbm": {"num_leaves": 15, "verbose": -1}}
_ESTIMATORS = {"xgboost": "FocalXGBClassifier", "lightgbm": "FocalLGBMClassifier"}


class InputError(ValueError):
    """A problem with the user's input (the command line reports it on one line, exit 2)."""


# --------------------------------------------------------------------------- data
class Table(NamedTuple):
    """Features and target read from a file by :func:`load_table`."""

    X: np.ndarray
    """Features as floats (categories as codes, missing values as NaN)."""
    y: np.ndarray
    """0/1 target: shape (n,) for one target column, (n, n_targets) for several."""
    positive: Any
    """The value of each target column that became 1 (a list for several)."""
    notes: list[str]
    """What was done to the features (categorical encoding)."""


def load_table(path: str | os.PathLike, target: str | list[str]) -> Table:
    """Read a CSV or Parquet file as features and a 0/1 target.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.parquet`` file with a header.
    target : str or list of str
        The target column, or several for a multi-label target. A single
        target's positive class is its minority value; each of several
        targets is positive at 1 / ``True`` when it holds them, else at its
        minority value.

    Returns
    -------
    Table
        ``(X, y, positive, notes)``. Numeric and boolean columns become
        floats; non-numeric ones with at most 50 distinct values become
        category codes (missing values stay NaN).

    Raises
    ------
    InputError
        For a missing or unreadable file, an unknown or non-binary target
        column, infinite values or free-text columns, naming what is wrong.
    """
    frame = _read_frame(Path(path))
    if isinstance(target, str):
        return prepare(frame, target)
    return prepare_multilabel(frame, list(target))


def _read_frame(path: Path):
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


def prepare(frame, target: str) -> Table:
    """:func:`load_table` of a DataFrame with one target column."""
    _check_rows(frame)
    y, positive = _binary_target(frame, target, positive=None)
    X, notes = _features(frame.drop(columns=[target]))
    return Table(X, y, positive, notes)


def prepare_multilabel(frame, targets: list[str]) -> Table:
    """:func:`load_table` of a DataFrame with several target columns (one 0/1 column each)."""
    _check_rows(frame)
    if len(set(targets)) != len(targets):
        raise InputError(f"--target names a column twice: {', '.join(targets)}")
    columns, positives = [], []
    for target in targets:
        y, positive = _binary_target(frame, target, positive=1)
        columns.append(y)
        positives.append(positive)
    X, notes = _features(frame.drop(columns=list(targets)))
    return Table(X, np.column_stack(columns), positives, notes)


def _check_rows(frame):
    if len(frame) == 0:
        raise InputError("the data file has a header but no rows")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _binary_target(frame, target: str, positive):
    """``(y, positive_value)`` of a two-valued column; ``positive`` if it holds it, else
    the minority value."""
    if target not in frame.columns:
        raise InputError(
            f"target column {target!r} not found; columns are: "
            f"{', '.join(map(str, frame.columns[:20]))}"
        )
    labels = frame[target]
    missing = int(labels.isna().sum())
    if missing:
        raise InputError(f"target column {target!r} has {_plural(missing, 'missing value')}")
    values = labels.value_counts()
    if len(values) < 2:
        raise InputError(
            f"target column {target!r} has a single class ({plain_value(values.index[0])!r})")
    if len(values) > 2:
        raise InputError(
            f"target column {target!r} has {len(values)} classes; compare needs a binary target"
        )
    if positive is None or positive not in set(values.index):
        positive = values.index[-1]  # the minority class
    positive = plain_value(positive)
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
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            columns[name] = column.astype(np.float64)
            infinite = int(np.isinf(columns[name].to_numpy()).sum())
            if infinite:
                raise InputError(
                    f"column {name!r} has {_plural(infinite, 'infinite value')}; replace "
                    "them (missing values, NaN or empty, are fine)"
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


def plain_value(value):
    """A NumPy scalar as the Python value it holds (``True``, not ``np.True_``)."""
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------- the estimators
def estimator_params(booster: str, params: dict, *, n_estimators: int,
                     learning_rate: float = LEARNING_RATE, seed: int = 0) -> dict:
    """Constructor parameters of a candidate's estimator, as ``compare`` fits it.

    Parameters
    ----------
    booster : {"xgboost", "lightgbm"}
    params : dict
        The candidate's focal parameters (``focal_gamma``, ``focal_alpha``, ...).
    n_estimators : int
        Boosting rounds.
    learning_rate : float, default=0.05
    seed : int, default=0
        ``random_state``.

    Returns
    -------
    dict
        Keyword arguments for :class:`~focal_gbm.FocalXGBClassifier` /
        :class:`~focal_gbm.FocalLGBMClassifier`: the candidate's parameters,
        ``n_estimators``, ``learning_rate``, ``random_state`` and the booster
        settings every candidate shares (XGBoost ``max_depth=4``, LightGBM
        ``num_leaves=15, verbose=-1``).
    """
    return {"n_estimators": int(n_estimators), "learning_rate": float(learning_rate),
            "random_state": seed, **_BOOSTER_DEFAULTS[booster], **params}


def estimator_class(booster: str):
    """:class:`~focal_gbm.FocalXGBClassifier` or :class:`~focal_gbm.FocalLGBMClassifier`."""
    if booster == "xgboost":
        from ._xgb_sklearn import FocalXGBClassifier

        return FocalXGBClassifier
    from ._lgbm_sklearn import FocalLGBMClassifier

    return FocalLGBMClassifier


def _estimator(booster: str, params: dict, *, seed: int, rounds: int, learning_rate: float,
               early_stopping: int | None = None):
    # One thread per fit: the fits themselves run in parallel, which on small
    # data beats threads inside each fit.
    kwargs = estimator_params(booster, params, n_estimators=rounds,
                              learning_rate=learning_rate, seed=seed)
    kwargs["n_jobs"] = 1
    if booster == "xgboost":
        kwargs["early_stopping_rounds"] = early_stopping
    return estimator_class(booster)(**kwargs)


# ------------------------------------------------------------ one fit, scored
@dataclass(frozen=True)
class _Settings:
    booster: str
    seed: int
    max_rounds: int
    learning_rate: float
    early_stopping: int | None


def _trees_by_early_stopping(X, y, train, params, settings: _Settings) -> int:
    """The number of trees a probe on (1 - INNER_VALIDATION) of ``train`` keeps."""
    from sklearn.model_selection import train_test_split

    stratify = y[train] if y.ndim == 1 else None
    fit, valid = train_test_split(train, test_size=INNER_VALIDATION, stratify=stratify,
                                  random_state=settings.seed)
    probe = _estimator(settings.booster, params, seed=settings.seed,
                       rounds=settings.max_rounds, learning_rate=settings.learning_rate,
                       early_stopping=settings.early_stopping)
    extra = {"eval_set": [(X[valid], y[valid])]}
    if settings.booster == "lightgbm":
        import lightgbm

        extra["callbacks"] = [lightgbm.early_stopping(settings.early_stopping, verbose=False)]
    probe.fit(X[fit], y[fit], **extra)
    if settings.booster == "xgboost":
        return probe.best_iteration + 1
    return probe.best_iteration_ or settings.max_rounds


def _fit(X, y, train, params, settings: _Settings):
    """``(model, trees, seconds)``: trees chosen by early stopping, then refitted on ``train``."""
    start = time.perf_counter()
    trees = settings.max_rounds
    if settings.early_stopping:
        trees = _trees_by_early_stopping(X, y, train, params, settings)
    model = _estimator(settings.booster, params, seed=settings.seed, rounds=trees,
                       learning_rate=settings.learning_rate).fit(X[train], y[train])
    return model, trees, time.perf_counter() - start


def _fit_and_score(X, y, train, test, *, params, settings: _Settings):
    """One candidate on one fold: scores, fit time, trees, and out-of-fold probabilities."""
    from scipy.special import expit
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, roc_auc_score

    from focal_gbm.metrics import calibration_scores

    model, trees, seconds = _fit(X, y, train, params, settings)
    margin = model.decision_function(X[test])
    posterior = model.predict_proba(X[test])[:, 1]  # the posterior, predict_proba's default
    focal = expit(margin)
    scores = {
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
    return scores, {"posterior": posterior, "focal": focal}


def _fit_and_score_multilabel(X, Y, train, test, *, params, settings: _Settings):
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    model, trees, seconds = _fit(X, Y, train, params, settings)
    # Ranked by the margins: with a clip the posterior ties the rows below it.
    margin = model.decision_function(X[test])
    predicted = model.predict(X[test])
    truth = Y[test]
    both = [j for j in range(truth.shape[1]) if 0 < truth[:, j].sum() < truth.shape[0]]
    scores = {
        "macro_average_precision": float(np.mean(
            [average_precision_score(truth[:, j], margin[:, j]) for j in both])),
        "micro_average_precision": average_precision_score(truth[:, both], margin[:, both],
                                                           average="micro"),
        "macro_roc_auc": float(np.mean([roc_auc_score(truth[:, j], margin[:, j])
                                        for j in both])),
        "macro_f1": f1_score(truth, predicted, average="macro", zero_division=0.0),
        "micro_f1": f1_score(truth, predicted, average="micro", zero_division=0.0),
        "fit_seconds": seconds,
        "trees": trees,
    }
    return scores, {"margin": margin}


# ------------------------------------------------------------- cross-validation
def usable_cores() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _warm_up(X, y, candidates, settings: _Settings):
    """Fit every candidate once on a few rows, before anything is timed.

    The first fit of each kind in a process pays one-off costs (loading the
    booster's and the objective's compiled code): without this the table's
    fit times would charge them to whichever fits happen to run first.
    """
    labels = y if y.ndim == 1 else y[:, 0]
    rows = np.concatenate([np.flatnonzero(labels == value)[:20] for value in (0, 1)])
    with warnings.catch_warnings():  # a few rows: other labels may be constant there
        warnings.simplefilter("ignore")
        for _, params in candidates:
            _estimator(settings.booster, params, seed=settings.seed, rounds=2,
                       learning_rate=settings.learning_rate).fit(X[rows], y[rows])


def _cross_validate(candidates, splits, score, metrics, progress, n_jobs):
    """``score(train, test, params=...)`` of every (candidate, fold), in parallel threads.

    Returns the result rows (means, standard deviations and fold values of
    every metric) and each candidate's out-of-fold predictions (or None).
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    folds = len(splits)
    jobs = [(i, f) for i in range(len(candidates)) for f in range(folds)]
    scores, predictions = {}, {}
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
                scores[futures[future]], predictions[futures[future]] = future.result()
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
    results, out_of_fold = [], {}
    for i, (name, params) in enumerate(candidates):
        values = {m: [float(scores[(i, f)][m]) for f in range(folds)] for m in metrics}
        results.append({"name": name, **params,
                        **{m: float(np.mean(v)) for m, v in values.items()},
                        **{f"{m}_std": float(np.std(v)) for m, v in values.items()},
                        **{f"{m}_folds": v for m, v in values.items()}})
        if predictions[(i, 0)] is not None:
            n = sum(len(test) for _, test in splits)
            out_of_fold[name] = {kind: np.empty((n, *values_0.shape[1:]))
                                 for kind, values_0 in predictions[(i, 0)].items()}
            for f, (_, test) in enumerate(splits):
                for kind, values_f in predictions[(i, f)].items():
                    out_of_fold[name][kind][test] = values_f
    return results, out_of_fold


# -------------------------------------------------------------- the statistics
def mark_best(results: list[dict], metric: str = "average_precision", level: float = 0.05):
    """Mark the best mean ``metric`` and the candidates not distinguishable from it.

    All candidates are scored on the same folds, so they are compared with
    the best by a paired t-test over the folds: ``tied_with_best`` means its
    p-value is at least ``level`` (identical fold scores count as tied).
    Differences smaller than the fold-to-fold spread are not evidence.
    Sets ``best``, ``tied_with_best`` and ``p_value_vs_best`` on each row.
    """
    best, tied, p_values = best_and_tied(results, metric, level)
    for i, row in enumerate(results):
        row.update(best=i == best, tied_with_best=tied[i], p_value_vs_best=p_values[i])


def best_and_tied(results: list[dict], metric: str, level: float = 0.05):
    """``(best index, tied flags, p-values)`` of :func:`mark_best`, without changing rows."""
    from scipy.stats import ttest_rel

    best = max(range(len(results)), key=lambda i: results[i][metric])
    best_folds = np.asarray(results[best][f"{metric}_folds"])
    tied, p_values = [], []
    for i, row in enumerate(results):
        differences = best_folds - np.asarray(row[f"{metric}_folds"])
        if i == best or not np.any(differences):
            p_value = 1.0
        elif np.ptp(differences) == 0.0:  # the same difference on every fold: no noise
            p_value = 0.0
        else:
            p_value = float(ttest_rel(best_folds, row[f"{metric}_folds"]).pvalue)
        p_values.append(p_value)
        tied.append(i != best and p_value >= level)
    return best, tied, p_values


def paired_gain(folds, baseline_folds) -> tuple[float, float]:
    """``(mean, standard error)`` of the per-fold differences ``folds - baseline_folds``.

    The standard error is the sample standard deviation of the differences
    over the square root of their number (0 for identical fold scores).
    """
    differences = np.asarray(folds, dtype=np.float64) - np.asarray(baseline_folds,
                                                                   dtype=np.float64)
    if differences.size < 2:
        raise ValueError("a paired gain needs at least 2 folds")
    return (float(differences.mean()),
            float(differences.std(ddof=1) / math.sqrt(differences.size)))


def recommend(results: list[dict], *, metric: str = "average_precision",
              baseline: str = BASELINE, standard_errors: float = STANDARD_ERRORS) -> int:
    """Index of the recommended candidate: the steadiest gain beyond the noise, else the baseline.

    Every candidate's per-fold ``metric`` is compared with the baseline's on
    the same folds (:func:`paired_gain`). A candidate qualifies when its mean
    gain exceeds ``standard_errors`` standard errors of that gain; among
    those, the one whose gain is the most standard errors (the largest
    paired t statistic) is recommended, and the baseline when none
    qualifies. Sets ``gain_vs_baseline`` and ``gain_standard_error`` on each
    row.

    Why this rule: measured nested on the twelve shared datasets
    (``benchmarks/bench_recommend.py``), taking the best mean ("the winner")
    loses to cross entropy on small data, where it chases fold noise; the
    threshold drops most of those choices, and ranking the qualified gains
    by their t statistic rather than their size kept more of the held-out gain.
    """
    names = [row["name"] for row in results]
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not among the candidates {names}")
    base = names.index(baseline)
    chosen, chosen_t = base, 0.0
    for i, row in enumerate(results):
        gain, error = paired_gain(row[f"{metric}_folds"], results[base][f"{metric}_folds"])
        row["gain_vs_baseline"], row["gain_standard_error"] = gain, error
        if i == base or gain <= 0.0 or gain <= standard_errors * error:
            continue
        t = gain / error if error > 0.0 else math.inf  # better on every fold alike
        if t > chosen_t:
            chosen, chosen_t = i, t
    return chosen


# ------------------------------------------------------------- the result
@dataclass
class Recommendation:
    """The candidate :func:`compare` recommends, and the estimator that implements it."""

    candidate: str
    """The candidate's name, as in the table."""
    estimator: Any
    """An unfitted :class:`~focal_gbm.FocalXGBClassifier` / ``FocalLGBMClassifier`` with
    :attr:`params`: call ``fit`` on all your training rows."""
    params: dict
    """Constructor parameters of :attr:`estimator` (the trees as chosen in the table)."""
    reason: str
    """One line: why this candidate."""
    gain: float
    """Mean paired gain in the compared metric over cross entropy (0 for cross entropy)."""
    standard_error: float
    """Standard error of that gain over the folds."""

    def to_dict(self) -> dict:
        """``{"candidate", "estimator" (class name), "params", "reason", "gain",
        "standard_error"}``, as ``--json`` writes it."""
        return {"candidate": self.candidate, "estimator": type(self.estimator).__name__,
                "params": dict(self.params), "reason": self.reason, "gain": self.gain,
                "standard_error": self.standard_error}


@dataclass
class Comparison:
    """What :func:`compare` returns: the scores, the marks and the recommendation."""

    results: list[dict]
    """One dict per candidate: its parameters, the mean, standard deviation
    (``_std``) and per-fold values (``_folds``) of every metric, the marks
    ``best`` / ``tied_with_best`` / ``recommended``, and the paired gain over
    cross entropy (``gain_vs_baseline``, ``gain_standard_error``)."""
    recommended: Recommendation
    metric: str
    """The metric the marks and the recommendation use."""
    booster: str
    folds: int
    seed: int
    y: np.ndarray = field(repr=False)
    """The target the folds were drawn from."""
    out_of_fold: dict = field(default_factory=dict, repr=False)
    """Each candidate's out-of-fold predictions: ``{"posterior", "focal"}``
    probabilities for a binary target (what the reliability panel of
    :meth:`plot` draws), ``{"margin"}`` of shape (n, n_labels) for a
    multi-label one."""

    @property
    def multilabel(self) -> bool:
        return self.y.ndim == 2

    def to_dict(self) -> dict:
        """The results and the recommendation as plain JSON-ready values."""
        return {"booster": self.booster, "folds": self.folds, "seed": self.seed,
                "metric": self.metric, "recommended": self.recommended.to_dict(),
                "results": self.results}

    def table(self) -> str:
        """The table ``focal-gbm compare`` prints (see :func:`format_table`)."""
        return format_table(self)

    def plot(self, path: str | os.PathLike, title: str = "") -> None:
        """Save the comparison figure (PNG): bars of the ranking metrics with the
        candidates' marks and, for a binary target, the reliability of cross entropy
        and of a focal candidate's focal and posterior probabilities."""
        _save_figure(self, Path(path), title)


def compare(X, y, *, booster: str = "xgboost", folds: int = 5, seed: int = 0,
            progress: bool = False, n_jobs: int | None = None,
            early_stopping: int | None = EARLY_STOPPING, max_rounds: int = MAX_ROUNDS,
            learning_rate: float = LEARNING_RATE,
            standard_errors: float = STANDARD_ERRORS) -> Comparison:
    """Cross-validate cross entropy and focal loss on ``(X, y)`` and recommend one.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features (floats; NaN for missing values).
    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        0/1 labels. 1-D: the binary candidates (:data:`CANDIDATES`, stratified
        folds); 2-D: a multi-label target and :data:`MULTILABEL_CANDIDATES`
        (shuffled folds), compared by macro average precision.
    booster : {"xgboost", "lightgbm"}, default="xgboost"
    folds : int, default=5
        Cross-validation folds (at least 2).
    seed : int, default=0
        Seed of the folds and of every fit.
    progress : bool, default=False
        Show a progress bar on standard error.
    n_jobs : int, optional
        Fits at the same time (default: the usable CPU cores); each fit runs
        its booster on one thread.
    early_stopping : int or None, default=20
        Each fit's number of trees comes from a probe that holds out 20% of
        the training rows and stops after this many rounds without
        improvement of the focal loss there; the model scored is refitted on
        all training rows with that many trees. ``None`` or 0 trains
        ``max_rounds`` trees, as do multi-label targets.
    max_rounds : int, default=200
        Boosting rounds at most.
    learning_rate : float, default=0.05
    standard_errors : float, default=1.0
        The recommendation rule's threshold (:func:`recommend`).

    Returns
    -------
    Comparison
        ``results`` (one dict per candidate) and ``recommended``, whose
        ``estimator`` is ready to ``fit``.

    Raises
    ------
    InputError
        When a class has too few rows for the folds, or an option is out of range.

    Examples
    --------
    >>> from focal_gbm.comparison import compare
    >>> from focal_gbm.datasets import make_imbalanced
    >>> X, y = make_imbalanced(400)
    >>> comparison = compare(X, y, folds=3, max_rounds=30)
    >>> comparison.recommended.candidate in [row["name"] for row in comparison.results]
    True
    >>> model = comparison.recommended.estimator.fit(X, y)
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if booster not in _ESTIMATORS:
        raise InputError(f"booster must be 'xgboost' or 'lightgbm', got {booster!r}")
    for name, value, low in (("folds", folds, 2), ("max_rounds", max_rounds, 1)):
        if not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{name} must be an integer >= {low}, got {value!r}")
    if not (isinstance(learning_rate, (int, float)) and 0.0 < learning_rate <= 1.0):
        raise InputError(f"learning_rate must lie in (0, 1], got {learning_rate!r}")
    if n_jobs is not None and n_jobs < 1:
        raise InputError(f"n_jobs must be at least 1, got {n_jobs}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    multilabel = y.ndim == 2 and y.shape[1] > 1
    y = y.reshape(len(y), -1) if multilabel else y.reshape(-1)
    if early_stopping is not None and early_stopping < 0:
        raise InputError(f"early_stopping must be >= 0 (0: off), got {early_stopping}")
    # Multi-label fits train every round: one booster per label (LightGBM) has
    # no single validation score to stop on.
    early_stopping = None if multilabel else early_stopping or None
    positives = y.sum(axis=0)
    rare = int(np.min(np.minimum(positives, len(y) - positives)))
    needed = folds * (2 if early_stopping else 1)  # and some in each inner validation split
    if rare < needed:
        what = "the minority class" if not multilabel else "a target column's rarer value"
        raise InputError(f"{what} has {rare} rows; {folds} folds need at least {needed}")
    settings = _Settings(booster, seed, max_rounds, learning_rate, early_stopping)
    if multilabel:
        candidates, metrics, score = (MULTILABEL_CANDIDATES, MULTILABEL_METRICS,
                                      _fit_and_score_multilabel)
        splitter = KFold(folds, shuffle=True, random_state=seed)
    else:
        candidates, metrics, score = CANDIDATES, METRICS, _fit_and_score
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    metric = metrics[0]  # (macro) average precision: the marks and the recommendation
    splits = list(splitter.split(X, y))
    _warm_up(X, y, candidates, settings)
    results, out_of_fold = _cross_validate(
        candidates, splits, partial(score, X, y, settings=settings), metrics, progress, n_jobs)
    mark_best(results, metric=metric)
    chosen = recommend(results, metric=metric, standard_errors=standard_errors)
    for i, row in enumerate(results):
        row["recommended"] = i == chosen
    recommendation = _recommendation(results, chosen, candidates[chosen][1], settings, metric,
                                     standard_errors)
    return Comparison(results, recommendation, metric, booster, folds, seed, y, out_of_fold)


def _recommendation(results: list[dict], chosen: int, params: dict, settings: _Settings,
                    metric: str, standard_errors: float) -> Recommendation:
    row = results[chosen]
    trees = max(1, int(round(row["trees"])))
    kwargs = estimator_params(settings.booster, params, n_estimators=trees,
                              learning_rate=settings.learning_rate, seed=settings.seed)
    label = _METRIC_LABELS[metric][1]
    if row["name"] == BASELINE:
        others = [r for r in results if r["name"] != BASELINE]
        closest = max(others, key=lambda r: r["gain_vs_baseline"])
        reason = (f"{BASELINE}: no candidate beats it beyond the fold noise (closest: "
                  f"{closest['name']}, {closest['gain_vs_baseline']:+.4f} {label}, "
                  f"{_in_errors(closest)})")
    else:
        reason = (f"{row['name']}: {row['gain_vs_baseline']:+.4f} {label} over {BASELINE}, "
                  f"{_in_errors(row)} (paired over {len(row[f'{metric}_folds'])} folds; "
                  f"needs > {standard_errors:g})")
    return Recommendation(row["name"], estimator_class(settings.booster)(**kwargs), kwargs,
                          reason, row["gain_vs_baseline"], row["gain_standard_error"])


def _in_errors(row: dict) -> str:
    error = row["gain_standard_error"]
    if error == 0.0:
        return "the same on every fold" if row["gain_vs_baseline"] == 0 else "no fold noise"
    return f"{row['gain_vs_baseline'] / error:.1f} standard errors"


# ------------------------------------------------------------- tables
_METRIC_LABELS = {
    "average_precision": ("avg prec", "average precision"),
    "roc_auc": ("ROC AUC", "ROC AUC"),
    "balanced_accuracy": ("bal acc", "balanced accuracy"),
    "macro_average_precision": ("macro AP", "macro average precision"),
    "micro_average_precision": ("micro AP", "micro average precision"),
    "macro_roc_auc": ("macro AUC", "macro ROC AUC"),
    "macro_f1": ("macro F1", "macro F1"),
    "micro_f1": ("micro F1", "micro F1"),
}
# The table's metric columns: (metric, with its standard deviation).
_COLUMNS = {
    False: (("average_precision", True), ("roc_auc", True), ("balanced_accuracy", True)),
    True: (("macro_average_precision", True), ("micro_average_precision", False),
           ("macro_roc_auc", False), ("macro_f1", False), ("micro_f1", False)),
}
# The bar panels of the figure.
_PANELS = {False: ("average_precision", "roc_auc"),
           True: ("macro_average_precision", "macro_roc_auc")}
_NOTES = {
    False: ["trees: kept after early stopping (mean over folds)."],
    True: ["macro: mean over labels; micro: pooled. AP and AUC rank by the margins, F1 is "
           "that of predict (the threshold each loss implies).",
           "ASL: asymmetric loss, g+ / g- the positive / negative focusing, clip the "
           "probability margin."],
}


def _mark(row: dict) -> str:
    """``*`` for the best candidate, ``=`` for those not distinguishable from it."""
    return "*" if row["best"] else "=" if row["tied_with_best"] else " "


def _mean_std(row: dict, metric: str) -> str:
    return f"{row[metric]:.4f} +- {row[f'{metric}_std']:.4f}"


def format_table(comparison: Comparison) -> str:
    """The comparison as text: scores, marks, the recommendation and, for a binary
    target, the calibration of each candidate's probabilities."""
    results = comparison.results
    columns = _COLUMNS[comparison.multilabel]
    label = _METRIC_LABELS[comparison.metric]
    width = max(34, *(len(row["name"]) for row in results))
    cells = [(_METRIC_LABELS[m][0], 17 if std else 9,
              (lambda row, m=m: _mean_std(row, m)) if std
              else (lambda row, m=m: f"{row[m]:.4f}")) for m, std in columns]
    cells += [("vs CE (t)", 16,
               lambda row: f"{row['gain_vs_baseline']:+.4f} ({_in_se(row)})"),
              ("trees", 5, lambda row: f"{row['trees']:.0f}"),
              ("fit s", 6, lambda row: f"{row['fit_seconds']:.2f}")]
    header = f"  {'setting':{width}s}" + "".join(f" {name:>{w}s}" for name, w, _ in cells)
    lines = [header, "  " + "-" * (len(header) - 2)]
    for row in results:
        line = f"{_mark(row)} {row['name']:{width}s}" + "".join(
            f" {cell(row):>{w}s}" for _, w, cell in cells)
        lines.append(line + ("  <- recommended" if row["recommended"] else ""))
    lines.append(f"mean +- standard deviation over the {comparison.folds} folds; "
                 + " ".join(_NOTES[comparison.multilabel]))
    lines.append(f"* best {label[1]}; = not distinguishable from it (paired t-test over the "
                 f"folds, p >= 0.05). vs CE (t): mean paired gain in {label[1]} over "
                 f"{BASELINE} (in standard errors).")
    lines += ["", f"Recommended: {comparison.recommended.reason}"]
    if not comparison.multilabel:
        lines += ["", *_calibration_lines(results, width)]
    return "\n".join(lines)


def _in_se(row: dict) -> str:
    error = row["gain_standard_error"]
    return "-" if error == 0.0 else f"{row['gain_vs_baseline'] / error:+.1f}"


def _calibration_lines(results: list[dict], width: int) -> list[str]:
    names = {"log_loss": "log loss", "brier": "Brier", "ece": "ECE"}
    header = f"  {'setting':{width}s}" + "".join(f" {names[m]:>19s}" for m in CALIBRATION)
    lines = ["Calibration (lower is better; mean over the folds):", "", header,
             f"  {'':{width}s}" + f" {'posterior':>9s} {'focal':>9s}" * len(CALIBRATION),
             "  " + "-" * (len(header) - 2)]
    for row in results:
        lines.append(f"  {row['name']:{width}s}" + "".join(
            f" {row[m]:9.4f} {row[f'{m}_focal']:9.4f}" for m in CALIBRATION))
    lines.append("posterior: the class probability behind the focal margin, what "
                 "predict_proba returns; focal: sigmoid of the margin, pulled towards 1/2 by "
                 "gamma and shifted by alpha. ECE: 10 equal-width bins.")
    return lines


# ------------------------------------------------------------- the figure
_COLOURS = {"recommended": "#1b7837", "best": "#d9622b", "tied": "#e8a87c", "other": "#4a74a8"}


def _save_figure(comparison: Comparison, path: Path, title: str):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("plotting needs matplotlib: pip install matplotlib") from None
    fig = figure(comparison, title, plt)
    try:
        fig.savefig(path, dpi=90)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    finally:
        plt.close(fig)


def figure(comparison: Comparison, title: str, plt):
    """The comparison figure on ``plt`` (matplotlib.pyplot); see :meth:`Comparison.plot`.

    One bar panel per ranking metric (mean +- standard deviation, the table's
    order from the top), each coloured by its own paired t-test against its
    best candidate, the recommended candidate in green; for a binary target,
    a reliability panel (out-of-fold probabilities in ten equal-count bins).
    """
    from matplotlib.patches import Patch

    results = comparison.results
    metrics = _PANELS[comparison.multilabel]
    panels = len(metrics) + (0 if comparison.multilabel else 1)
    names = [r["name"] for r in results]
    height = max(3.5, 0.35 * len(names) + 2.2)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, height))
    for ax, metric in zip(axes, metrics):
        best, tied, _ = best_and_tied(results, metric)
        colours = [_COLOURS["recommended"] if r["recommended"] and metric == comparison.metric
                   else _COLOURS["best"] if i == best
                   else _COLOURS["tied"] if tied[i] else _COLOURS["other"]
                   for i, r in enumerate(results)]
        values = np.array([r[metric] for r in results])
        errors = np.array([r.get(f"{metric}_std", 0.0) for r in results])
        ax.barh(names, values, xerr=errors, color=colours)
        span = max(values + errors) - min(values - errors)
        pad = max(0.01, 0.05 * span)
        # The whole of every error bar stays visible.
        ax.set_xlim(max(0.0, min(values - errors) - pad), max(values + errors) + pad)
        ax.set_xlabel(f"{_METRIC_LABELS[metric][1]} (mean +- std over folds)")
        ax.invert_yaxis()
    for ax in axes[1:len(metrics)]:
        ax.set_yticklabels([])
    legend = [Patch(color=_COLOURS["recommended"], label="recommended"),
              Patch(color=_COLOURS["best"], label="best mean (this panel)"),
              Patch(color=_COLOURS["tied"], label="not distinguishable from it (p >= 0.05)"),
              Patch(color=_COLOURS["other"], label="worse than the best")]
    fig.legend(handles=legend, loc="lower center", ncol=len(legend), fontsize="small",
               frameon=False)
    if not comparison.multilabel:
        _reliability(axes[-1], comparison)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # room for the legend below the panels
    return fig


def _reliability(ax, comparison: Comparison):
    """Observed rate against predicted probability: cross entropy, and a focal
    candidate's focal and posterior probabilities."""
    focal_rows = [r for r in comparison.results if r["name"].startswith("focal")]
    recommended = next(r for r in comparison.results
                       if r["name"] == comparison.recommended.candidate)
    shown = recommended if recommended["name"].startswith("focal") else max(
        focal_rows, key=lambda r: r[comparison.metric])
    curves = [(BASELINE, comparison.out_of_fold[BASELINE]["posterior"], "#333333", "-"),
              (f"{shown['name']}: focal", comparison.out_of_fold[shown["name"]]["focal"],
               _COLOURS["best"], "--"),
              (f"{shown['name']}: posterior",
               comparison.out_of_fold[shown["name"]]["posterior"], _COLOURS["recommended"], "-")]
    top = 0.0
    for label, proba, colour, style in curves:
        predicted, observed = _binned(comparison.y, proba)
        ax.plot(predicted, observed, style, marker="o", color=colour, label=label)
        top = max(top, predicted.max(), observed.max())
    top = min(1.0, 1.05 * top)
    ax.plot([0, top], [0, top], ":", color="grey", label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("predicted probability (out of fold, mean per bin)")
    ax.set_ylabel("observed positive rate")
    ax.set_title("reliability (10 equal-count bins)", fontsize="medium")
    ax.legend(loc="upper left", fontsize="small")


def _binned(y, proba, bins: int = 10):
    order = np.argsort(proba, kind="stable")
    groups = np.array_split(order, bins)
    return (np.array([proba[g].mean() for g in groups]),
            np.array([y[g].mean() for g in groups]))
