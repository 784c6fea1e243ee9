"""Training throughput on the configured base model (SmolLM2-135M-Instruct by default): the train
stage against raw `mlx_lm.lora`, and MLX against PyTorch + peft on the same weights and batches.

    make run                              # the dataset and the converted model first
    make bench-train                      # or: .venv/bin/python -m bench.train [--iters 30]

Rate: trained tokens/s, the reply tokens that carry loss (what mlx-lm reports), over every step
but the first WARMUP (compilation, warm-up). Every run is a fresh process, one at a time, with
train.* from params.yaml (LoRA rank, scale and layers, batch size, learning rate of the first stage).

0. Rows and tokens of one pass over the train split, each way (`--only tokens` prints just this).
1. The pipeline against raw `mlx_lm.lora` (baseline). Raw mlx-lm trains the last message of a
   row, so it gets the rows a user would have to write to train every reply: the train split in
   the base model's chat format (tasks/formats/chat_format.py), one row per assistant reply. The train
   stage reads the same split. Both train each reply's tokens once per epoch, so the ratio of
   trained tokens/s is also the ratio of seconds per epoch.
2. Same batches (the train stage's, tasks/tuner/batches.py), three ways: MLX as the train stage runs it
   (shared prefix computed once, output layer on the targets only), MLX on the whole padded rows
   (every position's logits, as mlx-lm's default loss computes them), and torch + peft
   (baseline) on the whole rows, the weights read by transformers from the same GGUF file.
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
WARMUP = 3  # steps left out of every rate


def params():
    from tasks.core.config import load_params

    return load_params(ROOT / "params.yaml")


def project_paths():
    return params().paths.under(ROOT)


def per_turn(rows: list[dict]) -> list[dict]:
    """One row per assistant turn, each ending at that turn (what raw mlx-lm needs to train every reply).

    >>> rows = [{"messages": [{"role": "user"}, {"role": "assistant"}, {"role": "tool"}, {"role": "assistant"}]}]
    >>> [len(r["messages"]) for r in per_turn(rows)]
    [2, 4]
    """
    return [{**row, "messages": row["messages"][: i + 1]}
            for row in rows for i, m in enumerate(row["messages"]) if m["role"] == "assistant"]


def chat_rows(split: str) -> list[dict]:
    """A split's rows in the base model's chat format, as the train stage renders them."""
    from tasks.formats import chat_format
    from tasks.tuner.training import as_chat

    fmt = chat_format.for_model(params().train.base_model)
    return [as_chat(r, fmt) for r in read_split(split)]


def run_json(cmd: list[str]) -> str:
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=os.environ)
    if out.returncode != 0:
        sys.exit(out.stderr[-3000:])
    return out.stdout + out.stderr


# --- 0. what each way computes ---------------------------------------------------------------------

def token_counts() -> str:
    """Rows and tokens of one pass over the train split: one row per reply (what raw mlx-lm needs),
    whole dialogues, and what the train stage's batches compute (each batch's shared prefix once)."""
    from mlx_lm import load

    from tasks.tuner import batches
    from tasks.tuner.training import base_model_path

    t = params().train
    _, tokenizer = load(base_model_path(t, project_paths()))
    rows = chat_rows("train")
    lines = ["| category | rows, one per reply | tokens | whole rows | tokens | tokens computed by the stage |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for category in sorted({r["category"] for r in read_split("train")}):
        mine = [row for row, raw in zip(rows, read_split("train")) if raw["category"] == category]
        turns = [len(tokenizer.apply_chat_template(r["messages"], return_dict=False)) for r in per_turn(mine)]
        whole = [e for r in mine for e in batches.encode(r, tokenizer, t.mask_prompt, t.max_seq_length)[0]]
        stream = batches.BatchSet(whole, t.batch_size, t.pad_multiple, t.seed, share_prefix=True)
        computed = 0
        for members in stream.batches:
            group = [whole[i] for i in members]
            computed += sum(len(r.tokens) for r in group) - (len(group) - 1) * batches.common_prefix(group)
        lines.append(f"| {category} | {len(turns):,} | {sum(turns):,} | {len(whole):,} | "
                     f"{sum(len(r.tokens) for r in whole):,} | {computed:,} |")
    return "\n".join(lines)


def read_split(split: str) -> list[dict]:
    from tasks.core.io import read_jsonl

    return read_jsonl(project_paths().split_file(split))


# --- 1. the pipeline against raw mlx_lm.lora ------------------------------------------------------

def raw_lora(iters: int, tmp: Path) -> dict:
    from tasks.core.io import write_jsonl
    from tasks.tuner.training import base_model_path

    p = params()
    t = p.train
    data = tmp / "data"
    for split in ("train", "valid"):
        write_jsonl(data / f"{split}.jsonl", per_turn(chat_rows(split)))
    config = tmp / "lora.yaml"  # the CLI takes the LoRA rank and scale from a config file only
    config.write_text(json.dumps({"lora_parameters": {"rank": t.lora_rank, "scale": t.lora_scale, "dropout": 0.0}}))
    cmd = [sys.executable, "-m", "mlx_lm", "lora", "--model", base_model_path(t, project_paths()), "--data", str(data),
           "--train", "--iters", str(iters), "--batch-size", str(t.batch_size), "--learning-rate",
           str(t.stages[0].learning_rate), "--num-layers", str(t.lora_layers or -1), "--max-seq-length",
           str(t.max_seq_length), "--mask-prompt", "--steps-per-report", "1", "--val-batches", "1",
           "--steps-per-eval", str(iters + 1), "--adapter-path", str(tmp / "adapter"), "-c", str(config)]
    text = re.sub(r"\x1b\[[0-9;]*m", "", run_json(cmd))  # mlx-lm's table: iter, loss, trend, tok/s, tokens
    rates = [float(x.replace(",", "")) for x in re.findall(r"(?m)^\s*\d+\s+[\d.]+\s+\S+\s+([\d,]+)\s+[\d.,]+k?\s*$", text)]
    timed = rates[WARMUP:]
    return {"trained": sum(timed) / len(timed) if timed else float("nan")}


def stage(iters: int, tmp: Path) -> dict:
    """The train stage itself (`python -m tasks.train`), as DVC runs it, in a scratch folder."""
    from bench.scratch import scratch_params
    from tasks.core.config import load_params

    p = params()
    tmp.mkdir(parents=True)
    every = p.train.stages[0].model_copy(update={"iters": iters, "categories": None})  # all rows, as raw mlx-lm
    train = p.train.model_copy(update={"stages": [every],
                                       "checkpoint_every": iters, "steps_per_report": 1, "val_batches": 1})
    config = scratch_params(tmp, train=train)
    run_json([sys.executable, "-m", "tasks.train", "--params", str(config)])
    rows = json.loads(load_params(config).paths.train_loss.read_text())[WARMUP:]
    return {"trained": sum(r["tokens_per_second"] for r in rows) / len(rows)}


# --- 2. same batches: MLX (two ways) and torch + peft, each in its own process (--worker) ------

def same_batches(iters: int) -> list:
    """The first `iters` batches the train stage would train on (all categories, its seed), built
    by the train stage's own batch_set."""
    from mlx_lm import load

    from tasks.train import batch_set
    from tasks.tuner.ranks import World
    from tasks.tuner.training import base_model_path

    t = params().train
    model, tokenizer = load(base_model_path(t, project_paths()))
    stream, _ = batch_set(chat_rows("train"), tokenizer, model, t, t.seed, World(0, 1))
    picked = [stream.order(0)[i % len(stream.batches)] for i in range(iters)]
    return [[stream.rows[i] for i in stream.batches[b]] for b in picked]


