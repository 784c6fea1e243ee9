"""The whole pipeline through real DVC, in a temp git repo, with tiny params."""
import json
import subprocess

import pytest

from conftest import BIN, edit_params, run

pytestmark = pytest.mark.slow

STAGES = ["parse", "generate", "validate", "split", "train", "evaluate"]


def _no_network_prefix() -> list[str]:
    """`unshare --net` runs a command in a network namespace with no interfaces up, so any attempt
    to reach the network fails. It needs root (CI and the dev machines run as root)."""
    try:
        ok = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        ok = False
    return ["unshare", "--net", "--"] if ok else []


NO_NETWORK = _no_network_prefix()


def ran(output: str) -> list[str]:
    return [s for s in STAGES if f"Running stage '{s}'" in output]


def skipped(output: str) -> list[str]:
    return [s for s in STAGES if f"Stage '{s}' didn't change, skipping" in output]


def test_repro_builds_every_artifact_and_reruns_only_what_changed(tiny_project):
    # The first, full run has no network at all (where unshare is permitted): nothing may need one.
    first = run(NO_NETWORK + [str(BIN / "dvc"), "repro"], tiny_project)
    assert ran(first.stdout) == STAGES

    # artifacts of the interface (DESIGN.md)
    for s in ("train", "valid", "test"):
        assert (tiny_project / "data/dataset" / f"{s}.jsonl").stat().st_size > 0
    typed = [json.loads(line) for line in (tiny_project / "data/export/training_data.jsonl").read_text().splitlines()]
    assert {t["type"] for t in typed} == {"qa", "text-to-graphql", "tool_use", "conversation"}
    assert (tiny_project / "models/adapter/adapters.safetensors").stat().st_size > 0
    assert json.loads((tiny_project / "models/adapter/adapter_config.json").read_text())["fine_tune_type"] == "lora"
    for stage in STAGES:
        assert json.loads((tiny_project / "reports" / f"{stage}.json").read_text())["stage"] == stage
    metrics = json.loads((tiny_project / "reports/metrics.json").read_text())
    assert set(metrics) == {"base", "tuned"} and "text-to-graphql" in metrics["tuned"]
    shown = run([str(BIN / "dvc"), "metrics", "show", "--json"], tiny_project)
    assert "metrics.json" in shown.stdout
    # the loss curves as an image plot: DVC embeds it in its page, nothing to fetch
    page = tiny_project.parent / "plots-page"
    run([str(BIN / "dvc"), "plots", "show", "-o", str(page)], tiny_project)
    [svg] = (page / "static").glob("*loss.svg")
    assert svg.read_text().count("<polyline") == 2
    assert f'<img src="static/{svg.name}">' in (page / "index.html").read_text()

    # a changed split seed reruns split and what follows it, nothing before
    edit_params(tiny_project, {"split": {"seed": 7}})
    second = run([str(BIN / "dvc"), "repro"], tiny_project)
    assert ran(second.stdout) == ["split", "train", "evaluate"]
    assert skipped(second.stdout) == ["parse", "generate", "validate"]

    third = run([str(BIN / "dvc"), "repro"], tiny_project)
    assert ran(third.stdout) == []
    assert "Data and pipelines are up to date" in third.stdout


def test_the_base_model_and_adapter_load_in_mlx_lm_commands(tiny_project):
    run([str(BIN / "dvc"), "repro", "train"], tiny_project)
    out = run([str(BIN / "mlx_lm.generate"), "--model", "models/base", "--adapter-path", "models/adapter",
               "--prompt", "hello", "--max-tokens", "5", "--ignore-chat-template"], tiny_project)
    assert "Generation:" in out.stdout or "tokens-per-sec" in out.stdout


def test_a_failing_expectation_fails_validate_and_its_report_survives(tiny_project):
    suite_path = tiny_project / "expectations/examples.json"
    suite = json.loads(suite_path.read_text())
    suite["expectations"].append({"type": "expect_column_values_to_be_between",
                                  "kwargs": {"column": "total_chars", "max_value": 100}})
    suite_path.write_text(json.dumps(suite))
    result = run([str(BIN / "dvc"), "repro", "validate"], tiny_project, check=False)
    assert result.returncode != 0
    assert "expect_column_values_to_be_between(total_chars)" in result.stderr
    assert "e.g. qa-" in result.stderr or "e.g. text-to-graphql-" in result.stderr or "e.g. tool_use-" in result.stderr
    report = json.loads((tiny_project / "reports/failures/validate.json").read_text())
    failed = [e for e in report["expectations"] if not e["success"]]
    assert [e["expectation"] for e in failed] == ["expect_column_values_to_be_between(total_chars)"]
    assert failed[0]["sample_ids"]
