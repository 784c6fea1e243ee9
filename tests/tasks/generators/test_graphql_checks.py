"""Validating queries a block at a time (tasks/generators/graphql_checks.py) gives each query the
messages graphql-core gives it alone."""
from graphql import GraphQLSyntaxError, build_schema

from tasks.generators.graphql_checks import alone, messages

SCHEMA = build_schema("""
type Query { file(id: ID!): File, files(first: Int, kind: Kind): [File] }
type Mutation { rename(id: ID!, name: String!): File }
type File { id: ID! name: String size: Int parent: File }
enum Kind { PDF IMAGE }
""")

QUERIES = [
    "query { files(first: 3) { id name } }",
    "query Named($k: Kind) { files(kind: $k) { id } }",
    "query { files { parent } }",                                # a leaf is missing: invalid
    "{ file(id: 1) { size } } { files { id } }",                 # two anonymous operations: invalid alone
    "query A { files { id } } query A { files { name } }",       # two operations with one name: invalid alone
    "query { files { ...F } } fragment F on File { id }",        # a fragment: validated alone, valid
    "query { files { ...Missing } }",                            # an unknown fragment: invalid
    "mutation { rename(id: 1, name: \"a.txt\") { id } }",
    "query Q($unused: Int) { files { id } }",                    # an unused variable: invalid
    "query { files(first: \"x\") { id } }",                      # a wrong literal: invalid
    "query { files { id ",                                       # not even a query
]


def test_every_query_gets_the_messages_it_gets_alone():
    got = messages(SCHEMA, QUERIES)
    for query, result in zip(QUERIES[:-1], got[:-1]):
        assert result == alone(SCHEMA, query), query
    assert isinstance(got[-1], GraphQLSyntaxError)
    assert [bool(r) for r in got[:-1]] == [False, False, True, True, True, False, True, False, True, True]


def test_a_block_of_valid_queries_is_valid_and_one_bad_query_does_not_spoil_the_others():
    valid = [q for q, r in zip(QUERIES, messages(SCHEMA, QUERIES)) if r == []]
    assert messages(SCHEMA, valid * 20) == [[]] * (len(valid) * 20)
    mixed = messages(SCHEMA, valid + [QUERIES[2]] + valid)
    assert [bool(r) for r in mixed] == [False] * len(valid) + [True] + [False] * len(valid)


def test_a_block_with_a_variable_is_checked_by_the_variable_rules():
    """A block without "$" is checked without the variable rules (nothing for them to find); one
    query that uses a variable it never defines brings them back, and is found out."""
    undefined = "query { files(kind: $k) { id } }"
    got = messages(SCHEMA, [QUERIES[0]] * 5 + [undefined])
    assert got[:5] == [[]] * 5
    assert got[5] == alone(SCHEMA, undefined) == ["Variable '$k' is not defined."]
