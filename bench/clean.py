"""validate + dedup + split + every export at 10k, 100k and 1M examples: wall time, peak memory,
and both against the I/O floor.

    .venv/bin/python -m bench.clean [--sizes 10000 100000 1000000]   (default 10k and 100k; 1M takes minutes and ~6 GB of disk)

Synthetic examples in the shape generate writes (tasks/testing/synthetic.py: four categories, a
tool list on every tool-use row, one exact duplicate in 50), with the default params. Each size runs
in fresh processes: one writes the examples, one measures the floor, one runs the two stages, so
that each peak RSS is its own; each stage's memory also counts the processes it starts (workers,
the GX process: TreeMemory). The named baseline is the I/O floor: reading the examples (orjson,
line by line) and writing each back as canonical JSONL, measured on the same file in the same run.
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

ROOT = Path(__file__).resolve().parents[1]


def write_examples(n: int, path: Path) -> None:
    import orjson

    from tasks.testing.synthetic import iter_synthetic_examples

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for ex in iter_synthetic_examples(n):
            f.write(orjson.dumps(ex, option=orjson.OPT_SORT_KEYS) + b"\n")


def io_floor(path: Path) -> dict:
    """Read every example and write it back: the least any stage that reads and writes them does."""
    import orjson

    t = time.perf_counter()
    with open(path, "rb") as src, open(path.with_name("copy.jsonl"), "wb") as out:
        for line in src:
            out.write(orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS) + b"\n")
    return {"io_floor_s": time.perf_counter() - t, "floor_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def io_floor_whole(path: Path) -> dict:
    """The floor as issue 24 measured it: tasks.core.io's read_jsonl() of the whole file (every
    example a dict at once), then write_jsonl()."""
    from tasks.core.io import read_jsonl, write_jsonl

    t = time.perf_counter()
    write_jsonl(path.with_name("copy.jsonl"), read_jsonl(path))
    return {"whole_floor_s": time.perf_counter() - t}


class TreeMemory:
    """The most memory this process and every process under it (the stages' workers, the GX
    process) held at once: the sum of their proportional set sizes (a page shared by k processes
    counts 1/k in each), read from /proc every 0.2 s by a thread. Linux only."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(0.2):
            self.peak_mb = max(self.peak_mb, self.sample())

    @staticmethod
    def sample() -> float:
        import os

        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone since the listing
                continue
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        total, todo = 0, [os.getpid()]
        while todo:
            pid = todo.pop()
            todo += parents.get(pid, [])
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            total += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        return total / 1024

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return max(self.peak_mb, self.sample())


def stages(n: int, folder: Path) -> dict:
    from tasks import split, validate
    from tasks.core.config import CATEGORIES, load_params

    params = load_params(ROOT / "params.yaml")
    paths = params.paths.under(folder)  # the layout of params.yaml, in a scratch folder
    quotas = {c: n // 4 for c in CATEGORIES}
    gx_seconds = 0.0
    # the stage waiting for Great Expectations (since issue 24 in a process of its own, whose import overlaps the
    # scan; before it, run_suites() in the stage's process: so that the before/after rows come from this one bench)
    owner, name = (validate.Checker, "verdicts") if hasattr(validate, "Checker") else (validate, "run_suites")
    real_check = getattr(owner, name)

    def timed_check(*args, **kwargs):
        nonlocal gx_seconds
        start = time.perf_counter()
        try:
            return real_check(*args, **kwargs)
        finally:
            gx_seconds += time.perf_counter() - start

    setattr(owner, name, timed_check)
    memory = TreeMemory()
    t = time.perf_counter()
    report = validate.run(params.validate_, quotas, paths)
    validate_s = time.perf_counter() - t
    validate_mb = memory.stop()
    setattr(owner, name, real_check)
    memory = TreeMemory()
    t = time.perf_counter()
    split.run(params.split, paths)
    split_s = time.perf_counter() - t
    split_mb = memory.stop()
    return {"n": n, "kept": report["n_out"], "duplicates": report["duplicates"], "validate_s": validate_s,
            "gx_s": gx_seconds, "split_export_s": split_s, "validate_mb": validate_mb, "split_mb": split_mb,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "gx_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.clean", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def one_size(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "data" / "generated" / "examples.jsonl"  # where params.yaml's layout has it
        child("--write", str(n), str(generated))
        row = child("--stages", str(n), tmp)
        row.update(child("--floor", str(generated)))
        row.update(child("--floor-whole", str(generated)))
        row["mb"] = generated.stat().st_size / 1e6
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.clean", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--write", nargs=2, help=argparse.SUPPRESS)  # the child processes
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    parser.add_argument("--floor-whole", help=argparse.SUPPRESS)
    parser.add_argument("--stages", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        return write_examples(int(args.write[0]), Path(args.write[1]))
    if args.floor:
        return print(json.dumps(io_floor(Path(args.floor))))
    if args.floor_whole:
        return print(json.dumps(io_floor_whole(Path(args.floor_whole))))
    if args.stages:
        return print(json.dumps(stages(int(args.stages[0]), Path(args.stages[1]))))
    rows = [one_size(n) for n in args.sizes]
    print("\n| examples | MB | kept | validate+dedup s | waiting for GX s | split+export s | total s | I/O floor s "
          "| x floor | issue 24's floor s | x that | peak RSS MB | largest child MB | validate's processes MB | split's processes MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        total = r["validate_s"] + r["split_export_s"]
        print(f"| {r['n']:,} | {r['mb']:,.0f} | {r['kept']:,} | {r['validate_s']:.1f} | {r['gx_s']:.1f} | "
              f"{r['split_export_s']:.1f} | {total:.1f} | {r['io_floor_s']:.1f} | {total / r['io_floor_s']:.1f}x | "
              f"{r['whole_floor_s']:.1f} | {total / r['whole_floor_s']:.1f}x | {r['peak_rss_mb']:,.0f} | "
              f"{r.get('gx_rss_mb', 0):,.0f} | {r.get('validate_mb', 0):,.0f} | {r.get('split_mb', 0):,.0f} |")
    print("\nbaseline (I/O floor): reading the examples with orjson and writing each back as canonical JSONL, line by line, "
          "in its own process, same file, same run.\nissue 24's floor: tasks.core.io.read_jsonl() of the whole file, then "
          "write_jsonl(), in its own process (what bench.clean measured before).\npeak RSS: the stages' process (ru_maxrss); "
          "largest child: the largest peak of a process it started (the GX process, the workers).\nvalidate's and split's processes: "
          "the most the stage and its workers held at once (summed proportional set sizes, sampled every 0.2 s).\ntargets (issue 24): 1M within 180 s and 4 GB, 100k "
          "within 15 s, each within 5x the floor.")


if __name__ == "__main__":
    main()
