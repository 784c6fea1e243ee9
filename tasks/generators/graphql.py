"""Natural language -> GraphQL pairs, from any schema.

Each example exercises one construct (see CONSTRUCTS) on one root field. The query and the words
are built from the same choices, so the request says everything the query does: every argument
value, the sort order, the page size and the fields to show.

Any schema graphql-core accepts is drafted from: unions are selected through inline fragments only,
`@oneOf` inputs get exactly one key, Int values stay in 32 bits, required arguments are given
wherever they are (top level, inside input objects, inside lists), deprecated fields, arguments and
enum values are avoided, subscriptions are left out. Every query is parsed and validated against
the schema when it is made; one that is not valid is a bug in this module: it is never written, it
is counted by its validation message (`generator_bugs` in the report, which the tests require to be
empty) and the run goes on.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    is_leaf_type,
    parse,
    validate,
)
from graphql.pyutils import Undefined

from tasks.core.config import GenerateParams
from tasks.core.records import Example, chat, make_example
from tasks.generators import asking
from tasks.generators.words import (
    COMMON_VERBS,
    IRREGULAR,
    any_word,
    article,
    base_form,
    byte_words,
    humanize,
    join_and,
    known_verb,
    lower_first,
    sentence_case,
    split_comparison,
)

CATEGORY = "text-to-graphql"
CONSTRUCTS = ("plain", "nested", "arguments", "filter", "sorting", "pagination", "alias",
              "named_fragment", "inline_fragment", "variables", "directives", "mutation")
ARG_KINDS = ("string", "int", "float", "boolean", "id", "enum", "list", "input_object", "custom_scalar")

PAGE_SIZE_ARGS = {"first", "last", "limit", "top", "take", "pageSize", "perPage", "page_size", "per_page"}
OFFSET_ARGS = {"offset", "skip"}
CURSOR_ARGS = {"after", "before", "cursor"}
SORT_ARGS = {"sort", "sortBy", "orderBy", "order", "order_by", "sort_by"}
CONTAINER_FIELDS = ("nodes", "items", "results", "data")  # list wrappers of offset/cursor styles
SIZES = [1 << 20, 10 << 20, 100 << 20, 500 << 20, 1 << 30, 2 << 30, 5 << 30]
INT_MAX = 2**31 - 1  # GraphQL's Int is 32-bit signed
NATURAL_EVERY = 4  # of every 4 requests, 3 are said as a person says them (asking.py), 1 shows a construct
MAX_INPUT_DEPTH = 4  # input objects nested deeper get only what they must have, and lists get []
# First words of a field description that is a sentence about it ("Look up a user by login"), not
# a name for what it returns ("Files in the library"): such a field is named by its name instead.
VERBS = {"look", "lookup", "get", "gets", "fetch", "fetches", "find", "finds", "return", "returns", "list",
         "lists", "retrieve", "retrieves", "query", "queries", "search", "searches", "show", "shows", "read",
         "reads", "resolve", "resolves", "load", "loads", "check", "checks", "provide", "provides", "used",
         "this", "a", "an", "if", "when", "deprecated", "note", "gives", "give", "returned"}
COMPOSITE = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)
# What names an object, in this order (else its first String field): selected with `id` always.
NAME_FIELDS = ("name", "title", "displayName", "fullName", "login", "username", "label", "handle", "slug",
               "key", "subject", "summary", "headline", "email")

LEADS = ["Show me {s}", "List {s}", "Find {s}", "Get {s}", "I want to see {s}", "Give me {s}", "Fetch {s}"]
SHOWING = [", showing {f}", " with their {f}", ", include {f}", " and tell me {f}"]
CONDITIONS = [" with {c}", " where {c}", " that have {c}"]


def subject_of(name: str, f: GraphQLField) -> str:
    """What a request calls a root field: its description when that is a short name for what it
    returns ("Files in the library" -> "files in the library"), else the field's name in words
    (a description such as "Look up a code of conduct by its key" is not a name), its case as
    words.lower_first leaves it ("GitHub Security Advisories" stays).

    >>> subject_of("codeOfConduct", GraphQLField(GraphQLEnumType("E", {"A": 1}), description="Look up a code of conduct."))
    'code of conduct'
    >>> subject_of("advisories", GraphQLField(GraphQLEnumType("E", {"A": 1}), description="GitHub Security Advisories"))
    'GitHub Security Advisories'
    """
    text = (f.description or "").strip().split("\n")[0].strip().rstrip(".")
    words = text.split()
    if not words or len(words) > 8 or words[0].lower() in VERBS or not text.replace(" ", "").isprintable() \
            or is_verb(words):
        return humanize(name)
    return lower_first(text)


def is_verb(words: list[str]) -> bool:
    """Whether a description starting with `words` says what to do: "Perform a search", "Look up
    a user", "Fetches the viewer" do; "books in the catalogue" (a noun that is also a verb) does not.

    >>> is_verb(["Perform", "a", "search"]), is_verb(["Fetches", "the", "viewer"]), is_verb(["books", "in", "the"])
    (True, True, False)
    """
    first, after = words[0], (words[1:2] or [""])[0].lower()
    if not first[:1].isupper() or not first[1:].islower():
        return False
    base = known_verb(first)
    if base not in COMMON_VERBS | IRREGULAR.keys() | {"perform", "look", "lookup"}:
        return False
    return base == first.lower() or after in ("a", "an", "the", "all", "one", "up", "every", "this", "its")


def query_lead(root, rng: random.Random) -> str:
    """A query request's opening: the field's description when it is an instruction ("Perform a
    search across resources", "Look up a code of conduct", cut before "by its key"), every other
    time; else a lead and the field's subject ("List GitHub Security Advisories")."""
    text = (root.field.description or "").strip().split("\n")[0].strip().rstrip(".")
    text = re.split(r"\s(?:by|for|with|using|based on|that|which|if|when)\s|[,;(]", text)[0]
    text = re.sub(r"^Lookup\b", "Look up", re.sub(r"\s(?:given|specified|particular)\b", "", text))
    words = text.split()
    if words and len(words) <= 10 and is_verb(words) and rng.random() < 0.5:
        return imperative(text)
    return rng.choice(LEADS).format(s=subject_of(root.name, root.field))


def imperative(text: str) -> str:
    """A mutation's description as an instruction: "Adds a comment" -> "Add a comment".

    >>> imperative("Adds a star."), imperative("Dismisses a review"), imperative("Applies a patch")
    ('Add a star.', 'Dismiss a review', 'Apply a patch')
    """
    first, _, rest = text.partition(" ")
    return f"{base_form(first)} {rest}".strip()


def system_prompt(product: str, today: dt.date) -> str:
    """The instruction, with the date that relative dates in requests ("in the last month") count
    from: without it the query's date literal cannot be known from the request."""
    return (f"Translate the request into a GraphQL query for the {product} API. Today is {today.isoformat()}. "
            "Reply with the query only.")


# --- schema helpers ---------------------------------------------------------------------------

def unwrap(t):
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


def is_required(arg) -> bool:
    return isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined


def has_required_args(f: GraphQLField) -> bool:
    return any(is_required(a) for a in f.args.values())


def fields_of(t) -> dict:
    """A type's own fields: an object's or an interface's; a union has none (its members are
    selected through inline fragments), nor has a scalar or an enum."""
    return t.fields if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)) else {}


