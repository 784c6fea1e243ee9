"""Fine-tune a LoRA adapter with mlx-lm on the train split.

Reads:  paths.dataset (train and valid splits), paths.parsed (the docs, for the tiny model's pre-training)
Writes: paths.base_model/ (the tiny base model, when train.base_model is "tiny"),
        paths.adapter/ (the LoRA weights + adapter_config.json), paths.fused/ (when
        train.export asks), the loss curves paths.train_loss, paths.val_loss and paths.loss_plot
Params: train.*

Training runs the curriculum in train.stages, each stage continuing from the previous one's
adapter, and saves a checkpoint (adapter, optimizer state, progress) every train.checkpoint_every
iterations in paths.train_checkpoints: an interrupted run resumes there instead of from zero.
With `base_model: tiny` the stage first builds the offline base model (tasks/tuner/tiny_model.py) from
the train split's text and the docs. Any other value is a local mlx-lm model folder that mlx-lm
loads; then paths.base_model only records which model was used.

With train.distributed.ranks > 1 (or a hostfile), the stage prepares the base model, then trains
data-parallel on that many processes or hosts with MLX's own distributed layer, rank 0 writing
everything: the same loss curve as one process (tasks/tuner/ranks.py, docs/distributed.md).
"""
from __future__ import annotations

import contextlib
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tasks.core.config import CurriculumStage, TrainParams
from tasks.core.io import InputError, atomic_path, read_json, read_jsonl, write_json, write_text
from tasks.core.layout import Paths
from tasks.core.stage import StageFailed, stage_main
from tasks.formats import chat_format
from tasks.reports.plots import loss_svg
from tasks.tuner import batches, ranks
from tasks.tuner.training import (
    Checkpoint,
    LossLog,
    as_chat,
    base_model_path,
    corpus_texts,
    docs_texts,
    load_base,
    trainable_parameters,
    whole_progress,
)


def read_splits(p: TrainParams, paths: Paths) -> dict[str, list[dict]]:
    """The train and valid rows; each must hold at least one batch."""
    rows = {s: read_jsonl(paths.split_file(s)) for s in ("train", "valid")}
    for name, split_rows in rows.items():
        if len(split_rows) < p.batch_size:
            raise StageFailed(
                f"{paths.split_file(name)} has {len(split_rows)} examples, fewer than train.batch_size={p.batch_size}; "
                "lower train.batch_size or produce more examples (generate.quotas)"
            )
    return rows


def prepare_base_model(p: TrainParams, paths: Paths, train_rows: list[dict], checkpoint: Checkpoint) -> dict:
    """Build the tiny base model (or note the external one) into paths.base_model. The built model
    is kept beside the training checkpoints, so a resumed run continues on the very same base."""
    from tasks.tuner import tiny_model

    with atomic_path(paths.base_model) as tmp:
        if p.base_model == "tiny" and Paths.base_record(checkpoint.base).exists():
            shutil.copytree(checkpoint.base, tmp)
            return read_json(Paths.base_record(tmp))
        tmp.mkdir()
        if p.base_model == "tiny":
            pretrain_texts = docs_texts(paths.parsed_file("docs")) + corpus_texts(train_rows, tool_specs=False)
            info = {"kind": "tiny", **tiny_model.build(corpus_texts(train_rows), pretrain_texts, p.tiny,
                                                       p.batch_size, p.seed, tmp, p.max_seq_length)}
        else:
            info = {"kind": "external", "model": p.base_model, "path": base_model_path(p, paths)}
        write_json(Paths.base_record(tmp), info)
        if p.base_model == "tiny":
            with atomic_path(checkpoint.base) as kept_tmp:
                shutil.copytree(tmp, kept_tmp)
    return info


def load_with_lora(p: TrainParams, paths: Paths):
    """The base model with fresh LoRA layers on its top train.lora_layers layers (seeded), and its tokenizer."""
    import mlx.core as mx
    from mlx_lm.tuner.utils import linear_to_lora_layers

    model, tokenizer = load_base(p, paths)
    mx.random.seed(p.seed)  # mlx initialises LoRA weights from its global generator
    model.freeze()
    linear_to_lora_layers(model, lora_depth(p, model), lora_config(p))
    return model, tokenizer


