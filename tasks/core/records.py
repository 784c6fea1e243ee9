"""The one record every stage after `generate` passes along: a chat example with provenance.

    {"id": "qa-3f2a...", "category": "qa", "source": "docs/sharing.md#Share links",
     "messages": [{"role": "system", ...}, {"role": "user", ...}, {"role": "assistant", ...}],
     "tools": [...]   # only for tool use
     "meta": {...}}   # generator facts carried along, e.g. {"graphql_valid": true}

Messages follow the OpenAI chat format (tool calls carry `arguments` as a JSON string), which
is also what mlx-lm's chat loader and our chat template read.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

Example = dict[str, Any]


def make_example(
    category: str,
    messages: list[dict],
    source: str,
    tools: list[dict] | None = None,
    meta: dict | None = None,
) -> Example:
    """Build an example whose id is a hash of its content: same content -> same id.

    >>> make_example("qa", [{"role": "user", "content": "Hi?"}], "seed")["id"][:3]
    'qa-'
    """
    body = {"messages": messages, "tools": tools}
    digest = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    ex: Example = {"id": f"{category}-{digest}", "category": category, "source": source, "messages": messages}
    if tools:
        ex["tools"] = tools
    ex["meta"] = meta or {}
    return ex


def chat(system: str | None, user: str, assistant: str) -> list[dict]:
    """A single-turn chat, with an optional system message."""
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def tool_call(call_id: str, name: str, arguments: dict) -> dict:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, sort_keys=True)},
    }


def call_problem(name: str | None, arguments: str | None, allowed: set[str], validator=None) -> str | None:
    """Why one tool call cannot stand, or None: it names a tool it was given, its arguments are a
    JSON object, and (with the tool's jsonschema validator) they match the tool's parameters.
    validate checks every row's calls with this; the teacher's skill dialogues are checked with it
    and their validators.

    >>> call_problem("tag_file", '{"path": "/a"}', {"tag_file"}), call_problem("rm", "{}", {"tag_file"})
    (None, 'calls a tool it was not given (rm)')
    >>> call_problem("tag_file", "path=/a", {"tag_file"}), call_problem("tag_file", "[1]", {"tag_file"})
    ("a call's arguments are not JSON", "a call's arguments are not a JSON object")
    """
    if name not in allowed:
        return f"calls a tool it was not given ({name})" if name else "a call names no tool"
    try:
        args = json.loads(arguments)
    except (TypeError, ValueError):
        return "a call's arguments are not JSON"
    if not isinstance(args, dict):
        return "a call's arguments are not a JSON object"
    if validator is not None:
        try:
            valid = validator.is_valid(args)
        except Exception as e:  # noqa: BLE001 - a schema jsonschema cannot apply (a bad regex in a pattern, say)
            return f"{name}'s parameters schema cannot be checked ({type(e).__name__})"
        if not valid:
            return f"arguments do not match {name}'s parameters"
    return None


def prompt_and_reference(ex: Example) -> tuple[list[dict], dict]:
    """Split an example at its first assistant turn: (messages before it, that turn).

    This is what evaluation asks the model to produce, and what the typed export calls
    the question/answer of a single-turn example.
    """
    for i, m in enumerate(ex["messages"]):
        if m["role"] == "assistant":
            return ex["messages"][:i], m
    raise ValueError(f"example {ex['id']} has no assistant turn")


def last_user_text(messages: list[dict]) -> str:
    return next(m["content"] for m in reversed(messages) if m["role"] == "user")
