import json
import shutil

import pytest

from tasks import validate
from tasks.core.config import CATEGORIES, ValidateParams
from tasks.core.io import InputError, read_jsonl, write_jsonl
from tasks.core.records import chat, make_example, tool_call
from tasks.core.stage import StageFailed
from tasks.testing.projects import ROOT, tmp_paths

SUITES = ROOT / "expectations"
SUITE = SUITES / "examples.json"
QUOTAS = {"qa": 100}
TOOLS = [{"type": "function", "function": {"name": "move_file", "parameters": {"type": "object", "properties": {}}}}]


def good(i: int) -> dict:
    return make_example("qa", chat("sys", f"Question number {i}?", f"Answer number {i}."), source="test")


def write_suite(tmp_path, extra: list[dict]) -> ValidateParams:
    """The bundled suites, with `extra` expectations added to examples.json."""
    folder = tmp_path / "suites"
    shutil.copytree(SUITES, folder)
    spec = json.loads(SUITE.read_text())
    spec["expectations"] += extra
    (folder / "examples.json").write_text(json.dumps(spec))
    return ValidateParams(suites=folder)


def test_facts_flag_bad_roles_and_tool_calls():
    bad_roles = make_example("qa", [{"role": "assistant", "content": "A"}], source="t")
    bad_call = make_example("tool_use", [
        {"role": "user", "content": "move it"},
        {"role": "assistant", "content": "", "tool_calls": [tool_call("c0", "no_such_tool", {})]},
        {"role": "tool", "tool_call_id": "c0", "content": "{}"},
        {"role": "assistant", "content": "Done."},
    ], source="t", tools=TOOLS)
    frame = validate.facts([good(0), bad_roles, bad_call])
    assert frame["roles_ok"].to_list() == [True, False, True]
    assert frame["tool_calls_ok"].to_list() == [None, None, False]


def test_bad_rows_are_quarantined_with_reasons(tmp_path):
    paths = tmp_paths(tmp_path)
    rows = [good(i) for i in range(60)]
    rows.append(make_example("qa", [{"role": "assistant", "content": "no question"}], source="t"))
    write_jsonl(paths.generated, rows)
    report = validate.run(ValidateParams(suites=SUITES), QUOTAS, paths)
    assert report["success"] and report["n_rejected"] == 1 and report["n_out"] == 60
    rejected = read_jsonl(paths.rejected)
    assert rejected[0]["reasons"] == ["examples: expect_column_values_to_be_in_set(roles_ok)",
                                      "qa: expect_column_values_to_be_between(prompt_chars)"]  # no question
    assert rejected[0]["example"]["id"] == rows[-1]["id"]
    assert len(read_jsonl(paths.validated)) == 60


def test_the_late_sweep_redacts_what_generators_and_a_teacher_wrote(tmp_path):
    """Sources are redacted in parse; text made after it (a teacher's answer, a tool argument) is
    swept again here, counted in the report, and never reaches the kept or the rejected rows."""
    paths = tmp_paths(tmp_path)
    rows = [good(i) for i in range(60)]
    leaky = make_example("tool_use", [
        {"role": "user", "content": "Share the report with ana.lopez@example.org"},
        {"role": "assistant", "content": "", "tool_calls": [tool_call("c0", "move_file", {"to": "ana.lopez@example.org"})]},
        {"role": "tool", "tool_call_id": "c0", "content": "{\"ok\": true}"},
        {"role": "assistant", "content": "Shared; the key is AKIAIOSFODNN7EXAMPLE."}], source="t", tools=TOOLS)
    write_jsonl(paths.generated, rows + [leaky])
    report = validate.run(ValidateParams(suites=SUITES), QUOTAS, paths)
    assert report["redacted_late"] == {"AWS_KEY": 1, "EMAIL": 2}
    written = paths.validated.read_text() + paths.rejected.read_text()
    assert "ana.lopez" not in written and "AKIAIOSFODNN7EXAMPLE" not in written
    assert "[EMAIL]" in written


def test_a_failing_expectation_stops_the_stage_naming_it_and_the_ids(tmp_path):
    paths = tmp_paths(tmp_path)
    rows = [good(i) for i in range(5)]
    write_jsonl(paths.generated, rows)
    params = write_suite(tmp_path, [{"type": "expect_column_values_to_be_between",
                                     "kwargs": {"column": "total_chars", "max_value": 20}}])
    with pytest.raises(StageFailed) as err:
        validate.run(params, QUOTAS, paths)
    message = str(err.value)
    assert "examples: expect_column_values_to_be_between(total_chars): 5 rows" in message
    assert rows[0]["id"] in message
    failure = json.loads(paths.failure_report("validate").read_text())
    assert failure["success"] is False
    assert not paths.validated.exists()


def test_a_misspelt_expectation_is_an_error_not_a_silent_drop(tmp_path):
    params = write_suite(tmp_path, [{"type": "expect_column_values_to_be_uniq", "kwargs": {"column": "id"}}])
    with pytest.raises(InputError, match="expect_column_values_to_be_uniq"):
        validate.load_suite(params.suites / "examples.json")


