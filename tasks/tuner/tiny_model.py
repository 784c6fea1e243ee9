"""The offline default base model: a byte-level BPE tokenizer trained on the corpus and a small
Llama, randomly initialised and then given a short pre-training pass over the product's texts,
saved in the layout `mlx_lm.load(dir)` reads.

The pre-training pass stands in for what a real base model brings (the language, GraphQL's
syntax, the product's words): next-token prediction over every weight on the docs and on each
message of the train split *alone*, never a request beside its answer, so mapping one to the other
is left for fine-tuning to teach. Base and tuned model both start from it, so evaluation compares
like with like.

Nothing is downloaded. The same corpus, params and seed give the same files.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterable

from tasks.core.config import TinyModelParams
from tasks.formats.chat_format import CHAT_TEMPLATE, END, PAD, SPECIAL_TOKENS


def train_tokenizer(texts: Iterable[str], vocab_size: int, out_dir: Path) -> None:
    """Byte-level BPE on `texts`; writes tokenizer.json and tokenizer_config.json (with the chat template)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    # Digits are single tokens, as in Llama's tokenizer: a number is spelled from ten tokens the
    # model sees often, not from digit merges it may have seen once.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    tok.save(str(out_dir / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "eos_token": END,
        "pad_token": PAD,
        "model_max_length": 4096,
        "chat_template": CHAT_TEMPLATE,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2))


def build_model(p: TinyModelParams, vocab_size: int, seed: int, out_dir: Path) -> dict:
    """A randomly initialised Llama of the given shape; returns its config."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models.llama import Model, ModelArgs

    config = {
        "model_type": "llama",
        "hidden_size": p.hidden_size,
        "num_hidden_layers": p.num_layers,
        "intermediate_size": p.intermediate_size,
        "num_attention_heads": p.num_heads,
        "num_key_value_heads": p.num_heads,
        "rms_norm_eps": 1e-5,
        "vocab_size": vocab_size,
        "max_position_embeddings": 4096,
        "tie_word_embeddings": True,
    }
    mx.random.seed(seed)
    model = Model(ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    mx.save_safetensors(str(out_dir / "model.safetensors"), dict(tree_flatten(model.parameters())))
    (out_dir / "config.json").write_text(json.dumps(config, indent=2))
    return config


def pretrain(out_dir: Path, texts: list[str], p: TinyModelParams, batch_size: int, seed: int,
             max_seq_length: int) -> dict:
    """`p.pretrain_iters` steps of next-token training of every weight on `texts`, each one a
    document of its own; rewrites out_dir/model.safetensors. Returns the first and last loss."""
    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm import load
    from mlx_lm.tuner.datasets import CacheDataset, TextDataset
    from mlx_lm.tuner.trainer import TrainingArgs, train

    from tasks.tuner.training import LossLog, whole_progress

    model, tokenizer = load(str(out_dir))
    docs = CacheDataset(TextDataset([{"text": t} for t in texts], tokenizer))
    log = LossLog()
    mx.random.seed(seed)
    np.random.seed(seed)  # mlx-lm's batch iterator shuffles with numpy's global generator
    optimizer = optim.Adam(learning_rate=optim.cosine_decay(p.pretrain_learning_rate, p.pretrain_iters),
                           bias_correction=True)
    print(f"tunesmith train: pre-training the tiny base model on {len(texts)} texts", file=sys.stderr)
    args = TrainingArgs(batch_size=batch_size, iters=p.pretrain_iters, val_batches=0,
                        steps_per_report=max(1, min(25, p.pretrain_iters)), steps_per_eval=p.pretrain_iters + 1,
                        steps_per_save=p.pretrain_iters + 1, adapter_file=str(out_dir / "pretrain.safetensors"),
                        max_seq_length=max_seq_length)
    with whole_progress(p.pretrain_iters, 0, desc="pre-train"):
        train(model=model, optimizer=optimizer, train_dataset=docs, args=args, training_callback=log)
    (out_dir / "pretrain.safetensors").unlink(missing_ok=True)  # mlx-lm's own copy of the weights
    mx.save_safetensors(str(out_dir / "model.safetensors"), dict(tree_flatten(model.parameters())))
    return {"iters": p.pretrain_iters, "texts": len(texts), "first_loss": log.train[0]["train_loss"],
            "last_loss": log.train[-1]["train_loss"]}


def build(tokenizer_texts: list[str], pretrain_texts: list[str], p: TinyModelParams, batch_size: int, seed: int,
          out_dir: Path, max_seq_length: int) -> dict:
    """Tokenizer + model (+ pre-training pass) into `out_dir` (which must exist and be empty);
    returns the model's config and, when it ran, the pre-training pass's losses."""
    train_tokenizer(tokenizer_texts, p.vocab_size, out_dir)
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(out_dir / "tokenizer.json")).get_vocab_size()
    config = build_model(p, vocab, seed, out_dir)
    texts = [t for t in pretrain_texts if t.strip()]
    if p.pretrain_iters == 0:
        return {"config": config, "pretrain": None}
    if len(texts) < batch_size:
        return {"config": config, "pretrain": {"skipped": f"{len(texts)} texts, fewer than batch_size={batch_size}"}}
    return {"config": config, "pretrain": pretrain(out_dir, texts, p, batch_size, seed, max_seq_length)}
