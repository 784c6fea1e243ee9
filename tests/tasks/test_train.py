import json
import os
import signal
import subprocess
import time

import pytest

from tasks.core.config import load_params
from tasks.core.io import InputError
from tasks.testing.projects import BIN, ROOT, edit_params, project_env, project_paths, run
from tasks.tuner.training import base_model_path


@pytest.mark.parametrize("value", ["examples", "no/such/folder", "not a model"])
def test_a_base_model_that_is_not_one_is_a_clear_error(value):
    p = load_params(ROOT / "params.yaml")
    with pytest.raises(InputError, match="train.base_model: .* neither 'tiny'"):
        base_model_path(p.train.model_copy(update={"base_model": value}), p.paths)
@pytest.mark.slow
def test_an_interrupted_training_resumes_from_its_last_checkpoint(tiny_project):
    edit_params(tiny_project, {"train": {"stages": [{"name": "tools first", "categories": ["tool_use"], "iters": 10,
                                                     "learning_rate": 5.0e-4},
                                                    {"name": "all", "iters": 30, "learning_rate": 2.5e-4}],
                                         "checkpoint_every": 5}})
    run([str(BIN / "dvc"), "repro", "split"], tiny_project)
    paths = project_paths(tiny_project)
    checkpoints = paths.train_checkpoints

    def progress() -> tuple[int, int]:
        states = list(checkpoints.glob("*/state.json"))
        if not states:
            return (-1, 0)
        state = json.loads(states[0].read_text())
        return (state["stage"], state["iteration"])

    proc = subprocess.Popen([str(BIN / "python"), "-m", "tasks.train"], cwd=tiny_project, env=project_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while progress() < (1, 5) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the second stage has a checkpoint
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "training finished before it could be interrupted"
    stage, iteration = progress()
    assert stage == 1 and 5 <= iteration < 30
    kept_base = next(checkpoints.glob("*/base/model.safetensors")).read_bytes()

    result = run([str(BIN / "python"), "-m", "tasks.train"], tiny_project)
    assert f"resuming stage 'all' at iteration {iteration}" in result.stderr
    report = json.loads(paths.report("train").read_text())
    assert report["resumed_from"] == {"stage": 1, "iteration": iteration}
    assert report["iterations_run"] == 30 - iteration  # not from zero
    # ...on the very base model the adapter was trained on, pre-trained once, not rebuilt
    assert (paths.base_model / "model.safetensors").read_bytes() == kept_base
    assert report["base_model"]["pretrain"]["iters"] == 4
    assert [s["name"] for s in report["stages"]] == ["tools first", "all"]
    assert report["stages"][0]["train"]["rows"] < report["stages"][1]["train"]["rows"]
    losses = json.loads(paths.train_loss.read_text())
    assert losses[-1]["iteration"] == 40  # one curve across both stages and the interruption
    assert paths.adapter_weights().exists()


@pytest.mark.slow
def test_the_fused_model_and_gguf_match_base_plus_adapter(tiny_project):
    import mlx.core as mx
    from mlx_lm import load

    edit_params(tiny_project, {"train": {"export": {"fused": True, "gguf": True}}})
    run([str(BIN / "dvc"), "repro", "train"], tiny_project)
    paths = project_paths(tiny_project)
    fused = paths.fused
    assert (fused / "ggml-model-f16.gguf").stat().st_size > 0
    tuned, tokenizer = load(str(paths.base_model), adapter_path=str(paths.adapter))
    merged, _ = load(str(fused))
    tokens = mx.array(tokenizer.encode("How do I share a folder?"))[None]
    assert mx.allclose(tuned(tokens), merged(tokens), atol=1e-3).item()


def test_a_stage_mix_replays_a_seeded_share_of_a_category():
    from tasks.core.config import CurriculumStage, TrainParams
    from tasks.train import stage_rows

    rows = [{"id": f"{c}-{i}", "category": c, "messages": [{"role": "user", "content": f"{c}-{i}"},
                                                           {"role": "assistant", "content": "ok"}]}
            for c in ("qa", "text-to-graphql") for i in range(100)]
    stage = CurriculumStage(name="all", mix={"text-to-graphql": 0.3}, iters=1, learning_rate=1e-4)
    p = TrainParams(base_model="tiny", stages=[stage])
    picked = stage_rows(stage, rows, p)
    ids = [r["messages"][0]["content"] for r in picked]
    assert sum(i.startswith("qa") for i in ids) == 100  # a category not in mix: every row
    assert sum(i.startswith("text-to-graphql") for i in ids) == 30
    assert ids == [r["messages"][0]["content"] for r in stage_rows(stage, rows, p)]  # the same draw every time
    anneal = stage.model_copy(update={"name": "anneal"})
    assert ids == [r["messages"][0]["content"] for r in stage_rows(anneal, rows, p)]  # the same share: the same rows
    other = TrainParams(base_model="tiny", seed=1, stages=[stage])
    assert ids != [r["messages"][0]["content"] for r in stage_rows(stage, rows, other)]
