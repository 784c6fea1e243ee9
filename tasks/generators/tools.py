"""Tool-use dialogues from OpenAI-style tool definitions.

Four shapes (SHAPES): a single call; two calls in parallel; a multi-turn exchange (a call, its
result and answer, then a follow-up request and a second call); error recovery (the tool returns
an error and the assistant calls again with a corrected argument). Argument values are drawn by
each property's JSON-schema type (enum, integer and number with their bounds, boolean, and for
strings a name-based guess: folder, path or a plain word); other keywords (formats, patterns,
arrays, nested objects) are not read, which is why every argument set is checked against its
tool's schema with jsonschema when it is made: a set that does not validate raises.
"""
from __future__ import annotations

import json
import random

from jsonschema import Draft202012Validator

from tasks.config import GenerateParams
from tasks.examples import Example, make_example, tool_call
from tasks.generators.words import VALUE_WORDS, humanize, sentence_case

CATEGORY = "tool_use"
FOLDERS = ["/Documents", "/Downloads", "/Pictures", "/Music", "/Projects", "/Archive"]
EXTENSIONS = [".pdf", ".docx", ".jpg", ".mp4", ".zip", ".txt"]
ASK = ["Please {action}: {args}.", "Can you {action}? {args}.", "I need you to {action} ({args}).", "{Action}, {args}."]


def system_prompt(product: str) -> str:
    return f"You are the {product} assistant. Use the tools when they help, then say what you did."


