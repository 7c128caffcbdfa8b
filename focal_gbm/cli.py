"""``focal-gbm compare``: cross entropy vs focal loss on your own data, in one command.

    focal-gbm compare                        # the built-in 90:10 demo dataset
    focal-gbm compare data.csv --target y    # your data (CSV or Parquet)

Argument parsing and printing only: the comparison, its statistics, the
recommendation, the table and the figure are :mod:`focal_gbm.comparison`'s.
Errors in the input are reported on one line with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__, comparison
from .comparison import EARLY_STOPPING, INNER_VALIDATION, LEARNING_RATE, MAX_ROUNDS, InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="focal-gbm",
                                     description="Focal loss for gradient boosting.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    cmp = commands.add_parser(
        "compare", help="cross-validate cross entropy vs focal loss and recommend one",
        description="Stratified cross-validation of cross entropy, class-weighted cross "
                    "entropy and focal loss (a grid of gamma and alpha), and a "
                    "recommendation: the candidate whose paired gain in average precision "
                    "over cross entropy exceeds its standard error, else cross entropy. "
                    "Without DATA it runs on a built-in 2-feature dataset with a 90:10 "
                    "class ratio.")
    cmp.add_argument("data", nargs="?", type=Path, help="a .csv or .parquet file")
    cmp.add_argument("--target", action="append",
                     help="name of the binary target column (required with DATA); give it "
                          "several times for a multi-label target (one 0/1 column per "
                          "label): then the asymmetric loss (ASL) is compared too")
    cmp.add_argument("--booster", choices=("xgboost", "lightgbm"), default="xgboost")
    cmp.add_argument("--folds", type=int, default=5,
                     help="cross-validation folds (default: %(default)s)")
    cmp.add_argument("--seed", type=int, default=0)
    cmp.add_argument("--n-jobs", type=int, metavar="N",
                     help="fits run at the same time (default: the usable CPU cores)")
    cmp.add_argument("--max-rounds", type=int, default=MAX_ROUNDS, metavar="N",
                     help="boosting rounds of each fit at most (default: %(default)s)")
    cmp.add_argument("--learning-rate", type=float, default=LEARNING_RATE, metavar="RATE",
                     help="every candidate's learning rate (default: %(default)s)")
    # (argparse %-formats help texts: a literal percent sign is written %%.)
    cmp.add_argument("--early-stopping", type=int, default=EARLY_STOPPING, metavar="ROUNDS",
                     help=f"choose each fit's trees by stopping after ROUNDS rounds without "
                          f"improvement on {INNER_VALIDATION:.0%}% of its training rows, then "
                          f"refit; 0 trains all --max-rounds rounds (default: %(default)s)")
    cmp.add_argument("--plot", type=Path, metavar="FILE", help="save a comparison figure (PNG)")
    cmp.add_argument("--json", type=Path, metavar="FILE",
                     help="save results and the recommendation as JSON")
    cmp.add_argument("--no-progress", action="store_true",
                     help="hide the progress bar (shown only on a terminal)")
    return parser


def _check_options(args):
    for option, value, low in (("--folds", args.folds, 2), ("--n-jobs", args.n_jobs, 1),
                               ("--max-rounds", args.max_rounds, 1)):
        if value is not None and value < low:
            raise InputError(f"{option} must be at least {low}, got {value}")
    if args.early_stopping < 0:
        raise InputError(f"--early-stopping must be >= 0 (0: off), got {args.early_stopping}")
    if not 0.0 < args.learning_rate <= 1.0:
        raise InputError(f"--learning-rate must lie in (0, 1], got {args.learning_rate}")


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


def _json_value(value):
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _load(args) -> tuple:
    """``(table, source, description of the target)`` from the arguments."""
    targets = args.target or []
    if args.data is None:
        if targets:
            raise InputError("--target needs a data file")
        from focal_gbm.datasets import make_imbalanced

        X, y = make_imbalanced(2000, random_state=args.seed)
        table = comparison.Table(X, y, 1, [])
        return table, "built-in 90:10 demo dataset (2000 rows, 2 features)", {
            "positive_class": 1}
    if not targets:
        raise InputError("--target COLUMN is required with a data file")
    table = comparison.load_table(args.data, targets[0] if len(targets) == 1 else targets)
    if len(targets) == 1:
        return table, str(args.data), {"positive_class": _json_value(table.positive)}
    return table, str(args.data), {"targets": targets,
                                   "positive_values": [_json_value(p) for p in table.positive]}


def run_compare(args) -> int:
    _check_options(args)
    table, source, target = _load(args)
    for path, option in ((args.json, "--json"), (args.plot, "--plot")):
        if path is not None:
            _check_writable(path, option)
    for note in table.notes:
        print(f"note: {note}", file=sys.stderr)
    y = table.y
    if y.ndim == 1:
        print(f"data: {source}; positive class {table.positive!r}: {int(y.sum())} of "
              f"{len(y)} rows ({100 * y.mean():.1f}%)")
    else:
        rates = ", ".join(f"{t} {100 * y[:, j].mean():.1f}%" for j, t in enumerate(args.target))
        print(f"data: {source}; {y.shape[1]} labels, positive rates: {rates}; {len(y)} rows")
    stopping = (f"trees chosen by early stopping ({args.early_stopping} rounds) on "
                f"{INNER_VALIDATION:.0%} of each training fold"
                if args.early_stopping and y.ndim == 1
                else "no early stopping" if y.ndim == 1
                else "no early stopping for multi-label targets")
    n_jobs = args.n_jobs or comparison.usable_cores()
    folds = "stratified " if y.ndim == 1 else ""
    print(f"booster: {args.booster}, at most {args.max_rounds} rounds, learning rate "
          f"{args.learning_rate:g}, {stopping}; {folds}{args.folds}-fold CV (seed {args.seed}), "
          f"{n_jobs} fits at a time\n")
    result = comparison.compare(
        table.X, y, booster=args.booster, folds=args.folds, seed=args.seed,
        progress=not args.no_progress and sys.stderr.isatty(), n_jobs=n_jobs,
        early_stopping=args.early_stopping or None, max_rounds=args.max_rounds,
        learning_rate=args.learning_rate)
    print(result.table())
    if args.json:
        payload = {"data": source, **target, **result.to_dict()}
        try:
            args.json.write_text(json.dumps(payload, indent=2))
        except OSError as error:
            raise InputError(f"cannot write {args.json}: {error.strerror}") from None
    if args.plot:
        result.plot(args.plot, f"{source} - {args.booster}")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run_compare(args)
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
