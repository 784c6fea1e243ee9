"""The offline default base model: a byte-level BPE tokenizer trained on the corpus and a small,
randomly initialised Llama, saved in the layout `mlx_lm.load(dir)` reads.

Nothing is downloaded. The same corpus, params and seed give the same files.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from tasks.config import TinyModelParams

END = "<|end|>"
SPECIAL_TOKENS = ["<|pad|>", END, "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>", "<|tools|>", "<|call|>"]

# Tools are rendered as compact signatures, name(arg, ...): description, so that a tiny model's
# context is spent on the dialogue; tool-call arguments stay the JSON text they are in the data.
CHAT_TEMPLATE = (
    "{%- if tools %}<|tools|>"
    "{%- for t in tools %}{% set f = t.function if t.function is defined else t %}"
    "{{ f.name }}({{ ((f.parameters or {}).properties or {}).keys() | join(', ') }}): {{ f.description or '' }}\n"
    "{% endfor %}<|end|>\n{% endif %}"
    "{%- for m in messages %}<|{{ m.role }}|>"
    "{%- if m.content %}{{ m.content }}{% endif %}"
    "{%- for c in m.tool_calls or [] %}<|call|>{\"name\": \"{{ c.function.name }}\", \"arguments\": "
    "{% if c.function.arguments is string %}{{ c.function.arguments }}{% else %}{{ c.function.arguments | tojson }}{% endif %}}"
    "{%- endfor %}<|end|>\n"
    "{% endfor %}"
    "{%- if add_generation_prompt %}<|assistant|>{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int, out_dir: Path) -> None:
    """Byte-level BPE on `texts`; writes tokenizer.json and tokenizer_config.json (with the chat template)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
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
        "pad_token": "<|pad|>",
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


def build(texts: list[str], p: TinyModelParams, seed: int, out_dir: Path) -> dict:
    """Tokenizer + model into `out_dir` (which must exist and be empty)."""
    train_tokenizer(texts, p.vocab_size, out_dir)
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(out_dir / "tokenizer.json")).get_vocab_size()
    return build_model(p, vocab, seed, out_dir)
