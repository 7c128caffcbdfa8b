"""Installing: the README's two quickstart commands in order leave a working install.

``pip install ".[all]" && focal-gbm compare`` followed by ``pip install -e ".[test]"``
once broke every later import: Numba wrote its cache into
``site-packages/focal_gbm/__pycache__``, pip's uninstall left that folder behind,
and Python imported it as an empty namespace package that hid the editable
install. The test replays that sequence with real pip in a fresh virtual
environment; the dependencies come from this environment (linked in, not
downloaded), so it needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What a clone holds; build outputs of an earlier install would not be in one.
_NOT_IN_A_CLONE = shutil.ignore_patterns(".git", "__pycache__", "build", "dist", "*.egg-info",
                                         ".venv", "venv", ".pytest_cache", ".ruff_cache")
# Linking these from this environment would bring the package under test along.
_OWN = ("focal_gbm", "focal_gbm-", "focal_gbm.", "__editable__", "focal-gbm")


def _fresh_venv(tmp_path: Path) -> Path:
    """A venv without pip whose path also reaches this environment's packages, minus ours."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    deps = tmp_path / "deps"
    deps.mkdir()
    for site in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}:
        for entry in Path(site).iterdir():
            if not entry.name.startswith(_OWN) and not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    inner = subprocess.run([str(_python(venv)), "-c",
                            "import sysconfig; print(sysconfig.get_path('purelib'))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    # Appended after the venv's own site-packages: what pip installs there wins.
    (Path(inner) / "_deps.pth").write_text(str(deps) + "\n")
    return venv


def _python(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / "python"


def _run(venv: Path, *args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([str(_python(venv)), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{args}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.mark.slow
def test_editable_install_after_a_regular_install_and_a_run_still_imports(tmp_path):
    pytest.importorskip("setuptools", minversion="77")  # builds the project without network
    source = tmp_path / "clone"
    shutil.copytree(REPO, source, ignore=_NOT_IN_A_CLONE)
    venv = _fresh_venv(tmp_path)
    work = tmp_path / "elsewhere"  # not the source folder, whose focal_gbm/ would shadow
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("FOCAL_GBM_CACHE_DIR", "NUMBA_CACHE_DIR", "PYTHONPATH")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")  # the user's cache folder
    env["HOME"] = str(tmp_path / "home")
    pip = ("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation")

    _run(venv, *pip, str(source), cwd=work, env=env)
    installed = Path(_run(venv, "-c", "import focal_gbm; print(focal_gbm.__file__)",
                          cwd=work, env=env).stdout.strip()).parent
    assert installed.parent.name == "site-packages"
    # A first run compiles and caches the kernels, as `focal-gbm compare` does.
    _run(venv, "-c", "import numpy as np, focal_gbm\n"
         "focal_gbm.FocalLoss()(np.array([0.0, 1.0]), np.array([0.5, -0.5]))",
         cwd=work, env=env)
    cached = list((tmp_path / "user-cache" / "focal_gbm").rglob("*.nbi"))
    assert cached, "the kernels were not cached in the user's cache folder"
    leftovers = [p.name for p in installed.rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert leftovers == [], "compiled kernels were written into site-packages"

    _run(venv, *pip, "--editable", str(source), cwd=work, env=env)
    done = _run(venv, "-c", "import focal_gbm\nfrom focal_gbm import FocalXGBClassifier\n"
                "print(focal_gbm.__file__)", cwd=work, env=env)
    assert Path(done.stdout.strip()).parent == source / "focal_gbm"
    script = _python(venv).parent / ("focal-gbm.exe" if os.name == "nt" else "focal-gbm")
    shown = subprocess.run([str(script), "cache"], cwd=work, env=env, capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == str(tmp_path / "user-cache" / "focal_gbm")
