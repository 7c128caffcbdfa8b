"""Does `compare`'s recommendation beat cross entropy on data it has not seen? Nested CV.

    python benchmarks/bench_recommend.py            # writes results/recommend.{md,csv}
    python benchmarks/bench_recommend.py --quick    # 3 datasets, one booster
    python benchmarks/bench_recommend.py --multilabel   # yeast, per label vs one for all

For every dataset and booster, an outer stratified 5-fold split gives the
held-out score; on each outer training fold, `focal_gbm.comparison.compare`
runs exactly as `focal-gbm compare` does (5 inner folds, seed 0, early
stopping) and every candidate's estimator, with the trees its table row
chose, is fitted on the whole outer training fold and scored (average
precision) on the outer test fold. A rule for choosing the loss then only
picks, from the inner results, which of those held-out scores counts; so
every rule is compared on the same fits:

- always cross entropy;
- the `*` winner (best mean inner average precision);
- the winner if its paired inner gain over cross entropy exceeds one
  standard error (SE), else cross entropy;
- among the candidates whose gain exceeds `z` standard errors, the largest
  gain, else cross entropy, for several `z`;
- among those, the gain of the most standard errors (the largest paired t
  statistic), else cross entropy: `compare`'s rule, its `z` is
  `comparison.STANDARD_ERRORS`.

Per-fit records go to `results/recommend.csv` (or `recommend_multilabel.csv`),
so the rules can be re-read without refitting (`--from-csv`).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

from focal_gbm import comparison  # noqa: E402

RESULTS = Path(__file__).parent / "results"
MULTILABEL_DATA = _common.DATA_DIR.parent / "multilabel" / "yeast.csv"
OUTER_FOLDS = 5
Z_VALUES = (0.5, 1.0, 1.5, 2.0)


def _held_out(booster, candidates, rows, X, y, train, test, score):
    """Each candidate's estimator (trees as its row chose) fitted on ``train``, scored on
    ``test``."""
    def one(index):
        name, params = candidates[index]
        kwargs = comparison.estimator_params(
            booster, params, n_estimators=max(1, round(rows[index]["trees"])))
        model = comparison.estimator_class(booster)(n_jobs=1, **kwargs).fit(X[train], y[train])
        return score(y[test], model.decision_function(X[test]))

    with ThreadPoolExecutor(max_workers=comparison.usable_cores()) as pool:
        return list(pool.map(one, range(len(candidates))))


def _average_precision(y_true, margin):
    from sklearn.metrics import average_precision_score

    return average_precision_score(y_true, margin)


def run_binary(datasets, boosters, started, csv_path: Path) -> list[dict]:
    from sklearn.model_selection import StratifiedKFold

    records = []
    for booster in boosters:
        for name in datasets:
            X, y = _common.load(name)
            y = y.astype(np.int64)
            outer = StratifiedKFold(OUTER_FOLDS, shuffle=True, random_state=0).split(X, y)
            for fold, (train, test) in enumerate(outer):
                result = comparison.compare(X[train], y[train], booster=booster)
                held = _held_out(booster, comparison.CANDIDATES, result.results, X, y, train,
                                 test, _average_precision)
                for row, outer_ap in zip(result.results, held):
                    records.append({"booster": booster, "dataset": name, "outer_fold": fold,
                                    "candidate": row["name"], "label": "",
                                    "inner_folds": json.dumps(row["average_precision_folds"]),
                                    "trees": row["trees"], "held_out": outer_ap})
                print(f"{time.perf_counter() - started:7.0f}s {booster:8s} {name:20s} "
                      f"fold {fold}: recommended {result.recommended.candidate}", flush=True)
            _common.write_csv(csv_path, records)  # a long run keeps what it has
    return records


def run_multilabel(boosters, started) -> list[dict]:
    """yeast (14 labels): inner per-label fold scores from compare's out-of-fold margins."""
    import pandas as pd
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import KFold

    frame = pd.read_csv(MULTILABEL_DATA)
    labels = [c for c in frame.columns if c.startswith("label")] or list(frame.columns[-14:])
    table = comparison.prepare_multilabel(frame, labels)
    X, Y = table.X, table.y
    records = []
    for booster in boosters:
        outer = KFold(OUTER_FOLDS, shuffle=True, random_state=0).split(X)
        for fold, (train, test) in enumerate(outer):
            result = comparison.compare(X[train], Y[train], booster=booster)
            inner = list(KFold(result.folds, shuffle=True, random_state=result.seed)
                         .split(X[train]))

            def per_label(y_true, margin):
                return [average_precision_score(y_true[:, j], margin[:, j])
                        for j in range(y_true.shape[1])]

            held = _held_out(booster, comparison.MULTILABEL_CANDIDATES, result.results, X, Y,
                             train, test, per_label)
            for row, outer_ap in zip(result.results, held):
                margin = result.out_of_fold[row["name"]]["margin"]
                for j, label in enumerate(labels):
                    folds = [average_precision_score(Y[train][t, j], margin[t, j])
                             for _, t in inner]
                    records.append({"booster": booster, "dataset": "yeast (multi-label)",
                                    "outer_fold": fold, "candidate": row["name"],
                                    "label": label, "inner_folds": json.dumps(folds),
                                    "trees": row["trees"], "held_out": outer_ap[j]})
            print(f"{time.perf_counter() - started:7.0f}s {booster:8s} yeast fold {fold}: "
                  f"recommended {result.recommended.candidate}", flush=True)
    return records


