"""Literal values for GraphQL arguments and input objects: valid for their type (32-bit Ints,
`@oneOf` inputs with one key, required fields wherever they are) and said in words the request can
carry ("bigger than 20 MB", "tagged receipts")."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull
from graphql.pyutils import Undefined

from tasks.generators.graphql_schema import INT_MAX, OFFSET_ARGS, is_sort_arg, unwrap
from tasks.generators.words import any_word, byte_words, humanize, split_comparison

SIZES = [1 << 20, 10 << 20, 100 << 20, 500 << 20, 1 << 30, 2 << 30, 5 << 30]


MAX_INPUT_DEPTH = 4  # input objects nested deeper get only what they must have, and lists get []


class NoFiniteValue(ValueError):
    """An argument no finite literal can give: a @oneOf input whose every field is itself, say. A
    draft that needs one is skipped (a property of the schema, not a bug of ours)."""


def finite(t, seen: set[str]) -> bool:
    """Whether input type `t` has a finite literal: scalars, enums and lists ([]) do; an input object
    does unless it is a @oneOf whose every field leads back to a type in `seen` (graphql-core
    already rejects cycles of non-null fields)."""
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    if isinstance(t, GraphQLList) or not isinstance(t, GraphQLInputObjectType):
        return True
    if not getattr(t, "is_one_of", False):
        return True
    if t.name in seen:
        return False
    return any(finite(f.type, seen | {t.name}) for f in t.fields.values())


@dataclass
class Value:
    """An argument value: its GraphQL literal, the words that ask for it, and its kinds."""
    literal: str
    words: str
    kinds: set = field(default_factory=set)


class ValueMaker:
    """Draws argument values by type, with the words a person would use for them."""

    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.owner = "item"  # whose id a bare `id` argument names: set per root field
        self.shown: Counter = Counter()  # (input type, field) -> drafts that set it

    def scalar(self, name: str, t, description: str | None) -> Value:
        rng = self.rng
        subject, comparison = split_comparison(name)
        if isinstance(t, GraphQLEnumType):
            value = rng.choice([v for v, d in t.values.items() if d.deprecation_reason is None] or list(t.values))
            if {"ASC", "DESC"} <= set(t.values):
                return Value(value, rng.choice(["ascending", "in ascending order"] if value == "ASC"
                                               else ["descending", "in descending order"]), {"enum"})
            if subject == "field":  # the field of a sort input: "sorted by size"
                return Value(value, f"by {humanize(value)}", {"enum"})
            return Value(value, f"{subject} {comparison + ' ' if comparison else ''}{humanize(value)}", {"enum"})
        kind = t.name
        about = (description or "").lower() + " " + name.lower()
        if kind in ("Int", "Float") and ("byte" in about or "size" in about):
            n = rng.choice([s for s in SIZES if kind == "Float" or s <= INT_MAX])
            more = {"greater than": ["larger than", "bigger than", "over"], "less than": ["smaller than", "under"],
                    "at least": ["at least"], "at most": ["at most"]}.get(comparison or "", [""])
            return Value(str(n), f"{subject} {rng.choice(more)} {byte_words(n)}".replace("  ", " "),
                         {"int" if kind == "Int" else "float"})
        if kind in ("Int", "Float"):
            n = rng.choice([1, 2, 3, 5, 10, 20, 25, 50, 100]) if kind == "Int" else round(rng.uniform(1, 100), 1)
            return Value(str(n), f"{subject} {comparison + ' ' if comparison else ''}{n}", {kind.lower()})
        if kind == "Boolean":
            b = rng.random() < 0.5
            return Value("true" if b else "false", f"{subject} {'true' if b else 'false'}", {"boolean"})
        if kind == "ID":
            owner = self.owner if subject == "id" else subject.removesuffix(" id")
            value = f"{owner.replace(' ', '')[:1] or 'x'}_{rng.randint(100, 9999)}"
            return Value(f'"{value}"', f"{subject} {value}", {"id"})
        if "date" in kind.lower() or "time" in kind.lower():
            return self.date(subject, comparison, with_time="time" in kind.lower())
        if kind == "String":
            word = any_word(rng)
            if comparison == "containing":
                words = rng.choice([f"'{word}' in the {subject}", f"{subject} containing '{word}'"])
            else:
                words = f"{subject} {comparison + ' ' if comparison else ''}'{word}'"
            return Value(f'"{word}"', words, {"string"})
        word = any_word(rng)  # another custom scalar: a string literal is accepted as is
        return Value(f'"{word}"', f"{subject} '{word}'", {"custom_scalar"})

    def date(self, subject: str, comparison: str | None, with_time: bool) -> Value:
        """Relative dates in words, computed from the reference date (never from the clock)."""
        rng = self.rng
        today = self.today
        if comparison in ("after", "at least", "greater than"):
            days, phrase = rng.choice([(1, "since yesterday"), (7, "in the last week"), (30, "in the last month"),
                                       (90, "in the last 90 days"), (365, "in the last year")])
            words = f"{subject} {phrase}"
        elif comparison in ("before", "at most", "less than"):
            days, phrase = rng.choice([(7, "more than a week ago"), (30, "more than a month ago"),
                                       (365, "more than a year ago")])
            words = f"{subject} {phrase}"
        else:
            days = rng.choice([0, 1, 2, 5, 10])
            phrase = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
            words = f"{subject} {phrase}"
        if rng.random() < 0.3:  # sometimes the explicit date
            words = f"{subject} {comparison + ' ' if comparison else 'on '}{(today - dt.timedelta(days=days)).isoformat()}"
        day = today - dt.timedelta(days=days)
        text = f"{day.isoformat()}T00:00:00Z" if with_time else day.isoformat()
        return Value(f'"{text}"', words, {"custom_scalar"})

    def input_object(self, name: str, t: GraphQLInputObjectType, depth: int) -> Value:
        fields = list(t.fields.items())
        required = [(n, f) for n, f in fields if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined]
        optional = [(n, f) for n, f in fields if (n, f) not in required and f.deprecation_reason is None]
        if depth > 1:  # deep input objects: only what must be given
            optional = [(n, f) for n, f in optional if not isinstance(unwrap(f.type), GraphQLInputObjectType)]
        if getattr(t, "is_one_of", False):  # @oneOf: exactly one key, one that ends (see `finite`)
            ends = [(n, f) for n, f in fields if finite(f.type, {t.name})]
            if not ends:
                raise NoFiniteValue(f"no finite value of @oneOf input {t.name} exists")
            terminal = [(n, f) for n, f in ends if not isinstance(f.type, GraphQLInputObjectType)]
            chosen = [self.rng.choice(terminal if depth >= MAX_INPUT_DEPTH - 1 and terminal else
                                      [x for x in optional if x in ends] or ends)]
        else:
            k = 0 if depth > 1 else self.rng.randint(1, min(2, len(optional))) if optional else 0
            # the least-shown optional fields first (ties at random), so that every one is shown
            ranked = sorted(optional, key=lambda x: (self.shown[(t.name, x[0])], self.rng.random()))
            chosen = required + ranked[:k]
            self.shown.update((t.name, n) for n, _ in ranked[:k])
            if not chosen and optional:
                chosen = [optional[0]]
        parts = [(n, self.value(n, f.type, f.description, depth + 1)) for n, f in chosen]
        literal = "{ " + ", ".join(f"{n}: {v.literal}" for n, v in parts) + " }"
        kinds = {"input_object"}.union(*(v.kinds for _, v in parts)) if parts else {"input_object"}
        if is_sort_arg(name, t):
            return Value(literal, "sorted " + " ".join(v.words for _, v in parts), kinds)
        return Value(literal, " and ".join(v.words for _, v in parts), kinds)

    def value(self, name: str, t, description: str | None, depth: int = 0) -> Value:
        inner = t.of_type if isinstance(t, GraphQLNonNull) else t
        if depth > 3 * MAX_INPUT_DEPTH:  # only a chain of @oneOf inputs gets here; `finite` ends it
            raise NoFiniteValue(f"input {name} nests deeper than {3 * MAX_INPUT_DEPTH}")
        if isinstance(inner, GraphQLList) and depth >= MAX_INPUT_DEPTH:
            return Value("[]", "", {"list"})
        if isinstance(inner, GraphQLList):
            first = self.value(name, inner.of_type, description, depth)
            second = self.value(name, inner.of_type, description, depth)
            if second.literal == first.literal or isinstance(unwrap(inner), GraphQLInputObjectType):
                return Value(f"[{first.literal}]", first.words, first.kinds | {"list"})
            return Value(f"[{first.literal}, {second.literal}]", f"{first.words} or {second.words}",
                         first.kinds | second.kinds | {"list"})
        named = unwrap(t)
        if isinstance(named, GraphQLInputObjectType):
            return self.input_object(name, named, depth)
        return self.scalar(name, named, description)

    def page(self, name: str) -> Value:
        if name in OFFSET_ARGS:
            n = self.rng.choice([10, 20, 50])
            return Value(str(n), self.rng.choice([f"skipping the first {n}", f"starting after the first {n}"]), {"int"})
        n = self.rng.choice([3, 5, 10, 20, 50])
        return Value(str(n), self.rng.choice([f"only the first {n}", f"at most {n} of them", f"the top {n}"]), {"int"})

    def cursor(self, name: str) -> Value:
        token = f"c{self.rng.randint(10, 9999)}"
        return Value(f'"{token}"', f"{name} cursor {token}", {"string"})