def lora_depth(p: TrainParams, model) -> int:
    """How many of the model's top layers get LoRA: train.lora_layers, or all of them."""
    return min(p.lora_layers or len(model.layers), len(model.layers))


def lora_config(p: TrainParams) -> dict:
    return {"rank": p.lora_rank, "scale": p.lora_scale, "dropout": 0.0}


def stage_rows(stage: CurriculumStage, train_rows: list[dict], p: TrainParams) -> list[dict]:
    """The training rows of one curriculum stage: its categories, in the base model's chat format;
    of a category in stage.mix, that share of its rows, drawn by train.seed (two stages with the
    same share of a category draw the same rows)."""
    rows = [r for r in train_rows if stage.categories is None or r["category"] in stage.categories]
    if stage.mix:
        keep = {c: set(random.Random(f"{p.seed}:{c}").sample(ids, round(len(ids) * stage.mix[c]))) for c in stage.mix
                for ids in [[r["id"] for r in rows if r["category"] == c]]}
        rows = [r for r in rows if r["category"] not in keep or r["id"] in keep[r["category"]]]
    if len(rows) < p.batch_size:
        raise StageFailed(f"train stage {stage.name!r}: {len(rows)} training rows for "
                          f"categories {stage.categories}, fewer than train.batch_size={p.batch_size}")
    fmt = chat_format.for_model(p.base_model)
    return [as_chat(r, fmt) for r in rows]


def batch_set(rows: list[dict], tokenizer, model, p: TrainParams, seed: int,
              world: ranks.World) -> tuple[batches.BatchSet, dict]:
    """Chat rows as token ids in batches (tasks/tuner/batches.py), and what encoding them counted: rows,
    target tokens, tokens the max_seq_length cut dropped."""
    encoded, cut = [], 0
    for row in rows:
        pieces, dropped = batches.encode(row, tokenizer, p.mask_prompt, p.max_seq_length)
        encoded += pieces
        cut += dropped
    counts = {"rows": len(encoded), "target_tokens": sum(e - s for r in encoded for s, e in r.spans), "tokens_cut": cut}
    return batches.BatchSet(encoded, p.batch_size, p.pad_multiple, seed, batches.can_share_prefix(model),
                            world.rank, world.size), counts


