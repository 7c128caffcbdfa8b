"""focal_gbm.comparison: the recommendation rule, the recommended estimator, the new options."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("pandas")

from focal_gbm import FocalLGBMClassifier, FocalXGBClassifier, cli, comparison  # noqa: E402
from focal_gbm.datasets import make_imbalanced  # noqa: E402


def _rows(**fold_scores):
    return [{"name": name.replace("_", " "), "average_precision": float(np.mean(folds)),
             "average_precision_folds": folds} for name, folds in fold_scores.items()]


def test_paired_gain_is_the_mean_difference_and_its_standard_error():
    gain, error = comparison.paired_gain([0.5, 0.7, 0.6], [0.4, 0.5, 0.6])
    differences = np.array([0.1, 0.2, 0.0])
    assert gain == pytest.approx(differences.mean(), rel=1e-12)
    assert error == pytest.approx(differences.std(ddof=1) / np.sqrt(3), rel=1e-12)


def test_a_noisy_winner_is_not_recommended_a_steady_gain_is():
    """The best mean wins nothing when its gain is within the fold noise."""
    rows = _rows(cross_entropy=[0.60, 0.70, 0.50, 0.60, 0.65],
                 # +0.02 on average, but -0.08 .. +0.12 per fold: 0.6 standard errors
                 noisy=[0.72, 0.62, 0.62, 0.58, 0.65],
                 # +0.01 on every fold but one: far beyond one standard error
                 steady=[0.61, 0.71, 0.51, 0.61, 0.655])
    chosen = comparison.recommend(rows)
    assert rows[chosen]["name"] == "steady"
    assert max(rows, key=lambda r: r["average_precision"])["name"] == "noisy"
    assert rows[1]["gain_vs_baseline"] > rows[2]["gain_vs_baseline"]


def test_nothing_beyond_the_noise_recommends_cross_entropy():
    rows = _rows(cross_entropy=[0.60, 0.70, 0.50], noisy=[0.70, 0.60, 0.55],
                 worse=[0.59, 0.69, 0.49])
    assert comparison.recommend(rows) == 0
    # a stricter threshold never recommends more, a looser one may
    assert comparison.recommend(rows, standard_errors=0.0) == 1


def test_among_qualified_gains_the_most_standard_errors_is_recommended():
    rows = _rows(cross_entropy=[0.60, 0.70, 0.50, 0.55],
                 # +0.01 on every fold but one, about 6 standard errors
                 steady=[0.61, 0.71, 0.51, 0.555],
                 # +0.02 on average, about 2 standard errors
                 larger=[0.64, 0.71, 0.50, 0.58])
    assert rows[comparison.recommend(rows)]["name"] == "steady"
    assert rows[2]["gain_vs_baseline"] > rows[1]["gain_vs_baseline"]


def test_baseline_must_be_a_candidate():
    with pytest.raises(ValueError, match="baseline 'nope' is not among the candidates"):
        comparison.recommend(_rows(a=[0.1, 0.2]), baseline="nope")


@pytest.mark.parametrize("booster, cls", [("xgboost", FocalXGBClassifier),
                                          ("lightgbm", FocalLGBMClassifier)])
def test_the_recommended_estimator_is_the_table_row_ready_to_fit(booster, cls):
    X, y = make_imbalanced(600, random_state=1)
    result = comparison.compare(X, y, booster=booster, folds=3, max_rounds=40)
    recommended = result.recommended
    row = next(r for r in result.results if r["recommended"])
    assert sum(r["recommended"] for r in result.results) == 1
    assert row["name"] == recommended.candidate
    params = dict(comparison.CANDIDATES)[recommended.candidate]
    assert isinstance(recommended.estimator, cls)
    fitted_params = recommended.estimator.get_params()
    assert all(fitted_params[key] == value for key, value in recommended.params.items())
    for key, value in params.items():
        assert recommended.params[key] == value
    # trees as the table chose them (mean over folds), learning rate as compared
    assert recommended.params["n_estimators"] == round(row["trees"])
    assert recommended.params["learning_rate"] == comparison.LEARNING_RATE
    model = recommended.estimator.fit(X, y)
    assert model.predict_proba(X).shape == (600, 2)
    # the JSON form rebuilds the same estimator from plain values
    payload = json.loads(json.dumps(recommended.to_dict()))
    assert payload["estimator"] == cls.__name__ and payload["candidate"] == row["name"]
    assert cls(**payload["params"]).get_params() == recommended.estimator.get_params()


def test_recommendation_reason_names_the_gain_or_the_fallback():
    X, y = make_imbalanced(600, random_state=1)
    result = comparison.compare(X, y, folds=3, max_rounds=40)
    reason = result.recommended.reason
    assert reason.startswith(result.recommended.candidate + ":")
    if result.recommended.candidate == comparison.BASELINE:
        assert "no candidate beats it beyond the fold noise" in reason
    else:
        assert "standard errors" in reason and "over cross entropy" in reason
    assert f"Recommended: {reason}" in result.table()


def test_multilabel_targets_get_one_recommendation_for_all_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([X[:, 0] > 1.0, X[:, 1] > 0.0]).astype(int)
    result = comparison.compare(X, Y, folds=2, max_rounds=20)
    assert result.metric == "macro_average_precision"
    names = [name for name, _ in comparison.MULTILABEL_CANDIDATES]
    assert result.recommended.candidate in names
    model = result.recommended.estimator.fit(X, Y)
    assert model.predict_proba(X).shape == (300, 2)


def test_compare_cli_writes_the_recommendation_as_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli.main(["compare", "--folds", "2", "--max-rounds", "15", "--early-stopping", "0",
                     "--learning-rate", "0.2", "--json", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "at most 15 rounds, learning rate 0.2" in printed
    assert printed.count("<- recommended") == 1 and "Recommended: " in printed
    payload = json.loads(out.read_text())
    recommended = payload["recommended"]
    assert set(recommended) >= {"candidate", "estimator", "params", "reason"}
    assert recommended["estimator"] == "FocalXGBClassifier"
    assert recommended["params"]["n_estimators"] == 15  # no early stopping: every round
    assert recommended["params"]["learning_rate"] == 0.2
    assert all(t == 15 for row in payload["results"] for t in row["trees_folds"])
    assert FocalXGBClassifier(**recommended["params"]).learning_rate == 0.2


def test_version_option(capsys):
    from focal_gbm import __version__

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"focal-gbm {__version__}"


@pytest.mark.parametrize("args, message", [
    (["--max-rounds", "0"], "--max-rounds must be at least 1"),
    (["--learning-rate", "0"], "--learning-rate must lie in (0, 1]"),
    (["--learning-rate", "1.5"], "--learning-rate must lie in (0, 1]"),
])
def test_bad_round_options_are_refused(args, message, capsys):
    assert cli.main(["compare", *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, message", [
    ({"booster": "catboost"}, "booster must be 'xgboost' or 'lightgbm'"),
    ({"folds": 1}, "folds must be an integer >= 2"),
    ({"max_rounds": 0}, "max_rounds must be an integer >= 1"),
    ({"learning_rate": 0.0}, "learning_rate must lie in (0, 1]"),
    ({"n_jobs": 0}, "n_jobs must be at least 1"),
])
def test_compare_refuses_bad_arguments_by_name(kwargs, message):
    X, y = make_imbalanced(200)
    with pytest.raises(comparison.InputError, match=message.replace("(", r"\(").replace(
            ")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        comparison.compare(X, y, **kwargs)


def test_load_table_then_compare_is_two_lines(tmp_path):
    import pandas as pd

    X, y = make_imbalanced(400, random_state=2)
    path = tmp_path / "data.csv"
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "label": np.where(y == 1, "yes", "no")}).to_csv(
        path, index=False)
    data = comparison.load_table(path, target="label")
    model = comparison.compare(data.X, data.y, folds=2, max_rounds=10).recommended \
        .estimator.fit(data.X, data.y)
    assert data.positive == "yes" and data.y.sum() == y.sum()
    assert model.predict(data.X).shape == (400,)


def test_single_class_and_missing_values_read_as_plain_values(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 0, 0], "z": [0, None, 1]})
    with pytest.raises(comparison.InputError, match=r"single class \(0\)"):
        comparison.prepare(frame, "y")
    with pytest.raises(comparison.InputError, match="has 1 missing value$"):
        comparison.prepare(frame, "z")
