import subprocess
import sys

from tasks.tuner import blas


def test_status_names_the_blas_this_environment_loads():
    """`make` installs OpenBLAS and the .pth that preloads it; status reads /proc/self/maps, so it
    says what a fresh process really mapped, and TUNESMITH_BLAS=bundled turns the preload off."""
    import os

    def status(**env) -> str:
        out = subprocess.run([sys.executable, "-m", "tasks.tuner.blas", "status"], capture_output=True, text=True,
                             env={**os.environ, **env}, check=True)
        return out.stdout.strip()

    expected = "openblas" if blas.find_openblas() else "bundled"
    assert status() == expected
    assert status(TUNESMITH_BLAS="bundled") == "bundled"


def test_the_pth_line_loads_the_library_unless_told_not_to(tmp_path):
    """The line as `site` runs it, in a fresh interpreter whose site-packages holds it as a .pth: a
    shared library that plain Python never maps (bz2's, copied under a name of our own) is mapped
    after start-up, and not with TUNESMITH_BLAS=bundled."""
    import ctypes.util
    import os
    import shutil

    import pytest

    found = ctypes.util.find_library("bz2")
    source = next((p for p in (f"/usr/lib/x86_64-linux-gnu/{found}", f"/usr/lib/aarch64-linux-gnu/{found}",
                               f"/lib/{found}") if found and os.path.exists(p)), None)
    if source is None:
        pytest.skip("no libbz2 shared library to stand in for a BLAS")
    lib = tmp_path / "libtunesmith_probe.so"
    shutil.copy(source, lib)
    line = blas.pth_line(str(lib))
    assert line.startswith("import ")  # site runs .pth lines that start with import
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    (site_dir / blas.PTH_NAME).write_text(line)
    probe = f"import site; site.addsitedir({str(site_dir)!r}); print(open('/proc/self/maps').read())"

    def mapped(**env) -> bool:
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                             env={**os.environ, **env})
        return lib.name in out.stdout

    assert mapped()
    assert not mapped(TUNESMITH_BLAS="bundled")