# ----------------------------------------------------------------- the rules
def _gains(rows):
    comparison.recommend(rows)  # sets gain_vs_baseline and gain_standard_error
    return [(row["gain_vs_baseline"], row["gain_standard_error"]) for row in rows]


def _rules():
    """(name, rule): a rule maps compare's result rows (CE first) to the chosen index."""
    def winner(rows):
        return max(range(len(rows)), key=lambda i: rows[i]["average_precision"])

    def winner_if_beyond(rows):
        best = winner(rows)
        gain, error = _gains(rows)[best]
        return best if best and gain > max(0.0, error) else 0

    def largest_gain_beyond(z):
        def rule(rows):
            qualified = [(gain, i) for i, (gain, error) in enumerate(_gains(rows))
                         if i and gain > 0 and gain > z * error]
            return max(qualified)[1] if qualified else 0
        return rule

    def most_errors_beyond(z):  # compare's rule, recommend(standard_errors=z)
        return lambda rows: comparison.recommend(rows, standard_errors=z)

    return [("always cross entropy", lambda rows: 0),
            ("the * winner", winner),
            ("the winner if its gain > 1 SE, else CE", winner_if_beyond),
            *[(f"largest gain > {z:g} SE, else CE", largest_gain_beyond(z)) for z in Z_VALUES],
            *[(f"most SE among gains > {z:g} SE, else CE", most_errors_beyond(z))
              for z in Z_VALUES]]


# The rules the per-dataset table shows (the summary shows all).
DETAIL = ("the * winner", "the winner if its gain > 1 SE, else CE",
          "most SE among gains > 1 SE, else CE")


def _inner_rows(group: list[dict]) -> list[dict]:
    """compare's result rows (name, mean and fold average precision) of one outer fold."""
    rows = []
    for record in group:
        folds = json.loads(record["inner_folds"])
        rows.append({"name": record["candidate"], "average_precision": float(np.mean(folds)),
                     "average_precision_folds": folds})
    return rows


def evaluate(records: list[dict], unit: str) -> tuple[str, dict]:
    """Mean held-out AP of each rule per (booster, dataset) and against cross entropy.

    ``unit`` is what one rule application chooses for: "dataset" (binary, or
    one loss for all labels by their mean AP) or "label" (multi-label, per label).
    """
    from collections import defaultdict

    groups = defaultdict(list)  # (booster, dataset, label, fold) -> records in candidate order
    for r in records:
        groups[(r["booster"], r["dataset"], r["label"], int(r["outer_fold"]))].append(r)
    if unit == "all labels":  # one choice for all labels: average the labels' fold scores
        merged = defaultdict(dict)
        for (booster, dataset, _, fold), group in groups.items():
            for r in group:
                entry = merged[(booster, dataset, "", fold)].setdefault(
                    r["candidate"], {"candidate": r["candidate"], "folds": [], "held": []})
                entry["folds"].append(json.loads(r["inner_folds"]))
                entry["held"].append(float(r["held_out"]))
        groups = {key: [{"candidate": e["candidate"],
                         "inner_folds": json.dumps(np.mean(e["folds"], axis=0).tolist()),
                         "held_out": float(np.mean(e["held"]))} for e in value.values()]
                  for key, value in merged.items()}
    per_dataset = defaultdict(lambda: defaultdict(list))  # rule -> (booster, dataset) -> APs
    choices = defaultdict(lambda: defaultdict(int))
    for (booster, dataset, label, fold), group in groups.items():
        rows = _inner_rows(group)
        for rule_name, rule in _rules():
            chosen = rule(rows)
            choices[rule_name][rows[chosen]["name"] != comparison.BASELINE] += 1
            per_dataset[rule_name][(booster, dataset)].append(float(group[chosen]["held_out"]))
    return per_dataset, choices


