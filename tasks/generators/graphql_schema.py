"""Reading a GraphQL schema the way the drafters need it: named and wrapped types, which fields
can be selected, what role an argument plays (a page size, a cursor, a sort, a filter), the root
fields to draft from, and the field that names an object."""
from __future__ import annotations

import re
from dataclasses import dataclass

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
    is_leaf_type,
)
from graphql.pyutils import Undefined

from tasks.generators.words import humanize

PAGE_SIZE_ARGS = {"first", "last", "limit", "top", "take", "pageSize", "perPage", "page_size", "per_page"}


OFFSET_ARGS = {"offset", "skip"}


CURSOR_ARGS = {"after", "before", "cursor"}


SORT_ARGS = {"sort", "sortBy", "orderBy", "order", "order_by", "sort_by"}


CONTAINER_FIELDS = ("nodes", "items", "results", "data")  # list wrappers of offset/cursor styles


INT_MAX = 2**31 - 1  # GraphQL's Int is 32-bit signed


COMPOSITE = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)


# What names an object, in this order (else its first String field): selected with `id` always.
NAME_FIELDS = ("name", "title", "displayName", "fullName", "login", "username", "label", "handle", "slug",
               "key", "subject", "summary", "headline", "email")


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


def name_field(t) -> str | None:
    """The field that names an object: NAME_FIELDS in order, else the first String leaf."""
    fields = {n: f for n, f in fields_of(t).items() if selectable(f) and is_leaf_type(unwrap(f.type))
              and not is_list(f.type)}
    for n in NAME_FIELDS:
        if n in fields:
            return n
    return next((n for n, f in fields.items() if unwrap(f.type).name == "String"), None)


@dataclass
class Root:
    op: str  # query | mutation
    name: str
    field: GraphQLField

    @property
    def item_type(self):
        return container_path(unwrap(self.field.type))[1]


def roots_of(schema: GraphQLSchema) -> list[Root]:
    """The query and mutation fields that are not deprecated (subscriptions are not drafted)."""
    roots = [Root(op, n, f) for op, t in (("query", schema.query_type), ("mutation", schema.mutation_type))
             for n, f in fields_of(t).items()]
    return [r for r in roots if r.field.deprecation_reason is None]
