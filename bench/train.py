"""Training throughput of the train stage against raw `mlx_lm.lora`, the stock mlx[cpu] BLAS
against OpenBLAS, and MLX against PyTorch + peft on the same tiny Llama, LoRA and batches; then
where MLX's time goes.

    make run                              # builds the dataset and the base model first
    make bench-train                      # or: .venv/bin/python -m bench.train [--iters 100]

The pipeline rows differ in their data as well as their code: raw `mlx_lm.lora --mask-prompt`
trains each dialogue's last reply, the train stage one row per assistant turn (tasks/train.py).

Two rates per run: trained tokens/s (the unmasked reply tokens that carry loss, what mlx-lm
reports) and processed tokens/s (every position of every padded batch: what the hardware does).
Each rate leaves out the first steps (compilation, warm-up). Baseline: raw `mlx_lm.lora` with
the stock wheel, measured in this run. Every run is a fresh process, one at a time.

Same-batches runs: one list of batches, built by the train stage's batcher (mlx-lm's: sorted by
length, shuffled with a fixed seed; padded to a multiple of train.pad_multiple where mlx-lm pads
to 32) from the train split cut into one row per assistant turn, as the train stage
does, fed unchanged to MLX and to torch.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARMUP = 5  # steps left out of every rate


# --- the pipeline's own paths: raw mlx_lm.lora and the train stage -----------------------------

def params():
    from tasks.config import load_params

    return load_params(ROOT / "params.yaml")


def train_params():
    return params().train


def project_paths():
    """The project's artifacts: this bench reads the dataset and the base model `make run` built."""
    return params().paths.under(ROOT)


def lora_params() -> dict:
    train = train_params()
    return {"rank": train.lora_rank, "scale": train.lora_scale, "dropout": 0.0}


def raw_lora(iters: int, blas: str, adapter_dir: Path) -> dict:
    adapter_dir.mkdir(parents=True)
    config = adapter_dir / "lora.yaml"  # the CLI takes the LoRA rank and scale from a config file only
    config.write_text(json.dumps({"lora_parameters": lora_params()}))
    paths = project_paths()
    cmd = [sys.executable, "-m", "mlx_lm", "lora", "--model", str(paths.base_model), "--data", str(paths.dataset), "--train",
           "--iters", str(iters), "--batch-size", "8", "--learning-rate", "5e-4", "--num-layers", "-1",
           "--max-seq-length", "512", "--mask-prompt", "--steps-per-report", "5", "--val-batches", "1",
           "--steps-per-eval", str(iters + 1), "--adapter-path", str(adapter_dir), "-c", str(config)]
    out = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "TUNESMITH_BLAS": blas}, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # mlx-lm's table: iter, loss, trend, tok/s, tokens
    rates = [float(x.replace(",", "")) for x in re.findall(r"(?m)^\s*\d+\s+[\d.]+\s+\S+\s+([\d,]+)\s+[\d.,]+k?\s*$", text)]
    return {"trained": sum(rates[1:]) / len(rates[1:]) if len(rates) > 1 else float("nan")}


def stage_params(iters: int, out: Path) -> Path:
    """params.yaml for a timed run of the train stage: `iters` steps, no pre-training pass (it is
    not what is timed), every artifact in `out` but the inputs it reads (bench/scratch.py)."""
    from bench.scratch import scratch_params

    p = params()
    train = p.train.model_copy(update={
        "stages": [p.train.stages[0].model_copy(update={"iters": iters})],
        "tiny": p.train.tiny.model_copy(update={"pretrain_iters": 0}),
        "checkpoint_every": iters, "steps_per_report": 5, "val_batches": 1})
    return scratch_params(out, train=train)


def result_of(cmd: list[str], blas: str) -> dict:
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "TUNESMITH_BLAS": blas})
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.split("RESULT")[-1])


