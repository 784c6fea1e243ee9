"""Validating many GraphQL queries against one schema at the cost of a few.

graphql-core's `validate` sets up its ~30 rules for every call; on a small query that setup is
most of the cost (GitHub's schema: ~2 ms a query alone, ~0.7 ms in a document of 64, measured with
a throwaway script). `messages` validates a block of queries as one document, each operation
renamed so no two share a name; rules that look across operations are about names (operations,
fragments), so a one-operation query is valid alone exactly when it is valid in the block. A
query with a fragment or several operations is validated alone (its names would have to be kept
apart, or their clash found), and so is every query of a block that has any error, so each query
gets exactly the messages it gets alone.
"""
from __future__ import annotations

from graphql import DocumentNode, GraphQLError, GraphQLSchema, NameNode, OperationDefinitionNode, parse, validate
from graphql.validation import (
    ExecutableDefinitionsRule,
    LoneAnonymousOperationRule,
    NoFragmentCyclesRule,
    NoUndefinedVariablesRule,
    NoUnusedFragmentsRule,
    NoUnusedVariablesRule,
    UniqueFragmentNamesRule,
    UniqueOperationNamesRule,
    UniqueVariableNamesRule,
    VariablesAreInputTypesRule,
    VariablesInAllowedPositionRule,
    specified_rules,
)

from tasks.generators import graphql_parse

# The rules a block is checked by: all but six that every one-operation, fragment-free document
# passes, alone or renamed apart in a block (only operations; one name each; no fragment defined).
# Leaving them out changes no verdict and took a throwaway timing from ~0.8-1.1 to ~0.5 ms a query.
BLOCK_RULES = tuple(r for r in specified_rules if r not in {
    ExecutableDefinitionsRule, UniqueOperationNamesRule, LoneAnonymousOperationRule, UniqueFragmentNamesRule,
    NoUnusedFragmentsRule, NoFragmentCyclesRule})
# And for a block in whose text no "$" appears, so that no variable is defined or used: the five
# variable rules, which such a document passes. Their undefined-variable check walks each operation
# a second time (a throwaway profile: ~1.2 s of 4.5 s validating 2,000 queries on GitHub's schema).
NO_VARIABLE_RULES = tuple(r for r in BLOCK_RULES if r not in {
    NoUndefinedVariablesRule, NoUnusedVariablesRule, VariablesAreInputTypesRule, VariablesInAllowedPositionRule,
    UniqueVariableNamesRule})


def messages(schema: GraphQLSchema, queries: list[str]) -> list[list[str] | Exception]:
    """For each query, graphql-core's validation messages (empty: valid), or the exception that
    parsing it raised.

    >>> from graphql import build_schema
    >>> schema = build_schema("type Query { a: Int, b(x: Int!): Int }")
    >>> messages(schema, ["query { a }", "query Q { a }", "{ b }", "{ a"])[:3]
    [[], [], ["Field 'b' argument 'x' of type 'Int!' is required, but it was not provided."]]
    """
    out: list[list[str] | Exception | None] = [None] * len(queries)
    block: list[tuple[int, DocumentNode]] = []
    for i, query in enumerate(queries):
        try:
            doc = graphql_parse.parse(query, no_location=True)
        except GraphQLError as e:
            out[i] = e
            continue
        if len(doc.definitions) == 1 and isinstance(doc.definitions[0], OperationDefinitionNode):
            block.append((i, doc))
        else:
            out[i] = alone(schema, query)
    if block:
        for n, (_, doc) in enumerate(block):
            doc.definitions[0].name = NameNode(value=f"tunesmith_check_{n}")
        together = DocumentNode(definitions=tuple(doc.definitions[0] for _, doc in block))
        rules = BLOCK_RULES if any("$" in queries[i] for i, _ in block) else NO_VARIABLE_RULES
        clean = not validate(schema, together, rules)
        for i, _ in block:
            out[i] = [] if clean else alone(schema, queries[i])
    return out  # type: ignore[return-value]


def alone(schema: GraphQLSchema, query: str) -> list[str]:
    return [e.message for e in validate(schema, parse(query, no_location=True))]
