"""A fast BLAS for mlx on Linux CPUs.

The `mlx[cpu]` wheel ships a reference BLAS (~3 GFLOPS for a 1024x1024 fp32 matmul on the 2-core
machines we measured); Debian's OpenBLAS, loaded before mlx, gave 53-67 GFLOPS and LoRA training
6-16x faster. `python -m tasks.tuner.blas install` (run by `make`) installs OpenBLAS where it can and
writes a .pth file into the virtual environment, so every Python process there, the `mlx_lm.*`
commands included, loads it first. `python -m tasks.tuner.blas status` says what this process uses.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

CANDIDATES = [
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3",
]
PTH_NAME = "tunesmith_fast_blas.pth"
FIX = "apt-get install libopenblas0-pthread (Debian/Ubuntu), then rerun `make`"


def find_openblas() -> str | None:
    return next((p for p in CANDIDATES if os.path.exists(p)), None)


def pth_line(lib: str) -> str:
    """A .pth line is executed by `site` at start-up when it begins with `import`.
    TUNESMITH_BLAS=bundled skips the preload (the benchmarks use it to measure the stock wheel)."""
    return (f"import ctypes, os; os.environ.get('TUNESMITH_BLAS') != 'bundled' and os.path.exists({lib!r}) "
            f"and ctypes.CDLL({lib!r}, mode=ctypes.RTLD_GLOBAL)\n")


def loaded() -> str:
    """Which BLAS this process has mapped: 'openblas' or 'bundled' (the wheel's reference BLAS)."""
    if sys.platform != "linux":
        return "platform default (Accelerate on macOS)" if sys.platform == "darwin" else "unknown"
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return "unknown"
    return "openblas" if "openblas" in maps else "bundled"


def warn_if_slow() -> str:
    which = loaded()
    if which == "bundled":
        print(f"tunesmith: warning: mlx is using its bundled reference BLAS, training ~8x slower (bench/train.py); fix: {FIX}", file=sys.stderr)
    return which


def install() -> int:
    if sys.platform != "linux":
        print("tunesmith: fast BLAS: nothing to do on this platform")
        return 0
    lib = find_openblas()
    if lib is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("tunesmith: installing OpenBLAS with apt-get (training with mlx's bundled BLAS is ~8x slower)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        cmd = ["apt-get", "install", "-y", "-qq", "libopenblas0-pthread"]
        if subprocess.run(cmd, env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env)
            subprocess.run(cmd, env=env)
        lib = find_openblas()
    target = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    if lib is None:
        target.unlink(missing_ok=True)
        print(f"tunesmith: warning: no OpenBLAS found; training will be slow. Fix: {FIX}", file=sys.stderr)
        return 0
    target.write_text(pth_line(lib))
    print(f"tunesmith: fast BLAS: {lib} is loaded by every Python process in {sys.prefix}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tasks.tuner.blas", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["install", "status"])
    args = parser.parse_args(argv)
    if args.command == "install":
        sys.exit(install())
    import mlx.core  # noqa: F401 - map mlx's libraries before looking
    print(loaded())


if __name__ == "__main__":
    main()
