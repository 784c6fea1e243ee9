"""graphql-core's parser over a faster lexer: the same documents and the same errors, in less time.

graphql-core's Lexer reads a character at a time in Python; on GitHub's schema (1 MB of SDL,
57,000 tokens) lexing was half or more of parsing it (0.28-0.46 s of 0.54-0.78 s, a throwaway
script), and parsing it most of the NL -> GraphQL generator's schema load. FastLexer reads the tokens a schema and a generated query are made of (punctuators,
names, numbers, strings and block strings without escapes, comments, spaces, commas and "\\n"
line breaks) with compiled regular expressions, and hands everything else (an escape, a "\\r", an
unusual character, every error) to graphql-core's own code at the same position, so a token is
the one graphql-core reads and an error is graphql-core's error. graphql-core's Parser
(exported for people building their own parsers) does the rest, over this lexer.
tests/tasks/generators/test_graphql_parse.py compares the two on real schemas and broken inputs.
"""
from __future__ import annotations

import re

from graphql.language import DocumentNode, Source, TokenKind
from graphql.language.ast import Token
from graphql.language.block_string import dedent_block_string_lines
from graphql.language.lexer import Lexer
from graphql.language.parser import Parser

_PUNCTUATORS = {kind.value: kind for kind in TokenKind if kind.value in set("!$&():=@[]{}|")}
_IGNORED = re.compile(r"[ \t,\ufeff\n]*")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
# an int or float graphql-core accepts: no digit after a leading 0, no "." or name after the number
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?(?![._A-Za-z0-9])")
_STRING = re.compile(r'"([^"\\\n\r\ud800-\udfff]*)"')  # no escape, no line break, no lone surrogate
_BLOCK_STRING = re.compile(r'"""((?:[^"\\\r\ud800-\udfff]|"(?!"")|\\(?!"""))*)"""')
_COMMENT = re.compile(r"#[^\r\n\ud800-\udfff]*(?![\ud800-\udfff])")


class FastLexer(Lexer):
    """graphql-core's Lexer with the common tokens read by regular expressions (see above)."""

    def read_next_token(self, start: int) -> Token:
        body = self.source.body
        skipped = _IGNORED.match(body, start)
        position = skipped.end()
        if position > start and (breaks := body.count("\n", start, position)):
            self.line += breaks
            self.line_start = body.rindex("\n", start, position) + 1
        if position >= len(body):
            return self.create_token(TokenKind.EOF, len(body), len(body))
        char = body[position]
        if kind := _PUNCTUATORS.get(char):
            return self.create_token(kind, position, position + 1)
        if match := _NAME.match(body, position):
            return self.create_token(TokenKind.NAME, position, match.end(), match.group())
        if char == '"':
            if body.startswith('"""', position):
                if match := _BLOCK_STRING.match(body, position):
                    lines = match.group(1).split("\n")
                    token = self.create_token(TokenKind.BLOCK_STRING, position, match.end(),
                                              "\n".join(dedent_block_string_lines(lines)))
                    if len(lines) > 1:  # as graphql-core counts them: after the token is made
                        self.line += len(lines) - 1
                        self.line_start = match.end() - 3 - len(lines[-1])
                    return token
            elif match := _STRING.match(body, position):
                return self.create_token(TokenKind.STRING, position, match.end(), match.group(1))
        elif char == "-" or "0" <= char <= "9":
            if match := _NUMBER.match(body, position):
                kind = TokenKind.FLOAT if match.group(1) or match.group(2) else TokenKind.INT
                return self.create_token(kind, position, match.end(), match.group())
        elif char == "#":
            if match := _COMMENT.match(body, position):
                return self.create_token(TokenKind.COMMENT, position, match.end(), body[position + 1:match.end()])
        elif body.startswith("...", position):
            return self.create_token(TokenKind.SPREAD, position, position + 3)
        return super().read_next_token(position)


def parse(text: str, no_location: bool = False) -> DocumentNode:
    """graphql.parse(text, no_location), read by FastLexer."""
    parser = Parser(Source(text), no_location=no_location)
    parser._lexer = FastLexer(parser._lexer.source)  # Parser makes its own; the class has no other way in
    return parser.parse_document()