def stage(iters: int, blas: str) -> dict:
    """The train stage itself (`python -m tasks.train`), as DVC runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        config = stage_params(iters, Path(tmp))
        out = subprocess.run([sys.executable, "-m", "tasks.train", "--params", str(config)], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, "TUNESMITH_BLAS": blas})
        if out.returncode != 0:
            sys.exit(out.stderr[-3000:])
        from tasks.config import load_params

        rows = json.loads(load_params(config).paths.train_loss.read_text())
        return {"trained": sum(r["tokens_per_second"] for r in rows[1:]) / max(1, len(rows[1:]))}


# --- same batches, MLX and torch (each in its own process: `--worker ...`) ----------------------

def build_batches(iters: int, batch_size: int, pad_to: int | None, pad_multiple: int) -> list[tuple]:
    """`iters` batches of (tokens, [offset, length] per row) as numpy arrays, padded to a multiple
    of `pad_multiple`, or with `pad_to`, every batch to that length (one shape for the run)."""
    import numpy as np
    from mlx_lm import load
    from mlx_lm.tuner.datasets import CacheDataset, create_dataset
    from tasks.io import read_jsonl
    from tasks.training import DataConfig, per_turn, trimmed_batches

    paths = project_paths()
    _, tokenizer = load(str(paths.base_model))
    rows = per_turn(read_jsonl(paths.split_file("train")))
    dataset = CacheDataset(create_dataset(rows, tokenizer, DataConfig(mask_prompt=True)))
    batches = []
    for tokens, lengths in trimmed_batches(pad_multiple)(dataset, batch_size, 512, loop=True, seed=0):
        tokens, lengths = np.array(tokens), np.array(lengths)
        if pad_to:
            tokens = np.pad(tokens, ((0, 0), (0, pad_to - tokens.shape[1])))
        batches.append((tokens, lengths))
        if len(batches) == iters:
            return batches
    return batches


def rates(batches: list[tuple], seconds: list[float], trained: list[int]) -> dict:
    timed = slice(WARMUP, None)
    total = sum(seconds[timed])
    processed = sum(b[0].size for b in batches)
    return {
        "trained": sum(trained[timed]) / total,
        "processed": sum(b[0].size for b in batches[timed]) / total,
        "first_steps_s": sum(seconds[:WARMUP]),
        "padding_share": 1 - sum(int(b[1][:, 1].sum()) for b in batches) / processed,
        "trained_share": sum(trained) / processed,
    }


def mlx_worker(batches: list[tuple], compiled: bool) -> dict:
    """mlx-lm's loss and Adam on the LoRA model, stepped as mlx-lm's trainer steps (compiled), or eagerly."""
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim
    from mlx_lm import load
    from mlx_lm.tuner.trainer import default_loss
    from mlx_lm.tuner.utils import linear_to_lora_layers

    model, _ = load(str(project_paths().base_model))
    mx.random.seed(0)
    model.freeze()
    linear_to_lora_layers(model, len(model.layers), lora_params())
    optimizer = optim.Adam(learning_rate=5e-4, bias_correction=True)
    loss_and_grad = nn.value_and_grad(model, default_loss)

    def step(tokens, lengths):
        (loss, ntoks), grad = loss_and_grad(model, tokens, lengths)
        optimizer.update(model, grad)
        return loss, ntoks

    if compiled:
        step = mx.compile(step, inputs=[model.state, optimizer.state], outputs=[model.state, optimizer.state])
    seconds, trained, losses = [], [], []
    for tokens, lengths in batches:
        tic = time.perf_counter()
        loss, ntoks = step(mx.array(tokens), mx.array(lengths))
        mx.eval(loss, ntoks, model.state, optimizer.state)
        seconds.append(time.perf_counter() - tic)
        trained.append(int(ntoks.item()))
        losses.append(loss.item())
    return {**rates(batches, seconds, trained), "first_loss": losses[0], "last_loss": losses[-1]}


def torch_worker(batches: list[tuple]) -> dict:
    import torch

    from bench import torch_peft

    lora = lora_params()
    model = torch_peft.load_model(project_paths().base_model, rank=lora["rank"], scale=lora["scale"])
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=5e-4)
    model.train()
    seconds, trained, losses = [], [], []
    for tokens, lengths in batches:
        tic = time.perf_counter()
        loss, ntoks = torch_peft.loss_fn(model, torch.from_numpy(tokens).long(), torch.from_numpy(lengths).long())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        seconds.append(time.perf_counter() - tic)
        trained.append(int(ntoks))
        losses.append(loss.item())
    return {**rates(batches, seconds, trained), "first_loss": losses[0], "last_loss": losses[-1],
            "threads": torch.get_num_threads()}


def worker(kind: str, iters: int, batch_size: int, pad_to: int | None, pad_multiple: int) -> None:
    batches = build_batches(iters, batch_size, pad_to, pad_multiple)
    if kind == "torch":
        result = torch_worker(batches)
    else:
        result = mlx_worker(batches, compiled=kind == "mlx")
    print("RESULT", json.dumps(result))


def same_batches(kind: str, iters: int, blas: str = "openblas", batch_size: int = 8, pad_to: int | None = None,
                 pad_multiple: int | None = None) -> dict:
    pad_multiple = pad_multiple or train_params().pad_multiple  # the train stage's batches by default
    cmd = [sys.executable, "-m", "bench.train", "--worker", kind, "--iters", str(iters), "--batch-size", str(batch_size),
           "--pad-multiple", str(pad_multiple)]
    if pad_to:
        cmd += ["--pad-to", str(pad_to)]
    return result_of(cmd, blas)


# --- the report -------------------------------------------------------------------------------

def table(rows: list[tuple[str, dict]], baseline: str) -> str:
    base = dict(rows)[baseline]["trained"]
    lines = ["| run | trained tok/s | x baseline | processed tok/s | first 5 steps (s) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, r in rows:
        processed = f"{r['processed']:,.0f}" if "processed" in r else ""
        first = f"{r['first_steps_s']:.1f}" if "first_steps_s" in r else ""
        lines.append(f"| {name} | {r['trained']:,.0f} | {r['trained'] / base:.2f}x | {processed} | {first} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=100, help="steps per run (default: %(default)s; at 40, runs differ by 15%%)")
    parser.add_argument("--worker", choices=["mlx", "mlx-eager", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument("--pad-to", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--pad-multiple", type=int, default=8, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.iters, args.batch_size, args.pad_to, args.pad_multiple)
    paths = project_paths()
    if not paths.split_file("train").exists() or not (paths.base_model / "config.json").exists():
        sys.exit(f"run `make run` first: this benchmark trains on {paths.dataset} with {paths.base_model}")
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        sys.exit("the torch + peft baseline is not installed: `make bench-train` installs it "
                 "(or: .venv/bin/pip install torch==2.13.0 peft)")

    n, short = args.iters, max(2 * WARMUP, args.iters // 4)  # the stock BLAS is ~10x slower: fewer steps
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = [
            ("raw mlx_lm.lora, stock BLAS (baseline)", raw_lora(short, "bundled", Path(tmp) / "a")),
            ("raw mlx_lm.lora, OpenBLAS", raw_lora(n, "openblas", Path(tmp) / "b")),
            ("train stage, stock BLAS", stage(short, "bundled")),
            ("train stage, OpenBLAS", stage(n, "openblas")),
        ]
    print("\n## The pipeline against raw mlx_lm.lora\n")
    print(table(pipeline, pipeline[0][0]))

    frameworks = [
        ("torch 2.13 + peft (baseline)", same_batches("torch", n)),
        ("MLX, stock BLAS", same_batches("mlx", short, blas="bundled")),
        ("MLX, OpenBLAS", same_batches("mlx", n)),
        ("MLX, OpenBLAS, eager (no mx.compile)", same_batches("mlx-eager", n)),
        ("MLX, OpenBLAS, mlx-lm's own padding (multiple of 32)", same_batches("mlx", n, pad_multiple=32)),
        ("torch, padded to a multiple of 32", same_batches("torch", n, pad_multiple=32)),
        ("MLX, OpenBLAS, batch size 4", same_batches("mlx", n, batch_size=4)),
        ("MLX, OpenBLAS, batch size 16", same_batches("mlx", n, batch_size=16)),
        ("MLX, OpenBLAS, one shape (every batch padded to 513)", same_batches("mlx", n, pad_to=513)),
        ("torch, one shape (every batch padded to 513)", same_batches("torch", n, pad_to=513)),
    ]
    print("\n## Same model, LoRA and batches: MLX against torch + peft\n")
    print(table(frameworks, frameworks[0][0]))
    losses = {name: (round(r["first_loss"], 3), round(r["last_loss"], 3)) for name, r in frameworks[:3]}
    print(f"\nfirst/last batch loss (the same model learning the same batches): {losses}")
    for name, r in frameworks:
        if name.startswith("MLX, OpenBLAS"):
            print(f"{name}: of the processed positions {r['padding_share']:.0%} are padding and "
                  f"{r['trained_share']:.0%} carry loss (the rest is masked prompt)")


if __name__ == "__main__":
    main()
