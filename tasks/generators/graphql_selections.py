"""What a query selects: a few leaves with the field that names the object, nested objects, inline
fragments on unions and interfaces, and aliases; each selection with the words that ask for it."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

from tasks.generators.graphql_schema import (
    camel,
    container_path,
    leaf_fields,
    name_field,
    object_fields,
    pascal,
    unwrap,
    wrap,
)
from tasks.generators.words import article, humanize, join_and


@dataclass
class Selection:
    text: str
    words: list[str]
    constructs: set = field(default_factory=set)


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