def selectable(f: GraphQLField) -> bool:
    """A field a draft may select: not deprecated, and no argument it must be given."""
    return f.deprecation_reason is None and not has_required_args(f)


def leaf_fields(t) -> list[str]:
    return [n for n, f in fields_of(t).items() if is_leaf_type(unwrap(f.type)) and selectable(f)]


def object_fields(t, kinds: tuple = COMPOSITE) -> list[str]:
    """Selectable fields of `t` leading to a type of `kinds` (object, interface or union)."""
    return [n for n, f in fields_of(t).items() if isinstance(unwrap(f.type), kinds) and selectable(f)]


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


def container_path(t) -> tuple[list[str], object]:
    """Connection and list-wrapper types: (path to the items, item type).
    FileConnection -> (["edges", "node"], File); a plain object -> ([], itself)."""
    edges = fields_of(t).get("edges")
    if edges is not None and selectable(edges):
        node = fields_of(unwrap(edges.type)).get("node")
        if node is not None and selectable(node) and isinstance(unwrap(node.type), COMPOSITE):
            return ["edges", "node"], unwrap(node.type)
    for name in CONTAINER_FIELDS:
        f = fields_of(t).get(name)
        if f is not None and is_list(f.type) and selectable(f) and isinstance(unwrap(f.type), COMPOSITE):
            return [name], unwrap(f.type)
    return [], t