@dataclass
class Trainer:
    """What every curriculum stage shares: the model being tuned, the checkpoint it resumes from,
    one loss log across stages, and where the adapter file goes."""
    model: object
    tokenizer: object
    p: TrainParams
    checkpoint: Checkpoint
    resumed: dict | None  # the checkpoint's state when this run resumes one
    log: LossLog
    adapter_file: str
    world: ranks.World

    def run_stage(self, index: int, stage: CurriculumStage, sets: dict, done_before: int, last: bool) -> int:
        """One curriculum stage, in chunks that end at each checkpoint and validation point, from
        where a checkpoint says; returns the iterations this call ran. Validation runs every
        train.steps_per_eval iterations counted across stages, before the first and after the last."""
        import mlx.optimizers as optim
        from mlx_lm.tuner.trainer import TrainingArgs, train

        p = self.p
        # Adam with bias correction: without it the first steps of a fresh LoRA barely move.
        optimizer = optim.Adam(learning_rate=stage.learning_rate, bias_correction=True)
        done = self.resume_point(index, stage, optimizer, sets["train"])
        if done_before + done == 0:
            self.validate(sets["valid"], 0)  # the untrained adapter's loss: where the curve starts
        ran = 0
        while done < stage.iters:
            chunk = min(p.checkpoint_every - done % p.checkpoint_every,
                        p.steps_per_eval - (done_before + done) % p.steps_per_eval, stage.iters - done)
            self.log.offset = done_before + done
            args = TrainingArgs(batch_size=p.batch_size, iters=chunk, steps_per_report=min(p.steps_per_report, chunk),
                                steps_per_save=chunk + 1, adapter_file=self.adapter_file,
                                max_seq_length=p.max_seq_length)
            # validation is ours (below), at fixed iterations: mlx-lm's would also run at every chunk's start
            train(model=self.model, optimizer=optimizer, train_dataset=sets["train"], val_dataset=None, args=args,
                  loss=batches.loss, iterate_batches=batches.iterate, training_callback=self.log)
            done += chunk
            ran += chunk
            if (done_before + done) % p.steps_per_eval == 0 or (last and done == stage.iters):
                self.validate(sets["valid"], done_before + done)
            if (done % p.checkpoint_every == 0 or done == stage.iters) and self.world.main:
                self.checkpoint.save(self.model, optimizer, {"stage": index, "iteration": done,
                                                             "position": sets["train"].position,
                                                             "loss": [self.log.train, self.log.val]})
        return ran

    def validate(self, valid_set: batches.BatchSet, iteration: int) -> None:
        """Mean loss over the first train.val_batches batches of the valid split, into the loss log."""
        from mlx_lm.tuner.trainer import evaluate

        loss = evaluate(model=self.model, dataset=valid_set, batch_size=self.p.batch_size, num_batches=self.p.val_batches,
                        loss=batches.loss, iterate_batches=batches.iterate)
        self.model.train()
        self.log.val.append({"iteration": iteration, "val_loss": loss})
        if self.world.main:
            print(f"tunesmith train: iteration {iteration}: validation loss {loss:.3f}", file=sys.stderr)

    def resume_point(self, index: int, stage: CurriculumStage, optimizer, train_set: batches.BatchSet) -> int:
        """Iterations of this stage already done: all of a stage before the checkpoint's, the
        checkpoint's count (weights, optimizer and place in the batch stream restored) for its
        own stage, else none."""
        if self.resumed is None or index > self.resumed["stage"]:
            return 0
        if index < self.resumed["stage"]:
            return stage.iters
        if self.world.main:
            self.checkpoint.restore(self.model, optimizer)
        else:  # the checkpoint is rank 0's (on its host): the others take its weights and optimizer state
            optimizer.init(self.model.trainable_parameters())
        self.model.update(self.world.share(self.model.trainable_parameters()))
        optimizer.state = self.world.share(optimizer.state)
        train_set.position = self.resumed["position"]
        if self.world.main:
            print(f"tunesmith train: resuming stage {stage.name!r} at iteration {self.resumed['iteration']} "
                  f"from {self.checkpoint.dir}", file=sys.stderr)
        return self.resumed["iteration"]


def save_adapter(model, p: TrainParams, paths: Paths, folder) -> None:
    """The adapter's weights and the adapter_config.json that mlx_lm.load(adapter_path=) reads."""
    import mlx.core as mx
    from mlx.utils import tree_flatten

    mx.save_safetensors(str(paths.adapter_weights(folder)), dict(tree_flatten(model.trainable_parameters())))
    write_json(paths.adapter_config(folder), {"fine_tune_type": "lora", "num_layers": lora_depth(p, model),
                                                "lora_parameters": lora_config(p),
                                                "base_model": base_model_path(p, paths)})


def model_config(model) -> dict:
    """The base model's architecture settings, as mlx-lm read them from its config.json."""
    import dataclasses

    return dataclasses.asdict(model.args) if dataclasses.is_dataclass(model.args) else dict(vars(model.args))


def export_lora_gguf(p: TrainParams, paths: Paths, config: dict, out: Path) -> dict | str:
    """The adapter as llama.cpp's LoRA GGUF (tasks/formats/gguf_export.py), when asked and the base is a
    Llama; otherwise a line saying why not."""
    from tasks.formats import gguf_export

    if not p.export.lora_gguf:
        return "not asked (train.export.lora_gguf)"
    if config.get("model_type") != "llama":
        return f"skipped: the base is {config.get('model_type')!r}; the LoRA GGUF is written for Llama bases"
    return gguf_export.write_lora(paths.adapter, config, out)