@pytest.mark.parametrize("name", ["examples", *CATEGORIES, "mix"])
def test_each_bundled_suite_loads_whole(name):
    spec = json.loads((SUITES / f"{name}.json").read_text())
    assert len(validate.load_suite(SUITES / f"{name}.json").expectations) == len(spec["expectations"]) > 0


def test_a_category_suite_and_the_mix_suite_judge_their_own_rows(tmp_path):
    paths = tmp_paths(tmp_path)
    rows = [good(i) for i in range(30)] + [
        make_example("text-to-graphql", chat("sys", f"list {i} files please", "query { files { id } }"), source="t",
                     meta={"graphql_valid": True}) for i in range(29)]
    bad_graphql = make_example("text-to-graphql", chat("sys", "list files please", "query { nope }"), source="t",
                               meta={"graphql_valid": False})
    write_jsonl(paths.generated, rows + [bad_graphql])
    report = validate.run(ValidateParams(suites=SUITES), {"qa": 30, "text-to-graphql": 30}, paths)
    rejected = read_jsonl(paths.rejected)
    assert rejected[0]["example"]["id"] == bad_graphql["id"]
    assert "text-to-graphql: expect_column_values_to_be_in_set(graphql_valid)" in rejected[0]["reasons"]
    mix = [e for e in report["expectations"] if e["suite"] == "mix"]
    assert mix and all(e["success"] for e in mix)


def test_a_mix_far_from_the_quotas_fails(tmp_path):
    paths = tmp_paths(tmp_path)
    write_jsonl(paths.generated, [good(i) for i in range(30)])
    with pytest.raises(StageFailed, match="mix: expect_column_values_to_be_between\\(deviation\\)"):
        validate.run(ValidateParams(suites=SUITES), {"qa": 30, "conversation": 30}, paths)


def test_the_validation_report_is_self_contained_html(tmp_path):
    paths = tmp_paths(tmp_path)
    write_jsonl(paths.generated, [good(i) for i in range(30)])
    validate.run(ValidateParams(suites=SUITES), QUOTAS, paths)
    page = paths.validation_page.read_text()
    assert page.startswith("<!doctype html>") and "Validation" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")


def test_exact_and_near_duplicates_are_removed_with_the_id_they_repeat(tmp_path):
    paths = tmp_paths(tmp_path)
    long_answer = " ".join(f"word{i}" for i in range(60))
    base = make_example("qa", chat("sys", "How do sync conflicts work?", long_answer), source="t")
    exact = make_example("qa", chat("other system prompt", "how do  SYNC conflicts work?", long_answer), source="t")
    near = make_example("qa", chat("sys", "How do sync conflicts work, please?", long_answer), source="t")
    rows = [base, exact, near] + [good(i) for i in range(40)]
    write_jsonl(paths.generated, rows)
    report = validate.run(ValidateParams(suites=SUITES), QUOTAS, paths)
    assert report["duplicates"] == {"exact": 1, "near": 1}
    rejected = {r["example"]["id"]: r["reasons"][0] for r in read_jsonl(paths.rejected)}
    assert rejected[exact["id"]] == f"exact duplicate of {base['id']}"
    assert rejected[near["id"]].startswith(f"near duplicate of {base['id']}")
    assert len(read_jsonl(paths.validated)) == 41


def test_a_row_without_id_or_category_is_judged_by_the_expectations_not_a_crash(tmp_path):
    paths = tmp_paths(tmp_path)
    rows = [good(i) for i in range(60)]
    rows.append({k: v for k, v in good(60).items() if k not in ("id", "category")})
    write_jsonl(paths.generated, rows)
    with pytest.raises(StageFailed) as failed:  # id and category are required of every row (examples.json)
        validate.run(ValidateParams(suites=SUITES), QUOTAS, paths)
    assert "expect_column_values_to_not_be_null(id)" in str(failed.value)


def test_on_one_core_great_expectations_runs_in_the_stage_process(tmp_path, monkeypatch):
    """Where another process would only take turns with this one, the checks run inline: same verdicts."""
    from tasks.core import workers

    monkeypatch.setattr(workers, "cores", lambda: 1)
    paths = tmp_paths(tmp_path)
    rows = [good(i) for i in range(60)] + [make_example("qa", [{"role": "assistant", "content": "no question"}], source="t")]
    write_jsonl(paths.generated, rows)
    report = validate.run(ValidateParams(suites=SUITES), QUOTAS, paths)
    assert report["success"] and report["n_rejected"] == 1 and report["n_out"] == 60


def test_a_malformed_line_scanned_by_a_worker_is_named_by_file_and_line(tmp_path, monkeypatch):
    """The scan's chunks go to worker processes for a big input (tasks/core/workers.py): an error
    raised there reaches the stage as the same InputError, naming the file and the line."""
    from tasks.core import workers

    monkeypatch.setattr(workers, "WORTH_A_POOL", 0)  # as for a big input
    monkeypatch.setattr(validate, "CHUNK", 20)  # the bad line in the third chunk
    paths = tmp_paths(tmp_path)
    write_jsonl(paths.generated, [good(i) for i in range(60)])
    lines = paths.generated.read_text().splitlines()
    lines[44] = '{"id": "oops", '
    paths.generated.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"examples\.jsonl:45: not valid JSON"):
        validate.run(ValidateParams(suites=SUITES), QUOTAS, paths)
    assert not paths.validated.exists()