def draw_value(name: str, schema: dict, rng: random.Random):
    """A value for one property, by its JSON-schema type (and, for strings, by its name)."""
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type", "string")
    if kind == "integer":
        lo, hi = schema.get("minimum", 1), schema.get("maximum", 100)
        return rng.randint(lo, min(hi, lo + 1000))
    if kind == "number":
        return round(rng.uniform(schema.get("minimum", 0), schema.get("maximum", 100)), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    lname = name.lower()
    about = schema.get("description", "").lower()
    if lname in ("destination", "folder") or lname.endswith("dir") or "folder" in about:
        return f"{rng.choice(FOLDERS)}/{rng.choice(VALUE_WORDS).title()}"
    if "path" in lname or "file" in lname:
        return f"{rng.choice(FOLDERS)}/{rng.choice(VALUE_WORDS)}{rng.choice(EXTENSIONS)}"
    return rng.choice(VALUE_WORDS)


def draw_arguments(params: dict, rng: random.Random) -> dict:
    """Required properties always, each optional one with probability 1/2."""
    props = params.get("properties", {})
    required = set(params.get("required", []))
    return {
        name: draw_value(name, schema, rng)
        for name, schema in props.items()
        if name in required or rng.random() < 0.5
    }


def describe(args: dict) -> str:
    return ", ".join(f"{humanize(k)} {v}" for k, v in args.items())


def ask(fn: dict, args: dict, rng: random.Random) -> str:
    action = humanize(fn["name"])
    return rng.choice(ASK).format(action=action, Action=sentence_case(action), args=describe(args))


SHAPES = ("single", "parallel", "multi_turn", "error_recovery")
OK = json.dumps({"ok": True})


def draw_calls(tools: list[dict], shape: str, rng: random.Random, validators: dict) -> list[tuple[dict, dict]]:
    """The (function, arguments) pairs one dialogue makes: two different tools for the parallel and
    multi-turn shapes when there are two, else one (twice, with new arguments, for multi-turn)."""
    k = 2 if shape in ("parallel", "multi_turn") and len(tools) > 1 else 1
    picked = rng.sample(tools, k=k)
    if shape == "multi_turn" and k == 1:
        picked = picked * 2
    calls = []
    for t in picked:
        args = draw_arguments(t["function"].get("parameters", {}), rng)
        validators[t["function"]["name"]].validate(args)  # a failure here is a bug, not a row to drop
        calls.append((t["function"], args))
    return calls


def done_text(calls: list[tuple[dict, dict]]) -> str:
    return "Done: " + "; ".join(f"{humanize(fn['name'])} ({describe(a)})" for fn, a in calls) + "."


def single_or_parallel(calls: list[tuple[dict, dict]], requests: list[str]) -> list[dict]:
    """One user turn asking for every call; the calls in one assistant turn; their results; done."""
    ids = [f"call_{i}" for i in range(len(calls))]
    return ([{"role": "user", "content": " Also, ".join(requests)},
             {"role": "assistant", "content": "",
              "tool_calls": [tool_call(i, fn["name"], a) for i, (fn, a) in zip(ids, calls)]}]
            + [{"role": "tool", "tool_call_id": i, "content": OK} for i in ids]
            + [{"role": "assistant", "content": done_text(calls)}])


def multi_turn(calls: list[tuple[dict, dict]], requests: list[str]) -> list[dict]:
    """Two user turns, each answered by a call, its result and a reply."""
    messages = []
    for i, ((fn, args), text) in enumerate(zip(calls, requests)):
        call_id = f"call_{i}"
        messages += [
            {"role": "user", "content": text if i == 0 else f"Thanks. Now: {text[:1].lower() + text[1:]}"},
            {"role": "assistant", "content": "", "tool_calls": [tool_call(call_id, fn["name"], args)]},
            {"role": "tool", "tool_call_id": call_id, "content": OK},
            {"role": "assistant", "content": done_text([(fn, args)])},
        ]
    return messages


def error_recovery(call: tuple[dict, dict], request: str, rng: random.Random, validators: dict) -> list[dict]:
    """The first call fails with an error naming a bad value; the assistant retries with a new one."""
    fn, args = call
    params = fn.get("parameters", {})
    strings = [k for k, v in args.items() if isinstance(v, str) and "enum" not in params["properties"][k]]
    key = strings[0] if strings else next(iter(args), None)
    fixed = dict(args)
    if key is not None:
        for _ in range(20):
            fixed[key] = draw_value(key, params["properties"][key], rng)
            if fixed[key] != args[key]:
                break
    validators[fn["name"]].validate(fixed)
    error = {"error": f"{humanize(key or 'input')} {args.get(key)!s} was not found"}
    return [
        {"role": "user", "content": request},
        {"role": "assistant", "content": "", "tool_calls": [tool_call("call_0", fn["name"], args)]},
        {"role": "tool", "tool_call_id": "call_0", "content": json.dumps(error)},
        {"role": "assistant", "content": f"{args.get(key)} was not found; trying {fixed.get(key)} instead.",
         "tool_calls": [tool_call("call_1", fn["name"], fixed)]},
        {"role": "tool", "tool_call_id": "call_1", "content": OK},
        {"role": "assistant", "content": done_text([(fn, fixed)])},
    ]


def dialogues(tools: list[dict], p: GenerateParams, rng: random.Random, quota: int) -> tuple[list[Example], dict]:
    """Up to `quota` dialogues with distinct requests, the shapes in turn. Returns the examples and
    {"shapes": {shape: count}}. Gives up after generate.max_repeats draws in a row that repeat."""
    validators = {t["function"]["name"]: Draft202012Validator(t["function"].get("parameters", {})) for t in tools}
    system = {"role": "system", "content": system_prompt(p.product)}
    seen: set[tuple[str, ...]] = set()
    examples: list[Example] = []
    shapes: dict[str, int] = {}
    turn = repeats = 0
    while len(examples) < quota and repeats < p.max_repeats:
        shape = SHAPES[turn % len(SHAPES)]
        turn += 1
        calls = draw_calls(tools, shape, rng, validators)
        requests = [ask(fn, args, rng) for fn, args in calls]
        if tuple(requests) in seen:
            repeats += 1
            continue
        seen.add(tuple(requests))
        repeats = 0
        if shape == "error_recovery":
            body = error_recovery(calls[0], requests[0], rng, validators)
        elif shape == "multi_turn":
            body = multi_turn(calls, requests)
        else:
            body = single_or_parallel(calls, requests)
        shapes[shape] = shapes.get(shape, 0) + 1
        examples.append(make_example(CATEGORY, [system] + body, tools=tools, meta={"shape": shape},
                                     source=f"tools:{'+'.join(fn['name'] for fn, _ in calls)}"))
    return examples, {"shapes": shapes}
