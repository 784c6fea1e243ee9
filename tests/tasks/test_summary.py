import json
import shutil

import pytest

from tasks.reports import summary
from tasks.testing.projects import ROOT, project_paths

METRICS = {"base": {"qa": {"n": 2, "loss": 3.0, "perplexity": 20.1, "token_f1": 0.1, "rouge_l": 0.1},
                    "tool_use": {"n": 1, "loss": 5.0, "perplexity": 148.4, "tool_name_match": 0.0,
                                 "tool_call_exact": 0.0}},
           "tuned": {"qa": {"n": 2, "loss": 1.5, "perplexity": 4.5, "token_f1": 0.4, "rouge_l": 0.3},
                     "tool_use": {"n": 1, "loss": 0.5, "perplexity": 1.6, "tool_name_match": 1.0,
                                  "tool_call_exact": 0.0}},
           "golden": {"base": {"qa": {"n": 30, "loss": 3.2, "key_facts": 0.1, "token_f1": 0.05, "rouge_l": 0.05}},
                      "tuned": {"qa": {"n": 30, "loss": 2.9, "key_facts": 0.2, "token_f1": 0.15, "rouge_l": 0.1}}},
           "qa_four_way": {"golden": {"n": 30, "k": 2, "recall_at_k": 0.8,
                                      **{w: {"key_facts": v, "token_f1": v} for w, v in
                                         (("base", 0.1), ("base+rag", 0.3), ("tuned", 0.2), ("tuned+rag", 0.5))}}}}


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
    assert "Golden set (hand-written), base -> tuned:" in out and "key_facts 0.1 -> 0.2" in out
    assert "QA golden (n=30) key facts: base 0.10, base + RAG 0.30, tuned 0.20, tuned + RAG 0.50; retrieval recall@2 0.80" in out
    assert "does not beat the base model on: tool_use.tool_call_exact" in out
    assert "Seconds per stage (the last time each ran): " in out and "evaluate 2" in out


def test_the_markdown_tables_put_the_golden_set_beside_the_test_split(project, capsys):
    summary.main(["--markdown"])
    first, second = capsys.readouterr().out.split("\n\n")
    rows = [line.split(" | ") for line in first.splitlines()[2:]]
    assert [r[1] for r in rows] == ["loss", "key_facts", "token_f1", "rouge_l", "loss", "tool_name_match", "tool_call_exact"]
    assert rows[0][0] == "| qa (test 2, golden 30)"
    assert rows[2][2:] == ["0.10", "0.40", "0.05", "0.15 |"]  # token_f1: test base, tuned; golden base, tuned
    assert rows[5][2:] == ["0.00", "1.00", "", " |"]            # no tool use in the golden set
    four = [line.split(" | ") for line in second.splitlines()]
    assert four[0] == ["| QA set (n)", "metric", "base", "base + RAG", "tuned", "tuned + RAG |"]
    assert four[2][2:] == ["0.10", "0.30", "0.20", "0.50 |"]
    assert four[-1][1:] == ["recall@2", "", "0.80", "", "0.80 |"]


def test_no_run_yet_says_what_to_do(project):
    project_paths(project).metrics.unlink()
    with pytest.raises(SystemExit, match="no complete run yet .* missing.*make run"):
        summary.main([])


def test_a_project_without_docs_has_no_recall_to_print(project, capsys):
    """Regression: with no doc chunks there is no retrieval, and recall_at_k is None, not a crash."""
    metrics = json.loads(project_paths(project).metrics.read_text())
    metrics["qa_four_way"]["golden"] |= {"recall_at_k": None, "base+rag": None, "tuned+rag": None}
    project_paths(project).metrics.write_text(json.dumps(metrics))
    summary.main([])
    assert "QA golden (n=30) key facts: base 0.10, tuned 0.20; no docs to retrieve from" in capsys.readouterr().out
