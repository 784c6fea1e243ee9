"""Tool-use dialogues from OpenAI-style tool definitions.

Three shapes: a single call, two calls in parallel, and error recovery (the tool returns an
error and the assistant calls again with a corrected argument). Arguments are drawn from each
tool's JSON schema and checked against it with jsonschema when they are made.
"""
from __future__ import annotations

import json
import random
from typing import Iterator

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


def dialogues(tools: list[dict], p: GenerateParams, rng: random.Random, quota: int,
              coverage: dict | None = None) -> Iterator[Example]:
    """Up to `quota` distinct dialogues, the shapes in turn: a single call; two calls in parallel;
    a multi-turn exchange (a call, its result and answer, then a follow-up request and a second
    call); error recovery (the tool fails, the assistant corrects the argument and calls again)."""
    validators = {t["function"]["name"]: Draft202012Validator(t["function"].get("parameters", {})) for t in tools}
    system = {"role": "system", "content": system_prompt(p.product)}
    seen: set[str] = set()
    made = misses = 0
    while made < quota and misses < 100 + quota:
        shape = SHAPES[(made + misses) % len(SHAPES)]
        picked = rng.sample(tools, k=2 if shape in ("parallel", "multi_turn") and len(tools) > 1 else 1)
        calls = []
        for t in picked:
            args = draw_arguments(t["function"].get("parameters", {}), rng)
            validators[t["function"]["name"]].validate(args)  # a failure here is a bug, not a row to drop
            calls.append((t["function"], args))
        if shape == "multi_turn":
            user = ask(*calls[0], rng) + " || " + ask(*calls[-1], rng)
        else:
            user = " Also, ".join(ask(fn, args, rng) for fn, args in calls)
        if user in seen:
            misses += 1
            continue
        seen.add(user)
        messages = [system]
        if shape == "error_recovery":
            messages += [{"role": "user", "content": user}] + recovery_turns(calls[0], rng, validators)
        elif shape == "multi_turn":
            first_ask, follow_up = user.split(" || ")
            for i, ((fn, args), text) in enumerate(zip(calls, (first_ask, follow_up))):
                call_id = f"call_{i}"
                messages += [
                    {"role": "user", "content": text if i == 0 else f"Thanks. Now: {text[:1].lower() + text[1:]}"},
                    {"role": "assistant", "content": "", "tool_calls": [tool_call(call_id, fn["name"], args)]},
                    {"role": "tool", "tool_call_id": call_id, "content": json.dumps({"ok": True})},
                    {"role": "assistant", "content": f"Done: {humanize(fn['name'])} ({describe(args)})."},
                ]
        else:
            messages.append({"role": "user", "content": user})
            ids = [f"call_{i}" for i in range(len(calls))]
            messages.append({"role": "assistant", "content": "",
                             "tool_calls": [tool_call(i, fn["name"], a) for i, (fn, a) in zip(ids, calls)]})
            for i in ids:
                messages.append({"role": "tool", "tool_call_id": i, "content": json.dumps({"ok": True})})
            done = "; ".join(f"{humanize(fn['name'])} ({describe(a)})" for fn, a in calls)
            messages.append({"role": "assistant", "content": f"Done: {done}."})
        made += 1
        if coverage is not None:
            coverage[shape] = coverage.get(shape, 0) + 1
        yield make_example(CATEGORY, messages, source=f"tools:{'+'.join(fn['name'] for fn, _ in calls)}",
                           tools=tools, meta={"shape": shape})


def recovery_turns(call: tuple[dict, dict], rng: random.Random, validators: dict) -> list[dict]:
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
        {"role": "assistant", "content": "", "tool_calls": [tool_call("call_0", fn["name"], args)]},
        {"role": "tool", "tool_call_id": "call_0", "content": json.dumps(error)},
        {"role": "assistant", "content": f"{args.get(key)} was not found; trying {fixed.get(key)} instead.",
         "tool_calls": [tool_call("call_1", fn["name"], fixed)]},
        {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"ok": True})},
        {"role": "assistant", "content": f"Done: {humanize(fn['name'])} ({describe(fixed)})."},
    ]
