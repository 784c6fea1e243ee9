"""NL -> GraphQL on real schemas this project did not write (tests/real_inputs.py says where each
comes from): every schema graphql-core accepts yields valid, distinct queries and no generator bug;
every one it rejects is a clear InputError naming the file."""
import random

import pytest
from graphql import build_schema, validate_schema
from test_graphql import P, check_all_valid_and_distinct

from tasks.core.io import InputError
from tasks.generators import graphql
from tasks.parse import parse_schema
from tasks.testing.real_inputs import graphql_schemas

SCHEMAS = graphql_schemas()


def draft(sdl: str, n: int, seed: int = 0):
    return graphql.pairs_from_schema(sdl, P, random.Random(seed), n)


def accepted(name: str, text: str, tmp_path) -> str | None:
    """The SDL parse hands on, or None when parse rejects the file (with a message naming it)."""
    path = tmp_path / name.replace("/", "_").replace(":", "_")
    path.write_text(text)
    try:
        return parse_schema(path)[0]
    except InputError as e:
        assert str(e).startswith(str(path)) and "invalid GraphQL schema" in str(e)
        return None


def graphql_core_rejects(text: str) -> bool:
    try:
        return bool(validate_schema(build_schema(text)))
    except Exception:
        return True


@pytest.mark.parametrize("name, text", SCHEMAS, ids=[n for n, _ in SCHEMAS])
def test_every_real_schema_is_drafted_from_or_clearly_rejected(name, text, tmp_path):
    sdl = accepted(name, text, tmp_path)
    assert (sdl is None) == graphql_core_rejects(text)
    if sdl is None:
        return
    examples, coverage = draft(sdl, 200)
    assert coverage["generator_bugs"] == {}
    check_all_valid_and_distinct(sdl, examples)
    assert examples or coverage.get("reason")


def test_enough_real_schemas_are_accepted_and_two_are_large(tmp_path):
    sizes = {}
    for name, text in SCHEMAS:
        sdl = accepted(name, text, tmp_path)
        if sdl is not None:
            sizes[name] = len(build_schema(sdl).type_map)
    assert len(sizes) >= 5
    assert sizes["datamodel-code-generator:tests/data/graphql/github-api.graphql"] > 1500
    assert sizes["graphql-core:tests/fixtures/github_schema.graphql"] > 500


@pytest.mark.parametrize("name", ["datamodel-code-generator:tests/data/graphql/github-api.graphql",
                                  "graphql-core:tests/fixtures/github_schema.graphql"])
def test_github_schemas_cover_every_construct(name, tmp_path):
    sdl = accepted(name, dict(SCHEMAS)[name], tmp_path)
    examples, coverage = draft(sdl, 500, seed=3)
    assert len(examples) == 500 and coverage["generator_bugs"] == {}
    assert {c for c in graphql.CONSTRUCTS if coverage["constructs"].get(c)} == set(graphql.CONSTRUCTS)
    words = " ".join(ex["messages"][1]["content"] for ex in examples)
    assert "GitHub" in words and "gitHub" not in words  # the schema's casing of names is kept
