"""GraphQL requests said the way people say them, for any schema.

A request starts from what the person wants: which objects (a root field), which of them (the
conditions its arguments can state), in what order, how many, which of their fields, or how many
there are at all; or which action on which object (a mutation). It is then said in one of many
surface forms: a command or a question, a bare noun phrase, lower case, with or without a field
list; sizes as people write them ("over 2 gigs", "under 500 megs", "between 1 and 10 mb"), dates
relative to the reference date ("since yesterday", "from last week", "this year", "older than
2025"), orders ("biggest first", "newest first", "a to z"), counts ("top 5", "just 3"); the schema's
own words (field, type and enum names split and inflected by `inflect`, a kept library) and the
ordinary synonyms in `words.SYNONYMS`.

A request that names no fields selects by one rule (`selection`), so a model can learn it: the
item's `id`, its name-like field (graphql_schema.NAME_FIELDS, else its first String field), and every field the
request's conditions, order or question mention (a size condition shows `size`, "newest first"
shows `modifiedAt`, "which tags are on f_8" shows `tags { name }`). A request that names fields
selects those too.

Everything not understood (a required input it has no words for) is drawn by graphql_values.ValueMaker and
said by its words, so every schema graphql-core accepts gets requests; every query is validated by
the caller.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

import inflect
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    is_leaf_type,
)
from graphql.pyutils import Undefined

from tasks.generators import schema_values
from tasks.generators.graphql_schema import (
    INT_MAX,
    OFFSET_ARGS,
    Root,
    arg_role,
    camel,
    container_path,
    fields_of,
    is_list,
    is_required,
    name_field,
    selectable,
    unwrap,
    wrap,
)
from tasks.generators.graphql_values import ValueMaker
from tasks.generators.graphql_wording import subject_of
from tasks.generators.words import QUERY_NAMES, SYNONYMS, VERB_SYNONYMS, any_word, article, humanize, split_comparison

UNITS = [("KB", 1 << 10, ["kb", "KB", "k"]), ("MB", 1 << 20, ["mb", "MB", "megs", "megabytes"]),
         ("GB", 1 << 30, ["gb", "GB", "gigs", "gigabytes"])]
AMOUNTS = {"KB": [100, 200, 500], "MB": [1, 2, 5, 10, 20, 50, 100, 200, 500], "GB": [1, 2, 4, 5, 10, 20]}
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
CONTAINERS = {"location", "folder", "directory", "project", "repository", "repo", "team", "organization", "org",
              "workspace", "channel", "board", "space", "group", "bucket", "album", "collection", "library"}
TEXT_ARGS = QUERY_NAMES | {"filter"}  # a required String `filter` is a text to look for too
SMALL = {1: "one", 2: "two", 3: "three", 5: "five", 10: "ten"}


@lru_cache(maxsize=1)
def _inflector() -> inflect.engine:
    return inflect.engine()


@lru_cache(maxsize=8192)
def plural(noun: str) -> str:
    """'file' -> 'files', 'repository' -> 'repositories', 'share link' -> 'share links' (inflect;
    kept, as a schema's few thousand names are asked for again and again, and inflect checks every
    call's argument types at run time)."""
    noun = noun.lower()
    if not noun or noun.endswith(("s", "data", "info", "media")):
        return noun
    return _inflector().plural_noun(noun) or noun


@lru_cache(maxsize=8192)
def singular(noun: str) -> str:
    return _inflector().singular_noun(noun) or noun


@dataclass
class Piece:
    """One thing a request says: its words, the argument it sets (a path of names -> a literal),
    and the item fields it mentions (which the query then selects)."""
    words: str
    path: tuple = ()
    literal: str | None = None
    shows: list = field(default_factory=list)
    extra: list = field(default_factory=list)  # more (path, literal) pairs the same words set


# --- values said as people say them ---------------------------------------------------------

def size_words(comparison: str | None, rng: random.Random, kind: str) -> tuple[str, int]:
    """("over 2 gigs", 2147483648): a size bound in binary units, as file managers count."""
    unit, scale, names = rng.choice(UNITS[1:] if kind == "Int" else UNITS)
    n = rng.choice([a for a in AMOUNTS[unit] if kind != "Int" or a * scale <= INT_MAX])
    name = rng.choice(names)
    amount = f"{n}{name}" if name in ("mb", "gb", "kb", "k") and rng.random() < 0.4 else f"{n} {name}"
    if n == 1 and name in ("gigs", "megs"):
        amount = rng.choice([f"a {name[:-1]}", f"1 {name[:-1]}"])
    if comparison in ("greater than", "at least"):
        lead = rng.choice(["over", "bigger than", "larger than", "more than", "above"])
    else:
        lead = rng.choice(["under", "smaller than", "less than", "below"])
    return f"{lead} {amount}", n * scale


def date_words(comparison: str | None, today: dt.date, rng: random.Random) -> tuple[str, dt.date]:
    """("since yesterday", that day): a date bound relative to the reference date."""
    if comparison in ("after", "at least", "greater than"):
        options = [("since yesterday", 1), ("in the last week", 7), ("from last week", 7), ("this week", today.weekday()),
                   ("in the past month", 30), ("in the last 30 days", 30), ("in the last 90 days", 90),
                   ("today", 0), ("in the last 3 days", 3)]
        words, days = rng.choice(options)
        day = today - dt.timedelta(days=days)
        if rng.random() < 0.3:
            day = dt.date(today.year, 1, 1) if rng.random() < 0.5 else dt.date(today.year, rng.randint(1, today.month), 1)
            words = "this year" if day.month == 1 and rng.random() < 0.6 else f"since {MONTHS[day.month - 1]}"
        return words, day
    options = [("more than a week ago", 7), ("more than a month ago", 30), ("over a year ago", 365),
               ("before last week", 7)]
    words, days = rng.choice(options)
    day = today - dt.timedelta(days=days)
    if rng.random() < 0.4:
        year = today.year - rng.randint(0, 2)
        day = dt.date(year, 1, 1)
        words = rng.choice([f"older than {year}", f"before {year}", f"from before {year}"])
    return words, day


def date_literal(t, day: dt.date) -> str:
    with_time = "time" in t.name.lower() or t.name not in ("Date", "LocalDate")
    return f'"{day.isoformat()}T00:00:00Z"' if with_time else f'"{day.isoformat()}"'


def is_date(t, name: str) -> bool:
    return not isinstance(t, GraphQLEnumType) and ("date" in t.name.lower() or "time" in t.name.lower()) or \
        t.name == "String" and bool(re.search(r"(?:At|Date|Since|After|Before)$", name))


def is_size(t, name: str, description: str | None) -> bool:
    about = f"{name} {description or ''}".lower()
    return t.name in ("Int", "Float", "BigInt", "Long") and ("byte" in about or re.search(r"\bsize", humanize(name)) is not None)


def participle(subject: str, rng: random.Random) -> str:
    """'modified' -> 'changed' (sometimes), 'created' -> 'made'; another subject: its words."""
    options = [subject] + SYNONYMS.get(subject, [])
    return rng.choice(options)


def enum_words(value: str, rng: random.Random) -> str:
    words = humanize(value)
    return rng.choice([words] + SYNONYMS.get(words, []))


# --- the schema as a person sees it ---------------------------------------------------------

def mentioned(subject: str, t) -> str | None:
    """The item field a condition's subject names: "size" -> size, "modified" -> modifiedAt,
    "tag" -> tags, "to path" -> path; None when it names none."""
    fields = {n: f for n, f in fields_of(t).items() if selectable(f)}
    words = subject.split()
    for cut in (words, words[1:] if words[:1] in (["to"], ["new"]) else None):
        if not cut:
            continue
        text = " ".join(cut)
        for n in fields:
            h = humanize(n)
            if h == text or h == plural(text) or h.split()[0] == text and len(h.split()) == 2 and \
                    h.split()[1] in ("at", "on", "date", "time"):
                return n
    return None


def leaf_id(t) -> bool:
    f = fields_of(t).get("id")
    return f is not None and selectable(f) and is_leaf_type(unwrap(f.type)) and not is_list(f.type)


def sub_selection(t, name: str) -> str:
    """`name` as a selection: a leaf as is, an object with its name field (or id)."""
    inner = unwrap(fields_of(t)[name].type)
    if is_leaf_type(inner):
        return name
    path, item = container_path(inner)
    if isinstance(item, GraphQLUnionType):
        return f"{name} {wrap(path, '{ ' + ' '.join(member_parts(item.types)) + ' }')}"
    labels = [n for n in ("id" if leaf_id(item) else None, name_field(item)) if n]  # as the rule selects an item
    return f"{name} {wrap(path, '{ ' + (' '.join(labels) or '__typename') + ' }')}"


def selection(t, shows: list[str]) -> str:
    """The rule: id, the name field, then every field mentioned, once each."""
    fields = fields_of(t)
    picked = [n for n in ["id" if leaf_id(t) else None, name_field(t)] if n]
    picked += [n for n in dict.fromkeys(shows) if n in fields and n not in picked]
    if not picked:
        return "__typename"
    return " ".join(sub_selection(t, n) for n in picked)


def member_parts(members: list) -> list[str]:
    """`... on Member { id name }` for each member, leaving out a field that an earlier member
    selects with another type (the same response name with two types is invalid)."""
    taken: dict[str, str] = {}
    parts = []
    for m in members:
        names = [n for n in selection(m, []).split() if n.isidentifier()]
        fields = fields_of(m)
        keep = [n for n in names if n in fields and is_leaf_type(unwrap(fields[n].type))
                and taken.setdefault(n, str(fields[n].type)) == str(fields[n].type)]
        parts.append(f"... on {m.name} {{ {' '.join(keep) or '__typename'} }}")
    return parts


def item_selection(item, schema: GraphQLSchema, shows: list[str]) -> str:
    if isinstance(item, (GraphQLUnionType, GraphQLInterfaceType)):
        own = selection(item, shows) if isinstance(item, GraphQLInterfaceType) else ""
        parts = member_parts(list(schema.get_possible_types(item))[:4])
        return "{ " + " ".join(([own] if own and own != "__typename" else []) + parts) + " }" if parts else \
            "{ " + (own or "__typename") + " }"
    return "{ " + selection(item, shows) + " }"


def noun_of(root: Root) -> str:
    """What the person calls the root's objects: its name's words ("files", "pull requests")."""
    return humanize(root.name)


def render(args: dict) -> str:
    parts = []
    for k, v in args.items():
        parts.append(f"{k}: {render_object(v) if isinstance(v, dict) else v}")
    return ", ".join(parts)


def render_object(v: dict) -> str:
    return "{" + render(v) + "}"


# --- the person -----------------------------------------------------------------------------

class Person:
    """Says, for one root field, what a person would want from it."""

    def __init__(self, schema: GraphQLSchema, rng: random.Random, today: dt.date):
        self.schema = schema
        self.rng = rng
        self.today = today
        self.values = ValueMaker(rng, today)

    # conditions ---------------------------------------------------------------------------
    def condition(self, path: tuple, name: str, t, description: str | None, item) -> Piece | None:
        """One condition on argument (or input field) `name`, or None when it has no everyday words."""
        rng = self.rng
        inner = unwrap(t)
        if is_list(t) or isinstance(inner, GraphQLInputObjectType):
            return None
        subject, comparison = split_comparison(name)
        shows = [f for f in [mentioned(subject, item)] if f]
        if is_size(inner, name, description) and comparison in ("greater than", "less than", "at least", "at most"):
            words, n = size_words(comparison, rng, inner.name)
            return Piece(words, path, str(n), shows)
        if is_date(inner, name) and comparison in ("after", "before", "greater than", "less than", "at least", "at most"):
            words, day = date_words(comparison, self.today, rng)
            verb = participle(subject, rng)
            said = rng.choice([f"{verb} {words}", words]) if verb.endswith("ed") else f"{subject} {words}"
            return Piece(said, path, date_literal(inner, day), shows)
        if isinstance(inner, GraphQLEnumType):
            values = [v for v, d in inner.values.items() if d.deprecation_reason is None] or list(inner.values)
            value = rng.choice(values)
            said = enum_words(value, rng)
            if subject in ("kind", "type", "category", "format", "media type", "file type"):
                return Piece(said, path, value, shows)
            return Piece(rng.choice([f"with {subject} {said}", f"whose {subject} is {said}", f"{said}"]), path, value, shows)
        if inner.name == "Boolean":
            b = rng.random() < 0.6
            word = subject.removeprefix("is ").removeprefix("has ")
            return Piece(f"that are {'' if b else 'not '}{word}", path, "true" if b else "false", shows)
        if inner.name == "ID" or subject.endswith(" id"):
            owner = subject.removesuffix(" id") if subject != "id" else humanize(getattr(item, "name", "item"))
            value = f"{(owner.split() or ['x'])[-1][:rng.choice([1, 3])]}_{rng.randint(1, 999)}"
            said = rng.choice([f"in {owner} {value}", f"in {value}", f"from {owner} {value}", f"for {owner} {value}"])
            return Piece(said, path, f'"{value}"', [])
        if inner.name == "String":
            word = any_word(rng)
            if comparison == "containing":
                forms = [f"with {word} in the {subject}", f"with {subject} containing {word}", f"with '{word}' in the {subject}"]
                if subject in ("name", "title"):
                    forms += [f"called {word}", f"named like {word}"]
                return Piece(rng.choice(forms), path, f'"{word}"', shows)
            if subject in ("tag", "label"):
                return Piece(rng.choice([f"tagged {word}", f"with the {subject} {word}", f"with {subject} {word}"]),
                             path, f'"{word}"', shows)
            if subject in ("query", "text", "search", "term", "q", "keyword"):
                return Piece(rng.choice([f"matching {word}", f"about {word}", f"for {word}"]), path, f'"{word}"', [])
            return Piece(rng.choice([f"with {subject} {word}", f"whose {subject} is {word}"]), path, f'"{word}"', shows)
        if inner.name in ("Int", "Float"):
            n = rng.choice([1, 2, 3, 5, 10, 50, 100])
            lead = {"greater than": "over", "at least": "at least", "less than": "under", "at most": "at most"}.get(comparison or "", "")
            return Piece(f"with {subject} {lead + ' ' if lead else ''}{n}", path, str(n), shows)
        return None

    def conditions(self, root: Root, item) -> list[Piece]:
        """Up to two conditions from the root's plain and filter arguments, sizes in one range when
        both bounds are drawn ("between 1 and 10 mb"); each required input value always."""
        candidates: list[tuple] = []
        for name, arg in root.field.args.items():
            role = arg_role(name, arg)
            inner = unwrap(arg.type)
            if is_required(arg):  # said by required_values
                continue
            if role == "filter" and isinstance(inner, GraphQLInputObjectType) and not getattr(inner, "is_one_of", False) \
                    and not any(is_required(f) for f in inner.fields.values()) and not is_list(arg.type):
                for fname, f in inner.fields.items():
                    if f.deprecation_reason is None:
                        candidates.append(((name, fname), fname, f.type, f.description))
            elif role == "argument":
                candidates.append(((name,), name, arg.type, arg.description))
        ranged = self.size_range(candidates, item) if self.rng.random() < 0.15 else None
        pieces: list[Piece] = [ranged] if ranged else []
        subjects: set[str] = {split_comparison(ranged.path[-1])[0]} if ranged else set()
        for path, name, t, desc in self.rng.sample(candidates, k=min(len(candidates), self.rng.choice([1, 1, 2, 2, 3]))):
            subject = split_comparison(name)[0]
            piece = self.condition(path, name, t, desc, item)
            if piece is not None and subject not in subjects:  # one bound per subject: never "after today, before 2025"
                pieces.append(piece)
                subjects.add(subject)
        return pieces[:2]

    def size_range(self, candidates: list[tuple], item) -> Piece | None:
        """Both bounds of one size: "between 1 and 10 mb" (two argument values in one piece)."""
        bounds = {split_comparison(name)[1]: (path, name, t) for path, name, t, desc in candidates
                  if is_size(unwrap(t), name, desc)}
        low, high = bounds.get("greater than"), bounds.get("less than")
        if not low or not high or low[0][:-1] != high[0][:-1] or unwrap(low[2]).name != "Float":
            return None
        unit, scale, names = self.rng.choice(UNITS[1:])
        a, b = sorted(self.rng.sample(AMOUNTS[unit], 2))
        subject = split_comparison(low[1])[0]
        words = f"between {a} and {b} {self.rng.choice(names)}"
        shows = [f for f in [mentioned(subject, item)] if f]
        return Piece(words, low[0], str(a * scale), shows, extra=[(high[0], str(b * scale))])

    def order(self, root: Root, item) -> Piece | None:
        """A sort argument said by what it sorts ("biggest first", "newest first", "a to z")."""
        for name, arg in root.field.args.items():
            if arg_role(name, arg) != "sort" or is_list(arg.type):
                continue
            t = unwrap(arg.type)
            if isinstance(t, GraphQLEnumType):
                return self.sort_piece((name,), t, None, None, item)
            if isinstance(t, GraphQLInputObjectType):
                enums = [(n, f) for n, f in t.fields.items() if isinstance(unwrap(f.type), GraphQLEnumType)]
                key = next(((n, f) for n, f in enums if {"ASC", "DESC"} - set(unwrap(f.type).values)), None)
                direction = next(((n, f) for n, f in enums if {"ASC", "DESC"} <= set(unwrap(f.type).values)), None)
                others = [n for n, f in t.fields.items() if is_required(f) and (n, f) not in (key, direction)]
                if key is None or others:
                    return None
                return self.sort_piece((name, key[0]), unwrap(key[1].type), (name, direction[0]) if direction else None,
                                       direction[1] if direction else None, item)
        return None

    def sort_piece(self, path: tuple, t: GraphQLEnumType, dir_path, dir_field, item) -> Piece:
        """The order said as people say it; the direction, when said, is set by the piece's `extra`."""
        rng = self.rng
        value = rng.choice([v for v, d in t.values.items() if d.deprecation_reason is None] or list(t.values))
        words = humanize(value)
        shown = mentioned(words, item) or mentioned(words.removesuffix(" at"), item)
        desc = rng.random() < 0.6
        if re.search(r"\b(size|bytes|length)\b", words):
            said = "biggest first" if desc else "smallest first"
            said = rng.choice([said, said.replace("biggest", "largest")] + (["taking the most space first"] if desc else []))
        elif re.search(r"\b(at|date|time|created|updated|modified|pushed)\b", words):
            said = rng.choice(["newest first", "most recent first", "latest first"] if desc else ["oldest first"])
        elif re.search(r"\b(name|title|login)\b", words):
            said = rng.choice(["z to a", "reverse alphabetical"] if desc else ["a to z", "alphabetically", "by name"])
        elif re.search(r"\b(count|stars|comments|followers|votes)\b", words) or words.endswith("s"):
            said = f"most {words.removesuffix(' count')} first" if desc else f"fewest {words.removesuffix(' count')} first"
        else:
            said = f"sorted by {words}, {'descending' if desc else 'ascending'}"
        literal_dir = "DESC" if desc else "ASC"
        default = dir_field.default_value if dir_field is not None else Undefined
        if dir_path is None:  # an enum sort arg (e.g. NAME_DESC) carries its direction in its name
            return Piece(f"sorted by {words}", path, value, [shown] if shown else [])
        if default is not Undefined and default == literal_dir and rng.random() < 0.3:
            said = f"sorted by {words}"  # the default direction, not said
            return Piece(said, path, value, [shown] if shown else [])
        return Piece(said, path, value, [shown] if shown else [], extra=[(dir_path, literal_dir)])

    def count(self, root: Root) -> Piece | None:
        for name, arg in root.field.args.items():
            if arg_role(name, arg) == "page" and name not in OFFSET_ARGS:
                n = self.rng.choice([3, 5, 5, 10, 10, 20])
                said = self.rng.choice([f"top {n}", f"just {n}", f"first {n}", f"only {n}", f"{n} of them",
                                        f"max {n}", f"no more than {n}", f"just {SMALL.get(n, n)}"])
                return Piece(said, (name,), str(n))
        return None

    def fields_asked(self, item, k: int) -> list[tuple[str, str]]:
        """(field, words) for up to k fields beyond id and the name field."""
        label = name_field(item)
        fields = [n for n, f in fields_of(item).items() if selectable(f) and n not in ("id", label)
                  and (is_leaf_type(unwrap(f.type)) or name_field(container_path(unwrap(f.type))[1]))]
        picked = self.rng.sample(fields, k=min(k, len(fields)))
        return [(n, self.field_words(n)) for n in picked]

    def field_words(self, name: str) -> str:
        words = humanize(name)
        rng = self.rng
        if words.endswith(" count"):
            return rng.choice([words, f"number of {plural(words.removesuffix(' count'))}"])
        if words.endswith(" at"):
            return rng.choice([words.removesuffix(" at") + " date", words.removesuffix(" at") + " time"])
        return words

    # requests -----------------------------------------------------------------------------
    def request(self, root: Root) -> tuple[str, str, set] | None:
        """(query, words, constructs) for one thing a person may want from `root`, or None when it
        is not something this module says (a leaf-returning root, an input it cannot make)."""
        if root.op == "mutation":
            return self.action(root)
        ret = unwrap(root.field.type)
        if is_leaf_type(ret):
            return None
        required = [n for n, a in root.field.args.items() if is_required(a)]
        ids = [n for n in required if unwrap(root.field.args[n].type).name == "ID"]
        if required and len(required) == 1 and ids and not container_path(ret)[0] and not is_list(root.field.type):
            return self.lookup(root, ids[0])
        return self.listing(root, required)

    def required_values(self, root: Root, skip: set) -> list[Piece]:
        out = []
        for n, a in root.field.args.items():
            if is_required(a) and n not in skip:
                inner = unwrap(a.type)
                if inner.name == "String" and humanize(n) in TEXT_ARGS:
                    word = any_word(self.rng)
                    out.append(Piece(self.rng.choice([f"for {word}", f"matching {word}", f"called {word}", f"'{word}'"]),
                                     (n,), f'"{word}"'))
                    continue
                v = self.values.value(n, a.type, a.description)
                out.append(Piece(v.words, (n,), v.literal))
        return out

    def listing(self, root: Root, required: list[str]) -> tuple[str, str, set]:
        rng = self.rng
        path, item = container_path(unwrap(root.field.type))
        many = bool(path) or is_list(root.field.type)
        self.values.owner = humanize(getattr(item, "name", "item"))
        pieces = self.required_values(root, set())
        conditions = self.conditions(root, item) if rng.random() < 0.75 else []
        pieces += conditions
        total = "totalCount" in fields_of(unwrap(root.field.type)) and many and rng.random() < 0.12
        sort = self.order(root, item) if rng.random() < 0.45 and not total else None
        page = self.count(root) if rng.random() < 0.35 else None
        asked = self.fields_asked(item, rng.choice([0, 0, 1, 1, 2])) if not total else []
        args: dict = {}
        for p in pieces + ([sort] if sort else []) + ([page] if page and not total else []):
            for path_, literal in ([(p.path, p.literal)] if p.literal is not None else []) + p.extra:
                node = args
                for key in path_[:-1]:
                    node = node.setdefault(key, {})
                node[path_[-1]] = literal
        shows = [s for p in pieces + ([sort] if sort else []) for s in p.shows] + [n for n, _ in asked]
        if total:
            sel = "{ totalCount }"
        else:
            sel = wrap(path, item_selection(item, self.schema, shows))
        arg_text = f"({render(args)})" if args else ""
        query = f"query {{ {root.name}{arg_text} {sel} }}"  # "query" written out, as every drafted query does
        words = self.say_listing(root, item, pieces, sort, page if not total else None, asked, total)
        constructs = {"filter" if any(len(p.path) > 1 for p in pieces) else "arguments"} if pieces else {"plain"}
        constructs |= ({"sorting"} if sort else set()) | ({"pagination"} if page and not total else set())
        if isinstance(item, (GraphQLUnionType, GraphQLInterfaceType)) and not total:
            constructs.add("inline_fragment")
        return query, words, constructs

    def say_listing(self, root, item, pieces, sort, page, asked, total) -> str:
        rng = self.rng
        noun = noun_of(root)
        if rng.random() < 0.25:
            noun = subject_of(root.name, root.field)
        kind = next((p for p in pieces if p.literal and re.fullmatch(r"[A-Z][A-Z0-9_]*", p.literal)
                     and p.path[-1] in ("kind", "type", "category", "format")), None)
        term = next((p for p in pieces if humanize(p.path[-1]) in TEXT_ARGS and len(p.path) == 1 and p.literal), None)
        kind = None if term is not None else kind  # "search for x" keeps its type's words among the conditions
        rest = [p for p in pieces if p is not kind and p is not term]
        if kind is not None:
            word = kind.words
            noun = rng.choice([plural(word) if " " not in word and not word.endswith("s") else word,
                               f"{singular(word) if ' ' not in word else humanize(kind.literal)} {noun}"])
        elif rest and not total and rng.random() < 0.15 and not any(p.words.startswith(("called", "named", "matching"))
                                                                   for p in rest):  # "anything called x" is a search
            noun = rng.choice(["anything", "stuff", "things"])
        if term is not None:
            said = term.literal.strip('"')
            noun = rng.choice([f"search for {said}", f"search {said}", f"anything called {said}", f"look for {said}",
                               f"{noun} matching {said}", f"find {said}", f"stuff about {said}", f"{said}?"])
        mods = [p.words for p in rest]
        if sort:
            mods.append(sort.words)
        phrase = noun
        if page and rng.random() < 0.5 and page.words.startswith(("top", "first")) and sort is not None \
                and sort.words.endswith("first") and len(sort.words.split()) == 2:
            head = sort.words.removesuffix(" first")
            head = {"most recent": "newest", "latest": "newest"}.get(head, head)
            phrase = f"{page.words} {head} {noun}"
            mods.remove(sort.words)
            page = None
        elif sort is not None and sort.words in ("biggest first", "largest first", "newest first", "oldest first",
                                                 "smallest first") and rng.random() < 0.35:
            phrase = f"{sort.words.removesuffix(' first')} {noun}"  # "biggest files", "oldest photos"
            mods.remove(sort.words)
        text = phrase + (" " + " ".join(mods[:1]) if mods else "") + ("".join(
            f"{rng.choice([', ', ' and ', ' '])}{m}" for m in mods[1:]))
        if page:
            text += rng.choice([f", {page.words}", f" {page.words}", f"? {page.words}"])
        if total:
            return rng.choice([f"how many {text} are there?", f"how many {text}", f"count {text}",
                               f"number of {text}"])
        if asked:
            fields = " and ".join(w for _, w in asked)
            text += rng.choice([f" with their {fields}", f", show {fields}", f" and their {fields}", f" incl. {fields}"])
        lead = "" if term is not None else rng.choice(["", "", "show me ", "list ", "find ", "get ", "all ", "my ",
                                                         "i want ", "which ", "give me ", "what are my ", "can you find "])
        if len(lead + text) < 12:  # a bare "devices" or "my tags" says too little to check (expectations: prompt_chars)
            lead = rng.choice(["show me ", "list my ", "show all "])
        text = lead + text
        if lead in ("which ", "what are my ", "can you find ") and rng.random() < 0.7:
            text += "?"
        return cased(text, rng)

    def lookup(self, root: Root, id_arg: str) -> tuple[str, str, set]:
        """One object by its id: "show f_42", "how big is f_42?", "which tags are on f_8"."""
        rng = self.rng
        item = unwrap(root.field.type)
        owner = humanize(getattr(item, "name", "item"))
        value = f"{owner[:rng.choice([1, 3])]}_{rng.randint(1, 9999)}"
        asked = self.fields_asked(item, rng.choice([0, 1, 1, 1, 2]))
        sel = item_selection(item, self.schema, [n for n, _ in asked])
        query = f'query {{ {root.name}({id_arg}: "{value}") {sel} }}'
        if len(asked) == 1:
            name, words = asked[0]
            h = humanize(name)
            forms = [f"what is the {h} of {value}", f"whats the {h} of {value}", f"get me the {h} of {value}",
                     f"{h} of {value}", f"{value} {h}", f"what {h} does {value} have"]
            if h == "size":
                forms += [f"how big is {value}", f"how large is {value}"]
            if h.endswith(" at"):
                base = h.removesuffix(" at")
                forms = [f"when was {value} {participle(base, rng)}", f"{base} date of {value}", f"when was {value} last {participle(base, rng)}"]
            if plural(singular(h)) == h and h != singular(h):
                forms += [f"which {h} are on {value}", f"what {h} does {value} have"]
            text = rng.choice(forms)
        elif asked:
            text = rng.choice([f"show {value} with its {' and '.join(w for _, w in asked)}",
                               f"{' and '.join(w for _, w in asked)} of {value}"])
        else:
            text = rng.choice([f"show {value}", f"details of {value}", f"look up {owner} {value}", f"{owner} {value}",
                               f"get {owner} {value}", f"open {value}"])
        return query, cased(text + ("?" if text.startswith(("what", "how", "which", "when")) and rng.random() < 0.6 else ""),
                            rng), {"arguments"}

    def action(self, root: Root) -> tuple[str, str, set] | None:
        """A mutation said as an instruction: its name's verb, its target's id, each other value
        where a person puts it ("rename f_77 to budget.xlsx", "tag f_3 as receipts", "move f_204
        to /Archive/2025", "share f_9, link should expire july 1")."""
        rng = self.rng
        words = humanize(root.name).split()
        verb, obj = (words[0], " ".join(words[1:])) if words else ("run", "")
        removing = verb.startswith("un") or verb in ("remove", "delete")
        ret = unwrap(root.field.type)
        item = container_path(ret)[1] if not is_leaf_type(ret) else None
        args: dict = {}
        said: list[str] = []
        target = None
        shows: list[str] = []
        for name, arg in root.field.args.items():
            inner = unwrap(arg.type)
            optional = not is_required(arg)
            if optional and rng.random() < 0.6:
                continue
            subject = humanize(name)
            if inner.name == "ID" and target is None and (name == "id" or subject.endswith("id")):
                owner = subject.removesuffix(" id").removesuffix("id").strip() or (obj.split() or ["x"])[-1]
                value = f"{owner[:rng.choice([1, 3])]}_{rng.randint(1, 999)}"
                args[name] = f'"{value}"'
                target = value if name in ("id", f"{camel(obj)}Id") or owner in obj else None
                if target is None:
                    prep = "in" if owner.split()[-1] in CONTAINERS else "for"
                    said.append(rng.choice([f"{prep} {owner} {value}", f"{prep} {value}"]))
                continue
            piece = self.action_value(name, arg, item, removing=removing)
            if piece is None:
                return None
            args[name] = piece.literal
            said.append(piece.words)
            shows += piece.shows
        if item is None:
            sel = ""
        else:
            sel = " " + item_selection(item, self.schema, shows)
        query = f"mutation {{ {root.name}{'(' + render(args) + ')' if args else ''}{sel} }}"
        if verb in VERB_SYNONYMS and rng.random() < 0.35:  # "label f_3 as receipts", "make a folder"
            verb = rng.choice(VERB_SYNONYMS[verb])
        if target:
            head = rng.choice([f"{verb} {target}", f"{verb} {obj} {target}", f"{verb} the {obj} {target}"])
        else:
            head = rng.choice([f"{verb} {article(obj)} {obj}" if obj else verb, f"{verb} {obj}".strip()]
                              + ([f"new {obj}", f"make {article(obj)} {obj}"] if verb in ("create", "add") and obj else []))
        said.sort(key=lambda w: w.startswith(("in ", "for ")))  # "a folder /Projects/Taxes in location loc_2"
        text = " ".join([head.strip()] + said)
        if not head.startswith("new "):  # "new share link for f_9", never "can you new share link ..."
            text = rng.choice(["{t}", "{t}", "{t}", "please {t}", "can you {t}?", "{t} please"]).format(t=text)
        return query, cased(" ".join(text.split()), rng), {"mutation"}

    def action_value(self, name: str, arg, item, removing: bool = False) -> Piece | None:
        rng = self.rng
        inner = unwrap(arg.type)
        subject = humanize(name)
        shown = [f for f in [mentioned(subject, item)] if f] if item is not None else []
        if isinstance(inner, GraphQLInputObjectType) or is_list(arg.type):
            v = self.values.value(name, arg.type, arg.description)
            return Piece(v.words, (name,), v.literal, shown)
        if is_date(inner, name):
            days = rng.choice([1, 7, 14, 30])
            day = self.today + dt.timedelta(days=days)
            when = rng.choice([f"{MONTHS[day.month - 1]} {day.day}", day.isoformat(),
                               {1: "tomorrow", 7: "in a week", 14: "in 2 weeks", 30: "in 30 days"}[days]])
            verb = subject.removesuffix(" at")
            return Piece(rng.choice([f"{verb} {when}", f"that {verb} {when}", f"{verb} on {when}"]) if " " not in verb
                         else f"{subject} {when}", (name,), date_literal(inner, day), shown)
        if inner.name == "String":
            if "path" in subject or subject in ("to", "destination", "parent", "folder"):
                value = schema_values.folder(rng, year_share=0.4)
                return Piece(rng.choice([f"to {value}", f"into {value}"]) if re.search(r"\bto\b|dest|parent", subject)
                             else value, (name,), f'"{value}"', shown)
            word = any_word(rng)
            if subject in ("name", "new name", "title"):
                value = f"{word}-{rng.randint(2020, 2026)}.{rng.choice(['pdf', 'txt', 'xlsx', 'jpg'])}"
                return Piece(rng.choice([f"to {value}", f"as {value}"]), (name,), f'"{value}"', shown)
            if subject in ("tag", "label") and removing:
                return Piece(rng.choice([word, f"{subject} {word}"]), (name,), f'"{word}"', shown)
            if subject in ("tag", "label"):
                return Piece(rng.choice([f"as {word}", word, f"with {word}"]), (name,), f'"{word}"', shown)
            if subject in ("password", "passphrase"):
                value = f"{word}{rng.randint(10, 99)}"
                return Piece(f"with password {value}", (name,), f'"{value}"', [])
            return Piece(f"with {subject} {word}", (name,), f'"{word}"', shown)
        v = self.values.value(name, arg.type, arg.description)
        return Piece(v.words, (name,), v.literal, shown)


def cased(text: str, rng: random.Random) -> str:
    """How people type: mostly lower case first letter, sometimes sentence case."""
    text = " ".join(text.split()).replace(" ,", ",").replace(" ?", "?")
    if re.match(r"\S*[_/\d]", text):  # an id or a path first keeps its case: "f_42 path", never "F_42 path"
        return text
    return text[:1].upper() + text[1:] if rng.random() < 0.3 else text


def weight(root: Root) -> int:
    """How often a root is asked for, relative to the others: a list with conditions to state far
    more often than an action or a plain list, one more share per condition its filter can state
    (up to 6), so that the many ways of asking get their share."""
    if root.op == "mutation":
        return 1
    args = len([a for a in root.field.args.values() if not is_required(a)])
    filters = [unwrap(a.type) for n, a in root.field.args.items() if arg_role(n, a) == "filter"]
    conditions = sum(len(t.fields) for t in filters if isinstance(t, GraphQLInputObjectType))
    return 1 + min(args, 3) + min(conditions, 6)  # each condition is more ways of asking to learn
