"""Fine-tune a LoRA adapter with mlx-lm on the train split.

Reads:  paths.dataset/{train,valid}.jsonl, paths.parsed/docs.jsonl (the tiny model's pre-training)
Writes: paths.base_model/ (the tiny base model, when train.base_model is "tiny"),
        paths.adapter/ (adapters.safetensors + adapter_config.json), paths.fused/ (when
        train.export asks), reports/plots/*_loss.json and loss.svg
Params: train.*

Training runs the curriculum in train.stages, each stage continuing from the previous one's
adapter, and saves a checkpoint (adapter, optimizer state, progress) every train.checkpoint_every
iterations in paths.train_checkpoints: an interrupted run resumes there instead of from zero.
With `base_model: tiny` the stage first builds the offline base model (tasks/tiny_model.py) from
the train split's text and the docs. Any other value is a local path or Hugging Face id that
mlx-lm loads; then paths.base_model only records which model was used.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tasks.config import Paths, TrainParams
from tasks.io import atomic_path, read_jsonl, write_json, write_text
from tasks.plots import loss_svg
from tasks.stage import StageFailed, stage_main


@dataclass(frozen=True)
class DataConfig:
    """The attributes mlx-lm's dataset builder reads (it uses getattr on a namespace)."""
    mask_prompt: bool
    chat_feature: str = "messages"


def corpus_texts(rows: list[dict], tool_specs: bool = True) -> list[str]:
    """Each message's text and each tool call on its own, and (for the tokenizer, which must learn
    to spell them) the tool specs."""
    texts = []
    for row in rows:
        for m in row["messages"]:
            texts.append(m.get("content") or "")
            texts += [c["function"]["name"] + " " + c["function"]["arguments"] for c in m.get("tool_calls") or []]
        if tool_specs and row.get("tools"):
            texts.append(json.dumps(row["tools"]))
    return texts


def docs_texts(docs_file: Path) -> list[str]:
    """The parsed documentation sections (none when the project has no docs source)."""
    return [section["text"] for section in read_jsonl(docs_file)] if docs_file.exists() else []


def per_turn(rows: list[dict]) -> list[dict]:
    """One training row per assistant turn, each ending at that turn.

    mlx-lm's prompt masking trains only a row's last message; a tool-use dialogue whose last
    message is "Done." would never teach the tool calls before it. Single-turn rows are unchanged.

    >>> rows = [{"messages": [{"role": "user"}, {"role": "assistant"}, {"role": "tool"}, {"role": "assistant"}]}]
    >>> [len(r["messages"]) for r in per_turn(rows)]
    [2, 4]
    """
    out = []
    for row in rows:
        for i, m in enumerate(row["messages"]):
            if m["role"] == "assistant":
                out.append({**row, "messages": row["messages"][: i + 1]})
    return out