def is_list(t) -> bool:
    return isinstance(t.of_type if isinstance(t, GraphQLNonNull) else t, GraphQLList)


def wrap(path: list[str], inner: str) -> str:
    for name in reversed(path):
        inner = f"{{ {name} {inner} }}"
    return inner


def is_sort_arg(name: str, t) -> bool:
    named = unwrap(t)
    return name in SORT_ARGS or bool(re.search(r"(Sort|Order)(By|Input|Field)?$", named.name))


def arg_role(name: str, arg) -> str:
    """page | cursor | sort | filter | argument (a page size must be an Int, a cursor a string-like
    scalar; an argument of another type with one of those names is a plain argument)."""
    named = unwrap(arg.type)
    if (name in PAGE_SIZE_ARGS or name in OFFSET_ARGS) and named.name == "Int":
        return "page"
    if name in CURSOR_ARGS and is_leaf_type(named) and not isinstance(named, GraphQLEnumType) \
            and named.name not in ("Int", "Float", "Boolean"):
        return "cursor"
    if is_sort_arg(name, arg.type):
        return "sort"
    if isinstance(unwrap(arg.type), GraphQLInputObjectType):
        return "filter"
    return "argument"


def pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", humanize(name)) if w)


def camel(words: str) -> str:
    p = pascal(words)
    return (p[:1].lower() + p[1:]) or "item"


# --- values -----------------------------------------------------------------------------------

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


# --- selections -------------------------------------------------------------------------------

@dataclass
class Selection:
    text: str
    words: list[str]
    constructs: set = field(default_factory=set)


def name_field(t) -> str | None:
    """The field that names an object: NAME_FIELDS in order, else the first String leaf."""
    fields = {n: f for n, f in fields_of(t).items() if selectable(f) and is_leaf_type(unwrap(f.type))
              and not is_list(f.type)}
    for n in NAME_FIELDS:
        if n in fields:
            return n
    return next((n for n, f in fields.items() if unwrap(f.type).name == "String"), None)


def pick_leaves(t, rng: random.Random, k_max: int = 3) -> list[str]:
    """id, the name field (the one selection rule: tasks/generators/asking.py), and 1 to k_max others."""
    leaves = leaf_fields(t)
    always = [n for n in ("id", name_field(t)) if n in leaves]
    others = [n for n in leaves if n not in always]
    return always + rng.sample(others, k=min(len(others), rng.randint(1, k_max)))


def leaves_selection(t, rng: random.Random) -> Selection:
    picked = pick_leaves(t, rng)
    if not picked:
        return Selection("{ __typename }", ["their type"])
    shown = [humanize(n) for n in picked if n != "id"] or ["id"]
    return Selection("{ " + " ".join(picked) + " }", shown)


def abstract_selection(t, schema: GraphQLSchema, rng: random.Random) -> Selection:
    """Inline fragments on two possible types of an interface or union."""
    possible = list(schema.get_possible_types(t))
    chosen = rng.sample(possible, k=min(2, len(possible)))
    parts, words = ["__typename"], []
    base = leaf_fields(t) if isinstance(t, GraphQLInterfaceType) else []
    taken: dict[str, str] = {}  # response name -> type: the same name with two types is invalid
    for p in chosen:
        own = [n for n in leaf_fields(p) if n not in base and n != "id"] or [n for n in leaf_fields(p) if n != "id"]
        own = [n for n in own if taken.get(n, str(p.fields[n].type)) == str(p.fields[n].type)]
        picks = rng.sample(own, k=min(len(own), rng.randint(1, 2))) if own else []
        taken.update({n: str(p.fields[n].type) for n in picks})
        if picks:
            parts.append(f"... on {p.name} {{ {' '.join(picks)} }}")
            kind = humanize(p.name)
            words.append(f"for {article(kind)} {kind} its {join_and([humanize(n) for n in picks])}")
    return Selection("{ " + " ".join(parts) + " }", ["type"] + words, {"inline_fragment"})


def possessive(noun: str) -> str:
    """"location" -> "location's"; a plural takes the bare apostrophe: "repositories" -> "repositories'"."""
    return noun + ("'" if noun.endswith("s") else "'s")