def whole_rows(rows, pad_multiple: int):
    """A batch without the shared prefix: every row whole, padded; the target mask per position."""
    import numpy as np

    width = pad_multiple * -(-(max(len(r.tokens) for r in rows) - 1) // pad_multiple)
    inputs, targets, mask = (np.zeros((len(rows), width), t) for t in (np.int32, np.int32, np.float32))
    for b, r in enumerate(rows):
        inputs[b, : len(r.tokens) - 1], targets[b, : len(r.tokens) - 1] = r.tokens[:-1], r.tokens[1:]
        for s, e in r.spans:
            mask[b, s - 1: e - 1] = 1
    return inputs, targets, mask


def mlx_worker(rows_per_batch: list, shared: bool) -> list[tuple[float, int, float]]:
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim

    from tasks.train import load_with_lora
    from tasks.tuner import batches

    p = params()
    model, _ = load_with_lora(p.train, project_paths())
    optimizer = optim.Adam(learning_rate=p.train.stages[0].learning_rate, bias_correction=True)

    def full_loss(model, inputs, targets, mask):  # every position's logits, as mlx-lm's default_loss
        n = mask.sum()
        return (nn.losses.cross_entropy(model(inputs), targets) * mask).astype(mx.float32).sum() / n, n

    loss = batches.loss if shared else full_loss
    grad = nn.value_and_grad(model, loss)

    def step(*arrays):
        (value, n), g = grad(model, *arrays)
        optimizer.update(model, g)
        return value, n

    step = mx.compile(step, inputs=[model.state, optimizer.state], outputs=[model.state, optimizer.state])
    out = []
    for rows in rows_per_batch:
        if shared:
            arrays = batches.make_batch(rows, p.train.pad_multiple).arrays()
        else:
            arrays = tuple(mx.array(a) for a in whole_rows(rows, p.train.pad_multiple))
        tic = time.perf_counter()
        value, n = step(*arrays)
        mx.eval(value, n, model.state, optimizer.state)
        out.append((time.perf_counter() - tic, int(n.item()), value.item()))
    return out


def torch_worker(rows_per_batch: list) -> list[tuple[float, int, float]]:
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model

    from bench.smollm2_check import transformers_model

    p = params()
    t = p.train
    model = transformers_model()
    layers = model.config.num_hidden_layers
    lora = LoraConfig(r=t.lora_rank, lora_alpha=t.lora_scale * t.lora_rank, lora_dropout=0.0, bias="none",
                      layers_to_transform=list(range(layers - (t.lora_layers or layers), layers)),
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    model = get_peft_model(model, lora)
    torch.manual_seed(0)
    optimizer = torch.optim.Adam([w for w in model.parameters() if w.requires_grad], lr=t.stages[0].learning_rate)
    model.train()
    out = []
    for rows in rows_per_batch:
        inputs, targets, mask = (torch.from_numpy(a) for a in whole_rows(rows, t.pad_multiple))
        inputs, targets = inputs.long(), targets.long()
        tic = time.perf_counter()
        logits = model(input_ids=inputs).logits
        ce = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), reduction="none").view_as(mask)
        loss = (ce * mask).sum() / mask.sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        out.append((time.perf_counter() - tic, int(mask.sum()), loss.item()))
    return out


