"""validate + dedup + split + export at 10k and 100k examples: wall time, peak memory, GX share.

    .venv/bin/python -m bench.clean [--sizes 10000 100000]

Each size runs in a fresh process (so its peak RSS is its own), on synthetic examples in the shape
generate writes (bench/synthetic.py), with the default params. The named baseline is the I/O
floor: reading the examples and writing them back as JSONL, measured in the same process.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_size(n: int) -> dict:
    from tasks import split, validate
    from tasks.core.config import CATEGORIES, load_params
    from tasks.core.io import read_jsonl, write_jsonl
    from tasks.testing.synthetic import synthetic_examples

    params = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
    quotas = {c: n // 4 for c in CATEGORIES}
    with tempfile.TemporaryDirectory() as tmp:
        paths = params.paths.under(tmp)  # the layout of params.yaml, in a scratch folder
        write_jsonl(paths.generated, synthetic_examples(n))
        t = time.perf_counter()
        write_jsonl(Path(tmp) / "copy.jsonl", read_jsonl(paths.generated))
        io_floor = time.perf_counter() - t

        gx_seconds = 0.0
        real_check = validate.run_suites

        def timed_check(*args, **kwargs):
            nonlocal gx_seconds
            start = time.perf_counter()
            try:
                return real_check(*args, **kwargs)
            finally:
                gx_seconds += time.perf_counter() - start

        validate.run_suites = timed_check  # time inside Great Expectations, import and suite loading included
        t = time.perf_counter()
        report = validate.run(params.validate_, quotas, paths)
        validate_s = time.perf_counter() - t
        validate.run_suites = real_check
        t = time.perf_counter()
        split.run(params.split, paths)
        split_s = time.perf_counter() - t
    return {"n": n, "kept": report["n_out"], "duplicates": report["duplicates"], "io_floor_s": io_floor,
            "validate_s": validate_s, "gx_s": gx_seconds, "split_export_s": split_s,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.clean", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one_size(args.one)))
        return
    rows = []
    for n in args.sizes:
        out = subprocess.run([sys.executable, "-m", "bench.clean", "--one", str(n)], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(out.stderr[-3000:])
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("\n| examples | kept | validate+dedup s | of which GX s | split+export s | total s | x I/O floor | peak RSS MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        total = r["validate_s"] + r["split_export_s"]
        print(f"| {r['n']:,} | {r['kept']:,} | {r['validate_s']:.1f} | {r['gx_s']:.1f} ({100 * r['gx_s'] / total:.0f}%) | "
              f"{r['split_export_s']:.1f} | {total:.1f} | {total / r['io_floor_s']:.0f}x | {r['peak_rss_mb']:,.0f} |")
    print("\nbaseline (I/O floor): reading the generated examples and writing them back as JSONL, same process.")
    print("target (issue 4): 100k examples in under 60 s and 2 GB.")


if __name__ == "__main__":
    main()
