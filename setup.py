"""Builds the compiled kernels, focal_gbm/_kernels.c; everything else is in pyproject.toml.

The flags depend on the compiler, which only a build step knows: optimised,
C library math without errno (so the loops vectorise), fused multiply-adds
allowed, and OpenMP where a test program shows the compiler and linker have
it. Without OpenMP (or with FOCAL_GBM_NO_OPENMP=1) the kernels are built
single-threaded (``focal_gbm._kernels.OPENMP`` is then 0). No flag targets the
build machine's CPU: _kernels.c dispatches between instruction sets at run time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_OPENMP_PROBE = """
#include <omp.h>
int main(void) {
    int threads = 0;
#pragma omp parallel reduction(+ : threads)
    threads += 1;
    return threads > 0 ? 0 : 1;
}
"""


def _homebrew_libomp() -> list[Path]:
    """Where Homebrew keeps libomp on macOS (Apple's clang ships no OpenMP runtime)."""
    prefixes = [os.environ.get("HOMEBREW_PREFIX"), "/opt/homebrew", "/usr/local"]
    folders = [Path(prefix) / "opt" / "libomp" for prefix in prefixes if prefix]
    return [folder for folder in folders if folder.is_dir()]


class BuildKernels(build_ext):
    def _openmp_flags(self) -> tuple[list[str], list[str]] | None:
        """(compile, link) flags for OpenMP that build and run a test program, or None."""
        if os.environ.get("FOCAL_GBM_NO_OPENMP", "") not in ("", "0"):
            return None
        if self.compiler.compiler_type == "msvc":
            candidates = [(["/openmp"], [])]
        elif sys.platform == "darwin":
            candidates = [(["-Xpreprocessor", "-fopenmp", f"-I{p / 'include'}"],
                           [f"-L{p / 'lib'}", "-lomp", f"-Wl,-rpath,{p / 'lib'}"])
                          for p in _homebrew_libomp()] + [(["-fopenmp"], ["-fopenmp"])]
        else:
            candidates = [(["-fopenmp"], ["-fopenmp"])]
        for compile_flags, link_flags in candidates:
            if self._builds_and_runs(compile_flags, link_flags):
                return compile_flags, link_flags
        return None

    def _builds_and_runs(self, compile_flags: list[str], link_flags: list[str]) -> bool:
        folder = Path(tempfile.mkdtemp(prefix="focal_gbm_openmp_"))
        try:
            source = folder / "probe.c"
            source.write_text(_OPENMP_PROBE)
            objects = self.compiler.compile([str(source)], output_dir=str(folder),
                                            extra_postargs=compile_flags)
            program = str(folder / "probe")
            self.compiler.link_executable(objects, program, extra_postargs=link_flags)
            if self.compiler.compiler_type == "msvc":
                program += ".exe"
            return subprocess.run([program], capture_output=True, timeout=60).returncode == 0
        except Exception:  # any failure means: no usable OpenMP
            return False
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            compile_flags = ["/O2", "/fp:precise"]
        else:
            # -g0: Python's own flags ask for debug information, 1.3 MB of the 1.5
            compile_flags = ["-O3", "-g0", "-fno-math-errno", "-fno-trapping-math",
                             "-ffp-contract=fast"]
        link_flags: list[str] = []
        openmp = self._openmp_flags()
        if openmp is None:
            print("focal_gbm: building the kernels without OpenMP (single-threaded)")
        else:
            compile_flags += openmp[0]
            link_flags += openmp[1]
        for extension in self.extensions:
            extension.extra_compile_args = compile_flags + list(extension.extra_compile_args)
            extension.extra_link_args = link_flags + list(extension.extra_link_args)
        super().build_extensions()


setup(
    ext_modules=[Extension("focal_gbm._kernels", sources=["focal_gbm/_kernels.c"])],
    cmdclass={"build_ext": BuildKernels},
)
