"""Installing from a clone: pip compiles the kernels, with OpenMP or without.

The README's two install commands in order (``pip install .``, then
``pip install -e .``) must each leave a working package whose compiled kernels
are the ones just built, and a compiler without OpenMP must give a working,
single-threaded build with the same numbers. Real pip in a fresh virtual
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


# Runs the kernels on 200,000 elements (the public methods split them over threads) and
# prints whether they were built with OpenMP and a digest of the results.
_RUN_KERNELS = """
import hashlib, numpy as np, focal_gbm, focal_gbm._kernels as kernels
rng = np.random.default_rng(0)
y = (rng.random(200_000) < 0.1).astype(float)
z = rng.normal(size=200_000).astype(np.float32)
grad, hess = focal_gbm.FocalLoss(gamma=2.0).grad_hess(y, z)
print(kernels.OPENMP, hashlib.sha256(grad.tobytes() + hess.tobytes()).hexdigest())
print(focal_gbm.__file__)
print(kernels.__file__)
"""


def _install_and_run(venv: Path, source: Path, work: Path, env: dict, *options: str):
    pip = ("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation")
    _run(venv, *pip, *options, str(source), cwd=work, env=env)
    openmp, digest, package, kernels = _run(venv, "-c", _RUN_KERNELS, cwd=work,
                                            env=env).stdout.split()
    return int(openmp), digest, Path(package).parent, Path(kernels).parent


@pytest.mark.slow
def test_regular_then_editable_single_threaded_install_from_a_clone(tmp_path):
    pytest.importorskip("setuptools", minversion="77")  # builds the project without network
    source = tmp_path / "clone"
    shutil.copytree(REPO, source, ignore=_NOT_IN_A_CLONE)
    venv = _fresh_venv(tmp_path)
    work = tmp_path / "elsewhere"  # not the source folder, whose focal_gbm/ would shadow
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "FOCAL_GBM_NO_OPENMP", "FOCAL_GBM_NUM_THREADS")}

    openmp, digest, package, kernels = _install_and_run(venv, source, work, env)
    assert package.parent.name == "site-packages" and kernels == package
    assert openmp == 1, "this machine's compiler has OpenMP: the build must use it"

    # Then editable (built in place), by a compiler without OpenMP (as forced
    # here; CI's own editable install is the one with OpenMP): single-threaded,
    # the same numbers.
    shutil.rmtree(source / "build", ignore_errors=True)  # no reuse of the first build
    openmp, single, package, kernels = _install_and_run(
        venv, source, work, {**env, "FOCAL_GBM_NO_OPENMP": "1"}, "--editable")
    assert package == source / "focal_gbm" and kernels == package
    assert openmp == 0
    assert single == digest
