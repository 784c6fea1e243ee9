"""Does llama.cpp answer as MLX does? The tuned model carried to llama.cpp two ways, each checked by
llama.cpp itself (llama-cpp-python, built here from its PyPI source by `make consumers`):

- base GGUF + LoRA GGUF: the wheel's own SmolLM2 file (Q4_1) with models/fused/adapter.gguf
  (tasks/formats/gguf_export.py), against MLX's base + adapter;
- fused GGUF: base and adapter merged by `mlx_lm fuse`, written as float16 into the base GGUF's
  metadata (tasks/formats/gguf_export.py, what `train.export.gguf` writes), against MLX's fused model.

    make consumers && make run
    .venv/bin/python -m bench.llama_cpp_check              # 20 golden + 20 test prompts

Both sides decode greedily from the same prompt token ids (the chat template rendered once, by
the project's tokenizer), to the end token or to the reply budget evaluate uses; a pair counts as
identical when every token is. MLX runs the Q4_1 weights dequantized to float32; llama.cpp
multiplies the Q4_1 blocks directly with activations rounded to 8 bits (its CPU kernels), and
the fused file holds float16 weights where MLX's fused model has float32, so a reply may part
where two next tokens were nearly tied: the first differing position is printed.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from tasks import evaluate
from tasks.core.config import load_params
from tasks.core.io import read_jsonl
from tasks.core.records import prompt_and_reference
from tasks.evaluate import chat_tokens
from tasks.formats import chat_format, gguf_export
from tasks.tuner import smollm2
from tasks.tuner.training import base_model_path, load_base
from tasks.use.chat import greedy_tokens

ROOT = Path(__file__).resolve().parents[1]


def rows_to_check(ps, per_set: int) -> list[dict]:
    """`per_set` golden and `per_set` test rows, the categories taken in turn."""
    paths = ps.paths
    test = evaluate.pick_rows(read_jsonl(paths.split_file("test")), per_set)
    gold = evaluate.golden_rows(ps.sources.eval_set, ps.generate, paths, per_set)

    def interleave(rows: list[dict]) -> list[dict]:
        by_cat: dict[str, list[dict]] = {}
        for r in rows:
            by_cat.setdefault(r["category"], []).append(r)
        out = []
        while len(out) < per_set and any(by_cat.values()):
            for cat in sorted(by_cat):
                if by_cat[cat] and len(out) < per_set:
                    out.append(by_cat[cat].pop(0))
        return out

    return [{**r, "set": "golden"} for r in interleave(gold)] + [{**r, "set": "test"} for r in interleave(test)]


def mlx_replies(model, tokenizer, prompts: list[list[int]], budgets: list[int]) -> list[list[int]]:
    return [greedy_tokens(model, tokenizer, prompt, budget) for prompt, budget in zip(prompts, budgets)]


def llama_replies(llm, prompts: list[list[int]], budgets: list[int], eos: set[int]) -> list[list[int]]:
    out = []
    for prompt, budget in zip(prompts, budgets):
        llm.reset()
        tokens = []
        for token in llm.generate(prompt, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0, reset=True):
            if token in eos or len(tokens) >= budget:
                break
            tokens.append(token)
        out.append(tokens)
    return out


def first_difference(a: list[int], b: list[int]) -> int | None:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def compare(name: str, rows: list[dict], mine: list[list[int]], theirs: list[list[int]], tokenizer) -> dict:
    same = [a == b for a, b in zip(mine, theirs)]
    print(f"\n{name}: {sum(same)} of {len(same)} replies identical, token for token")
    for r, a, b, s in zip(rows, mine, theirs, same):
        if not s:
            at = first_difference(a, b)
            print(f"  [{r['set']} {r['category']}] parts at token {at} of {len(a)}:\n"
                  f"    mlx:       {tokenizer.decode(a)!r}\n    llama.cpp: {tokenizer.decode(b)!r}")
    return {"identical": sum(same), "of": len(same),
            "by_set": {s: sum(x for x, r in zip(same, rows) if r["set"] == s) for s in ("golden", "test")}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-set", type=int, default=20, help="golden rows and test rows compared (each)")
    ap.add_argument("--out", type=Path, help="write the figures here (JSON)")
    args = ap.parse_args()
    try:
        import llama_cpp
    except ImportError:
        sys.exit("bench.llama_cpp_check: llama-cpp-python is not installed; run `make consumers` first")
    import subprocess

    ps = load_params(ROOT / "params.yaml")
    paths, p = ps.paths, ps.train
    if p.base_model != smollm2.NAME:
        sys.exit(f"bench.llama_cpp_check: compares SmolLM2 runs (train.base_model is {p.base_model!r})")
    lora = paths.lora_gguf(paths.fused)
    if not lora.exists():
        sys.exit(f"bench.llama_cpp_check: {lora} is missing; run `make run` with train.export.lora_gguf true")
    rows = rows_to_check(ps, args.per_set)
    fmt = chat_format.for_model(p.base_model)
    model, tokenizer = load_base(p, paths, str(paths.adapter))
    prompts = [chat_tokens(tokenizer, fmt, prompt_and_reference(r)[0], r.get("tools"), prompt=True) for r in rows]
    budgets = [evaluate.reply_budget(tokenizer, fmt, r, ps.evaluate.max_new_tokens) for r in rows]
    eos = set(tokenizer.eos_token_ids)
    build = ROOT / ".cache/llama-cpp/build-seconds.txt"
    print(f"llama-cpp-python {llama_cpp.__version__} (built here from its PyPI source"
          f"{': ' + build.read_text().strip() if build.exists() else ''}); {len(rows)} prompts")
    figures: dict = {"llama_cpp_python": llama_cpp.__version__, "prompts": len(rows)}

    started = time.perf_counter()
    tuned = mlx_replies(model, tokenizer, prompts, budgets)
    llm = llama_cpp.Llama(model_path=str(smollm2.base_gguf(paths.model_cache)), lora_path=str(lora),
                          n_ctx=2048, n_threads=2, seed=0, verbose=False)
    figures["base_gguf_plus_lora"] = compare("base GGUF (Q4_1) + LoRA GGUF vs MLX base + adapter", rows, tuned,
                                             llama_replies(llm, prompts, budgets, eos), tokenizer)
    del llm

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "mlx_lm", "fuse", "--model", base_model_path(p, paths),
                        "--adapter-path", str(paths.adapter), "--save-path", tmp], check=True, capture_output=True)
        gguf_export.write_fused(smollm2.base_gguf(paths.model_cache), Path(tmp), Path(tmp) / "model.gguf")
        from mlx_lm import load
        fused_model, _ = load(tmp)
        fused = mlx_replies(fused_model, tokenizer, prompts, budgets)
        llm = llama_cpp.Llama(model_path=str(Path(tmp) / "model.gguf"), n_ctx=2048, n_threads=2, seed=0,
                              verbose=False)
        figures["fused_gguf"] = compare("fused GGUF vs MLX fused model", rows, fused,
                                        llama_replies(llm, prompts, budgets, eos), tokenizer)
        figures["fused_mlx_vs_adapter_mlx"] = sum(a == b for a, b in zip(tuned, fused))
        print(f"\nMLX fused vs MLX base + adapter: {figures['fused_mlx_vs_adapter_mlx']} of {len(rows)} identical")
        del llm
    figures["seconds"] = round(time.perf_counter() - started, 1)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
