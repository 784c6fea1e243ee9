"""tasks/generators/graphql_parse.py reads what graphql-core reads: the same tokens (kind, place,
line, column, value) and documents on real schemas, the same errors on broken input."""
import pytest
from graphql import GraphQLError, parse
from graphql.language import Lexer, Source, TokenKind

from tasks.generators import graphql_parse
from tasks.testing.real_inputs import graphql_schemas

SCHEMAS = graphql_schemas()

ODD = [
    "{ a", "query { f(x: 01) }", '"unterminated', 'query { f(x: "a\\u0041\\n") }', "query { f(x: 1.) }",
    "query { f(x: 1e) }", "query { f(x: 1a) }", "query { f(x: 'a') }", 'query { f(x: "a\nb") }', "{ a }\r\n{ b }",
    '"""x\\"""y""" type Q { a: Int }', '"""a\r\nb""" type Q { a: Int }', "query { f(x: -0, y: 0.5e-3, z: -12.0E+4) }",
    "# c\r\n{ a }", "{ a ..b }", "{ a ... on T { b } }", '{ a(x: "é ü 中") }', '{ a(x: "\ud800") }',
    '"""\n   x\n     y\n\n"""\ntype Q { a: Int }', '""""""\ntype Q { a: Int }', '"""  """ type Q { a: Int }',
    "{ a(x: $v) }", '{ a(x: [1, 2.5, "s", true, null, ENUM, {k: 1}]) }', "\ufeff{ a }", "{ a }\t# tail", "{ a } ~",
    "{ a }\n# last line without a break", '"""a\n  b""" type Q { a: Int }', '{ a(x: """one\ntwo""") b }', "{ a(x: \"\\\\\") }", "type Q { a: Int } # \ud800", "",
]


def tokens(lexer_class, text: str) -> list[tuple]:
    lexer, out = lexer_class(Source(text)), []
    while True:
        t = lexer.advance()
        out.append((t.kind, t.start, t.end, t.line, t.column, t.value))
        if t.kind == TokenKind.EOF:
            return out


def outcome(parser, text: str):
    try:
        return "read", parser(text)
    except GraphQLError as e:
        return "error", e.message, e.positions, e.locations


def assert_read_as_graphql_core_reads(text: str) -> None:
    """The same tokens (or lexing error), and the same document (or parsing error)."""
    assert outcome(lambda t: tokens(graphql_parse.FastLexer, t), text) == outcome(lambda t: tokens(Lexer, t), text)
    assert outcome(graphql_parse.parse, text) == outcome(parse, text)


@pytest.mark.parametrize("name, text", SCHEMAS, ids=[n for n, _ in SCHEMAS])
def test_real_schemas_lex_and_parse_as_graphql_core_does(name, text):
    assert_read_as_graphql_core_reads(text)


@pytest.mark.parametrize("text", ODD)
def test_unusual_and_broken_input_gives_graphql_cores_tokens_and_errors(text):
    assert_read_as_graphql_core_reads(text)
    assert outcome(lambda t: graphql_parse.parse(t, no_location=True), text) == outcome(lambda t: parse(t, no_location=True), text)
