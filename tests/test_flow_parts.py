"""The flow's questions to DVC, asked of a real project copy in its own git repo: which params
changed since the commit (`dvc params diff --json`), which stages are out of date
(`dvc status --json`), never by reading DVC's English."""
from flows.pipeline import changed_params, out_of_date
from tasks.testing.projects import copy_project, edit_params


def test_changed_params_and_stale_stages_come_from_dvc_json(tmp_path):
    project = copy_project(tmp_path / "project")
    assert changed_params(project) == []
    edit_params(project, {"train": {"lora_rank": 16}, "generate": {"quotas": {"qa": 7}}})
    assert changed_params(project) == ["generate.quotas.qa=7", "train.lora_rank=16"]
    assert out_of_date(project, "parse") == {"parse"}  # never run here
    assert {"parse", "train", "evaluate"} <= out_of_date(project)