def export_model(p: TrainParams, paths: Paths, config: dict) -> dict:
    """What train writes into paths.fused for other runtimes: the adapter as llama.cpp's LoRA GGUF
    (train.export.lora_gguf), and, when asked, base + adapter fused by mlx-lm's own `fuse` command
    (train.export.fused) with a GGUF of it (train.export.gguf): for SmolLM2 written by
    tasks/formats/gguf_export.py into the base GGUF's own metadata (mlx-lm's writer gets its BPE tokenizer
    wrong for llama.cpp), for other bases by `mlx_lm fuse --export-gguf`. A note there says what it holds."""
    from tasks.formats import gguf_export
    from tasks.tuner import smollm2

    with atomic_path(paths.fused) as tmp:
        fused, gguf = p.export.fused or p.export.gguf, None
        if fused:
            by_mlx = p.export.gguf and p.base_model != smollm2.NAME
            cmd = [sys.executable, "-m", "mlx_lm", "fuse", "--model", base_model_path(p, paths),
                   "--adapter-path", str(paths.adapter), "--save-path", str(tmp)] + (["--export-gguf"] if by_mlx else [])
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                raise StageFailed(f"mlx_lm fuse failed:\n{result.stderr[-3000:]}")
            if by_mlx:
                gguf = {"path": str(paths.fused / "ggml-model-f16.gguf"), "written_by": "mlx_lm fuse --export-gguf"}
            elif p.export.gguf:
                gguf = {**gguf_export.write_fused(smollm2.base_gguf(paths.model_cache), tmp, tmp / "model.gguf"),
                        "path": str(paths.fused / "model.gguf"), "written_by": "tasks/formats/gguf_export.py"}
        else:
            tmp.mkdir()
        lora = export_lora_gguf(p, paths, config, Paths.lora_gguf(tmp))
        notes = ["- adapter.gguf: the adapter as a llama.cpp LoRA GGUF, used beside the base model's GGUF"
                 if isinstance(lora, dict) else f"- no adapter.gguf: {lora}",
                 "- the fused model (an mlx-lm folder)" if fused else "- not fused: set train.export.fused (or .gguf) to true in params.yaml",
                 f"- {Path(gguf['path']).name}: the fused model as GGUF ({gguf['written_by']})" if gguf else
                 "- no fused GGUF: set train.export.gguf to true in params.yaml"]
        (tmp / "EXPORTS.md").write_text("What train wrote here for other runtimes (params.yaml train.export):\n\n"
                                        + "\n".join(notes) + "\n")
    return {"fused": fused, "gguf": gguf, "lora_gguf": lora, "path": str(paths.fused)}


def write_curves(log: LossLog, paths: Paths) -> None:
    write_json(paths.train_loss, log.train)
    write_json(paths.val_loss, log.val)
    write_text(paths.loss_plot, loss_svg(log.train, log.val))


def run(p: TrainParams, paths: Paths, relaunch: list[str]) -> dict:
    """The stage: the base model prepared once, then training here, or on the ranks that
    train.distributed asks for (tasks/tuner/ranks.py), `relaunch` being this command's arguments."""
    if p.distributed.hostfile and not p.distributed.hostfile.is_file():
        raise InputError(f"train.distributed.hostfile: {p.distributed.hostfile} not found (an mlx.launch hostfile; "
                         "see docs/distributed.md)")
    splits = read_splits(p, paths)
    checkpoint = checkpoint_of(p, paths)
    base = prepare_base_model(p, paths, splits["train"], checkpoint)
    if not p.distributed.launched:
        return {"base_model": base, **train(p, paths, splits, checkpoint, ranks.World(0, 1))}
    result = paths.train_checkpoints / "rank0-result.json"
    result.parent.mkdir(parents=True, exist_ok=True)
    return {"base_model": base, **ranks.launch(p.distributed, ["-m", "tasks.train", *relaunch], result)}


def as_rank(p: TrainParams, paths: Paths, result: str) -> None:
    """One rank of a distributed run (the stage launched it): train; rank 0 writes what the stage reports."""
    world = ranks.World.current()
    report = train(p, paths, read_splits(p, paths), checkpoint_of(p, paths), world)
    if world.main:
        write_json(Path(result), report)


