import datetime as dt
import json
import random
import re

import pytest
from graphql import build_schema, introspection_from_schema, parse, validate

from tasks.core.config import GenerateParams
from tasks.generators import graphql, graphql_schema, graphql_wording
from tasks.parse import parse_schema
from tasks.testing.projects import EXAMPLE, ROOT
from tasks.testing.synthetic import synthetic_schema

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
    assert len(examples) == 1500  # the quota met: a large schema has more than enough to ask
    check_all_valid_and_distinct(sdl, examples)
    assert {c for c in graphql.CONSTRUCTS if coverage.get(c)} == ALL
    assert set(coverage["arg_kinds"]) == set(graphql.ARG_KINDS)


UNIT = {"k": 1 << 10, "kb": 1 << 10, "mb": 1 << 20, "meg": 1 << 20, "megs": 1 << 20, "megabytes": 1 << 20,
        "gb": 1 << 30, "gig": 1 << 30, "gigs": 1 << 30, "gigabytes": 1 << 30}


def test_natural_requests_say_sizes_dates_orders_and_counts_as_their_query_does():
    """Every size a request says ("over 2 gigs", "under 500 megs", "a gig", "between 1 and 10 mb")
    is the bound its query passes, in binary units; every relative date ("since yesterday", "this
    year", "older than 2025") the date the query passes, counted from reference_date; every order
    ("biggest first", "a to z") its sort; every count ("top 5", "just 3") its page size."""
    examples, _ = generate((EXAMPLE / "schema.graphql").read_text(), 800, seed=2)
    pairs = [(ex["messages"][1]["content"].lower(), ex["messages"][-1]["content"]) for ex in examples
             if ex["meta"]["style"] == "natural"]
    assert len(pairs) >= 550
    sizes = dates = orders = counts = 0
    day = lambda d: f'"{d.isoformat()}T00:00:00Z"'
    today = dt.date(2026, 6, 1)
    for w, q in pairs:
        for lead, n, unit in re.findall(r"\b(over|under|bigger than|larger than|more than|above|smaller than|less than|below) "
                                        r"(a|\d+) ?(k|kb|mb|megs?|megabytes|gb|gigs?|gigabytes)\b", w):
            bound = (1 if n == "a" else int(n)) * UNIT[unit]
            field = "sizeGt" if lead in ("over", "bigger than", "larger than", "more than", "above") else "sizeLt"
            assert f"{field}: {bound}" in q, (w, q)
            sizes += 1
        for a, b, unit in re.findall(r"between (\d+) and (\d+) (mb|megs|megabytes|gb|gigs|gigabytes)", w):
            assert f"sizeGt: {int(a) * UNIT[unit]}" in q and f"sizeLt: {int(b) * UNIT[unit]}" in q, (w, q)
            sizes += 1
        for phrase, d in (("since yesterday", today - dt.timedelta(days=1)), ("in the last week", today - dt.timedelta(days=7)),
                          ("from last week", today - dt.timedelta(days=7)), ("this year", dt.date(2026, 1, 1)),
                          ("older than 2025", dt.date(2025, 1, 1)), ("in the last 30 days", today - dt.timedelta(days=30)),
                          ("in the past month", today - dt.timedelta(days=30)), ("in the last 90 days", today - dt.timedelta(days=90)),
                          ("in the last 3 days", today - dt.timedelta(days=3))):
            if phrase in w:
                assert day(d) in q, (w, q)
                dates += 1
        for phrase, sort in (("biggest first", "SIZE, direction: DESC"), ("smallest first", "SIZE, direction: ASC"),
                             ("newest first", "MODIFIED_AT, direction: DESC"), ("oldest first", "MODIFIED_AT, direction: ASC"),
                             ("a to z", "NAME, direction: ASC"), ("largest first", "SIZE, direction: DESC"),
                             ("most recent first", "MODIFIED_AT, direction: DESC"), ("latest first", "MODIFIED_AT, direction: DESC"),
                             ("z to a", "NAME, direction: DESC"), ("alphabetically", "NAME, direction: ASC")):
            if phrase in w:
                assert f"sort: {{field: {sort}}}" in q, (w, q)
                orders += 1
        m = re.search(r"\b(?:top|just|only|first|max) (\d+)\b", w)
        if m and "files" in q:
            assert f"first: {m.group(1)}" in q, (w, q)
            counts += 1
    assert min(sizes, dates, orders, counts) >= 10, (sizes, dates, orders, counts)


def test_a_request_that_names_no_fields_selects_by_the_one_rule():
    """id, the name field, and the fields the conditions, the order and the question mention."""
    examples, _ = generate((EXAMPLE / "schema.graphql").read_text(), 800, seed=4)
    natural = [(ex["messages"][1]["content"], ex["messages"][-1]["content"]) for ex in examples
               if ex["meta"]["style"] == "natural" and "totalCount" not in ex["messages"][-1]["content"]]
    listed = [(w, q) for w, q in natural if q.startswith("query { files(")]
    assert len(listed) >= 50, len(listed)
    for w, q in listed:
        if True:
            assert "{ id name" in q, (w, q)
            if "sizeGt" in q or "sizeLt" in q or "SIZE" in q:
                assert " size" in q.split("node", 1)[1], (w, q)
            if "modifiedAfter" in q or "modifiedBefore" in q or "MODIFIED_AT" in q:
                assert "modifiedAt" in q.split("node", 1)[1], (w, q)
    asked = [(m.group(1), q) for w, q in natural for m in [re.match(r"(?:whats|what is|get me) the (\w+(?: \w+)?) of ", w.lower())] if m]
    assert asked and all(graphql_schema.camel(field) in q for field, q in asked), asked


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
    assert graphql_wording.imperative("Removes a label") == "Remove a label"
    assert graphql_wording.subject_of("viewer", build_schema('type Query {\n  "The currently authenticated user."\n  viewer: String\n}').query_type.fields["viewer"]) == "the currently authenticated user"