def nested_selection(t, rng: random.Random, hops: int) -> Selection:
    """Leaves of `t` plus one object field followed for up to `hops` hops."""
    own = leaves_selection(t, rng)
    candidates = object_fields(t, (GraphQLObjectType, GraphQLInterfaceType))
    if not candidates or hops < 1:
        return own
    name = rng.choice(candidates)
    path, inner_type = container_path(unwrap(t.fields[name].type))
    inner = nested_selection(inner_type, rng, hops - 1) if hops > 1 and rng.random() < 0.5 else leaves_selection(inner_type, rng)
    text = own.text[:-1] + f"{name} {wrap(path, inner.text)} }}"
    owner = humanize(name)
    words = own.words + [f"the {possessive(owner)} {join_and(inner.words)}"]
    return Selection(text, words, {"nested"} | inner.constructs)


def alias_for(literal: str, field_name: str) -> str:
    """A readable alias from the first value in a literal: ("video", files) -> "videoFiles".

    >>> alias_for('{ kind: VIDEO, sizeGt: 5 }', "files"), alias_for('"f_12"', "file")
    ('videoFiles', 'f12File')
    """
    m = re.search(r'"([^"]*)"|:\s*([A-Z][A-Z0-9_]*)\b|^([A-Z][A-Z0-9_]*)$|(-?\d+(?:\.\d+)?)', literal)
    token = next((g for g in m.groups() if g), "") if m else ""
    head = camel(token.lower()) if token else "item"
    if not head[:1].isalpha():
        head = "n" + head
    return head + pascal(field_name)


# --- one request ------------------------------------------------------------------------------

@dataclass
class Root:
    op: str  # query | mutation
    name: str
    field: GraphQLField

    @property
    def item_type(self):
        return container_path(unwrap(self.field.type))[1]


def applicable(root: Root, schema: GraphQLSchema) -> list[str]:
    """The constructs this root field can show."""
    if root.op == "mutation":
        return ["mutation"]
    roles = {arg_role(n, a) for n, a in root.field.args.items()}
    item = root.item_type
    out = []
    if not has_required_args(root.field):
        out.append("plain")
    if isinstance(item, (GraphQLObjectType, GraphQLInterfaceType)):
        if object_fields(item, (GraphQLObjectType, GraphQLInterfaceType)):
            out.append("nested")
        out.append("named_fragment")
        if object_fields(item, (GraphQLInterfaceType, GraphQLUnionType)):
            out.append("inline_fragment")
        if [n for n in leaf_fields(item) if n != "id"]:
            out.append("directives")
    if isinstance(item, (GraphQLInterfaceType, GraphQLUnionType)) and "inline_fragment" not in out:
        out.append("inline_fragment")
    if "argument" in roles:
        out.append("arguments")
    if "filter" in roles:
        out.append("filter")
    if "sort" in roles:
        out.append("sorting")
    if roles & {"page", "cursor"}:
        out.append("pagination")
    if root.field.args and not has_required_args(root.field) or "argument" in roles:
        out.append("alias")
    if root.field.args:
        out.append("variables")
    return out


