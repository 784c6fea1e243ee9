import json

from graphql import build_schema

from conftest import EXAMPLE
from tasks import evaluate
from tasks.examples import tool_call

SCHEMA = build_schema((EXAMPLE / "schema.graphql").read_text())
REF = 'query { files(filter: { kind: VIDEO }, first: 10) { edges { node { id name } } } }'


def test_graphql_scores_compare_parsed_queries_not_whitespace():
    same = "query {\n  files(filter: {kind: VIDEO}, first: 10) {\n edges { node { id name } } } }"
    assert evaluate.graphql_scores(same, REF, SCHEMA) == {"parsed": 1.0, "valid": 1.0, "exact_match": 1.0}


def test_a_wrong_argument_value_is_valid_but_not_a_match():
    wrong = REF.replace("first: 10", "first: 20")
    assert evaluate.graphql_scores(wrong, REF, SCHEMA) == {"parsed": 1.0, "valid": 1.0, "exact_match": 0.0}


def test_unparseable_and_invalid_queries():
    assert evaluate.graphql_scores("query { files(", REF, SCHEMA)["parsed"] == 0.0
    assert evaluate.graphql_scores("query { nope }", REF, SCHEMA) == {"parsed": 1.0, "valid": 0.0, "exact_match": 0.0}


def test_tool_calls_match_on_names_and_parsed_arguments():
    ref = [tool_call("c0", "tag_file", {"path": "/a.pdf", "tag": "work"})]
    reordered = '<|call|>{"name": "tag_file", "arguments": {"tag": "work", "path": "/a.pdf"}}'
    assert evaluate.tool_scores(reordered, ref) == {"tool_name_match": 1.0, "tool_call_exact": 1.0}
    wrong_value = reordered.replace("work", "home")
    assert evaluate.tool_scores(wrong_value, ref) == {"tool_name_match": 1.0, "tool_call_exact": 0.0}
    assert evaluate.tool_scores("I moved it.", ref) == {"tool_name_match": 0.0, "tool_call_exact": 0.0}


def test_parallel_calls_match_in_any_order():
    ref = [tool_call("c0", "a", {"x": 1}), tool_call("c1", "b", {})]
    text = '<|call|>{"name": "b", "arguments": {}}<|call|>{"name": "a", "arguments": {"x": 1}}'
    assert evaluate.tool_scores(text, ref)["tool_call_exact"] == 1.0


def test_summary_turns_token_losses_into_perplexity():
    per_example = [{"category": "qa", "loss_sum": 2.0, "loss_tokens": 2, "scores": {"token_f1": 0.5}},
                   {"category": "qa", "loss_sum": 0.0, "loss_tokens": 2, "scores": {"token_f1": 1.0}}]
    out = evaluate.summarize(per_example)
    assert out == {"qa": {"n": 2, "loss": 0.5, "perplexity": round(2.718281828 ** 0.5, 3), "token_f1": 0.75}}
    json.dumps(out)
