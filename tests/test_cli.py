"""The focal-gbm command: real runs on tiny data, and one-line errors on bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pd = pytest.importorskip("pandas")

from focal_gbm import cli, comparison  # noqa: E402


@pytest.fixture
def tiny_csv(tmp_path, rng):
    n = 160
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    frame = pd.DataFrame({
        "x1": x1,
        "x2": x2,
        "colour": rng.choice(["red", "green", "blue"], size=n),
        "flag": rng.integers(0, 2, size=n).astype(bool),
        "outcome": np.where(x1 + 0.5 * rng.normal(size=n) > 1.0, "fraud", "ok"),
    })
    frame.loc[::9, "x2"] = np.nan
    path = tmp_path / "tiny.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_compare_on_a_csv_prints_a_table_and_writes_json_and_plot(tiny_csv, tmp_path, capsys):
    path, frame = tiny_csv
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    code = cli.main(["compare", str(path), "--target", "outcome", "--folds", "3",
                     "--booster", "lightgbm", "--json", str(out_json), "--plot", str(out_png)])
    assert code == 0
    printed = capsys.readouterr()
    assert "positive class 'fraud'" in printed.out  # the minority class
    assert "encoded as 3 categories" in printed.err
    rows = json.loads(out_json.read_text())["results"]
    assert len(rows) == len(comparison.CANDIDATES)
    assert sum(r["best"] for r in rows) == 1
    best = max(rows, key=lambda r: r["average_precision"])
    assert best["best"] and f"* {best['name']}" in printed.out
    for row in rows:
        assert 0.0 <= row["average_precision"] <= 1.0 and row["fit_seconds"] > 0
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parquet_input(tiny_csv, tmp_path, capsys):
    pytest.importorskip("pyarrow")
    _, frame = tiny_csv
    path = tmp_path / "tiny.parquet"
    frame.to_parquet(path)
    assert cli.main(["compare", str(path), "--target", "outcome", "--folds", "2"]) == 0


@pytest.mark.parametrize("args,message", [
    (["compare", "missing.csv", "--target", "y"], "data file not found"),
    (["compare", "{csv}", "--target", "nope"], "target column 'nope' not found"),
    (["compare", "{csv}"], "--target COLUMN is required"),
    (["compare", "{csv}", "--target", "x1"], "has 160 classes; compare needs a binary target"),
    (["compare", "{csv}", "--target", "single"], "has a single class"),
    (["compare", "{csv}", "--target", "outcome", "--folds", "1"], "--folds must be at least 2"),
    (["compare", "{txt}", "--target", "outcome"], "unsupported file type '.txt'"),
    (["compare", "{ids}", "--target", "outcome"], "non-numeric with 160 distinct values"),
    (["compare", "{empty}", "--target", "outcome"], "has a header but no rows"),
    (["compare", "{inf}", "--target", "outcome"], "column 'x2' has 3 infinite values"),
    (["compare", "{csv}", "--target", "outcome", "--json", "{nodir}/r.json"],
     "cannot write --json"),
    (["compare", "{csv}", "--target", "outcome", "--plot", "{nodir}/r.png"],
     "cannot write --plot"),
])
def test_bad_input_gives_one_line_and_exit_code_2(args, message, tiny_csv, tmp_path, capsys,
                                                  monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("the input error must be reported before any training")

    monkeypatch.setattr(comparison, "compare", no_training)
    path, frame = tiny_csv
    empty = tmp_path / "empty.csv"
    frame.iloc[:0].to_csv(empty, index=False)
    inf = tmp_path / "inf.csv"
    frame.assign(x2=np.where(np.arange(len(frame)) % 70 == 1, np.inf, frame.x2)).to_csv(
        inf, index=False)
    frame.assign(single="a").to_csv(path, index=False)
    txt = tmp_path / "data.txt"
    txt.write_text("a,b\n1,2\n")
    ids = tmp_path / "ids.csv"
    frame.assign(customer=[f"c{i}" for i in range(len(frame))]).to_csv(ids, index=False)
    args = [a.format(csv=path, txt=txt, ids=ids, empty=empty, inf=inf,
                     nodir=tmp_path / "no-such-folder") for a in args]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    last = err.splitlines()[-1]  # (informational "note:" lines may come first)
    assert last.startswith("focal-gbm: error:") and message in last


def test_installed_command_runs_the_demo_without_a_traceback():
    scripts = Path(sysconfig.get_path("scripts"))
    exe = shutil.which("focal-gbm", path=str(scripts)) or shutil.which("focal-gbm")
    if exe is None:
        pytest.skip("the focal-gbm entry point is not installed in this environment")
    done = subprocess.run([exe, "compare", "--folds", "2"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "built-in 90:10 demo dataset" in done.stdout
    assert "cross entropy" in done.stdout and "*" in done.stdout
    bad = subprocess.run([exe, "compare", "nowhere.csv", "--target", "y"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_module_entry_point(tmp_path):
    done = subprocess.run([sys.executable, "-m", "focal_gbm.cli", "compare", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--target" in done.stdout


def test_boolean_target_prints_as_python_values(tiny_csv, tmp_path, capsys):
    path, frame = tiny_csv
    frame.assign(outcome=frame.outcome == "fraud").to_csv(path, index=False)
    out_json = tmp_path / "r.json"
    assert cli.main(["compare", str(path), "--target", "outcome", "--folds", "2",
                     "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "positive class True:" in printed and "np." not in printed
    assert json.loads(out_json.read_text())["positive_class"] is True


def test_candidates_within_fold_noise_of_the_best_are_marked_tied():
    best = [0.80, 0.82, 0.79, 0.81, 0.80]
    rows = [
        {"name": "best", "average_precision_folds": best},
        # 0.001 lower on average but up and down across folds: noise
        {"name": "noise", "average_precision_folds": [0.81, 0.80, 0.80, 0.80, 0.805]},
        # 0.05 lower on every fold: a real difference
        {"name": "worse", "average_precision_folds": [v - 0.05 + 0.001 * i
                                                      for i, v in enumerate(best)]},
    ]
    for row in rows:
        row["average_precision"] = float(np.mean(row["average_precision_folds"]))
    comparison.mark_best(rows)
    assert [r["best"] for r in rows] == [True, False, False]
    assert [r["tied_with_best"] for r in rows] == [False, True, False]
    assert rows[2]["p_value_vs_best"] < 0.001


def _comparison_of(rows, rng, n=200):
    """A Comparison around hand-made rows (CE first), with random out-of-fold probabilities."""
    for row in rows:
        row.setdefault("recommended", row is rows[0])
        for metric in ("average_precision", "roc_auc"):
            row.setdefault(f"{metric}_std", 0.01)
            row.setdefault(f"{metric}_folds", [row[metric] - 0.01, row[metric] + 0.01])
    y = (rng.random(n) < 0.2).astype(float)
    out_of_fold = {r["name"]: {"posterior": rng.random(n), "focal": rng.random(n)} for r in rows}
    recommendation = comparison.Recommendation(rows[0]["name"], None, {}, "", 0.0, 0.0)
    return comparison.Comparison(rows, recommendation, "average_precision", "xgboost", 2, 0, y,
                                 out_of_fold)


def _figure(result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = comparison.figure(result, "t", plt)
    fig.canvas.draw()  # tick labels exist once drawn
    return plt, fig


def test_plot_bars_read_top_down_in_the_table_order(rng):
    rows = [{"name": n, "average_precision": v, "roc_auc": v}
            for n, v in (("cross entropy", 0.5), ("focal b", 0.7), ("focal c", 0.6))]
    plt, fig = _figure(_comparison_of(rows, rng))
    try:
        bars = fig.axes[:2]
        assert all(ax.yaxis_inverted() for ax in bars)  # first row at the top
        labels = [t.get_text() for t in bars[0].get_yticklabels()]
        assert labels == ["cross entropy", "focal b", "focal c"]
    finally:
        plt.close(fig)


def test_plot_has_a_legend_whole_error_bars_and_a_reliability_panel(rng):
    """Each panel is coloured by its own test, no error bar is cut, calibration is shown."""
    rows = [{"name": "cross entropy", "average_precision": 0.50, "roc_auc": 0.95,
             "average_precision_std": 0.2, "roc_auc_std": 0.04},
            {"name": "focal a", "average_precision": 0.90, "roc_auc": 0.80,
             "average_precision_folds": [0.89, 0.91], "roc_auc_folds": [0.79, 0.81]}]
    plt, fig = _figure(_comparison_of(rows, rng))
    try:
        ap, auc, reliability = fig.axes
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        assert legend[0] == "recommended" and any("best" in t for t in legend)
        # the best bar of each panel is its own best (AP: focal a; ROC AUC: cross entropy)
        for ax, best in ((ap, 1), (auc, 0)):
            colours = [bar.get_facecolor() for bar in ax.patches]
            assert colours[best] != colours[1 - best]
            assert colours[best] == ap.patches[1].get_facecolor() or ax is auc
        for ax, metric in ((ap, "average_precision"), (auc, "roc_auc")):
            low, high = ax.get_xlim()
            for row in rows:
                spread = row.get(f"{metric}_std", 0.01)
                assert low <= max(0.0, row[metric] - spread) and row[metric] + spread <= high
        curves = [line.get_label() for line in reliability.get_lines()]
        assert "cross entropy" in curves
        assert "focal a: focal" in curves and "focal a: posterior" in curves
    finally:
        plt.close(fig)


def _demo(n=300):
    from focal_gbm.datasets import make_imbalanced

    return make_imbalanced(n, random_state=0)


def test_parallel_fits_score_exactly_as_one_at_a_time():
    X, y = _demo()
    serial = comparison.compare(X, y, folds=2, n_jobs=1).results
    parallel = comparison.compare(X, y, folds=2, n_jobs=2).results
    for a, b in zip(serial, parallel):
        assert a["name"] == b["name"]
        assert a["average_precision_folds"] == b["average_precision_folds"]
        assert a["trees_folds"] == b["trees_folds"]


def test_early_stopping_chooses_the_trees_and_zero_keeps_them_all(capsys):
    X, y = _demo()
    stopped = comparison.compare(X, y, folds=2, progress=True).results
    assert "fit" in capsys.readouterr().err  # the progress bar (tqdm) went to stderr
    trees = [t for row in stopped for t in row["trees_folds"]]
    assert all(1 <= t <= comparison.MAX_ROUNDS for t in trees)
    assert min(trees) < comparison.MAX_ROUNDS
    full = comparison.compare(X, y, folds=2, early_stopping=None).results
    assert all(t == comparison.MAX_ROUNDS for row in full for t in row["trees_folds"])


@pytest.mark.parametrize("args,message", [
    (["--n-jobs", "0"], "--n-jobs must be at least 1"),
    (["--early-stopping", "-1"], "--early-stopping must be >= 0"),
])
def test_bad_options_are_refused(args, message, capsys):
    assert cli.main(["compare", *args]) == 2
    assert message in capsys.readouterr().err


def test_calibration_of_posterior_and_focal_probabilities_is_reported(capsys):
    """The posterior restores calibration that the focal probabilities lose.

    On the demo data (10% positives) the focal probabilities of alpha=none
    and "balanced" are pulled towards 1/2 (alpha=0.25 happens to offset part
    of the pull there); every posterior's log loss is within 10% of cross
    entropy's while those focal ones are at least 10% above it (measured:
    +17% to +100%; a posterior that did nothing would fail the first).
    """
    X, y = _demo()
    result = comparison.compare(X, y, folds=3)
    rows = {r["name"]: r for r in result.results}
    entropy = rows["cross entropy"]
    for m in comparison.CALIBRATION:  # gamma = 0, alpha = None: the same probabilities
        assert entropy[m] == entropy[f"{m}_focal"]
    for name, row in rows.items():
        if name.startswith("focal"):
            assert row["log_loss"] < 1.1 * entropy["log_loss"], name
        if name.startswith("focal") and "alpha=0.25" not in name:
            assert row["log_loss_focal"] > 1.1 * entropy["log_loss"], name
            assert row["ece"] < row["ece_focal"], name
    table = result.table()
    assert "posterior" in table and "ECE" in table


@pytest.fixture
def multilabel_csv(tmp_path, rng):
    n = 300
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame({
        "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2],
        "rare": (x[:, 0] + 0.3 * rng.normal(size=n) > 1.3).astype(int),
        "common": np.where(x[:, 1] + 0.5 * rng.normal(size=n) > -0.5, "yes", "no"),
        "flag": x[:, 2] > 0.0,
    })
    path = tmp_path / "multilabel.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_several_targets_compare_the_asymmetric_loss_per_label(multilabel_csv, tmp_path,
                                                               capsys):
    path, frame = multilabel_csv
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    code = cli.main(["compare", str(path), "--target", "rare", "--target", "common",
                     "--target", "flag", "--folds", "3", "--booster", "lightgbm",
                     "--json", str(out_json), "--plot", str(out_png)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "3 labels" in printed and "ASL g+=0 g-=4 clip=0.05" in printed
    payload = json.loads(out_json.read_text())
    # 0/1 and True/False columns are positive at 1 / True; others at their minority value.
    assert payload["positive_values"] == [1, "no", True]
    rows = payload["results"]
    assert [r["name"] for r in rows] == [name for name, _ in comparison.MULTILABEL_CANDIDATES]
    assert sum(r["best"] for r in rows) == 1
    asl = next(r for r in rows if r["name"] == "ASL g+=0 g-=4 clip=0.05")
    assert (asl["focal_gamma"], asl["focal_gamma_neg"], asl["focal_clip"]) == (0.0, 4.0, 0.05)
    for row in rows:
        assert 0.0 < row["macro_average_precision"] <= 1.0
        assert len(row["macro_average_precision_folds"]) == 3
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_multilabel_scores_are_those_of_the_estimator(multilabel_csv):
    """compare's macro AP is the mean per-label AP of the fitted models' margins."""
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import KFold

    path, frame = multilabel_csv
    X, Y, _, _ = comparison.prepare_multilabel(frame, ["rare", "flag"])
    result = comparison.compare(X, Y, folds=2, max_rounds=20)
    index = 3  # an asymmetric-loss candidate
    row, (_, params) = result.results[index], comparison.MULTILABEL_CANDIDATES[index]
    margin = result.out_of_fold[row["name"]]["margin"]
    for fold, (train, test) in enumerate(KFold(2, shuffle=True, random_state=0).split(X)):
        kwargs = comparison.estimator_params("xgboost", params, n_estimators=20)
        model = comparison.estimator_class("xgboost")(n_jobs=1, **kwargs).fit(X[train],
                                                                              Y[train])
        expected = model.decision_function(X[test])
        # float32 margins from the same trees: equal to the last bit
        np.testing.assert_array_equal(margin[test], expected)
        macro = np.mean([average_precision_score(Y[test, j], expected[:, j]) for j in range(2)])
        assert row["macro_average_precision_folds"][fold] == pytest.approx(macro, rel=1e-12)


@pytest.mark.parametrize("targets, message", [
    (["rare", "rare"], "names a column twice"),
    (["rare", "x1"], "compare needs a binary target"),
    (["rare", "nope"], "'nope' not found"),
])
def test_bad_multilabel_targets_are_named(targets, message, multilabel_csv, capsys):
    path, _ = multilabel_csv
    args = ["compare", str(path)] + [a for t in targets for a in ("--target", t)]
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err
