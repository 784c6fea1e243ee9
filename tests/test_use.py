"""The tuned model where people run it, each way checked by its real consumer: `tasks.use.chat`, the
OpenAI client against `make serve-model` (mlx_lm.server), llama.cpp (llama-cpp-python, built by
`make consumers` from its PyPI source) loading the LoRA GGUF and the fused GGUF, TRL's SFTTrainer
on the Hugging Face export, and the model card read back by huggingface_hub."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from tasks.testing.projects import (
    BIN,
    ROOT,
    TINY_PARAMS,
    copy_project,
    edit_params,
    free_port,
    project_env,
    project_paths,
    run,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """A tiny project run through every stage once (shared by this module's tests)."""
    project = copy_project(tmp_path_factory.mktemp("use") / "project")
    edit_params(project, TINY_PARAMS)
    run([str(BIN / "dvc"), "repro"], project)
    return project


def predictions(project, category: str, which: str = "golden") -> list[dict]:
    rows = [json.loads(line) for line in project_paths(project).predictions.read_text().splitlines()]
    return [r for r in rows if r["category"] == category and r["set"] == which]


def consistent(a: str, b: str) -> bool:
    """Two greedy decodings of one prompt with different length limits: one is a prefix of the other."""
    a, b = a.strip(), b.strip()
    return a.startswith(b) or b.startswith(a)


def test_chat_replies_as_evaluate_did(evaluated):
    """Each mode's prompt is the one its training rows carry: chat's greedy reply to a golden request
    is the reply evaluate scored (or runs on past evaluate's length limit)."""
    graphql, qa = predictions(evaluated, "text-to-graphql")[0], predictions(evaluated, "qa")[0]
    lines = f"/graphql\n{graphql['prompt']}\n/docs\n{qa['prompt']}\n/quit\n"
    out = subprocess.run([sys.executable, "-m", "tasks.use.chat", "--max-tokens", "64"], input=lines, cwd=evaluated,
                         env=project_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    print(out.stdout)
    transcript = out.stdout.splitlines()
    assert "[graphql mode]" in transcript and "[docs mode]" in transcript
    at = transcript.index(f"graphql> {graphql['prompt']}")
    assert consistent(transcript[at + 1], graphql["tuned"].replace("<|end|>", "")), (transcript[at + 1], graphql["tuned"])
    at = transcript.index(f"docs> {qa['prompt']}")
    assert consistent(transcript[at + 1], qa["tuned"].replace("<|end|>", "")), (transcript[at + 1], qa["tuned"])


def test_chat_without_an_adapter_says_what_to_run(tmp_path):
    project = copy_project(tmp_path / "project")
    out = subprocess.run([sys.executable, "-m", "tasks.use.chat"], input="", cwd=project, env=project_env(),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "no adapter yet; run `make run`" in out.stderr and "Traceback" not in out.stderr


def wait_for(url: str, proc, seconds: float = 300) -> None:
    """Until the server answers 200 (a refused connection, a 503 or a late answer is asked again)."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_served_model_answers_an_openai_client_as_evaluate_did(evaluated, tmp_path):
    """`make serve-model`'s command, asked through the OpenAI client for a golden GraphQL request:
    the reply is evaluate's (greedy, the same prompt), and its verdict against the schema is the
    one evaluate gave it."""
    from graphql import build_schema, parse, validate
    from openai import OpenAI

    from tasks.evaluate import not_a_graphql_document

    row = predictions(evaluated, "text-to-graphql")[0]
    port, prompts = free_port(), tmp_path / "prompts.json"
    server = subprocess.Popen([sys.executable, "-m", "tasks.use.serve", "--port", str(port), "--prompts", str(prompts)],
                              cwd=evaluated, env=project_env(), stdout=subprocess.DEVNULL, stderr=open(tmp_path / "log", "w"),
                              start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/v1/models", server)
        system = json.loads(prompts.read_text())["system"]
        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=5, timeout=120)
        reply = client.chat.completions.create(model="default_model", temperature=0, max_tokens=64, messages=[
            {"role": "system", "content": system["graphql"]}, {"role": "user", "content": row["prompt"]}])
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = reply.choices[0].message.content
    print(row["prompt"], "->", text)
    assert consistent(text, row["tuned"].replace("<|end|>", "")), (text, row["tuned"])
    schema = build_schema(project_paths(evaluated).parsed_file("graphql_schema").read_text())
    try:
        verdict = not validate(schema, parse(text))
    except Exception:  # noqa: BLE001 - graphql-core's GraphQLSyntaxError: not a document at all
        verdict = False
    if len(text) <= len(row["tuned"]) or not_a_graphql_document(row["tuned"]):
        assert float(verdict) == row["tuned_scores"]["valid"]


def test_the_model_card_states_base_data_and_figures(evaluated):
    from huggingface_hub import ModelCard

    paths = project_paths(evaluated)
    card = ModelCard.load(paths.model_card())
    metrics = json.loads(paths.metrics.read_text())
    assert card.data.library_name == "mlx" and "lora" in card.data.tags
    golden = {r.dataset_name: r for r in card.data.eval_results if r.dataset_split == "golden" and r.metric_type == "valid"}
    assert golden and next(iter(golden.values())).metric_value == round(metrics["golden"]["tuned"]["text-to-graphql"]["valid"], 4)
    for section in ("## Data", "## Training", "## Results", "## How to run it", "make chat", "make serve-model", "llama.cpp"):
        assert section in card.text


# --- llama.cpp: SmolLM2's own GGUF + the LoRA GGUF, and the fused GGUF ------------------------------

@pytest.fixture(scope="module")
def smollm2_adapter(tmp_path_factory):
    """SmolLM2 with a LoRA adapter whose B matrices are random (a fresh adapter's are zero, and
    would change nothing), written by train's own save_adapter, and the same adapter as a LoRA GGUF."""
    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_unflatten

    from tasks import train
    from tasks.core.config import load_params
    from tasks.formats import gguf_export
    from tasks.tuner import smollm2

    ps = load_params(ROOT / "params.yaml")
    p = ps.train
    paths = ps.paths.under(ROOT).model_copy(update={"adapter": tmp_path_factory.mktemp("adapter")})
    model, tokenizer = train.load_with_lora(p, paths)
    mx.random.seed(1)
    model.update(tree_unflatten([(k, mx.random.normal(v.shape) * 0.02 if k.endswith("lora_b") else v)
                                 for k, v in tree_flatten(model.trainable_parameters())]))
    train.save_adapter(model, p, paths, paths.adapter)
    out = paths.adapter / "adapter.gguf"
    report = gguf_export.write_lora(paths.adapter, train.model_config(model), out)
    assert report["matrices"] == 7 * p.lora_layers and report["alpha"] == p.lora_scale * p.lora_rank
    return {"paths": paths, "p": p, "model": model, "tokenizer": tokenizer, "gguf": out,
            "base_gguf": smollm2.base_gguf(paths.model_cache)}


PROMPTS = ["<|im_start|>user\nmove /Downloads/holiday.jpg to /Photos<|im_end|>\n<|im_start|>assistant\n",
           "<|im_start|>user\nHow long do deleted files stay in the trash?<|im_end|>\n<|im_start|>assistant\n"]


def llama_logits(llama_cpp, model_path, tokens: list[int], lora_path=None) -> np.ndarray:
    llm = llama_cpp.Llama(model_path=str(model_path), lora_path=str(lora_path) if lora_path else None,
                          n_ctx=512, n_threads=2, logits_all=True, verbose=False)
    llm.eval(tokens)
    scores = np.array(llm.scores[:len(tokens)], dtype=np.float32)
    llm.close()
    return scores


def test_llama_cpp_applies_the_lora_gguf_as_mlx_applies_the_adapter(smollm2_adapter):
    """llama.cpp's own loader takes the wheel's base GGUF with our LoRA GGUF, and the adapter moves
    its next-token logits the way it moves MLX's: MLX multiplies the Q4_1 weights dequantized to
    float32, llama.cpp the 4-bit blocks with 8-bit activations, so the two agree closely, not bit
    for bit."""
    import mlx.core as mx

    from tasks.tuner.training import load_base

    llama_cpp = pytest.importorskip("llama_cpp", reason="run `make consumers` (make test does)")
    a = smollm2_adapter
    model, tokenizer = a["model"], a["tokenizer"]
    base, _ = load_base(a["p"], a["paths"])
    for prompt in PROMPTS:
        tokens = tokenizer.encode(prompt, add_special_tokens=False)
        tuned_mlx = np.array(model(mx.array(tokens)[None])[0].astype(mx.float32))
        base_mlx = np.array(base(mx.array(tokens)[None])[0].astype(mx.float32))
        base_cpp = llama_logits(llama_cpp, a["base_gguf"], tokens)
        tuned_cpp = llama_logits(llama_cpp, a["base_gguf"], tokens, a["gguf"])
        shift_mlx, shift_cpp = tuned_mlx - base_mlx, tuned_cpp - base_cpp
        correlation = np.corrcoef(shift_mlx.ravel(), shift_cpp.ravel())[0, 1]
        agree = (tuned_mlx.argmax(-1) == tuned_cpp.argmax(-1)).mean()
        print(f"mean |shift| mlx {np.abs(shift_mlx).mean():.3f}, llama.cpp {np.abs(shift_cpp).mean():.3f}; "
              f"shift correlation {correlation:.4f}; top-1 agreement {agree:.2f} over {len(tokens)} positions")
        assert np.abs(shift_mlx).mean() > 0.1 and np.abs(shift_cpp).mean() > 0.1  # the adapter matters, in both
        assert correlation > 0.95 and agree >= 0.9


def test_llama_cpp_runs_the_fused_gguf_as_mlx_runs_the_fused_model(smollm2_adapter, tmp_path):
    """The fused weights in the base GGUF's own metadata (tokenizer, template), as float16: llama.cpp
    loads it, and its logits follow MLX's fused model's up to float16 rounding."""
    import mlx.core as mx
    from mlx_lm import load

    from tasks.formats import gguf_export
    from tasks.tuner.training import base_model_path

    llama_cpp = pytest.importorskip("llama_cpp", reason="run `make consumers` (make test does)")
    a = smollm2_adapter
    fused = tmp_path / "fused"
    run([sys.executable, "-m", "mlx_lm", "fuse", "--model", base_model_path(a["p"], a["paths"]), "--adapter-path",
         str(a["paths"].adapter), "--save-path", str(fused)], ROOT)
    gguf_export.write_fused(a["base_gguf"], fused, fused / "model.gguf")
    model, tokenizer = load(str(fused))
    for prompt in PROMPTS:
        tokens = tokenizer.encode(prompt, add_special_tokens=False)
        mine = np.array(model(mx.array(tokens)[None])[0].astype(mx.float32))
        theirs = llama_logits(llama_cpp, fused / "model.gguf", tokens)
        agree = (mine.argmax(-1) == theirs.argmax(-1)).mean()
        print(f"fused: max |logit difference| {np.abs(mine - theirs).max():.4f}, top-1 agreement {agree:.2f}")
        assert agree >= 0.95 and np.corrcoef(mine.ravel(), theirs.ravel())[0, 1] > 0.999


# --- TRL ---------------------------------------------------------------------------------------------

def test_trl_trains_on_the_hf_export_as_written(evaluated, tmp_path):
    """TRL's SFTTrainer reads data/export/hf (messages, tools as JSON) through the chat template the
    adapter was trained with, with no conversion: every row's tokens are the ones MLX training
    renders; a few steps on SmolLM2 in transformers (CPU) lower the loss on those rows."""
    torch = pytest.importorskip("torch", reason="run `make consumers` (make test does)")
    import datasets
    import trl
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tasks.core.config import load_params
    from tasks.evaluate import chat_tokens
    from tasks.formats import chat_format
    from tasks.tuner import smollm2

    base = smollm2.converted(load_params(ROOT / "params.yaml").paths.under(ROOT).model_cache)
    tokenizer = AutoTokenizer.from_pretrained(base)
    fmt = chat_format.TaggedToolsFormat()
    template = tmp_path / "chat_template.jinja"
    template.write_text(chat_format.training_template(fmt, tokenizer))
    split = datasets.load_from_disk(str(project_paths(evaluated).hf_dir() / "dataset_dict"))["train"]
    picked = [i for c in sorted(set(split["category"])) for i in [split["category"].index(c)]]  # one row a category
    rows = split.select(picked + [i for i in range(len(split)) if i not in picked][:8 - len(picked)])
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    config = trl.SFTConfig(output_dir=str(tmp_path / "out"), max_steps=4, per_device_train_batch_size=2,
                           learning_rate=1e-4, logging_steps=1, report_to=[], save_strategy="no", use_cpu=True,
                           chat_template_path=str(template), max_length=1024, dataset_num_proc=1, seed=0)
    trainer = trl.SFTTrainer(model=model, args=config, train_dataset=rows, processing_class=tokenizer)
    for i, row in enumerate(rows):
        messages = [{k: v for k, v in m.items() if v not in ("", [])} for m in row["messages"]]
        mine = chat_tokens(tokenizer, fmt, messages, json.loads(row["tools"]) if row["tools"] else None, prompt=False)
        assert list(trainer.train_dataset[i]["input_ids"]) == list(mine), row["id"]
    assert any(row["tools"] for row in rows)  # a tool-use row was among them
    before = trainer.evaluate(trainer.train_dataset)["eval_loss"]
    trainer.train()
    after = trainer.evaluate(trainer.train_dataset)["eval_loss"]
    print(f"TRL {trl.__version__}: loss on the {len(rows)} rows {before:.3f} -> {after:.3f} after 4 steps")
    assert after < before
