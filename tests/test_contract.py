"""dvc.yaml, the stage modules, params.yaml and the flow agree with each other."""
import importlib
import re

import yaml

from conftest import ROOT
from flows.pipeline import stage_names
from tasks.config import Params, load_params

DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())


def test_the_six_stages_in_order():
    assert list(DVC) == ["parse", "generate", "validate", "split", "train", "evaluate"]
    assert stage_names(ROOT) == list(DVC)  # the flow reads them from dvc.yaml


def test_each_stage_runs_its_own_module_and_names_its_params_section():
    for name, stage in DVC.items():
        assert stage["cmd"] == f"python -m tasks.{name}"
        module = importlib.import_module(f"tasks.{name}")
        assert callable(module.run) and callable(module.main)
        assert f"tasks/{name}.py" in stage["deps"]
        assert name in stage["params"]
        assert name in PARAMS
        assert f"${{paths.reports}}/{name}.json" in [next(iter(m)) for m in stage["metrics"]]


def test_every_interpolated_key_exists_in_params():
    text = (ROOT / "dvc.yaml").read_text()
    for key in re.findall(r"\$\{([\w.]+)\}", text):
        node = PARAMS
        for part in key.split("."):
            assert part in node, f"dvc.yaml uses ${{{key}}} but params.yaml has no {key}"
            node = node[part]


def test_each_stage_reads_a_dep_another_stage_writes_before_it():
    outs_so_far: list[str] = []
    for name, stage in DVC.items():
        outs = [next(iter(o)) if isinstance(o, dict) else o for o in stage.get("outs", [])]
        upstream = [d for d in stage["deps"] if any(d.startswith(o) for o in outs_so_far)]
        if name != "parse":
            assert upstream, f"{name} depends on no earlier stage's output"
        outs_so_far += outs


def test_params_yaml_loads_into_the_typed_models():
    assert isinstance(load_params(ROOT / "params.yaml"), Params)


def test_the_flow_finds_every_declared_plot():
    from flows.pipeline import plot_files

    assert [p.name for p in plot_files(ROOT, "train")] == ["train_loss.json", "val_loss.json", "loss.svg"]
