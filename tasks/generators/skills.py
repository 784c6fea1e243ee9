"""Skills: categories the teacher writes whole, as the Synthia seed's eleven category prompts did.

A skill (generate.skills in params.yaml) says what users ask and what the assistant does, with a
quota, optional sub-topics with their own quotas, and the tools it may call. For each dialogue
wanted the teacher is asked for a whole conversation as JSON (DIALOGUE_SCHEMA: messages, tool
calls with their arguments, tool results); `problem` checks it deterministically before it is
used: the roles in order, every call to a tool the skill may use, its arguments valid against the
tool's parameters schema, every call answered by a tool result and every result followed by the
assistant. What fails is counted by its reason; what passes becomes an example of category
tool_use (or conversation, for a skill without tools) with meta.skill and meta.topic, so the
expectations, the split and training treat it like any other, and the coverage table gives it its
own rows.
"""
from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from tasks.core.config import SkillParams
from tasks.core.io import InputError
from tasks.core.records import Example, call_problem, make_example, tool_call

ANY_TOPIC = "(any)"  # the part of a skill's quota that no sub-topic claims

_MESSAGE = {"type": "object", "additionalProperties": False, "required": ["role", "content", "tool_calls", "tool_call_id"],
            "properties": {
                "role": {"enum": ["user", "assistant", "tool"]},
                "content": {"type": ["string", "null"]},
                "tool_calls": {"type": ["array", "null"], "items": {
                    "type": "object", "additionalProperties": False, "required": ["id", "name", "arguments"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                   "arguments": {"type": "string"}}}},  # JSON text, as OpenAI's own calls carry them
                "tool_call_id": {"type": ["string", "null"]}}}
DIALOGUE_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["messages"],
                   "properties": {"messages": {"type": "array", "minItems": 2, "items": _MESSAGE}}}

EXAMPLE_REPLY = ('{"messages": [{"role": "user", "content": "...", "tool_calls": null, "tool_call_id": null}, '
                 '{"role": "assistant", "content": null, "tool_calls": [{"id": "call_0", "name": "<tool>", '
                 '"arguments": "{\\"<parameter>\\": \\"<value>\\"}"}], "tool_call_id": null}, '
                 '{"role": "tool", "content": "<the result, as JSON>", "tool_calls": null, "tool_call_id": "call_0"}, '
                 '{"role": "assistant", "content": "...", "tool_calls": null, "tool_call_id": null}]}')


def description(skill: SkillParams) -> str:
    """The skill's description, or its spec file's text (InputError naming the param if unreadable)."""
    if skill.description is not None:
        return skill.description.strip()
    try:
        text = Path(skill.spec).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"generate.skills ({skill.name}).spec: cannot read {skill.spec} ({e.strerror or e}); "
                         "fix the path (relative to the project root) or give a description instead") from None
    if not text:
        raise InputError(f"{skill.spec}: empty (generate.skills ({skill.name}).spec); say what the skill is")
    return text


def skill_tools(skill: SkillParams, tools: list[dict] | None) -> list[dict]:
    """The tool definitions the skill may call, in the order it names them."""
    by_name = {t["function"]["name"]: t for t in tools or []}
    missing = [n for n in skill.tools if n not in by_name]
    if missing:
        known = ", ".join(sorted(by_name)) or "none (sources.tools is null or empty)"
        raise InputError(f"generate.skills ({skill.name}).tools: no tool named {', '.join(missing)} in sources.tools; "
                         f"the tools there: {known}")
    return [by_name[n] for n in skill.tools]


def topics(skill: SkillParams) -> dict[str, int]:
    """Each sub-topic's quota, and ANY_TOPIC's: what is left of the skill's quota."""
    rest = skill.quota - sum(skill.topics.values())
    return {**skill.topics, **({ANY_TOPIC: rest} if rest else {})}


