"""NL -> GraphQL on 300 random schemas (random_schemas.py): whatever graphql-core accepts gives
valid, distinct queries, no crash and no generator bug. Found, before it was fixed: a @oneOf input
whose only field is itself sent the drafter into a RecursionError."""
import random

from graphql import build_schema, validate_schema
from random_schemas import schema
from test_graphql import P, check_all_valid_and_distinct

from tasks.generators import graphql


def test_random_schemas_graphql_core_accepts_give_valid_queries():
    accepted = 0
    for seed in range(300):
        sdl = schema(seed)
        try:
            if validate_schema(build_schema(sdl)):
                continue
        except Exception:  # graphql-core rejects this draw while building it
            continue
        accepted += 1
        examples, coverage = graphql.pairs_from_schema(sdl, P, random.Random(seed), 20)
        assert coverage["generator_bugs"] == {}, (seed, coverage["generator_bugs"])
        check_all_valid_and_distinct(sdl, examples)
        assert examples or coverage.get("reason"), seed
    assert accepted >= 200


def test_a_oneof_input_that_only_holds_itself_is_skipped_not_a_bug():
    sdl = ('directive @oneOf on INPUT_OBJECT\n'
           'input Loop @oneOf { again: Loop }\n'
           'input Step @oneOf { next: Step, stop: Boolean }\n'
           'type Query { a(loop: Loop, step: Step): Int  b(loop: Loop!): Int  c: Int }\n')
    examples, coverage = graphql.pairs_from_schema(sdl, P, random.Random(0), 30)
    assert coverage["generator_bugs"] == {}
    check_all_valid_and_distinct(sdl, examples)
    queries = [ex["messages"][-1]["content"] for ex in examples]
    assert queries and not any("b(" in q or "again" in q for q in queries)  # b needs a Loop: never drafted
    assert any("stop:" in q for q in queries)  # a Step chain ends at its Boolean
