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

import collections
import datetime as dt
import itertools
import random
import sys
from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_ast_schema,
    is_leaf_type,
)

from tasks.core.config import GenerateParams
from tasks.core.records import Example, chat, make_example
from tasks.generators import asking, graphql_checks, graphql_parse
from tasks.generators.drawing import distinct
from tasks.generators.graphql_schema import (
    Root,
    arg_role,
    container_path,
    has_required_args,
    is_required,
    leaf_fields,
    object_fields,
    pascal,
    roots_of,
    unwrap,
    wrap,
)
from tasks.generators.graphql_selections import (
    Selection,
    abstract_selection,
    alias_for,
    leaves_selection,
    nested_selection,
    pick_leaves,
)
from tasks.generators.graphql_values import NoFiniteValue, Value, ValueMaker
from tasks.generators.graphql_wording import CONDITIONS, LEADS, SHOWING, mutation_lead, query_lead, subject_of
from tasks.generators.words import humanize, join_and, sentence_case

CATEGORY = "text-to-graphql"


CONSTRUCTS = ("plain", "nested", "arguments", "filter", "sorting", "pagination", "alias",
              "named_fragment", "inline_fragment", "variables", "directives", "mutation")


ARG_KINDS = ("string", "int", "float", "boolean", "id", "enum", "list", "input_object", "custom_scalar")


NATURAL_EVERY = 4  # of every 4 requests, 3 are said as a person says them (asking.py), 1 shows a construct


def system_prompt(product: str, today: dt.date) -> str:
    """The instruction, with the date that relative dates in requests ("in the last month") count
    from: without it the query's date literal cannot be known from the request."""
    return (f"Translate the request into a GraphQL query for the {product} API. Today is {today.isoformat()}. "
            "Reply with the query only.")


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


def load_schema(sdl: str) -> GraphQLSchema:
    """The schema of the SDL that parse wrote, which graphql-core checked there: read without source
    locations and without checking the SDL again (on GitHub's schema 0.8 s instead of 1.3 s, measured
    with a throwaway script), by graphql_parse's faster lexer (0.5-0.6 s in bench.generators)."""
    return build_ast_schema(graphql_parse.parse(sdl, no_location=True), assume_valid_sdl=True)


@dataclass
class Drafted:
    """A request and its query as drafted, and after its block is validated, the query's
    validation messages (or the exception that drafting or parsing it raised)."""
    what: str  # "<construct or natural> on <op>.<root field>", for a bug's message
    natural: bool
    root: Root
    query: str
    words: str
    used: set
    kinds: set
    errors: list[str] = field(default_factory=list)


class Blocks:
    """Drafts in turn, validated a block at a time (graphql_checks.messages: one graphql-core pass
    over the block), handed out one by one. Drafting ahead draws from the shared rng; `settle`
    puts the rng back where it was after the last draft handed out, so the generators after this
    one draw what they drew when each draft was validated alone."""

    def __init__(self, draft, schema: GraphQLSchema, rng: random.Random, largest: int = 64):
        self.draft, self.schema, self.rng, self.largest = draft, schema, rng, largest
        self.pending: collections.deque = collections.deque()
        self.size = 4  # blocks double up to `largest`: a small quota drafts little ahead
        self.state = None  # the rng's state after the last draft handed out

    def next(self) -> Drafted | None:
        if not self.pending:
            block = [(self.draft(), self.rng.getstate()) for _ in range(self.size)]
            self.size = min(2 * self.size, self.largest)
            drafts = [d for d, _ in block if d is not None and not d.errors]
            for d, result in zip(drafts, graphql_checks.messages(self.schema, [d.query for d in drafts])):
                d.errors = [f"{d.what}: {type(result).__name__}: {result}"] if isinstance(result, Exception) else result
            self.pending.extend(block)
        drafted, self.state = self.pending.popleft()
        return drafted

    def settle(self) -> None:
        if self.state is not None:
            self.rng.setstate(self.state)