class Drafter:
    """Builds (query, words, constructs) for a root field and a construct."""

    def __init__(self, schema: GraphQLSchema, rng: random.Random, today: dt.date):
        self.schema = schema
        self.rng = rng
        self.values = ValueMaker(rng, today)
        self.kinds: set = set()  # argument kinds of the last draft, for the coverage report

    def selection(self, root: Root, construct: str) -> tuple[list[str], Selection]:
        """(path through connection wrappers, selection on the item type)."""
        ret = unwrap(root.field.type)
        if is_leaf_type(ret):
            return [], Selection("", [])
        path, item = container_path(ret)
        if isinstance(item, GraphQLUnionType) or (isinstance(item, GraphQLInterfaceType) and construct == "inline_fragment"):
            sel = abstract_selection(item, self.schema, self.rng)
        elif construct == "inline_fragment":
            sel = self.inline_on_field(item)
        elif construct == "nested":
            sel = nested_selection(item, self.rng, hops=2)
        else:
            sel = leaves_selection(item, self.rng)
        return path, sel

    def inline_on_field(self, item) -> Selection:
        names = object_fields(item, (GraphQLInterfaceType, GraphQLUnionType))
        name = self.rng.choice(names)
        own = leaves_selection(item, self.rng)
        path, inner_type = container_path(unwrap(item.fields[name].type))
        inner = abstract_selection(inner_type, self.schema, self.rng)
        text = own.text[:-1] + f"{name} {wrap(path, inner.text)} }}"
        return Selection(text, own.words + [f"for its {humanize(name)}: {join_and(inner.words)}"], {"inline_fragment"})

    def args_for(self, root: Root, construct: str) -> list[tuple[str, Value, str]]:
        """(name, value, role) for the arguments this draft passes."""
        self.values.owner = humanize(root.item_type.name) if hasattr(root.item_type, "name") else "item"
        chosen = []
        roles_wanted = {"filter": {"filter"}, "sorting": {"sort"}, "pagination": {"page", "cursor"},
                        "arguments": {"argument"}}.get(construct, set())
        for name, arg in root.field.args.items():
            role = arg_role(name, arg)
            if is_required(arg) or role in roles_wanted or (construct == "mutation" and self.rng.random() < 0.4):
                if role == "page":
                    value = self.values.page(name)
                elif role == "cursor":
                    value = self.values.cursor(name)
                else:
                    value = self.values.value(name, arg.type, arg.description)
                chosen.append((name, value, role))
        if construct == "pagination":  # one page-size or offset arg, plus a cursor now and then
            pages = [c for c in chosen if c[2] == "page"]
            cursors = [c for c in chosen if c[2] == "cursor"]
            keep = pages[:1] + (cursors[:1] if cursors and (not pages or self.rng.random() < 0.3) else [])
            chosen = [c for c in chosen if c[2] not in ("page", "cursor")] + keep
        return chosen

    def words_for(self, root: Root, args: list[tuple[str, Value, str]], sel: Selection) -> str:
        rng = self.rng
        if root.op == "mutation":
            lead = mutation_lead(root)
        else:
            lead = query_lead(root, rng)
        conditions = [v.words for _, v, role in args if role in ("filter", "argument")]
        modifiers = [v.words for _, v, role in args if role in ("sort", "page", "cursor")]
        text = lead
        if conditions:
            many = bool(container_path(unwrap(root.field.type))[0])  # "repositories that have ...", "the repository with ..."
            forms = (CONDITIONS if many else CONDITIONS[:2]) if root.op == "query" else [": {c}", " with {c}"]
            text += rng.choice(forms).format(c=" and ".join(conditions))
        text += "".join(f", {m}" for m in modifiers)
        if sel.words:
            text += rng.choice(SHOWING).format(f=join_and(sel.words))
        return text

    def draft(self, root: Root, construct: str) -> tuple[str, str, set]:
        if construct == "alias":
            return self.alias(root)
        if construct == "directives":
            return self.with_directive(root)
        args = self.args_for(root, construct)
        path, sel = self.selection(root, construct)
        constructs = {construct} | sel.constructs
        for _, _, role in args:
            constructs |= {"filter": {"filter"}, "sort": {"sorting"}, "page": {"pagination"},
                           "cursor": {"pagination"}, "argument": {"arguments"}}[role]
        words = self.words_for(root, args, sel)
        self.kinds = set().union(*(v.kinds for _, v, _ in args)) if args else set()
        if construct == "named_fragment":
            return self.with_fragment(root, args, path, sel, words, constructs)
        selection = wrap(path, sel.text) if sel.text else ""
        if construct == "variables":
            return self.with_variables(root, args, selection, sel, constructs)
        arg_text = f"({', '.join(f'{n}: {v.literal}' for n, v, _ in args)})" if args else ""
        query = f"{root.op} {{ {root.name}{arg_text}{' ' + selection if selection else ''} }}"
        return query, words, constructs

    def alias(self, root: Root) -> tuple[str, str, set]:
        """The same field twice under two names, with two values of one argument."""
        candidates = [(n, a) for n, a in root.field.args.items() if arg_role(n, a) in ("argument", "filter")]
        if not candidates:
            candidates = [(n, a) for n, a in root.field.args.items()]
        name, arg = self.rng.choice(candidates)
        first = self.values.value(name, arg.type, arg.description)
        for _ in range(10):
            second = self.values.value(name, arg.type, arg.description)
            if second.literal != first.literal:
                break
        path, sel = self.selection(root, "alias")
        selection = wrap(path, sel.text) if sel.text else ""
        required = [(n, self.values.value(n, a.type, a.description)) for n, a in root.field.args.items()
                    if is_required(a) and n != name]
        names = []
        parts = []
        for v in (first, second):
            alias = alias_for(v.literal, root.name)
            while alias in names:
                alias += "2"
            names.append(alias)
            args = ", ".join(f"{n}: {x.literal}" for n, x in required + [(name, v)])
            parts.append(f"{alias}: {root.name}({args}){' ' + selection if selection else ''}")
        query = f"query {{ {' '.join(parts)} }}"
        extra = "".join(f" {x.words}," for _, x in required)
        words = (f"{self.rng.choice(LEADS).format(s=subject_of(root.name, root.field))}{extra} once with {first.words} as {names[0]} "
                 f"and once with {second.words} as {names[1]}")
        if sel.words:
            words += self.rng.choice(SHOWING).format(f=join_and(sel.words))
        self.kinds = first.kinds | second.kinds
        return query, words, {"alias", "arguments" if arg_role(name, arg) == "argument" else "filter"} | sel.constructs

    def with_fragment(self, root: Root, args, path: list[str], sel: Selection, words: str,
                      constructs: set) -> tuple[str, str, set]:
        item = container_path(unwrap(root.field.type))[1]
        frag = f"{item.name}Fields"
        arg_text = f"({', '.join(f'{n}: {v.literal}' for n, v, _ in args)})" if args else ""
        spread = wrap(path, "{ ..." + frag + " }")
        query = f"query {{ {root.name}{arg_text} {spread} }} fragment {frag} on {item.name} {sel.text}"
        words += f", using a fragment named {frag} for the {humanize(item.name)} fields"
        return query, words, constructs | {"named_fragment"}

    def with_variables(self, root: Root, args, selection: str, sel: Selection, constructs: set) -> tuple[str, str, set]:
        if not args:  # variables need an argument: take the first one
            name, arg = next(iter(root.field.args.items()))
            args = [(name, self.values.value(name, arg.type, arg.description), arg_role(name, arg))]
        declared = ", ".join(f"${n}: {root.field.args[n].type}" for n, _, _ in args)
        arg_text = ", ".join(f"{n}: ${n}" for n, _, _ in args)
        op_name = f"{pascal(root.name)}Query"
        query = f"query {op_name}({declared}) {{ {root.name}({arg_text}){' ' + selection if selection else ''} }}"
        variables = join_and([f"${n}" for n, _, _ in args])
        noun = "variables" if len(args) > 1 else "a variable"
        words = f"Write a query {op_name} that takes {variables} as {noun} and returns {subject_of(root.name, root.field)}"
        if sel.words:
            words += self.rng.choice(SHOWING).format(f=join_and(sel.words))
        return query, words, {"variables"} | sel.constructs


    def with_directive(self, root: Root) -> tuple[str, str, set]:
        """One selected field under @include or @skip, its condition a Boolean variable."""
        args = self.args_for(root, "directives")  # the required ones
        path, item = container_path(unwrap(root.field.type))
        picked = pick_leaves(item, self.rng)
        target = self.rng.choice([n for n in picked if n != "id"])
        include = self.rng.random() < 0.5
        var = ("with" if include else "hide") + pascal(target)
        fields = " ".join(f"{n} @{'include' if include else 'skip'}(if: ${var})" if n == target else n for n in picked)
        arg_text = f"({', '.join(f'{n}: {v.literal}' for n, v, _ in args)})" if args else ""
        op_name = f"{pascal(root.name)}Query"
        query = f"query {op_name}(${var}: Boolean!) {{ {root.name}{arg_text} {wrap(path, '{ ' + fields + ' }')} }}"
        others = [humanize(n) for n in picked if n not in ("id", target)]
        conditions = " and ".join(v.words for _, v, _ in args)
        words = (f"Write a query {op_name} that returns {subject_of(root.name, root.field)}"
                 f"{' with ' + conditions if conditions else ''}"
                 f"{', showing ' + join_and(others) if others else ''}, and their {humanize(target)} "
                 f"{'only when' if include else 'unless'} ${var} is true")
        self.kinds = set().union(*(v.kinds for _, v, _ in args)) if args else set()
        return query, words, {"directives"} | ({"arguments"} if args else set())


