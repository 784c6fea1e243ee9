"""The tiny base model's chat format, in one place: its special tokens, its chat template, and how
a reply is written (for training and as an evaluation reference) and read back (from generated
text) with its tool calls.

    <|system|>...<|end|>
    <|user|>...<|end|>
    <|assistant|>text<|call|>{"name": "f", "arguments": {...}}<|end|>

Tools are rendered as compact signatures, name(arg, ...): description, so that a tiny model's
context is spent on the dialogue; tool-call arguments stay the JSON text they are in the data.
"""
from __future__ import annotations

import json
import re

END = "<|end|>"
CALL = "<|call|>"
PAD = "<|pad|>"
SPECIAL_TOKENS = [PAD, END, "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>", "<|tools|>", CALL]

CHAT_TEMPLATE = (
    "{%- if tools %}<|tools|>"
    "{%- for t in tools %}{% set f = t.function if t.function is defined else t %}"
    "{{ f.name }}({{ ((f.parameters or {}).properties or {}).keys() | join(', ') }}): {{ f.description or '' }}\n"
    "{% endfor %}" + END + "\n{% endif %}"
    "{%- for m in messages %}<|{{ m.role }}|>"
    "{%- if m.content %}{{ m.content }}{% endif %}"
    "{%- for c in m.tool_calls or [] %}" + CALL + "{\"name\": \"{{ c.function.name }}\", \"arguments\": "
    "{% if c.function.arguments is string %}{{ c.function.arguments }}{% else %}{{ c.function.arguments | tojson }}{% endif %}}"
    "{%- endfor %}" + END + "\n"
    "{% endfor %}"
    "{%- if add_generation_prompt %}<|assistant|>{% endif %}"
)

_CALLS = re.compile(re.escape(CALL) + r"(\{.*?\})(?=" + re.escape(CALL) + "|" + re.escape(END) + r"|$)", re.S)


def render_reply(message: dict) -> str:
    """An assistant message as the template writes it, without the role and end tokens.

    >>> render_reply({"content": "On it.", "tool_calls": [{"function": {"name": "f", "arguments": '{"a": 1}'}}]})
    'On it.<|call|>{"name": "f", "arguments": {"a": 1}}'
    """
    calls = "".join(f'{CALL}{{"name": "{c["function"]["name"]}", "arguments": {c["function"]["arguments"]}}}'
                    for c in message.get("tool_calls") or [])
    return (message.get("content") or "") + calls


def reply_text(generated: str) -> str:
    """The prose of a generated reply: everything before its first tool call, end token removed.

    >>> reply_text("Files stay 30 days.<|end|>")
    'Files stay 30 days.'
    """
    return generated.split(CALL, 1)[0].replace(END, "")


def parse_calls(generated: str) -> list[dict] | None:
    """The tool calls in a generated reply, as [{"name", "arguments"}]; None if any is malformed.

    >>> parse_calls(render_reply({"tool_calls": [{"function": {"name": "f", "arguments": '{"a": 1}'}}]}) + END)
    [{'name': 'f', 'arguments': {'a': 1}}]
    >>> parse_calls('<|call|>{"name": "f", "arguments": ') is None
    True
    """
    calls = []
    for m in _CALLS.finditer(generated):
        try:
            call = json.loads(m.group(1))
        except json.JSONDecodeError:
            return None
        if not isinstance(call, dict):
            return None
        calls.append({"name": call.get("name"), "arguments": call.get("arguments")})
    if generated.count(CALL) != len(calls):
        return None  # a call marker with no complete JSON object after it
    return calls
