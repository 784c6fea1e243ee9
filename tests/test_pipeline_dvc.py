"""The whole pipeline through real DVC, in a temp git repo, with tiny params."""
import json
import re
import subprocess

import pytest

from tasks.testing.projects import BIN, STAGES, edit_params, project_paths, run

pytestmark = pytest.mark.slow



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


def fingerprint(paths) -> dict:
    """What a run produced that must not depend on the run: the adapter's bytes and the metrics."""
    return {"adapter": paths.adapter_weights().read_bytes(),
            "base": (paths.base_model / "model.safetensors").read_bytes(),
            "metrics": json.loads(paths.metrics.read_text())}


def test_repro_builds_every_artifact_and_reruns_only_what_changed(tiny_project):
    paths = project_paths(tiny_project)
    # The first, full run has no network at all (where unshare is permitted): nothing may need one.
    first = run(NO_NETWORK + [str(BIN / "dvc"), "repro"], tiny_project)
    assert ran(first.stdout) == STAGES
    first_run = fingerprint(paths)

    # artifacts of the interface (DESIGN.md)
    for s in ("train", "valid", "test"):
        assert paths.split_file(s).stat().st_size > 0
    typed = [json.loads(line) for line in paths.typed_export().read_text().splitlines()]
    assert {t["type"] for t in typed} == {"qa", "text-to-graphql", "tool_use", "conversation"}
    assert json.loads(paths.adapter_config().read_text())["fine_tune_type"] == "lora"
    assert paths.model_card().read_text().startswith("---\n") and paths.adapter_template(paths.adapter).exists()
    assert paths.lora_gguf(paths.fused).read_bytes()[:4] == b"GGUF"  # the tiny base is a Llama too
    for stage in STAGES:
        assert json.loads(paths.report(stage).read_text())["stage"] == stage
    assert set(first_run["metrics"]) == {"base", "tuned", "golden", "qa_four_way"}
    assert "text-to-graphql" in first_run["metrics"]["tuned"] and "text-to-graphql" in first_run["metrics"]["golden"]["tuned"]
    shown = json.loads(run([str(BIN / "dvc"), "metrics", "show", "--json"], tiny_project).stdout)
    [workspace] = shown.values()
    assert workspace["data"][str(paths.headline.relative_to(tiny_project))]["data"] == json.loads(paths.headline.read_text())
    headline = json.loads(paths.headline.read_text())
    assert set(headline["test"]) == set(first_run["metrics"]["tuned"])  # a row per category
    assert set(headline["golden"]) == set(first_run["metrics"]["golden"]["tuned"])
    # the loss curves as an image plot: DVC embeds it in its page, nothing to fetch
    page = tiny_project.parent / "plots-page"
    run([str(BIN / "dvc"), "plots", "show", "-o", str(page)], tiny_project)
    [svg] = (page / "static").glob(f"*{paths.loss_plot.name}")
    assert svg.read_text().count("<polyline") == 2
    assert f'<img src="static/{svg.name}">' in (page / "index.html").read_text()

    # the page works with no network: Vega is inlined (the template .dvc/config names), nothing from a CDN
    html = (page / "index.html").read_text()
    assert not re.search(r"""<script[^>]+src=["']?https?:""", html) and "cdn.jsdelivr" not in html
    assert html.count("vegaEmbed('#") == 2 and "window.__plots" in html  # both curves, and the replay of their embeds

    # a changed split seed reruns split and what follows it, nothing before
    edit_params(tiny_project, {"split": {"seed": 7}})
    second = run([str(BIN / "dvc"), "repro"], tiny_project)
    assert ran(second.stdout) == ["split", "train", "evaluate"]
    assert skipped(second.stdout) == ["parse", "generate", "validate"]
    assert fingerprint(paths)["adapter"] != first_run["adapter"]

    third = run([str(BIN / "dvc"), "repro"], tiny_project)
    assert ran(third.stdout) == []
    assert "Data and pipelines are up to date" in third.stdout

    # a user's own golden set: evaluate alone reads it, so a new file or an edit reruns evaluate alone
    mine = tiny_project / "my_golden.jsonl"
    mine.write_text('{"type": "qa", "question": "how long is stuff kept in the trash", "answer": "30 days.", '
                    '"facts": ["30 days"]}\n')
    edit_params(tiny_project, {"sources": {"eval_set": mine.name}})
    assert ran(run([str(BIN / "dvc"), "repro"], tiny_project).stdout) == ["evaluate"]
    with open(mine, "a") as f:
        f.write('{"type": "text-to-graphql", "natural_language_query": "my tags", "graphql_query": "{ tags { id name } }"}\n')
    assert ran(run([str(BIN / "dvc"), "repro"], tiny_project).stdout) == ["evaluate"]
    assert json.loads(paths.report("evaluate").read_text())["n_golden"] == 2
    # and any file, on request, against the current models, touching no DVC out
    other = tiny_project.parent / "asked.jsonl"
    other.write_text('{"type": "qa", "question": "whats the free quota", "answer": "5 GB.", "facts": ["5 GB"]}\n')
    asked = run([str(BIN / "python"), "-m", "tasks.evaluate", "--eval-set", str(other)], tiny_project)
    assert "| qa (1) | key_facts |" in asked.stdout and "| golden (1) | key_facts |" in asked.stdout
    assert json.loads(paths.eval_report("asked").read_text())["metrics"]["tuned"]["qa"]["n"] == 1
    assert "up to date" in run([str(BIN / "dvc"), "status"], tiny_project).stdout
    edit_params(tiny_project, {"sources": {"eval_set": "examples/filebox/golden.jsonl"}})

    # The same params twice give the same model and the same metrics: back to the first seed, and
    # really run again (not restored from DVC's run cache), in a fresh process.
    edit_params(tiny_project, {"split": {"seed": 0}})
    fourth = run([str(BIN / "dvc"), "repro", "--no-run-cache"], tiny_project)
    assert ran(fourth.stdout) == ["split", "train", "evaluate"]
    assert fingerprint(paths) == first_run


