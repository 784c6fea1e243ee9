"""Natural language -> GraphQL pairs, from any schema.

For each root field (queries, then mutations) we draw argument values by type, a selection of
fields, and build the query text and the request a person would type from the same choices, so
the request says everything the query does. Every query is parsed and validated against the
schema when it is made: an invalid one is a bug in this module and raises.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.pyutils import Undefined

from tasks.config import GenerateParams
from tasks.examples import Example, chat, make_example
from tasks.generators.words import VALUE_WORDS, byte_words, humanize, sentence_case, split_comparison

CATEGORY = "text-to-graphql"
SIZES = [1 << 20, 10 << 20, 100 << 20, 500 << 20, 1 << 30, 2 << 30, 5 << 30]
PAGE_SIZE_ARGS = {"first", "last", "limit", "top", "pageSize"}
CURSOR_ARGS = {"after", "before"}
SORT_ARGS = {"sort", "sortBy", "orderBy", "order"}
LIST_VERBS = ["show me", "list", "find", "get", "I want to see", "give me"]


@dataclass
class Arg:
    """One argument value: its GraphQL literal and the words that ask for it."""
    literal: str
    phrase: str
    modifier: bool = False  # sorting/paging words go after the conditions, not after "with"


def system_prompt(product: str) -> str:
    return f"Translate the request into a GraphQL query for the {product} API. Reply with the query only."


def _unwrap(t):
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


class ValueMaker:
    """Draws a value for a named input of a given type, with its words."""

    def __init__(self, rng: random.Random, reference_date: dt.date):
        self.rng = rng
        self.today = reference_date
        self.id_owner = "x"  # whose id a bare `id` argument is: set per root field

    def scalar(self, name: str, t, description: str | None) -> Arg:
        subject, comparison = split_comparison(name)
        rng = self.rng
        if isinstance(t, GraphQLEnumType):
            value = rng.choice(list(t.values))
            if {"ASC", "DESC"} <= set(t.values):
                return Arg(value, "ascending" if value == "ASC" else "descending")
            if subject == "field":  # the field of a sort input: "sorted by size"
                return Arg(value, f"by {humanize(value)}")
            return Arg(value, f"{subject} {humanize(value)}" if comparison is None else f"{subject} {comparison} {humanize(value)}")
        if name in PAGE_SIZE_ARGS:
            n = rng.choice([5, 10, 20, 50])
            return Arg(str(n), rng.choice([f"only the first {n}", f"at most {n} results", f"top {n}"]), True)
        if name in CURSOR_ARGS:
            word = rng.choice(VALUE_WORDS)
            return Arg(f'"{word}"', f"{name} cursor '{word}'", True)
        kind = t.name if isinstance(t, GraphQLScalarType) else "String"
        about = f"{comparison} " if comparison else ""
        if kind in ("Int", "Float") and "byte" in (description or "").lower():
            n = rng.choice(SIZES)
            more = {"greater than": "larger than", "less than": "smaller than"}.get(comparison or "", about.strip())
            return Arg(str(n), f"{subject} {more} {byte_words(n)}".replace("  ", " "))
        if kind in ("Int", "Float"):
            n = rng.randint(1, 100)
            return Arg(str(n), f"{subject} {about}{n}")
        if kind == "Boolean":
            b = rng.random() < 0.5
            return Arg("true" if b else "false", f"{'' if b else 'not '}{subject}")
        if kind == "ID":
            owner = self.id_owner if subject == "id" else subject
            value = f"{owner[:1] or 'x'}_{rng.randint(100, 9999)}"
            return Arg(f'"{value}"', f"{subject} {value}")
        if "date" in kind.lower() or "time" in kind.lower():
            days = rng.choice([1, 7, 14, 30, 90, 365])
            day = self.today - dt.timedelta(days=days)
            iso = f"{day.isoformat()}T00:00:00Z"
            when = {1: "yesterday", 7: "a week ago", 14: "two weeks ago", 30: "a month ago",
                    90: "three months ago", 365: "a year ago"}[days]
            if comparison == "after":
                words = rng.choice([f"{subject} after {day.isoformat()}", f"{subject} since {when}"])
            elif comparison == "before":
                words = rng.choice([f"{subject} before {day.isoformat()}", f"{subject} earlier than {when}"])
            else:
                words = f"{subject} {day.isoformat()}"
            return Arg(f'"{iso}"', words)
        word = rng.choice(VALUE_WORDS)
        return Arg(f'"{word}"', f"{subject} {about}'{word}'" if comparison else f"{subject} '{word}'")

    def input_object(self, name: str, t: GraphQLInputObjectType, required_only: bool) -> Arg:
        fields = list(t.fields.items())
        required = [(n, f) for n, f in fields if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined]
        optional = [(n, f) for n, f in fields if (n, f) not in required]
        chosen = required if required_only else required + self.rng.sample(optional, k=min(len(optional), self.rng.randint(1, 2)))
        if not chosen:
            chosen = optional[:1]
        parts = [(n, self.value(n, f.type, f.description, required_only)) for n, f in chosen]
        literal = "{ " + ", ".join(f"{n}: {a.literal}" for n, a in parts) + " }"
        if name in SORT_ARGS:
            return Arg(literal, "sorted " + " ".join(a.phrase for _, a in parts), True)
        return Arg(literal, " and ".join(a.phrase for _, a in parts))

    def value(self, name: str, t, description: str | None, required_only: bool = False) -> Arg:
        named = _unwrap(t)
        if isinstance(named, GraphQLInputObjectType):
            return self.input_object(name, named, required_only)
        arg = self.scalar(name, named, description)
        if isinstance(_strip_non_null(t), GraphQLList):
            return Arg(f"[{arg.literal}]", arg.phrase)
        return arg


def _strip_non_null(t):
    return t.of_type if isinstance(t, GraphQLNonNull) else t


def _leaf_fields(obj: GraphQLObjectType) -> list[str]:
    return [n for n, f in obj.fields.items() if is_leaf_type(get_named_type(f.type)) and not f.args]


def selection_for(obj: GraphQLObjectType, rng: random.Random, depth: int = 0) -> tuple[str, list[str]]:
    """A selection set for `obj`: id (if any) plus a few leaf fields, sometimes one nested object.
    Connections (edges { node }) are followed to their node type. Returns (text, shown words)."""
    if "edges" in obj.fields:
        edge = _unwrap(obj.fields["edges"].type)
        if isinstance(edge, GraphQLObjectType) and "node" in edge.fields:
            node = _unwrap(edge.fields["node"].type)
            inner, shown = selection_for(node, rng, depth)
            return f"{{ edges {{ node {inner} }} }}", shown
    leaves = _leaf_fields(obj)
    picked = [n for n in leaves if n == "id"]
    others = [n for n in leaves if n != "id"]
    picked += rng.sample(others, k=min(len(others), rng.randint(1, 3)))
    shown = [humanize(n) for n in picked if n != "id"]
    parts = list(picked)
    nested = [n for n, f in obj.fields.items() if isinstance(_unwrap(f.type), GraphQLObjectType) and not f.args]
    if depth < 1 and nested and rng.random() < 0.25:
        n = rng.choice(nested)
        inner_obj = _unwrap(obj.fields[n].type)
        inner_leaves = [x for x in _leaf_fields(inner_obj) if x != "id"] or _leaf_fields(inner_obj)
        leaf = rng.choice(inner_leaves)
        parts.append(f"{n} {{ {leaf} }}")
        shown.append(f"{humanize(n)} {humanize(leaf)}")
    return "{ " + " ".join(parts) + " }", shown


def _field_words(name: str, f: GraphQLField) -> str:
    return (f.description or humanize(name)).rstrip(".")


def draft_request(op: str, name: str, f: GraphQLField, vm: ValueMaker, rng: random.Random) -> tuple[str, str]:
    """One (query text, request words) for root field `name` of operation `op`."""
    ret = _unwrap(f.type)
    vm.id_owner = humanize(ret.name)
    args: list[tuple[str, Arg]] = []
    for arg_name, a in f.args.items():
        required = isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
        if required or (op == "query" and rng.random() < 0.6):
            args.append((arg_name, vm.value(arg_name, a.type, a.description)))
    selection, shown = selection_for(ret, rng) if isinstance(ret, GraphQLObjectType) else ("", [])
    arg_text = f"({', '.join(f'{n}: {v.literal}' for n, v in args)})" if args else ""
    query = f"{op} {{ {name}{arg_text} {selection} }}"

    conditions = [v.phrase for _, v in args if not v.modifier]
    modifiers = [v.phrase for _, v in args if v.modifier]
    with_words = f" with {' and '.join(conditions)}" if conditions else ""
    with_words += "".join(f", {m}" for m in modifiers)
    show_words = f", showing {', '.join(shown)}" if shown else ""
    if op == "mutation":
        words = f"{humanize(name)}{with_words}{show_words}"
    else:
        verb = rng.choice(LIST_VERBS)
        words = f"{verb} {_field_words(name, f)}{with_words}{show_words}"
    return query, sentence_case(words)


def pairs_from_schema(sdl: str, p: GenerateParams, rng: random.Random, quota: int) -> Iterator[Example]:
    """Up to `quota` distinct NL -> GraphQL examples, spread evenly over the root fields."""
    schema: GraphQLSchema = build_schema(sdl)
    vm = ValueMaker(rng, p.reference_date)
    roots = [("query", n, f) for n, f in schema.query_type.fields.items()]
    if schema.mutation_type is not None:
        roots += [("mutation", n, f) for n, f in schema.mutation_type.fields.items()]
    seen: set[str] = set()
    misses = 0
    made = 0
    while made < quota and misses < 50 * len(roots):
        op, name, f = roots[(made + misses) % len(roots)]
        query, words = draft_request(op, name, f, vm, rng)
        if words in seen:
            misses += 1
            continue
        errors = validate(schema, parse(query))
        if errors:
            raise AssertionError(f"generated an invalid query (a bug in tunesmith): {query}\n{errors[0].message}")
        seen.add(words)
        made += 1
        yield make_example(
            CATEGORY,
            chat(system_prompt(p.product), words, query),
            source=f"schema:{op}.{name}",
            meta={"graphql_valid": True, "operation": op, "root_field": name},
        )

