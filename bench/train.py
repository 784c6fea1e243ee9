"""Training throughput: the train stage against raw `mlx_lm.lora` on the same model and data, with
the stock mlx[cpu] BLAS and with OpenBLAS preloaded.

    make run                              # builds data/dataset and models/base first
    .venv/bin/python -m bench.train [--iters 40]

Tokens/s are trained (unmasked) tokens per second as mlx-lm reports them; each figure is the
mean over the reports after the first (compilation warms up in the first). Baseline: raw
`mlx_lm.lora` with the stock wheel, measured in this run. Not yet measured: torch + peft.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def raw_lora(iters: int, blas: str, adapter_dir: Path) -> float:
    cmd = [sys.executable, "-m", "mlx_lm", "lora", "--model", "models/base", "--data", "data/dataset", "--train",
           "--iters", str(iters), "--batch-size", "8", "--learning-rate", "5e-4", "--num-layers", "-1",
           "--max-seq-length", "512", "--mask-prompt", "--steps-per-report", "5", "--val-batches", "1",
           "--steps-per-eval", str(iters + 1), "--adapter-path", str(adapter_dir)]
    env = {**os.environ, "TUNESMITH_BLAS": blas}
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # mlx-lm's table: iter, loss, trend, tok/s, tokens
    rates = [float(x.replace(",", "")) for x in re.findall(r"(?m)^\s*\d+\s+[\d.]+\s+\S+\s+([\d,]+)\s+[\d.,]+k?\s*$", text)]
    return sum(rates[1:]) / len(rates[1:]) if len(rates) > 1 else float("nan")


def stage(iters: int, blas: str) -> float:
    code = f"""
import json, sys
from pathlib import Path
from tasks.config import load_params
from tasks.train import run
p = load_params()
train = p.train.model_copy(update={{"stages": [p.train.stages[0].model_copy(update={{"iters": {iters}}})],
                                    "checkpoint_every": {iters}, "steps_per_report": 5, "val_batches": 1}})
paths = p.paths.model_copy(update={{"base_model": Path(sys.argv[1]) / "base", "adapter": Path(sys.argv[1]) / "adapter",
                                    "fused": Path(sys.argv[1]) / "fused", "reports": Path(sys.argv[1]) / "reports",
                                    "train_checkpoints": Path(sys.argv[1]) / "ckpt"}})
run(train, paths)
rows = json.loads((paths.reports / "plots" / "train_loss.json").read_text())
print("RATE", sum(r["tokens_per_second"] for r in rows[1:]) / max(1, len(rows[1:])))
"""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code, tmp], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "TUNESMITH_BLAS": blas})
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    return float(out.stdout.split("RATE")[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=40)
    args = parser.parse_args(argv)
    if not (ROOT / "data/dataset/train.jsonl").exists() or not (ROOT / "models/base/config.json").exists():
        sys.exit("run `make run` first: this benchmark trains on data/dataset with models/base")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ("raw mlx_lm.lora, stock BLAS (baseline)", raw_lora(max(10, args.iters // 4), "bundled", Path(tmp) / "a")),
            ("raw mlx_lm.lora, OpenBLAS", raw_lora(args.iters, "openblas", Path(tmp) / "b")),
            ("train stage, stock BLAS", stage(max(10, args.iters // 4), "bundled")),
            ("train stage, OpenBLAS", stage(args.iters, "openblas")),
        ]
    base = rows[0][1]
    print("\n| run | trained tokens/s | x baseline |\n| --- | ---: | ---: |")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}x |")


if __name__ == "__main__":
    main()
