"""Chat formats: one object per kind of base model that turns an example (system, user, assistant,
tool specs, tool calls, tool results) into what that model's chat template renders, and reads a
generated reply back into text and tool calls. Train, evaluate and the teacher all go through one.

- TinyFormat: the tiny base model's own tokens; its template renders tools and tool calls itself:

      <|tools|>name(arg, ...): description<|end|>
      <|system|>...<|end|><|user|>...<|end|>
      <|assistant|>text<|call|>{"name": "f", "arguments": {...}}<|end|>

- TaggedToolsFormat: for a template with no tool support (SmolLM2's ChatML drops `tools` and
  `tool_calls`), a documented convention in plain text: the tool specs go at the end of the system
  message, each call is a line `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` in the
  assistant's message, and tool results stay messages of role "tool".

`for_model(base_model)` picks one: "tiny" -> TinyFormat; anything else -> TaggedToolsFormat.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tasks.core.json_schema import resolve

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


@dataclass(frozen=True)
class Reply:
    """A generated reply, read back: its prose and its tool calls (None: a call that did not parse)."""
    text: str
    calls: list[dict] | None


def _calls_json(calls: list[dict]) -> list[str]:
    return [f'{{"name": "{c["function"]["name"]}", "arguments": {c["function"]["arguments"]}}}' for c in calls]


def _parse_objects(chunks: list[str]) -> list[dict] | None:
    """Each chunk as a {"name", "arguments"} call; None if any is not a JSON object."""
    calls = []
    for chunk in chunks:
        try:
            call = json.loads(chunk)
        except json.JSONDecodeError:
            return None
        if not isinstance(call, dict):
            return None
        calls.append({"name": call.get("name"), "arguments": call.get("arguments")})
    return calls


class TinyFormat:
    """The tiny model's tokens: its template renders tools and calls, so messages pass unchanged."""

    name = "tiny"
    stop = END
    _CALLS = re.compile(re.escape(CALL) + r"(\{.*?\})(?=" + re.escape(CALL) + "|" + re.escape(END) + r"|$)", re.S)

    def prepare(self, messages: list[dict], tools: list[dict] | None) -> tuple[list[dict], list[dict] | None]:
        """(messages, tools) as the model's tokenizer.apply_chat_template takes them."""
        return messages, tools

    def render_reply(self, message: dict) -> str:
        """An assistant message as the model writes it, without role and end tokens.

        >>> TinyFormat().render_reply({"content": "On it.", "tool_calls": [
        ...     {"function": {"name": "f", "arguments": '{"a": 1}'}}]})
        'On it.<|call|>{"name": "f", "arguments": {"a": 1}}'
        """
        return (message.get("content") or "") + "".join(CALL + c for c in _calls_json(message.get("tool_calls") or []))

    def parse(self, generated: str) -> Reply:
        """Prose before the first call marker, and the calls; a marker without a whole JSON object
        after it makes `calls` None.

        >>> TinyFormat().parse('Moving it.<|call|>{"name": "f", "arguments": {"a": 1}}<|end|>')
        Reply(text='Moving it.', calls=[{'name': 'f', 'arguments': {'a': 1}}])
        >>> TinyFormat().parse('<|call|>{"name": "f", "arguments": ').calls is None
        True
        """
        found = [m.group(1) for m in self._CALLS.finditer(generated)]
        calls = _parse_objects(found) if generated.count(CALL) == len(found) else None
        return Reply(generated.split(CALL, 1)[0].replace(END, "").strip(), calls)


