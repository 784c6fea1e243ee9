import datetime as dt
import json
import random
import re

import pytest
from graphql import build_schema, introspection_from_schema, parse, validate

from bench.synthetic import synthetic_schema
from conftest import EXAMPLE, ROOT
from tasks.config import GenerateParams
from tasks.generators import graphql
from tasks.parse import parse_schema

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox", quotas={"text-to-graphql": 1})
FIXTURES = ROOT / "tests" / "fixtures"
ALL = set(graphql.CONSTRUCTS)


def generate(sdl: str, n: int, seed: int = 0):
    """Examples and one flat coverage dict: {construct: count, "arg_kinds": {kind: count}}; a
    generator bug fails the test."""
    examples, coverage = generate_with_bugs(sdl, n, seed)
    assert coverage["generator_bugs"] == {}
    return examples, {**coverage["constructs"], "arg_kinds": coverage["arg_kinds"]}


def generate_with_bugs(sdl: str, n: int, seed: int = 0):
    return graphql.pairs_from_schema(sdl, P, random.Random(seed), n)


def check_all_valid_and_distinct(sdl: str, examples) -> None:
    schema = build_schema(sdl)
    for ex in examples:
        query = ex["messages"][-1]["content"]
        assert not validate(schema, parse(query)), query
    requests = [ex["messages"][1]["content"] for ex in examples]
    assert len(set(requests)) == len(requests)


def sdl_of(path, tmp_path, as_introspection: bool) -> str:
    """The schema as the parse stage hands it on, read from SDL or from an introspection result."""
    if as_introspection:
        result = {"data": introspection_from_schema(build_schema(path.read_text()))}
        path = tmp_path / "introspection.json"
        path.write_text(json.dumps(result))
    return parse_schema(path)[0]


@pytest.mark.parametrize("name, as_introspection, expected, kinds", [
    ("filebox", False, ALL, {"string", "int", "float", "id", "enum", "input_object", "custom_scalar"}),
    ("bookshop", False, ALL, set(graphql.ARG_KINDS)),
    ("design_tool", True, ALL - {"sorting"}, {"string", "int", "id", "input_object"}),
])
def test_every_construct_the_schema_allows_is_produced(tmp_path, name, as_introspection, expected, kinds):
    path = EXAMPLE / "schema.graphql" if name == "filebox" else FIXTURES / f"{name}.graphql"
    sdl = sdl_of(path, tmp_path, as_introspection)
    examples, coverage = generate(sdl, 400)
    assert len(examples) == 400
    check_all_valid_and_distinct(sdl, examples)
    assert {c for c in graphql.CONSTRUCTS if coverage.get(c)} == expected
    assert set(coverage["arg_kinds"]) >= kinds


@pytest.mark.slow
def test_a_large_schema_of_over_a_thousand_types():
    sdl = synthetic_schema(180, seed=1)
    assert len(build_schema(sdl).type_map) > 1000
    examples, coverage = generate(sdl, 1500)
    check_all_valid_and_distinct(sdl, examples)
    assert {c for c in graphql.CONSTRUCTS if coverage.get(c)} == ALL
    assert set(coverage["arg_kinds"]) == set(graphql.ARG_KINDS)


def test_values_in_words_sizes_and_relative_dates():
    examples, _ = generate((EXAMPLE / "schema.graphql").read_text(), 600, seed=2)
    pairs = [(ex["messages"][1]["content"], ex["messages"][-1]["content"]) for ex in examples]
    gb = [(w, q) for w, q in pairs if "sizeGt: 1073741824" in q]
    assert gb and all(any(p in w for p in ("than 1 GB", "over 1 GB")) for w, q in gb)
    spans = {"week": 7, "month": 30, "90 days": 90, "year": 365}  # days before reference_date, 2026-06-01
    seen = set()
    for w, q in pairs:
        for span, days in spans.items():
            if f"modified in the last {span}" in w and "once with" not in w:
                seen.add(span)
                assert f'"{(dt.date(2026, 6, 1) - dt.timedelta(days=days)).isoformat()}T00:00:00Z"' in q, (w, q)
    assert len(seen) >= 3, seen


def test_schema_docstrings_become_the_words():
    examples, _ = generate((FIXTURES / "bookshop.graphql").read_text(), 200)
    assert any("books in the catalogue" in ex["messages"][1]["content"] for ex in examples)


def test_same_seed_same_examples():
    sdl = (FIXTURES / "bookshop.graphql").read_text()
    assert generate(sdl, 100, seed=5)[0] == generate(sdl, 100, seed=5)[0]


def test_hard_schema_shapes_give_valid_queries_and_no_generator_bug():
    """Unions (inline fragments only), interfaces implementing interfaces, @oneOf, 32-bit Ints,
    required arguments inside input objects and lists, recursive inputs, deprecated fields and enum
    values, custom root type names, a subscription: all drafted from, none fatal, none invalid."""
    sdl = parse_schema(FIXTURES / "hard_cases.graphql")[0]
    examples, coverage = generate_with_bugs(sdl, 300)
    assert coverage["generator_bugs"] == {}
    check_all_valid_and_distinct(sdl, examples)
    queries = [ex["messages"][-1]["content"] for ex in examples]
    assert {c for c in graphql.CONSTRUCTS if coverage["constructs"].get(c)} >= {"inline_fragment", "directives", "mutation"}
    assert not any(word in q for q in queries for word in ("legacy", "oldName", "events", "PRIVATE"))
    one_of = [q for q in queries if "key: {" in q or "repo: {" in q]
    assert one_of and all(q.count("id:") + q.count("name:") == 1 for q in one_of)
    assert all(int(n) <= 2**31 - 1 for q in queries for n in re.findall(r"(?:sizeGt|bytes): (\d+)", q))
    assert any(re.search(r"\.\.\. on (User|Org)", q) for q in queries if q.startswith("query { owner"))
    assert any("@include(if: $" in q for q in queries) and any("@skip(if: $" in q for q in queries)


def test_a_schema_with_nothing_to_draft_says_so():
    sdl = 'type Query {\n  old: String @deprecated\n}\n'
    examples, coverage = generate_with_bugs(sdl, 10)
    assert examples == [] and "no query or mutation field" in coverage["reason"]


def test_an_invalid_draft_is_counted_and_left_out_not_fatal(monkeypatch, capsys):
    """A bug in the drafter must not end a user's run: the query is not written, its validation
    message is counted in the report, and a warning says so."""
    real = graphql.Drafter.draft

    def sometimes_broken(self, root, construct):
        query, words, used = real(self, root, construct)
        return (query.replace("{ id", "{ noSuchField", 1) if construct == "plain" else query), words, used

    monkeypatch.setattr(graphql.Drafter, "draft", sometimes_broken)
    sdl = (EXAMPLE / "schema.graphql").read_text()
    examples, coverage = generate_with_bugs(sdl, 50)
    assert len(examples) == 50 and "noSuchField" not in str(examples)
    assert any("noSuchField" in message for message in coverage["generator_bugs"])
    assert "were not valid against the schema" in capsys.readouterr().err


def test_words_from_real_descriptions():
    assert graphql.imperative("Removes a label") == "Remove a label"
    assert graphql.subject_of("viewer", build_schema('type Query {\n  "The currently authenticated user."\n  viewer: String\n}').query_type.fields["viewer"]) == "the currently authenticated user"