def request(skill: SkillParams, text: str, tools: list[dict], product: str, topic: str, k: int) -> list[dict]:
    """The messages asking for the k-th dialogue of `topic` (k makes each request, and its cached
    answer, its own)."""
    lines = [f"You write training data for the assistant of {product}. Write one whole conversation between "
             f"a user and the assistant, for this skill.", "", f"Skill: {skill.name}", text]
    if topic != ANY_TOPIC:
        lines += ["", f"Sub-topic: {topic}"]
    if tools:
        lines += ["", "Tools the assistant may call (OpenAI tool definitions):",
                  json.dumps([t["function"] for t in tools], ensure_ascii=False),
                  "", "Each call's arguments are a JSON object (as text) that matches the tool's parameters. "
                  "Each call is answered by a message of role tool with the same tool_call_id, whose content is "
                  "the tool's result as JSON. The assistant then tells the user what happened."]
    else:
        lines += ["", "The assistant calls no tools."]
    lines += ["", f"This is conversation {k + 1} of this kind: a different user and request from the others. "
              "Start with the user; end with the assistant's reply to the user.",
              f"Reply with JSON only, in this shape: {EXAMPLE_REPLY}"]
    return [{"role": "user", "content": "\n".join(lines)}]


def problem(item: dict, tools: list[dict], validators: dict[str, Draft202012Validator]) -> str | None:
    """Why the teacher's dialogue cannot be used, or None.

    >>> ok = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}
    >>> problem(ok, [], {})
    >>> problem({"messages": ok["messages"][::-1]}, [], {})
    'does not start with the user'
    """
    messages = item["messages"]
    allowed = {t["function"]["name"] for t in tools}
    if messages[0]["role"] != "user":
        return "does not start with the user"
    last = messages[-1]
    if last["role"] != "assistant" or last.get("tool_calls") or not (last.get("content") or "").strip():
        return "does not end with the assistant's reply"
    open_calls: list[str] = []
    seen_ids: set[str] = set()
    previous = None
    for m in messages:
        role, content, calls = m["role"], (m.get("content") or "").strip(), m.get("tool_calls") or []
        if role == "user":
            if open_calls:
                return "a tool call is not answered by a tool result"
            if previous in ("user", "tool"):
                return "two user turns in a row" if previous == "user" else "a tool result is not followed by the assistant"
            if not content:
                return "an empty user turn"
        elif role == "assistant":
            if open_calls:
                return "a tool call is not answered by a tool result"
            if not content and not calls:
                return "an empty assistant turn"
            if previous == "assistant":
                return "two assistant turns in a row"
            for c in calls:
                if (why := call_problem(c["name"], c["arguments"] or "{}", allowed, validators.get(c["name"]))):
                    return why
                if c["id"] in seen_ids or not c["id"]:
                    return "a call id is missing or used twice"
                seen_ids.add(c["id"])
                open_calls.append(c["id"])
        else:  # tool
            if m.get("tool_call_id") not in open_calls:
                return "a tool result answers no open call"
            open_calls.remove(m["tool_call_id"])
            if not content:
                return "an empty tool result"
        previous = role
    return None


def to_example(item: dict, skill: SkillParams, tools: list[dict], topic: str, system: str) -> Example:
    """The checked dialogue as an example (OpenAI chat messages, calls with arguments as JSON text)."""
    messages = [{"role": "system", "content": system}]
    for m in item["messages"]:
        content = (m.get("content") or "").strip()
        if m["role"] == "tool":
            messages.append({"role": "tool", "tool_call_id": m["tool_call_id"], "content": content})
        elif m.get("tool_calls"):
            messages.append({"role": "assistant", "content": content, "tool_calls": [
                tool_call(c["id"], c["name"], json.loads(c["arguments"] or "{}")) for c in m["tool_calls"]]})
        else:
            messages.append({"role": m["role"], "content": content})
    category = "tool_use" if tools else "conversation"
    return make_example(category, messages, source=f"skill:{skill.name}", tools=tools or None,
                        meta={"teacher": "skill", "skill": skill.name, "topic": topic})
