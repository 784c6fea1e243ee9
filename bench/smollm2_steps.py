"""What one LoRA training step on SmolLM2-135M-Instruct costs on this machine, by category and by
how many layers the adapter covers: the numbers to choose SmolLM2's training defaults from.

    make run                                               # the dataset first
    .venv/bin/python -m bench.smollm2_steps                # tool_use and text-to-graphql, top 8 and all 30 layers
    .venv/bin/python -m bench.smollm2_steps --categories qa --layers 4 --steps 10

Each run: the converted model (tasks/smollm2.py), LoRA rank 8 on the top N layers, batch 4, the
train split's rows of one category in SmolLM2's chat format (one row per assistant turn, prompt
masked), mlx-lm's trainer with the train stage's batches; seconds per step over the run, model
loading left out. Baseline: the same category with LoRA on all layers, in the same run.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def seconds_per_step(category: str, layers: int, steps: int, batch_size: int = 4) -> float:
    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx_lm import load
    from mlx_lm.tuner.datasets import CacheDataset, create_dataset
    from mlx_lm.tuner.trainer import TrainingArgs, train
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from tasks import chat_format, smollm2
    from tasks.config import load_params
    from tasks.io import read_jsonl
    from tasks.training import DataConfig, LossLog, as_chat, per_turn, trimmed_batches

    paths = load_params(ROOT / "params.yaml").paths.under(ROOT)
    model, tokenizer = load(str(smollm2.converted(paths.model_cache)))
    mx.random.seed(0)
    np.random.seed(0)
    model.freeze()
    linear_to_lora_layers(model, layers, {"rank": 8, "scale": 20.0, "dropout": 0.0})
    fmt = chat_format.for_model(smollm2.NAME)
    rows = [as_chat(r, fmt) for r in per_turn(read_jsonl(paths.split_file("train"))) if r["category"] == category]
    data = CacheDataset(create_dataset(rows, tokenizer, DataConfig(mask_prompt=True)))
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArgs(batch_size=batch_size, iters=steps, val_batches=0, steps_per_report=steps,
                            steps_per_eval=10**9, steps_per_save=10**9, adapter_file=f"{tmp}/a.safetensors",
                            max_seq_length=2048)
        start = time.perf_counter()
        train(model=model, optimizer=optim.Adam(learning_rate=2e-4, bias_correction=True), train_dataset=data,
              val_dataset=data, args=args, training_callback=LossLog(), iterate_batches=trimmed_batches(8))
        return (time.perf_counter() - start) / steps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smollm2_steps", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--categories", nargs="+", default=["tool_use", "text-to-graphql"])
    parser.add_argument("--layers", type=int, nargs="+", default=[8, 30], help="LoRA on the top N layers (30: all)")
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args(argv)
    for category in args.categories:
        times = {n: seconds_per_step(category, n, args.steps) for n in sorted(set(args.layers) | {30})}
        for n, t in times.items():
            print(f"{category:16} LoRA on {n:2} layers: {t:5.1f} s/step ({times[30] / t:.2f}x all 30 layers)")


if __name__ == "__main__":
    main()