def checkpoint_of(p: TrainParams, paths: Paths) -> Checkpoint:
    return Checkpoint(paths.train_checkpoints, p,
                      [paths.split_file("train"), paths.split_file("valid"), paths.parsed_file("docs")])


def train(p: TrainParams, paths: Paths, splits: dict, checkpoint: Checkpoint, world: ranks.World) -> dict:
    """The curriculum on the prepared base model, on this process's rank; rank 0 writes the adapter,
    the exports and the loss curves and returns the report, the other ranks return {}."""
    from tasks.tuner.blas import warn_if_slow

    blas = warn_if_slow()
    model, tokenizer = load_with_lora(p, paths)
    resumed = world.share_json(checkpoint.load() if world.main else None)
    log = LossLog(*(resumed["loss"] if resumed else ([], [])))
    fmt = chat_format.for_model(p.base_model)
    valid_set, valid_counts = batch_set([as_chat(r, fmt) for r in splits["valid"]], tokenizer, model, p, p.seed, world)
    stages_report, iterations_run, done_before = [], 0, 0
    total = sum(s.iters for s in p.stages)
    done = (sum(s.iters for s in p.stages[: resumed["stage"]]) + resumed["iteration"]) if resumed else 0
    with atomic_path(paths.adapter) if world.main else scratch_folder() as tmp, whole_progress(total, done, show=world.main):
        tmp.mkdir()
        trainer = Trainer(model, tokenizer, p, checkpoint, resumed, log, str(paths.adapter_weights(tmp)), world)
        for index, stage in enumerate(p.stages):
            train_set, counts = batch_set(stage_rows(stage, splits["train"], p), tokenizer, model, p, p.seed + index,
                                          world)
            sets = {"train": train_set, "valid": valid_set}
            iterations_run += trainer.run_stage(index, stage, sets, done_before, last=index == len(p.stages) - 1)
            done_before += stage.iters
            stages_report.append({"name": stage.name, "categories": stage.categories, "mix": stage.mix, "iters": stage.iters,
                                  "learning_rate": stage.learning_rate, "batches_per_epoch": len(train_set.batches),
                                  "epochs": round(stage.iters / len(train_set.batches), 2), "train": counts})
        if world.main:
            save_adapter(model, p, paths, tmp)
            write_text(Paths.adapter_template(tmp), chat_format.training_template(fmt, tokenizer))
    if not world.main:
        return {}
    write_curves(log, paths)
    return {
        "export": export_model(p, paths, model_config(model)),
        "parameters": trainable_parameters(model),
        "blas": blas,
        **({"distributed": {"ranks": world.size, "backend": p.distributed.backend}} if world.size > 1 else {}),
        "stages": stages_report,
        "valid": valid_counts,  # every validation point reads the whole valid split's first val_batches batches
        "iters": sum(s.iters for s in p.stages),
        "resumed_from": {"stage": resumed["stage"], "iteration": resumed["iteration"]} if resumed else None,
        "iterations_run": iterations_run,
        # the mean of mlx-lm's reports: reply tokens (the ones with a loss) per second of training, all ranks'
        "trained_tokens_per_second": round(sum(r["tokens_per_second"] for r in log.train) / max(1, len(log.train)), 1),
        "final_train_loss": log.train[-1]["train_loss"] if log.train else None,
        "first_val_loss": log.val[0]["val_loss"] if log.val else None,
        "final_val_loss": log.val[-1]["val_loss"] if log.val else None,
    }


@contextlib.contextmanager
def scratch_folder():
    """Where a rank other than 0 would put the adapter: a temporary folder, removed (it writes nothing there)."""
    with tempfile.TemporaryDirectory() as d:
        yield Path(d) / "adapter"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    as_rank_help = ("(used by the stage itself) train as one rank of train.distributed's run; rank 0 writes "
                    "its report to RESULT")
    stage_main("train", __doc__, argv, lambda params: run(params.train, params.paths, argv),
               options={"--as-rank": ("RESULT", as_rank_help,
                                      lambda params, result: as_rank(params.train, params.paths, result))})


if __name__ == "__main__":
    main()
