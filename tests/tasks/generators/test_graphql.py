import datetime as dt
import json
import random

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
    """Examples and one flat coverage dict: {construct: count, "arg_kinds": {kind: count}}."""
    examples, coverage = graphql.pairs_from_schema(sdl, P, random.Random(seed), n)
    return examples, {**coverage["constructs"], "arg_kinds": coverage["arg_kinds"]}


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
    month = [(w, q) for w, q in pairs if "modified in the last month" in w]
    assert month and all('"2026-05-02T00:00:00Z"' in q for _, q in month)  # 30 days before reference_date


def test_schema_docstrings_become_the_words():
    examples, _ = generate((FIXTURES / "bookshop.graphql").read_text(), 200)
    assert any("books in the catalogue" in ex["messages"][1]["content"] for ex in examples)


def test_same_seed_same_examples():
    sdl = (FIXTURES / "bookshop.graphql").read_text()
    assert generate(sdl, 100, seed=5)[0] == generate(sdl, 100, seed=5)[0]