def trimmed_batches(pad_multiple: int):
    """mlx-lm's batch iterator, each batch cut to its longest row rounded up to `pad_multiple`
    (mlx-lm rounds up to 32): fewer padded positions to compute, a few more shapes to compile."""
    from mlx_lm.tuner.trainer import iterate_batches

    def iterate(*args, **kwargs):
        for batch, lengths in iterate_batches(*args, **kwargs):
            longest = int(lengths[:, 1].max().item())
            yield batch[:, : min(batch.shape[1], 1 + pad_multiple * -(-longest // pad_multiple))], lengths

    return iterate


def base_model_path(p: TrainParams, paths: Paths) -> str:
    """Where evaluation and `mlx_lm.*` commands find the base model."""
    return str(paths.base_model) if p.base_model == "tiny" else p.base_model


def prepare_base_model(p: TrainParams, paths: Paths, train_rows: list[dict], checkpoint: "Checkpoint") -> dict:
    """Build the tiny base model (or note the external one) into paths.base_model. The built model
    is kept beside the training checkpoints, so a resumed run continues on the very same base."""
    import shutil

    from tasks import tiny_model

    kept = checkpoint.dir / "base"
    with atomic_path(paths.base_model) as tmp:
        if p.base_model == "tiny" and (kept / "tunesmith_base.json").exists():
            shutil.copytree(kept, tmp)
            return json.loads((tmp / "tunesmith_base.json").read_text())
        tmp.mkdir()
        if p.base_model == "tiny":
            pretrain_texts = docs_texts(paths.parsed / "docs.jsonl") + corpus_texts(train_rows, tool_specs=False)
            info = {"kind": "tiny", **tiny_model.build(corpus_texts(train_rows), pretrain_texts, p.tiny,
                                                       p.batch_size, p.seed, tmp)}
        else:
            info = {"kind": "external", "model": p.base_model}
        write_json(tmp / "tunesmith_base.json", info)
        if p.base_model == "tiny":
            with atomic_path(kept) as kept_tmp:
                shutil.copytree(tmp, kept_tmp)
    return info


def export_model(p: TrainParams, paths: Paths) -> dict:
    """Fuse the adapter into the base model (and write GGUF) with mlx-lm's own `fuse` command.
    When neither is asked for, paths.fused holds a note saying how to ask."""
    import subprocess

    with atomic_path(paths.fused) as tmp:
        if not (p.export.fused or p.export.gguf):
            tmp.mkdir()
            (tmp / "README.md").write_text("Not exported: set train.export.fused (or .gguf) to true in params.yaml.\n")
            return {"fused": False, "gguf": False}
        cmd = [sys.executable, "-m", "mlx_lm", "fuse", "--model", base_model_path(p, paths),
               "--adapter-path", str(paths.adapter), "--save-path", str(tmp)]
        if p.export.gguf:
            cmd.append("--export-gguf")
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise StageFailed(f"mlx_lm fuse failed:\n{result.stderr[-3000:]}")
    return {"fused": True, "gguf": p.export.gguf, "path": str(paths.fused)}


class LossLog:
    """mlx-lm training callback: keeps every reported train and validation loss, numbered across
    stages and resumed chunks (`offset` is the iterations done before the current call)."""

    def __init__(self, train: list[dict] | None = None, val: list[dict] | None = None) -> None:
        self.train: list[dict] = train or []
        self.val: list[dict] = val or []
        self.offset = 0

    def on_train_loss_report(self, info: dict) -> None:
        row = {k: info[k] for k in ("iteration", "train_loss", "tokens_per_second", "learning_rate")}
        self.train.append({**row, "iteration": info["iteration"] + self.offset})

    def on_val_loss_report(self, info: dict) -> None:
        self.val.append({"iteration": info["iteration"] + self.offset, "val_loss": info["val_loss"]})


class Checkpoint:
    """Adapter weights, optimizer state and progress after every `checkpoint_every` iterations,
    in a folder named by a hash of the params and the data, so only the very same run resumes."""

    def __init__(self, root: Path, p: TrainParams, inputs: list[Path]):
        digest = hashlib.sha256(json.dumps(p.model_dump(mode="json"), sort_keys=True).encode())
        for path in inputs:
            digest.update(path.read_bytes() if path.exists() else b"")
        self.dir = Path(root) / digest.hexdigest()[:16]

    def load(self) -> dict | None:
        state = self.dir / "state.json"
        return json.loads(state.read_text()) if state.exists() else None

    def save(self, model, optimizer, state: dict) -> None:
        import mlx.core as mx
        from mlx.utils import tree_flatten

        self.dir.mkdir(parents=True, exist_ok=True)
        for name, tree in (("adapters", model.trainable_parameters()), ("optimizer", optimizer.state)):
            tmp = self.dir / f"{name}.tmp.safetensors"
            mx.save_safetensors(str(tmp), dict(tree_flatten(tree)))
            os.replace(tmp, self.dir / f"{name}.safetensors")
        write_json(self.dir / "state.json", state)  # written last: it says the files above are whole

    def restore(self, model, optimizer) -> None:
        import mlx.core as mx
        from mlx.utils import tree_unflatten

        model.load_weights(str(self.dir / "adapters.safetensors"), strict=False)
        optimizer.state = tree_unflatten(list(mx.load(str(self.dir / "optimizer.safetensors")).items()))


def run(p: TrainParams, paths: Paths) -> dict:
    from tasks.blas import warn_if_slow

    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx_lm import load
    from mlx_lm.tuner.datasets import CacheDataset, create_dataset
    from mlx_lm.tuner.trainer import TrainingArgs, train
    from mlx_lm.tuner.utils import linear_to_lora_layers, print_trainable_parameters

    train_rows = read_jsonl(paths.dataset / "train.jsonl")
    valid_rows = read_jsonl(paths.dataset / "valid.jsonl")
    for name, rows in (("train", train_rows), ("valid", valid_rows)):
        if len(rows) < p.batch_size:
            raise StageFailed(
                f"{paths.dataset / name}.jsonl has {len(rows)} examples, fewer than train.batch_size={p.batch_size}; "
                "lower train.batch_size or produce more examples (generate.quotas)"
            )

    blas = warn_if_slow()
    inputs = [paths.dataset / "train.jsonl", paths.dataset / "valid.jsonl", paths.parsed / "docs.jsonl"]
    checkpoint = Checkpoint(paths.train_checkpoints, p, inputs)
    base = prepare_base_model(p, paths, train_rows, checkpoint)
    model, tokenizer = load(base_model_path(p, paths))
    mx.random.seed(p.seed)  # mlx initialises LoRA weights from its global generator
    np.random.seed(p.seed)  # mlx-lm's batch iterator shuffles with numpy's global generator
    model.freeze()
    lora = {"rank": p.lora_rank, "scale": p.lora_scale, "dropout": 0.0}
    linear_to_lora_layers(model, len(model.layers), lora)
    print_trainable_parameters(model)

    data_config = DataConfig(mask_prompt=p.mask_prompt)
    resumed = checkpoint.load()
    log = LossLog(*(resumed["loss"] if resumed else ([], [])))
    stages_report = []
    iterations_run = 0
    with atomic_path(paths.adapter) as tmp:
        tmp.mkdir()
        done_before = 0
        for index, stage in enumerate(p.stages):
            rows = {n: [r for r in rs if stage.categories is None or r["category"] in stage.categories]
                    for n, rs in (("train", train_rows), ("valid", valid_rows))}
            if len(rows["valid"]) < p.batch_size:
                rows["valid"] = valid_rows  # too few to validate this stage's categories alone
            if p.mask_prompt:
                rows = {n: per_turn(rs) for n, rs in rows.items()}
            if len(rows["train"]) < p.batch_size:
                raise StageFailed(f"train stage {stage.name!r}: {len(rows['train'])} training rows for "
                                  f"categories {stage.categories}, fewer than train.batch_size={p.batch_size}")
            train_set = CacheDataset(create_dataset(rows["train"], tokenizer, data_config))
            valid_set = CacheDataset(create_dataset(rows["valid"], tokenizer, data_config))
            # Adam with bias correction: without it the first steps of a fresh LoRA barely move.
            optimizer = optim.Adam(learning_rate=stage.learning_rate, bias_correction=True)
            done = 0
            if resumed is not None and index < resumed["stage"]:
                done = stage.iters
            elif resumed is not None and index == resumed["stage"]:
                done = resumed["iteration"]
                checkpoint.restore(model, optimizer)
                print(f"tunesmith train: resuming stage {stage.name!r} at iteration {done} from {checkpoint.dir}",
                      file=sys.stderr)
            while done < stage.iters:
                chunk = min(p.checkpoint_every, stage.iters - done)
                log.offset = done_before + done
                args = TrainingArgs(
                    batch_size=p.batch_size, iters=chunk, val_batches=p.val_batches,
                    steps_per_report=min(p.steps_per_report, chunk), steps_per_eval=p.steps_per_eval,
                    steps_per_save=chunk + 1, adapter_file=str(tmp / "adapters.safetensors"),
                    max_seq_length=p.max_seq_length,
                )
                train(model=model, optimizer=optimizer, train_dataset=train_set, val_dataset=valid_set,
                      args=args, training_callback=log, iterate_batches=trimmed_batches(p.pad_multiple))
                done += chunk
                iterations_run += chunk
                checkpoint.save(model, optimizer, {"stage": index, "iteration": done, "loss": [log.train, log.val]})
            done_before += stage.iters
            stages_report.append({"name": stage.name, "categories": stage.categories, "iters": stage.iters,
                                  "learning_rate": stage.learning_rate, "train_rows": len(rows["train"])})
        from mlx.utils import tree_flatten

        mx.save_safetensors(str(tmp / "adapters.safetensors"), dict(tree_flatten(model.trainable_parameters())))
        write_json(tmp / "adapter_config.json", {
            "fine_tune_type": "lora", "num_layers": len(model.layers), "lora_parameters": lora,
            "base_model": base_model_path(p, paths),
        })

    write_json(paths.reports / "plots" / "train_loss.json", log.train)
    write_json(paths.reports / "plots" / "val_loss.json", log.val)
    write_text(paths.reports / "plots" / "loss.svg", loss_svg(log.train, log.val))
    exported = export_model(p, paths)
    return {
        "export": exported,
        "base_model": base,
        "blas": blas,
        "stages": stages_report,
        "iters": sum(s.iters for s in p.stages),
        "resumed_from": {"stage": resumed["stage"], "iteration": resumed["iteration"]} if resumed else None,
        "iterations_run": iterations_run,
        "final_train_loss": log.train[-1]["train_loss"] if log.train else None,
        "first_val_loss": log.val[0]["val_loss"] if log.val else None,
        "final_val_loss": log.val[-1]["val_loss"] if log.val else None,
    }


def main(argv: list[str] | None = None) -> None:
    stage_main("train", __doc__, argv, lambda params: run(params.train, params.paths))


if __name__ == "__main__":
    main()
