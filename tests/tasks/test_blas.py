import subprocess
import sys

from tasks import blas


def test_status_names_the_blas_this_environment_loads():
    """`make` installs OpenBLAS and the .pth that preloads it; status reads /proc/self/maps, so it
    says what a fresh process really mapped, and TUNESMITH_BLAS=bundled turns the preload off."""
    import os

    def status(**env) -> str:
        out = subprocess.run([sys.executable, "-m", "tasks.blas", "status"], capture_output=True, text=True,
                             env={**os.environ, **env}, check=True)
        return out.stdout.strip()

    expected = "openblas" if blas.find_openblas() else "bundled"
    assert status() == expected
    assert status(TUNESMITH_BLAS="bundled") == "bundled"


def test_the_pth_line_loads_the_library_unless_told_not_to():
    line = blas.pth_line("/lib/libblas.so.3")
    assert line.startswith("import ")  # site runs .pth lines that start with import
    assert "TUNESMITH_BLAS" in line and "RTLD_GLOBAL" in line
