"""Data-parallel training (train.distributed, tasks/tuner/ranks.py) against one process, on this machine.

    .venv/bin/python -m bench.distributed [--base-model smollm2-135m-instruct] [--iters 30]

The baseline is the train stage in one process (mlx's CPU kernels and OpenBLAS use the cores it
has). Against it: 2 ranks (ring backend over loopback) as the stage starts them, the cores shared
out (OpenBLAS threads = cores / ranks), and 2 ranks each with as many BLAS threads as one process. All three train the
same global batches from the same start (a project copy of the bundled example, one curriculum
stage of --iters steps, train.* otherwise from params.yaml), so their loss curves should agree
to float tolerance: the table prints the largest difference from the baseline's.

Rate: trained tokens/s (the reply tokens that carry loss, all ranks together) over every report
but the first (compilation, warm-up); wall: the whole train stage, model loading and launch included.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tasks.testing.projects import BIN, ROOT, copy_project, edit_params, project_env, project_paths, run

THREADS = str(os.cpu_count() or 1)
RUNS = [("1 process (baseline)", 1, {}),
        ("2 ranks (cores shared out: BLAS threads = cores / 2 each, the stage's default)", 2, {}),
        (f"2 ranks, {THREADS} BLAS threads each (as one process has)", 2,
         {"OPENBLAS_NUM_THREADS": THREADS, "OMP_NUM_THREADS": THREADS})]


def train_once(project: Path, ranks: int, env: dict) -> dict:
    paths = project_paths(project)
    shutil.rmtree(paths.train_checkpoints, ignore_errors=True)  # a fresh run, not a resume
    edit_params(project, {"train": {"distributed": {"ranks": ranks}}})
    started = time.perf_counter()
    result = subprocess.run([str(BIN / "python"), "-m", "tasks.train"], cwd=project, env={**project_env(), **env},
                            capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"train with {ranks} rank(s) failed:\n{result.stderr[-3000:]}")
    train = json.loads(paths.train_loss.read_text())
    rest = train[1:] or train
    return {"wall": wall, "tokens_per_second": sum(r["tokens_per_second"] for r in rest) / len(rest),
            "train": train, "val": json.loads(paths.val_loss.read_text())}


def largest_difference(a: dict, b: dict) -> float:
    pairs = [(x["train_loss"], y["train_loss"]) for x, y in zip(a["train"], b["train"])]
    pairs += [(x["val_loss"], y["val_loss"]) for x, y in zip(a["val"], b["val"])]
    return max(abs(x - y) for x, y in pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-model", default="smollm2-135m-instruct", help="train.base_model (default: %(default)s)")
    ap.add_argument("--iters", type=int, default=30, help="optimizer steps of the one stage (default: %(default)s)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        edit_params(project, {"paths": {"model_cache": str(ROOT / ".cache/models")},
                              "train": {"base_model": args.base_model, "steps_per_report": 5,
                                        "steps_per_eval": args.iters, "export": {"lora_gguf": False},
                                        "stages": [{"name": "all", "iters": args.iters, "learning_rate": 5.0e-4}]}})
        run([str(BIN / "dvc"), "repro", "split"], project)
        results = [(name, train_once(project, ranks, env)) for name, ranks, env in RUNS]
    base = results[0][1]
    print(f"train stage, {args.iters} steps on {args.base_model}, {os.cpu_count()} cores "
          f"(`python -m bench.distributed --base-model {args.base_model} --iters {args.iters}`)\n")
    print("| run | trained tokens/s | x baseline | wall s | largest loss difference from the baseline |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in results:
        print(f"| {name} | {r['tokens_per_second']:,.0f} | {r['tokens_per_second'] / base['tokens_per_second']:.2f}x | "
              f"{r['wall']:.1f} | {largest_difference(base, r):.2e} |")


if __name__ == "__main__":
    main()