def test_stage_commands_run_with_a_clean_path(tiny_project):
    """`env -i PATH=/usr/bin:/bin .venv/bin/dvc repro`: each cmd names its Python (params.yaml's
    `python`, .venv/bin/python by default), so a bare `python` that is not on PATH is never needed."""
    import os
    import sys

    (tiny_project / ".venv").symlink_to(sys.prefix)  # where `make` puts the environment
    edit_params(tiny_project, {"python": ".venv/bin/python"})
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}
    result = subprocess.run([str(tiny_project / ".venv/bin/dvc"), "repro", "generate"], cwd=tiny_project, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert ran(result.stdout) == ["parse", "generate"]


def test_the_base_model_and_adapter_load_in_mlx_lm_commands(tiny_project):
    run([str(BIN / "dvc"), "repro", "train"], tiny_project)
    paths = project_paths(tiny_project)
    out = run([str(BIN / "mlx_lm.generate"), "--model", str(paths.base_model), "--adapter-path", str(paths.adapter),
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
    report = json.loads(project_paths(tiny_project).failure_report("validate").read_text())
    failed = [e for e in report["expectations"] if not e["success"]]
    assert [e["expectation"] for e in failed] == ["expect_column_values_to_be_between(total_chars)"]
    assert failed[0]["sample_ids"]


def test_push_then_pull_into_a_fresh_clone_and_compare_runs(tiny_project, tmp_path):
    """`make push` from one clone, `make pull` into a fresh one: dvc status is clean and dvc repro
    runs nothing. Then a changed param: `dvc metrics diff` shows the headline figures' deltas and
    `dvc exp show --only-changed` stays narrow."""
    import csv
    import io
    import sys

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    (tiny_project / ".venv").symlink_to(sys.prefix)  # where make looks for dvc
    run([str(BIN / "dvc"), "repro"], tiny_project)
    run(git + ["add", "-A"], tiny_project)
    run(git + ["commit", "-qm", "a run"], tiny_project)
    remote = tmp_path / "remote"
    run(["make", "push", f"REMOTE={remote}"], tiny_project)

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(tiny_project), str(clone)], tmp_path)
    (clone / ".venv").symlink_to(sys.prefix)
    run([str(BIN / "python"), "-m", "tasks.reports.plots_page"], clone)  # what `make setup` does in a fresh clone
    run(["make", "pull", f"REMOTE={remote}"], clone)
    assert json.loads(run([str(BIN / "dvc"), "status", "--json"], clone).stdout or "{}") == {}
    again = run([str(BIN / "dvc"), "repro"], clone)
    assert ran(again.stdout) == [] and "Data and pipelines are up to date" in again.stdout
    assert json.loads(project_paths(clone).report("evaluate").read_text())["stage"] == "evaluate"  # reports came too

    edit_params(clone, {"train": {"lora_rank": 4}})
    changed = run([str(BIN / "dvc"), "repro"], clone)
    assert ran(changed.stdout) == ["train", "evaluate"]
    diff = json.loads(run([str(BIN / "dvc"), "metrics", "diff", "--json"], clone).stdout)
    [(path, figures)] = diff.items()
    assert path.endswith("headline.json") and "test.qa.loss" in figures and "diff" in figures["test.qa.loss"]
    plots = tmp_path / "plots-diff"
    run([str(BIN / "dvc"), "plots", "diff", "HEAD", "-o", str(plots)], clone)  # the loss curves of both revisions
    page = (plots / "index.html").read_text()
    assert re.search(r'"rev": ?"HEAD"', page) and re.search(r'"rev": ?"workspace"', page), page[:2000]
    table = run([str(BIN / "dvc"), "exp", "show", "--only-changed", "--csv"], clone).stdout
    header = next(csv.reader(io.StringIO(table)))
    print(f"dvc exp show --only-changed: {len(header)} columns: {header}")
    assert len(header) <= 40 and "train.lora_rank" in header and "test.qa.loss" in header