class TaggedToolsFormat:
    """Any other template: tools in the system message, calls as <tool_call>...</tool_call> lines."""

    name = "tagged-tools"
    stop = None  # the tokenizer's own end of turn
    OPEN, CLOSE = "<tool_call>", "</tool_call>"
    TOOLS_INTRO = ("You can call these tools. To call one, write a line "
                   '<tool_call>{"name": <tool name>, "arguments": <JSON object>}</tool_call>; '
                   "results come back as tool messages.\nTools:\n")
    _CALLS = re.compile(r"<tool_call>(.*?)</tool_call>", re.S)

    def tools_text(self, tools: list[dict]) -> str:
        """One compact line per tool: name(param: type, optional?: type, ...): description. A
        small model reads these in every tool-use row, where full JSON schemas were most of the
        tokens.

        >>> print(TaggedToolsFormat().tools_text([{"function": {"name": "find", "description": "Find files.",
        ...     "parameters": {"properties": {"q": {"type": "string"}, "kind": {"enum": ["doc", "video"]},
        ...                                   "n": {"type": "integer", "minimum": 1, "maximum": 9}},
        ...                    "required": ["q"]}}}]).splitlines()[-1])
        find(q: string, kind?: doc|video, n?: integer 1..9): Find files.
        """
        lines = []
        for t in tools:
            fn = t["function"]
            params = fn.get("parameters") or {}
            required = set(params.get("required") or [])
            args = ", ".join(f"{name}{'' if name in required else '?'}: {schema_words(spec, params)}"
                             for name, spec in (params.get("properties") or {}).items())
            lines.append(f"{fn['name']}({args}): {fn.get('description') or ''}".rstrip(": "))
        return self.TOOLS_INTRO + "\n".join(lines)

    def prepare(self, messages: list[dict], tools: list[dict] | None) -> tuple[list[dict], None]:
        """Plain-text messages: tool specs appended to the system message (one is added if there
        is none), each assistant's calls appended to its content as tagged lines.

        >>> msgs, _ = TaggedToolsFormat().prepare([{"role": "user", "content": "Move it"},
        ...     {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "mv", "arguments": "{}"}}]},
        ...     {"role": "tool", "tool_call_id": "c0", "content": "ok"}], [{"function": {"name": "mv"}}])
        >>> [m["role"] for m in msgs], msgs[2]["content"]
        (['system', 'user', 'assistant', 'tool'], '<tool_call>{"name": "mv", "arguments": {}}</tool_call>')
        """
        out = [{"role": m["role"], "content": self.render_reply(m) if m["role"] == "assistant" else m.get("content") or ""}
               for m in messages]
        if tools:
            if out and out[0]["role"] == "system":
                out[0] = {"role": "system", "content": out[0]["content"] + "\n\n" + self.tools_text(tools)}
            else:
                out.insert(0, {"role": "system", "content": self.tools_text(tools)})
        return out, None

    def render_reply(self, message: dict) -> str:
        lines = [message["content"]] if message.get("content") else []
        lines += [self.OPEN + c + self.CLOSE for c in _calls_json(message.get("tool_calls") or [])]
        return "\n".join(lines)

    def parse(self, generated: str) -> Reply:
        """Prose before the first tag, and the tagged calls; an opened tag that never closes, or
        one holding no JSON object, makes `calls` None.

        >>> TaggedToolsFormat().parse('Sure.\\n<tool_call>{"name": "mv", "arguments": {"to": "/a"}}</tool_call>')
        Reply(text='Sure.', calls=[{'name': 'mv', 'arguments': {'to': '/a'}}])
        >>> TaggedToolsFormat().parse('<tool_call>{"name": "mv"').calls is None
        True
        """
        found = [m.group(1).strip() for m in self._CALLS.finditer(generated)]
        calls = _parse_objects(found) if generated.count(self.OPEN) == len(found) else None
        return Reply(generated.split(self.OPEN, 1)[0].strip(), calls)


