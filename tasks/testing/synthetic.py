"""Synthetic sources at any size, for benchmarks and the large-schema tests.

    >>> from graphql import build_schema
    >>> len(build_schema(synthetic_schema(50, seed=0)).type_map) > 50
    True
"""
from __future__ import annotations

import json
import random
from typing import Iterator

from tasks.core.config import CATEGORIES

SCALARS = ["String", "Int", "Float", "Boolean", "ID", "DateTime"]
NOUNS = ["account", "order", "invoice", "product", "review", "shipment", "ticket", "project", "task", "team",
         "comment", "report", "asset", "device", "sensor", "reading", "policy", "claim", "lesson", "course"]


def _name(i: int) -> str:
    noun = NOUNS[i % len(NOUNS)]
    return f"{noun.title()}{i}"


def synthetic_schema(n_objects: int, seed: int = 0) -> str:
    """An SDL schema with `n_objects` object types and, for each, an enum, a filter input, an order
    input and a connection: about 6 types per object. Interfaces and unions every few objects,
    references between objects (nesting), and mutations."""
    rng = random.Random(seed)
    names = [_name(i) for i in range(n_objects)]
    out = ["scalar DateTime", "enum SortDirection { ASC DESC }",
           "type PageInfo { hasNextPage: Boolean! endCursor: String }"]
    n_interfaces = max(1, n_objects // 20)
    for k in range(n_interfaces):
        out.append(f"interface Entity{k} {{ id: ID! label{k}: String }}")
    for i, name in enumerate(names):
        iface = i % n_interfaces
        fields = ["id: ID!", f"label{iface}: String"]
        for j in range(rng.randint(3, 7)):
            fields.append(f"f{j}{name}: {rng.choice(SCALARS)}")
        fields.append(f"status: {name}Status")
        for ref in rng.sample(names, k=min(2, len(names))):
            fields.append(f"rel{ref}: {ref}")
        out.append(f'"""A {NOUNS[i % len(NOUNS)]} record."""')
        out.append(f"type {name} implements Entity{iface} {{ {' '.join(fields)} }}")
        out.append(f"enum {name}Status {{ ACTIVE ARCHIVED PENDING }}")
        out.append(f"enum {name}Field {{ ID LABEL STATUS }}")
        out.append(f"input {name}Filter {{ status: {name}Status labelContains: String createdAfter: DateTime "
                   f"idIn: [ID!] minScore: Float active: Boolean }}")
        out.append(f"input {name}Order {{ field: {name}Field! direction: SortDirection }}")
        out.append(f"type {name}Edge {{ cursor: String! node: {name}! }}")
        out.append(f"type {name}Connection {{ edges: [{name}Edge!]! pageInfo: PageInfo! totalCount: Int! }}")
    for u in range(max(1, n_objects // 25)):
        members = rng.sample(names, k=min(3, len(names)))
        out.append(f"union Union{u} = {' | '.join(members)}")
    query = []
    for i, name in enumerate(names):
        plural = name[0].lower() + name[1:] + "s"
        query.append(f'"{NOUNS[i % len(NOUNS)]} records" {plural}(filter: {name}Filter, orderBy: {name}Order, '
                     f"first: Int, after: String): {name}Connection!")
        query.append(f"{name[0].lower() + name[1:]}(id: ID!): {name}")
    for u in range(max(1, n_objects // 25)):
        query.append(f"search{u}(text: String!, limit: Int): [Union{u}!]!")
    out.append("type Query { " + " ".join(query) + " }")
    mutations = [f"update{name}(id: ID!, label: String, status: {name}Status): {name}!" for name in names[: max(1, n_objects // 5)]]
    out.append("type Mutation { " + " ".join(mutations) + " }")
    return "\n".join(out) + "\n"


def synthetic_docs(n_pages: int, seed: int = 0) -> dict[str, str]:
    """Markdown pages: headings, definitions, how-tos, lists and reasons, so every QA kind appears."""
    rng = random.Random(seed)
    pages = {}
    for i in range(n_pages):
        a, b = rng.sample(NOUNS, 2)
        pages[f"page{i}.md"] = f"""# The {a} guide {i}

## {a.title()}s {i}

A {a} {i} is a record that the workspace keeps for each {b}. It holds a label and a status.

To create a {a} {i}, open the sidebar and choose **New {a}**. The {a} appears at once.

## Why {a}s {i} are archived

A {a} {i} is archived because old records slow down search for everyone.

## Kinds of {a} {i}

The kinds are:

- **Draft** {a}s, which nobody else can see.
- **Shared** {a}s, which the team can open.

**Draft** {a}s stay private, while **Shared** {a}s are visible to the whole team.
"""
    return pages


def synthetic_tools(n_tools: int, seed: int = 0) -> list[dict]:
    """OpenAI-style tool definitions with string, integer, enum and boolean parameters."""
    rng = random.Random(seed)
    verbs = ["create", "archive", "find", "assign", "export", "close", "rename", "summarize"]
    tools = []
    for i in range(n_tools):
        noun = NOUNS[i % len(NOUNS)]
        props = {
            "name": {"type": "string", "description": f"the {noun}'s name"},
            "priority": {"type": "integer", "minimum": 1, "maximum": 5},
            "state": {"type": "string", "enum": ["open", "closed", "pending"]},
            "notify": {"type": "boolean"},
            "path": {"type": "string", "description": "a file path"},
        }
        keep = rng.sample(sorted(props), k=rng.randint(2, 5))
        tools.append({"type": "function", "function": {
            "name": f"{verbs[i % len(verbs)]}_{noun}_{i}", "description": f"{verbs[i % len(verbs)].title()} a {noun}.",
            "parameters": {"type": "object", "properties": {k: props[k] for k in keep}, "required": keep[:1]}}})
    return tools


def synthetic_log(n_conversations: int, seed: int = 0) -> list[dict]:
    """Parsed conversation records (as tasks.parse writes them), ratings 1-5 or None."""
    rng = random.Random(seed)
    return [{"id": f"conversation/{i}", "started_at": "2026-01-01T00:00:00Z",
             "rating": rng.choice([None, 1, 2, 3, 4, 5, 5]),
             "messages": [{"role": "user", "content": f"How do I use the {rng.choice(NOUNS)} view, question {i}?"},
                          {"role": "assistant", "content": f"Open the sidebar and pick it; answer {i}."}]}
            for i in range(n_conversations)]


WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu amber basalt cobalt dune ember "
         "fjord granite harbor islet jasper kestrel lagoon meadow nectar onyx pebble quartz raven saffron").split()


def synthetic_examples(n: int, seed: int = 0) -> list[dict]:
    """`n` examples in the shape generate writes, across the four categories, with varied text
    (and a few exact and near duplicates, as real generators make)."""
    return list(iter_synthetic_examples(n, seed))


def iter_synthetic_examples(n: int, seed: int = 0) -> Iterator[dict]:
    """synthetic_examples() one at a time: a million need not sit in memory to be written."""
    import hashlib
    from collections import deque

    rng = random.Random(seed)
    tools = synthetic_tools(5, seed)
    out: deque = deque(maxlen=49)  # the last 49: a duplicate repeats the example 48 before it
    for i in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        answer = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40)))
        cat = CATEGORIES[i % 4]
        system = {"role": "system", "content": "You are the assistant."}
        if cat == "tool_use":
            fn = tools[i % len(tools)]["function"]
            messages = [system, {"role": "user", "content": f"Please {words}."},
                        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_0", "type": "function",
                         "function": {"name": fn["name"], "arguments": json.dumps({"name": words[:20]})}}]},
                        {"role": "tool", "tool_call_id": "call_0", "content": '{"ok": true}'},
                        {"role": "assistant", "content": f"Done: {answer}."}]
            extra = {"tools": tools}
        elif cat == "text-to-graphql":
            messages = [system, {"role": "user", "content": f"Show me {words}"},
                        {"role": "assistant", "content": f"query {{ items(filter: {{ name: \"{words[:12]}\" }}) {{ id name }} }}"}]
            extra = {}
        else:
            messages = [system, {"role": "user", "content": f"What is {words}?"},
                        {"role": "assistant", "content": answer.capitalize() + "."}]
            extra = {}
        if i % 50 == 49:  # an exact duplicate of an earlier example: the one 48 before it
            earlier = out[-48]
            messages = earlier["messages"]
            cat = earlier["category"]
            extra = {"tools": earlier["tools"]} if "tools" in earlier else {}
        body = json.dumps({"m": messages, "i": i})
        ex = {"id": f"{cat}-{hashlib.sha1(body.encode()).hexdigest()[:16]}", "category": cat,
              "source": f"bench:{i % 997}", "messages": messages, **extra,
              "meta": {"graphql_valid": True} if cat == "text-to-graphql" else {}}
        out.append(ex)
        yield ex
