import datetime as dt
import json
import random

from jsonschema import Draft202012Validator

from conftest import EXAMPLE, example_sources, tmp_paths
from tasks import generate, parse as parse_stage
from tasks.config import GenerateParams, ParseParams, Sources
from tasks.generators import conversations, qa, tools
from tasks.io import read_jsonl

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox",
                   quotas={"qa": 50, "text-to-graphql": 200, "tool_use": 100, "conversation": 50})

def test_tool_calls_validate_against_their_json_schema():
    defs = json.loads((EXAMPLE / "tools.json").read_text())
    validators = {t["function"]["name"]: Draft202012Validator(t["function"]["parameters"]) for t in defs}
    examples = list(tools.dialogues(defs, P, random.Random(0), 100))
    shapes = {ex["meta"]["shape"] for ex in examples}
    assert shapes == {"single", "parallel", "error_recovery"}
    for ex in examples:
        for m in ex["messages"]:
            for call in m.get("tool_calls") or []:
                assert isinstance(call["function"]["arguments"], str)  # JSON text, as OpenAI and mlx-lm expect
                validators[call["function"]["name"]].validate(json.loads(call["function"]["arguments"]))


def test_conversations_are_kept_only_at_or_above_min_rating():
    log = [{"id": f"c{r}", "rating": r, "messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": f"A{r}"}]}
           for r in (1, 2, 3, 4, 5)] + [{"id": "cn", "rating": None, "messages": []}]
    examples, dropped = conversations.from_log(log, P, quota=10)
    assert sorted(ex["meta"]["rating"] for ex in examples) == [4, 5]
    assert dropped == {"rated below 4": 3, "unrated": 1}


def test_qa_answers_are_copied_from_their_cited_span():
    chunks, _ = parse_stage.parse_docs(EXAMPLE / "docs", ParseParams())
    examples = qa.pairs_from_docs(chunks, P, random.Random(0), 1000)
    assert len(examples) > 50
    for ex in examples:
        start, end = ex["meta"]["span"]
        source = (EXAMPLE / "docs" / ex["meta"]["file"]).read_text()[start:end]
        assert " ".join(source.split()) == ex["messages"][-1]["content"]
    assert len({ex["messages"][1]["content"] for ex in examples}) == len(examples)


def test_generate_stage_is_deterministic_and_reports_shortfalls(tmp_path):
    sources = example_sources()
    outputs = []
    for name in ("a", "b"):
        paths = tmp_paths(tmp_path / name)
        parse_stage.run(ParseParams(), sources, paths)
        report = generate.run(P, paths)
        outputs.append(paths.generated.read_bytes())
    assert outputs[0] == outputs[1]
    cats = report["categories"]
    assert cats["text-to-graphql"]["produced"] >= 200 and "shortfall" not in cats["text-to-graphql"]
    assert cats["conversation"]["shortfall"] > 0 and "rated below 4" in cats["conversation"]["why"]
    seeds = [ex for ex in read_jsonl(paths.generated) if ex["meta"].get("seed")]
    assert {ex["category"] for ex in seeds} == {"qa", "text-to-graphql", "tool_use", "conversation"}
    assert all(ex["meta"]["graphql_valid"] for ex in seeds if ex["category"] == "text-to-graphql")


def test_missing_sources_skip_their_generators(tmp_path):
    paths = tmp_paths(tmp_path)
    parse_stage.run(ParseParams(), Sources(docs=EXAMPLE / "docs"), paths)
    report = generate.run(P, paths)
    assert report["generators"]["qa"]["status"] == "ran"
    assert report["generators"]["tool_use"] == {"status": "skipped", "reason": "no tools (sources.tools is null)"}
    assert report["categories"]["tool_use"]["why"] == "no tools (sources.tools is null)"