# TaggedToolsFormat as a Jinja prelude to a chat template that has no tool support: it rewrites
# `messages` as TaggedToolsFormat.prepare does (schema_words included, local $refs followed) and
# clears `tools`; the model's own template then renders the result. Trainers that apply chat
# templates themselves (TRL's SFTTrainer, with `chat_template_path`) read the exported dataset's
# `messages` and `tools` through it and see the text MLX training sees (tests/test_use.py).
TAGGED_TOOLS_PRELUDE = r"""
{%- macro schema_words(spec, root, depth, hops=0) -%}
{%- if spec is true or spec is none -%}{%- set spec = {} -%}{%- elif spec is false -%}{%- set spec = {'not': {}} -%}{%- endif -%}
{%- if spec is mapping and spec['$ref'] is defined and spec['$ref'] is string and spec['$ref'].startswith('#/') and hops < 20 -%}
{%- set ns = namespace(t=root, rest={}) -%}
{%- for part in spec['$ref'][2:].split('/') -%}
{%- set key = part.replace('~1', '/').replace('~0', '~') -%}
{%- set ns.t = ns.t[key] if ns.t is mapping and key in ns.t else {} -%}
{%- endfor -%}
{%- for k in spec if k != '$ref' -%}{%- set ns.rest = dict(ns.rest, **{k: spec[k]}) -%}{%- endfor -%}
{{- schema_words(dict(ns.rest, **ns.t), root, depth, hops + 1) -}}
{%- elif 'const' in spec -%}{{- spec['const'] | tojson -}}
{%- elif 'enum' in spec -%}{{- spec['enum'] | join('|') -}}
{%- elif spec.get('oneOf') and depth < 3 -%}
{%- for b in spec['oneOf'] -%}{{- ' | ' if not loop.first -}}{{- schema_words(b, root, depth + 1) -}}{%- endfor -%}
{%- elif spec.get('anyOf') and depth < 3 -%}
{%- for b in spec['anyOf'] -%}{{- ' | ' if not loop.first -}}{{- schema_words(b, root, depth + 1) -}}{%- endfor -%}
{%- else -%}
{%- set kind = spec['type'] if 'type' in spec else ('object' if 'properties' in spec else 'any') -%}
{%- if kind is not string -%}{%- set kind = kind | join('|') -%}{%- endif -%}
{%- if kind == 'array' -%}array of {{ schema_words(spec.get('items') or {}, root, depth + 1) if depth < 3 else 'any' -}}
{%- elif kind == 'object' and spec.get('properties') and depth < 3 -%}
{%- set required = spec.get('required') or [] -%}
{{- '{' -}}{%- for n, s in spec['properties'].items() -%}{{- ', ' if not loop.first -}}{{- n -}}{{- '' if n in required else '?' -}}: {{ schema_words(s, root, depth + 1) -}}{%- endfor -%}{{- '}' -}}
{%- else -%}
{%- if spec.get('format') -%}{%- set kind = kind ~ ' (' ~ spec['format'] ~ ')' -%}{%- endif -%}
{%- set lo = spec.get('minimum') -%}{%- set hi = spec.get('maximum') -%}
{%- if lo is not none and hi is not none -%}{{- kind }} {{ lo }}..{{ hi -}}
{%- elif lo is not none -%}{{- kind }} >= {{ lo -}}
{%- elif hi is not none -%}{{- kind }} <= {{ hi -}}
{%- else -%}{{- kind -}}{%- endif -%}
{%- endif -%}
{%- endif -%}
{%- endmacro -%}
{%- set tt = namespace(out=[], lines=[]) -%}
{%- for m in messages -%}
{%- if m['role'] == 'assistant' -%}
{%- set parts = namespace(items=[m['content']] if m['content'] else []) -%}
{%- for c in m.get('tool_calls') or [] -%}
{%- set args = c['function']['arguments'] -%}
{%- set parts.items = parts.items + ['<tool_call>{"name": "' ~ c['function']['name'] ~ '", "arguments": ' ~ (args if args is string else args | tojson) ~ '}</tool_call>'] -%}
{%- endfor -%}
{%- set tt.out = tt.out + [{'role': 'assistant', 'content': parts.items | join('
')}] -%}
{%- else -%}
{%- set tt.out = tt.out + [{'role': m['role'], 'content': m['content'] or ''}] -%}
{%- endif -%}
{%- endfor -%}
{%- if tools -%}
{%- for t in tools -%}
{%- set fn = t['function'] -%}
{%- set params = fn.get('parameters') or {} -%}
{%- set required = params.get('required') or [] -%}
{%- set args = namespace(items=[]) -%}
{%- for name, spec in (params.get('properties') or {}).items() -%}
{%- set args.items = args.items + [name ~ ('' if name in required else '?') ~ ': ' ~ schema_words(spec, params, 0)] -%}
{%- endfor -%}
{%- set tt.lines = tt.lines + [(fn['name'] ~ '(' ~ (args.items | join(', ')) ~ '): ' ~ (fn.get('description') or '')).rstrip(': ')] -%}
{%- endfor -%}
{%- set text = TOOLS_INTRO ~ (tt.lines | join('
')) -%}
{%- if tt.out and tt.out[0]['role'] == 'system' -%}
{%- set tt.out = [{'role': 'system', 'content': tt.out[0]['content'] ~ '

' ~ text}] + tt.out[1:] -%}
{%- else -%}
{%- set tt.out = [{'role': 'system', 'content': text}] + tt.out -%}
{%- endif -%}
{%- endif -%}
{%- set messages = tt.out -%}
{%- set tools = none -%}
"""


