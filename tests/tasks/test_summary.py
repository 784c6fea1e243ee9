import json
import shutil

import pytest

from conftest import ROOT, project_paths
from tasks import summary

METRICS = {"base": {"qa": {"n": 2, "loss": 3.0, "perplexity": 20.1, "token_f1": 0.1, "rouge_l": 0.1},
                    "tool_use": {"n": 1, "loss": 5.0, "perplexity": 148.4, "tool_name_match": 0.0,
                                 "tool_call_exact": 0.0}},
           "tuned": {"qa": {"n": 2, "loss": 1.5, "perplexity": 4.5, "token_f1": 0.4, "rouge_l": 0.3},
                     "tool_use": {"n": 1, "loss": 0.5, "perplexity": 1.6, "tool_name_match": 1.0,
                                  "tool_call_exact": 0.0}}}


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    paths = project_paths(tmp_path)
    paths.reports.mkdir(parents=True)
    reports = {
        "generate": {"categories": {"qa": {"target": 5, "produced": 3, "shortfall": 2, "why": "the docs allow no more"}}},
        "validate": {"success": True, "n_expectations": 12, "n_out": 3, "n_rejected": 1},
        "split": {"splits": {"train": 2, "valid": 0, "test": 1}},
        "evaluate": {"tuned_not_better": ["tool_use.tool_call_exact"]},
    }
    for stage, report in reports.items():
        paths.report(stage).write_text(json.dumps({"stage": stage, **report, "seconds": 2.4}))
    paths.metrics.write_text(json.dumps(METRICS))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_terminal_summary_says_what_was_made_and_where_tuning_did_not_help(project, capsys):
    summary.main([])
    out = capsys.readouterr().out
    assert "qa                   5 /     3  short by 2: the docs allow no more" in out
    assert "Validation: passed, 12 expectations; 3 kept, 1 rejected" in out
    assert "token_f1 0.1 -> 0.4" in out
    assert "does not beat the base model on: tool_use.tool_call_exact" in out
    assert "Seconds per stage (the last time each ran): " in out and "evaluate 2" in out


def test_the_markdown_table_is_the_metrics_file(project, capsys):
    summary.main(["--markdown"])
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines()[2:]]
    assert [r[1] for r in rows] == ["loss", "token_f1", "rouge_l", "loss", "tool_name_match", "tool_call_exact"]
    assert rows[1][2:] == ["0.10", "0.40 |"]


def test_no_run_yet_says_what_to_do(project):
    project_paths(project).metrics.unlink()
    with pytest.raises(SystemExit, match="no complete run yet .* missing.*make run"):
        summary.main([])