def mutation_lead(root: Root) -> str:
    """A mutation request's opening: its description as an instruction when it starts with a verb
    ("Adds a star to a repository" -> "Add a star to a repository"), else its name in words."""
    text = (root.field.description or "").strip().split("\n")[0].strip().rstrip(".")
    words = text.split()
    if words and len(words) <= 12 and words[0].lower().endswith("s") and words[0][1:].islower():
        return imperative(text)
    return sentence_case(humanize(root.name))


def roots_of(schema: GraphQLSchema) -> list[Root]:
    """The query and mutation fields that are not deprecated (subscriptions are not drafted)."""
    roots = [Root(op, n, f) for op, t in (("query", schema.query_type), ("mutation", schema.mutation_type))
             for n, f in fields_of(t).items()]
    return [r for r in roots if r.field.deprecation_reason is None]


def pairs_from_schema(sdl: str, p: GenerateParams, rng: random.Random, quota: int) -> tuple[list[Example], dict]:
    """Up to `quota` distinct NL -> GraphQL examples, cycling through the constructs so each one
    the schema allows is covered, and through the root fields that allow it. Returns the examples
    and {"constructs": {construct: count}, "arg_kinds": {kind: count}, "generator_bugs": {message:
    count}} (plus "reason" when the schema has no field to draft from). Gives up after
    generate.max_repeats draws in a row that repeat an earlier request or fail."""
    schema = build_schema(sdl)
    drafter = Drafter(schema, rng, p.reference_date)
    roots = roots_of(schema)
    by_construct = {c: [r for r in roots if c in applicable(r, schema)] for c in CONSTRUCTS}
    cycle = [c for c in CONSTRUCTS if by_construct[c]]
    constructs: dict[str, int] = {}
    arg_kinds: dict[str, int] = {}
    bugs: Counter = Counter()
    seen: set[str] = set()
    examples: list[Example] = []
    repeats = 0
    turns = itertools.count()
    person = asking.Person(schema, rng, p.reference_date)
    weighted = [r for r in roots for _ in range(asking.weight(r))]
    natural_turns, construct_turns = itertools.count(), itertools.count()
    while len(examples) < quota and cycle and repeats < p.max_repeats:
        natural = next(turns) % NATURAL_EVERY != NATURAL_EVERY - 1
        try:
            if natural:  # what a person asks, in a person's words (tasks/generators/asking.py)
                root = weighted[next(natural_turns) % len(weighted)]
                drafted = person.request(root)
                if drafted is None:
                    repeats += 1
                    continue
                query, words, used = drafted
                drafter.kinds = set()
            else:
                turn = next(construct_turns)
                construct = cycle[turn % len(cycle)]
                root = by_construct[construct][(turn // len(cycle)) % len(by_construct[construct])]
                query, words, used = drafter.draft(root, construct)
            query = " ".join(query.split())
            errors = [e.message for e in validate(schema, parse(query))]
        except NoFiniteValue:  # the schema allows this root no literal: try the next
            repeats += 1
            continue
        except Exception as e:  # a schema shape this module mishandles: counted below, never fatal
            errors = [f"{'natural' if natural else construct} on {root.op}.{root.name}: {type(e).__name__}: {e}"]
        words = (" ".join(words.split()) if natural else sentence_case(" ".join(words.split()))) if not errors else ""
        if errors or words in seen:
            bugs.update(errors[:1])
            repeats += 1
            continue
        repeats = 0
        seen.add(words)
        for c in used:
            constructs[c] = constructs.get(c, 0) + 1
        for k in drafter.kinds:
            arg_kinds[k] = arg_kinds.get(k, 0) + 1
        examples.append(make_example(CATEGORY, chat(system_prompt(p.product, p.reference_date), words, query),
                                     source=f"schema:{root.op}.{root.name}",
                                     meta={"graphql_valid": True, "constructs": sorted(used), "root_field": root.name,
                                           "style": "natural" if natural else "construct"}))
    if bugs:
        print(f"tunesmith generate: warning: {sum(bugs.values())} NL->GraphQL drafts were not valid against the "
              f"schema and were left out (a tunesmith bug: please report it with your schema); first: "
              f"{bugs.most_common(1)[0][0]}", file=sys.stderr)
    coverage = {"constructs": constructs, "arg_kinds": arg_kinds, "generator_bugs": dict(bugs.most_common())}
    if not cycle:
        coverage["reason"] = "the schema has no query or mutation field that is not deprecated"
    return examples, coverage