def worker(kind: str, iters: int) -> None:
    rows = same_batches(iters)
    steps = torch_worker(rows) if kind == "torch" else mlx_worker(rows, shared=kind == "mlx-stage")
    timed = steps[WARMUP:]
    print("RESULT", json.dumps({"trained": sum(n for _, n, _ in timed) / sum(s for s, _, _ in timed),
                                "first_loss": steps[0][2], "last_loss": steps[-1][2]}))


def same_batches_run(kind: str, iters: int) -> dict:
    out = run_json([sys.executable, "-m", "bench.train", "--worker", kind, "--iters", str(iters)])
    return json.loads(out.split("RESULT")[-1].splitlines()[0])


# --- the report -------------------------------------------------------------------------------

def table(rows: list[tuple[str, dict]], baseline: str) -> str:
    base = dict(rows)[baseline]["trained"]
    lines = ["| run | trained tok/s | x baseline |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {r['trained']:,.0f} | {r['trained'] / base:.2f}x |" for name, r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=30, help="steps per run (default: %(default)s)")
    parser.add_argument("--worker", choices=["mlx-stage", "mlx-whole", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["tokens", "pipeline", "frameworks"],
                        help="one section: the rows and tokens table (seconds), 1 or 2 (default: all three)")
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.iters)
    if args.only == "tokens":
        return print(token_counts())
    paths = project_paths()
    if not paths.split_file("train").exists():
        sys.exit(f"run `make run` first: this benchmark trains on {paths.dataset}")
    try:
        import gguf  # noqa: F401
        import peft  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        sys.exit("the torch + peft baseline is not installed: `make bench-train` installs it")

    if args.only is None:
        print(f"## One pass over the train split, on {params().train.base_model}\n\n{token_counts()}")
    print(f"\n{args.iters} steps per run, the first {WARMUP} not timed")
    if args.only in (None, "pipeline"):
        with tempfile.TemporaryDirectory() as tmp:
            pipeline = [("raw mlx_lm.lora, one row per reply (baseline)", raw_lora(args.iters, Path(tmp) / "raw"))]
            pipeline.append(("train stage (python -m tasks.train)", stage(args.iters, Path(tmp) / "stage")))
        print("\n## The train stage against raw mlx_lm.lora\n")
        print(table(pipeline, pipeline[0][0]))
    if args.only in (None, "frameworks"):
        runs = {kind: same_batches_run(kind, args.iters) for kind in ("torch", "mlx-whole", "mlx-stage")}
        frameworks = [("torch + peft, whole rows (baseline)", runs["torch"]),
                      ("MLX, whole rows, every position's logits", runs["mlx-whole"]),
                      ("MLX as the train stage runs it", runs["mlx-stage"])]
        print("\n## The same batches: MLX against torch + peft\n")
        print(table(frameworks, frameworks[0][0]))
        print("\nfirst/last batch loss (the same model learning the same batches): "
              + ", ".join(f"{name}: {r['first_loss']:.3f} -> {r['last_loss']:.3f}" for name, r in frameworks))


if __name__ == "__main__":
    main()
