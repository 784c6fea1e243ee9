import json
import os
import shutil
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
        return checkpoint_progress(checkpoints)

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
def test_two_ranks_train_as_one_process_does_even_when_killed_and_resumed(tiny_project):
    """train.distributed.ranks: 2 (ring backend on loopback) against one process on the same global
    batches: the same loss curves and adapter within float tolerance; the 2-rank run is killed after
    a checkpoint and resumed by 2 ranks that mlx.launch starts from a hostfile; rank 0 alone wrote
    the adapter and printed."""
    import mlx.core as mx

    edit_params(tiny_project, {"train": {"stages": [{"name": "all", "iters": 20, "learning_rate": 5.0e-4}],
                                         "steps_per_eval": 10}})
    run([str(BIN / "dvc"), "repro", "split"], tiny_project)
    paths = project_paths(tiny_project)
    run([str(BIN / "python"), "-m", "tasks.train"], tiny_project)
    one = {"train": json.loads(paths.train_loss.read_text()), "val": json.loads(paths.val_loss.read_text()),
           "adapter": mx.load(str(paths.adapter_weights()))}
    mx.eval(one["adapter"])  # read now: mx.load reads lazily, and the file goes next
    shutil.rmtree(paths.train_checkpoints)  # any rank count resumes any other's checkpoint: start afresh
    shutil.rmtree(paths.adapter)

    edit_params(tiny_project, {"train": {"distributed": {"ranks": 2}}})
    proc = subprocess.Popen([str(BIN / "python"), "-m", "tasks.train"], cwd=tiny_project, env=project_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while checkpoint_progress(paths.train_checkpoints) < (0, 5) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "training finished before it could be interrupted"
    _, iteration = checkpoint_progress(paths.train_checkpoints)
    assert 5 <= iteration < 20

    # resumed over "several hosts": an mlx.launch hostfile whose two hosts are this one (docs/distributed.md)
    hosts = [{"ssh": "127.0.0.1", "ips": ["127.0.0.1"]}] * 2
    (tiny_project / "hosts.json").write_text(json.dumps({"backend": "ring", "hosts": hosts}))
    edit_params(tiny_project, {"train": {"distributed": {"ranks": 1, "hostfile": "hosts.json"}}})
    result = run([str(BIN / "python"), "-m", "tasks.train"], tiny_project)
    assert "training on the hosts in hosts.json (ring backend)" in result.stderr
    assert f"resuming stage 'all' at iteration {iteration}" in result.stderr
    assert result.stderr.count("iteration 20: validation loss") == 1  # printed by rank 0 alone
    report = json.loads(paths.report("train").read_text())
    assert report["distributed"] == {"ranks": 2, "backend": "ring"}  # the ranks the hostfile gave
    assert report["iterations_run"] == 20 - iteration
    two = {"train": json.loads(paths.train_loss.read_text()), "val": json.loads(paths.val_loss.read_text()),
           "adapter": mx.load(str(paths.adapter_weights()))}
    for curve, key in (("train", "train_loss"), ("val", "val_loss")):
        assert [r["iteration"] for r in two[curve]] == [r["iteration"] for r in one[curve]]
        assert all(abs(a[key] - b[key]) < 1e-4 for a, b in zip(one[curve], two[curve])), curve  # NaN fails too
    assert two["adapter"].keys() == one["adapter"].keys()
    worst = {k: mx.abs(one["adapter"][k] - two["adapter"][k]).max().item() for k in one["adapter"]}
    assert all(mx.allclose(one["adapter"][k], two["adapter"][k], atol=1e-5).item() for k in one["adapter"]), worst
    assert sorted(p.name for p in paths.adapter.iterdir()) == ["adapter_config.json", "adapters.safetensors",
                                                               "chat_template.jinja"]


def test_distributed_params_say_what_is_wrong(tmp_path):
    from pydantic import ValidationError

    from tasks.core.config import DistributedParams
    from tasks.train import run

    with pytest.raises(ValidationError, match="ranks .* or .hostfile .* not both"):
        DistributedParams(ranks=2, hostfile=tmp_path / "hosts.json")
    p = load_params(ROOT / "params.yaml")
    train = p.train.model_copy(update={"distributed": DistributedParams(hostfile=tmp_path / "hosts.json")})
    with pytest.raises(InputError, match="train.distributed.hostfile: .*hosts.json not found"):
        run(train, p.paths.under(tmp_path), relaunch=[])


def test_the_launch_command_runs_this_stage_on_every_rank(tmp_path):
    from tasks.core.config import DistributedParams
    from tasks.tuner.ranks import launcher

    local = launcher(DistributedParams(ranks=3, backend="mpi"), ["-m", "tasks.train", "--params", "p.yaml"],
                     tmp_path / "r.json")
    assert local[local.index("-n") + 1] == "3"
    assert local[local.index("--") + 1:] == ["-m", "tasks.train", "--params", "p.yaml", "--as-rank",
                                              str(tmp_path / "r.json")]
    hosts = launcher(DistributedParams(hostfile=tmp_path / "hosts.json", backend="mpi"), ["-m", "tasks.train"],
                     tmp_path / "r.json")
    assert hosts[hosts.index("--hostfile") + 1] == str(tmp_path / "hosts.json") and "-n" not in hosts
    assert hosts[hosts.index("--backend") + 1] == "mpi"


def checkpoint_progress(checkpoints) -> tuple[int, int]:
    """(stage, iteration) of the newest checkpoint, (-1, 0) before the first."""
    states = list(checkpoints.glob("*/state.json"))
    if not states:
        return (-1, 0)
    state = json.loads(states[0].read_text())
    return (state["stage"], state["iteration"])


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