def tagged_tools_template(base_template: str) -> str:
    """A chat template that renders `messages` and `tools` as TaggedToolsFormat does, for a base
    model whose own template (`base_template`) has no tool support."""
    intro = TaggedToolsFormat.TOOLS_INTRO.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return TAGGED_TOOLS_PRELUDE.replace("TOOLS_INTRO", f"'{intro}'").strip() + base_template


def schema_words(spec, root: dict | None = None, depth: int = 0) -> str:
    """A JSON-schema property in a few words: its enum values, or its type with bounds and format;
    an object's properties in braces, a oneOf's branches joined with |, local $refs followed
    (`root` holds the $defs), three levels deep at most.

    >>> schema_words({"type": "array", "items": {"type": "string"}}), schema_words({"type": "number", "minimum": 0})
    ('array of string', 'number >= 0')
    >>> schema_words({"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "format": "date"},
    ...               "b": {"oneOf": [{"type": "integer"}, {"$ref": "#/$defs/x"}]}}, "$defs": {"x": {"enum": ["u", "v"]}}})
    '{a: string (date), b?: integer | u|v}'
    """
    root = root if root is not None else (spec if isinstance(spec, dict) else {})
    spec = resolve(spec, root)
    if "const" in spec:
        return json.dumps(spec["const"])
    if "enum" in spec:
        return "|".join(str(v) for v in spec["enum"])
    for key in ("oneOf", "anyOf"):
        if spec.get(key) and depth < 3:
            return " | ".join(schema_words(b, root, depth + 1) for b in spec[key])
    kind = spec.get("type", "object" if "properties" in spec else "any")
    if isinstance(kind, list):
        kind = "|".join(kind)
    if kind == "array":
        return f"array of {schema_words(spec.get('items') or {}, root, depth + 1) if depth < 3 else 'any'}"
    if kind == "object" and spec.get("properties") and depth < 3:
        required = set(spec.get("required") or [])
        return "{" + ", ".join(f"{n}{'' if n in required else '?'}: {schema_words(s, root, depth + 1)}"
                               for n, s in spec["properties"].items()) + "}"
    if spec.get("format"):
        kind = f"{kind} ({spec['format']})"
    lo, hi = spec.get("minimum"), spec.get("maximum")
    if lo is not None and hi is not None:
        return f"{kind} {lo}..{hi}"
    if lo is not None:
        return f"{kind} >= {lo}"
    if hi is not None:
        return f"{kind} <= {hi}"
    return kind


ChatFormat = TinyFormat | TaggedToolsFormat


def training_template(fmt: ChatFormat, tokenizer) -> str:
    """The chat template that renders a row's `messages` and `tools` into the text this format
    trains on: the tiny model's own, or the base's wrapped in TAGGED_TOOLS_PRELUDE. Train writes it
    beside the adapter (chat_template.jinja) for trainers, servers and llama.cpp front ends."""
    base = tokenizer.chat_template
    return base if isinstance(fmt, TinyFormat) else tagged_tools_template(base)


def for_model(base_model: str) -> ChatFormat:
    """The chat format of a train.base_model value."""
    return TinyFormat() if base_model == "tiny" else TaggedToolsFormat()
