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

from focal_gbm import cli  # noqa: E402


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
    assert len(rows) == len(cli.CANDIDATES)
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
])
def test_bad_input_gives_one_line_and_exit_code_2(args, message, tiny_csv, tmp_path, capsys):
    path, frame = tiny_csv
    frame.assign(single="a").to_csv(path, index=False)
    txt = tmp_path / "data.txt"
    txt.write_text("a,b\n1,2\n")
    ids = tmp_path / "ids.csv"
    frame.assign(customer=[f"c{i}" for i in range(len(frame))]).to_csv(ids, index=False)
    args = [a.format(csv=path, txt=txt, ids=ids) for a in args]
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