def report(per_dataset, choices, title: str) -> tuple[str, list[list]]:
    base = {k: np.mean(v) for k, v in per_dataset["always cross entropy"].items()}
    keys = sorted(base)
    summary = []
    for rule_name in per_dataset:
        means = {k: np.mean(per_dataset[rule_name][k]) for k in keys}
        diffs = np.array([means[k] - base[k] for k in keys])
        chosen = choices[rule_name]
        summary.append([rule_name, float(np.mean(list(means.values()))), float(diffs.mean()),
                        int((diffs > 1e-12).sum()), int((diffs < -1e-12).sum()),
                        float(diffs.min()), f"{chosen[True]} of {chosen[True] + chosen[False]}"])
    header = ["rule", "mean held-out AP", "vs CE", "better than CE", "worse than CE",
              "worst difference", "not CE chosen"]
    lines = [f"### {title}", "", _common.markdown_table(header, summary), ""]
    detail_header = ["booster", "dataset", "always cross entropy",
                     *[f"{name} (vs CE)" for name in DETAIL]]
    detail = []
    for k in keys:
        row = [k[0], k[1], float(base[k])]
        row += [f"{np.mean(per_dataset[name][k]) - base[k]:+.4f}" for name in DETAIL]
        detail.append(row)
    lines += ["<details><summary>per dataset</summary>", "",
              _common.markdown_table(detail_header, detail), "", "</details>", ""]
    return "\n".join(lines), summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 datasets, XGBoost only")
    parser.add_argument("--multilabel", action="store_true",
                        help="yeast multi-label instead of the twelve binary datasets")
    parser.add_argument("--boosters", nargs="+", default=["xgboost", "lightgbm"])
    parser.add_argument("--from-csv", action="store_true",
                        help="re-read the saved per-fit records instead of refitting")
    args = parser.parse_args()
    stem = "recommend_multilabel" if args.multilabel else "recommend"
    stem += "_quick" if args.quick else ""
    csv_path = RESULTS / f"{stem}.csv"
    started = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    if args.from_csv:
        with open(csv_path, newline="") as f:
            records = list(csv.DictReader(f))
    elif args.multilabel:
        records = run_multilabel(args.boosters, started)
    else:
        datasets = _common.dataset_names()
        boosters = args.boosters
        if args.quick:
            datasets, boosters = datasets[:3], boosters[:1]
        records = run_binary(datasets, boosters, started, csv_path)
    if not args.from_csv:
        _common.write_csv(csv_path, records)
    lines = [f"Machine: {_common.machine()}.", "",
             f"Nested: outer stratified {OUTER_FOLDS}-fold (seed 0) for the held-out score; "
             f"`compare` with its defaults ({comparison.MAX_ROUNDS} rounds at most, learning "
             f"rate {comparison.LEARNING_RATE}, early stopping {comparison.EARLY_STOPPING}, "
             f"5 inner folds) on each outer training fold for the choice. Mean held-out average "
             f"precision per dataset (mean over the outer folds); `vs CE` its mean difference "
             f"from always using cross entropy; better / worse: datasets. "
             + (f"Records re-read from results/{csv_path.name}." if args.from_csv
                else f"Wall time {time.perf_counter() - started:.0f} s."), ""]
    units = ["all labels", "label"] if args.multilabel else ["dataset"]
    boosters = sorted({r["booster"] for r in records})
    for booster in boosters + (["both boosters"] if len(boosters) > 1 else []):
        chosen = [r for r in records if booster == "both boosters" or r["booster"] == booster]
        for unit in units:
            per_dataset, choices = evaluate(chosen, unit)
            what = f", one choice per {unit}" if args.multilabel else ""
            text, _ = report(per_dataset, choices, f"{booster}{what}")
            lines.append(text)
    text = "\n".join(lines)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