def pairs_from_schema(sdl: str, p: GenerateParams, rng: random.Random, quota: int) -> tuple[list[Example], dict]:
    """Up to `quota` distinct NL -> GraphQL examples, cycling through the constructs so each one
    the schema allows is covered, and through the root fields that allow it. Returns the examples
    and {"constructs": {construct: count}, "arg_kinds": {kind: count}, "generator_bugs": {message:
    count}} (plus "reason" when the schema has no field to draft from). Gives up after
    generate.max_repeats draws in a row that repeat an earlier request or fail."""
    schema = load_schema(sdl)
    drafter = Drafter(schema, rng, p.reference_date)
    roots = roots_of(schema)
    by_construct = {c: [r for r in roots if c in applicable(r, schema)] for c in CONSTRUCTS}
    cycle = [c for c in CONSTRUCTS if by_construct[c]]
    constructs: dict[str, int] = {}
    arg_kinds: dict[str, int] = {}
    bugs: Counter = Counter()
    turns = itertools.count()
    person = asking.Person(schema, rng, p.reference_date)
    weighted = [r for r in roots for _ in range(asking.weight(r))]
    natural_turns, construct_turns = itertools.count(), itertools.count()

    def drafted() -> Drafted | None:
        """One request, natural or showing a construct in turn, not yet validated; None when the
        root allows no literal."""
        natural = next(turns) % NATURAL_EVERY != NATURAL_EVERY - 1
        construct = "natural"  # what the draft shows, in a bug's message
        try:
            if natural:  # what a person asks, in a person's words (tasks/generators/asking.py)
                root = weighted[next(natural_turns) % len(weighted)]
                made = person.request(root)
                if made is None:
                    return None
                query, words, used = made
                drafter.kinds = set()
            else:
                turn = next(construct_turns)
                construct = cycle[turn % len(cycle)]
                root = by_construct[construct][(turn // len(cycle)) % len(by_construct[construct])]
                query, words, used = drafter.draft(root, construct)
        except NoFiniteValue:  # the schema allows this root no literal: try the next
            return None
        except Exception as e:  # a schema shape this module mishandles: counted below, never fatal
            what = f"{construct} on {root.op}.{root.name}"
            return Drafted(what, natural, root, "", "", set(), set(), [f"{what}: {type(e).__name__}: {e}"])
        what = f"{construct} on {root.op}.{root.name}"
        return Drafted(what, natural, root, " ".join(query.split()), words, used, set(drafter.kinds))

    def example_of(d: Drafted, words: str) -> Example:
        for c in d.used:
            constructs[c] = constructs.get(c, 0) + 1
        for k in d.kinds:
            arg_kinds[k] = arg_kinds.get(k, 0) + 1
        return make_example(CATEGORY, chat(system_prompt(p.product, p.reference_date), words, d.query),
                            source=f"schema:{d.root.op}.{d.root.name}",
                            meta={"graphql_valid": True, "constructs": sorted(d.used), "root_field": d.root.name,
                                  "style": "natural" if d.natural else "construct"})

    blocks = Blocks(drafted, schema, rng)

    def draw():
        """The next draft in turn (validated with its block), as (its words, a function making the
        example), or None when it could not be drafted or is not valid (counted in `bugs`)."""
        d = blocks.next()
        if d is None:
            return None
        if d.errors:
            bugs.update(d.errors[:1])
            return None
        words = " ".join(d.words.split()) if d.natural else sentence_case(" ".join(d.words.split()))
        return words, lambda: example_of(d, words)

    examples = list(distinct(draw, quota, p.max_repeats)) if cycle else []
    blocks.settle()
    if bugs:
        print(f"tunesmith generate: warning: {sum(bugs.values())} NL->GraphQL drafts were not valid against the "
              f"schema and were left out (a tunesmith bug: please report it with your schema); first: "
              f"{bugs.most_common(1)[0][0]}", file=sys.stderr)
    coverage = {"constructs": constructs, "arg_kinds": arg_kinds, "generator_bugs": dict(bugs.most_common())}
    if not cycle:
        coverage["reason"] = "the schema has no query or mutation field that is not deprecated"
    return examples, coverage
