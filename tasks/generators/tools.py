"""Tool-use dialogues from OpenAI-style tool definitions.

Four shapes (SHAPES): a single call; two calls in parallel; a multi-turn exchange (a call, its
result and answer, then a follow-up request and a second call); error recovery (the call fails;
the assistant retries on its own only where the fix is certain, and otherwise says what failed and
asks before it touches anything the user did not name: see `error_recovery`). The words (requests in several phrasings, the tools' results, the replies that report
them) are tasks/generators/tool_words.py's. Argument values are drawn from each tool's JSON Schema
(tasks/generators/schema_values.py: arrays, nested objects, enums, bounds, formats,
oneOf/anyOf/allOf, $ref) and every argument set is checked against the schema with jsonschema when
it is made. A set that does not validate (a `pattern` the drafter cannot meet, say) is drawn
again; a tool none of whose draws validate is left out and named in the report (`undraftable`),
never a crash.
"""
from __future__ import annotations

import itertools
import json
import random
import re

from jsonschema import Draft202012Validator

from tasks.core.config import GenerateParams
from tasks.core.records import Example, make_example, tool_call
from tasks.generators import schema_values, tool_words
from tasks.generators.drawing import SKIP, Exhausted, distinct

CATEGORY = "tool_use"
DRAWS = 20  # tries for an argument set that validates before a tool is called undraftable


def system_prompt(product: str) -> str:
    return f"You are the {product} assistant. Use the tools when they help, then say what you did."


def valid_arguments(fn: dict, rng: random.Random, validators: dict, today) -> dict | None:
    """An argument set for `fn` that its schema accepts, or None after DRAWS tries. An optional
    argument the schema rejects (a `pattern` the drafter cannot meet) is left out of the call."""
    params = fn.get("parameters") or {}
    required = set(params.get("required") or [])
    for _ in range(DRAWS):
        args = schema_values.obj(params, rng, params, 0, today)  # required always, optional by chance
        while True:
            bad = {e.path[0] if e.path else None for e in validators[fn["name"]].iter_errors(args)}
            if not bad:
                return args
            if None in bad or bad & required:
                break
            args = {k: v for k, v in args.items() if k not in bad}
    return None


SHAPES = ("single", "parallel", "multi_turn", "error_recovery")


class Undraftable(Exception):
    """No argument set drawn for this tool validates against its schema."""


def draw_calls(tools: list[dict], shape: str, rng: random.Random, validators: dict, today) -> list[tuple[dict, dict]]:
    """The (function, arguments) pairs one dialogue makes: two different tools for the parallel and
    multi-turn shapes when there are two, else one (twice, with new arguments, for multi-turn)."""
    k = 2 if shape in ("parallel", "multi_turn") and len(tools) > 1 else 1
    picked = rng.sample(tools, k=k)
    if shape == "multi_turn" and k == 1:
        picked = picked * 2
    calls = []
    for t in picked:
        args = valid_arguments(t["function"], rng, validators, today)
        if args is None:
            raise Undraftable(t["function"]["name"])
        calls.append((t["function"], args))
    return calls


def continued(request: str) -> str:
    """A request that follows another mid-sentence: first letter lower-cased, unless it is "I"
    ("Also, I'd like ...") or starts a name or a path."""
    return request if re.match(r"I\b|[/A-Z]{2}", request) else request[:1].lower() + request[1:]


def single_or_parallel(calls: list[tuple[dict, dict]], requests: list[str], rng: random.Random, today) -> list[dict]:
    """One user turn asking for every call; the calls in one assistant turn; their results; a
    reply that reports them."""
    ids = [f"call_{i}" for i in range(len(calls))]
    results = [tool_words.result(fn, a, rng, today) for fn, a in calls]
    text = requests[0]
    for r in requests[1:]:  # "... /a.pdf. Also, tag ..." or, after an unpunctuated request, "... /a.pdf and tag ..."
        text += f" Also, {continued(r)}" if text[-1:] in ".?!" else f" and {continued(r).removeprefix('pls ')}"
    return ([{"role": "user", "content": text},
             {"role": "assistant", "content": "",
              "tool_calls": [tool_call(i, fn["name"], a) for i, (fn, a) in zip(ids, calls)]}]
            + [{"role": "tool", "tool_call_id": i, "content": json.dumps(r)} for i, r in zip(ids, results)]
            + [{"role": "assistant", "content": " ".join(tool_words.reply(fn, a, r) for (fn, a), r in zip(calls, results))}])


def multi_turn(calls: list[tuple[dict, dict]], requests: list[str], rng: random.Random, today) -> list[dict]:
    """Two user turns, each answered by a call, its result and a reply."""
    messages = []
    for i, ((fn, args), text) in enumerate(zip(calls, requests)):
        call_id = f"call_{i}"
        outcome = tool_words.result(fn, args, rng, today)
        messages += [
            {"role": "user", "content": text if i == 0 else f"Thanks. Now: {continued(text)}"},
            {"role": "assistant", "content": "", "tool_calls": [tool_call(call_id, fn["name"], args)]},
            {"role": "tool", "tool_call_id": call_id, "content": json.dumps(outcome)},
            {"role": "assistant", "content": tool_words.reply(fn, args, outcome)},
        ]
    return messages


def one_sentence(call: tuple[dict, dict], rng: random.Random, validators: dict,
                 today) -> tuple[list[tuple[dict, dict]], list[str]] | None:
    """Two calls of one tool that differ in one value, asked for in one sentence with the two
    values joined ("create folders /A and /B", "move /a.pdf and /b.pdf into /Documents"); None
    when no value of the request can be doubled."""
    fn, args = call
    params = fn.get("parameters") or {}
    request = tool_words.ask(fn, args, rng)
    keys = [k for k, v in args.items() if isinstance(v, str) and len(v) > 2 and request.count(v) == 1
            and sum(str(x) in v for x in args.values()) == 1 and not tool_words.is_destination(fn, k)]  # one file, two places: never
    if not keys:
        return None
    key = rng.choice(keys)
    for _ in range(10):
        other = schema_values.draw(key, (params.get("properties") or {}).get(key, {}), rng, params, today=today)
        second = {**args, key: other}
        if isinstance(other, str) and other != args[key] and other not in request and validators[fn["name"]].is_valid(second):
            return [(fn, args), (fn, second)], [request.replace(args[key], f"{args[key]} and {other}")]
    return None


RECOVERIES = ("ask", "certain", "transient")


def error_recovery(call: tuple[dict, dict], rng: random.Random, validators: dict,
                   today) -> tuple[str, list[dict], str] | None:
    """(request, messages, how it recovered) for a call that fails. The assistant acts on nothing the
    user did not name: on a 404 or 409 that suggests another value it says so and asks (and, half
    the time, the user says yes and it calls with that value: "ask"); it calls again on its own only
    where the fix is certain: the value asked for differs from the one that exists only by case or
    a trailing slash ("certain"), or the service was busy, a 503, and the same call is retried
    ("transient"). None when the schema allows no other value to suggest."""
    fn, args = call
    params = fn.get("parameters") or {}
    props = params.get("properties") or {}
    key = tool_words.error_key(fn, args)
    asked, fixed = dict(args), dict(args)
    modes = ["transient"] if key is None else ["ask", "ask", "transient"]
    miss = tool_words.near_miss(args[key], rng) if key is not None else None
    if miss is not None and validators[fn["name"]].is_valid({**args, key: miss}):
        modes.append("certain")
    mode = rng.choice(modes)
    if mode == "certain":
        asked[key] = miss
    elif mode == "ask":
        for _ in range(20):
            fixed[key] = schema_values.draw(key, props.get(key, {}), rng, params, today=today)
            if fixed[key] != args[key] and validators[fn["name"]].is_valid(fixed):
                break
        else:
            return None  # no other valid value to suggest
    request = tool_words.ask(fn, asked, rng)
    failed = (tool_words.error(fn, None, None) if mode == "transient"
              else tool_words.error(fn, key, asked[key], fixed[key]))
    messages = [
        {"role": "user", "content": request},
        {"role": "assistant", "content": "", "tool_calls": [tool_call("call_0", fn["name"], asked)]},
        {"role": "tool", "tool_call_id": "call_0", "content": json.dumps(failed)},
    ]
    if mode == "ask":
        messages.append({"role": "assistant", "content": tool_words.offer(fn, key, asked[key], fixed[key])})
        if rng.random() < 0.5:
            return request, messages, mode
        messages.append({"role": "user", "content": rng.choice(tool_words.CONFIRMS).format(
            new=tool_words.value_words(fixed[key]))})
        messages.append({"role": "assistant", "content": "", "tool_calls": [tool_call("call_1", fn["name"], fixed)]})
    else:
        messages.append({"role": "assistant", "content": tool_words.fix(fn, key if mode == "certain" else None,
                                                                          asked.get(key), fixed.get(key)),
                         "tool_calls": [tool_call("call_1", fn["name"], fixed)]})
    outcome = tool_words.result(fn, fixed, rng, today)
    messages += [{"role": "tool", "tool_call_id": "call_1", "content": json.dumps(outcome)},
                 {"role": "assistant", "content": tool_words.reply(fn, fixed, outcome)}]
    return request, messages, mode


def dialogues(tools: list[dict], p: GenerateParams, rng: random.Random, quota: int) -> tuple[list[Example], dict]:
    """Up to `quota` dialogues with distinct requests, the shapes in turn. Returns the examples and
    {"shapes": {shape: count}, "undraftable": {tool: why}}. Gives up after generate.max_repeats
    draws in a row that repeat (or cannot be made)."""
    validators = {t["function"]["name"]: Draft202012Validator(t["function"].get("parameters", {})) for t in tools}
    pool = list(tools)
    undraftable: dict[str, str] = {}
    system = {"role": "system", "content": system_prompt(p.product)}
    shapes: dict[str, int] = {}
    turns = itertools.count()

    def draw():
        """One dialogue of the next shape: (its requests, a function finishing it), SKIP when its
        tool got no valid arguments (the tool is dropped), or None when it cannot be made."""
        nonlocal pool
        if not pool:
            raise Exhausted
        shape = SHAPES[next(turns) % len(SHAPES)]
        try:
            calls = draw_calls(pool, shape, rng, validators, p.reference_date)
        except Undraftable as e:
            name = str(e)
            pool = [t for t in pool if t["function"]["name"] != name]
            undraftable[name] = f"no argument set drawn in {DRAWS} tries validates against its parameters schema"
            return SKIP
        meta = {"shape": shape}
        body = None
        twice = one_sentence(calls[0], rng, validators, p.reference_date) if shape == "parallel" and rng.random() < 0.5 else None
        if twice is not None:  # "tag /a.png and /b.png as pets": one tool, two values, one sentence
            calls, requests = twice
            body = single_or_parallel(calls, requests, rng, p.reference_date)
        elif shape == "error_recovery":
            made = error_recovery(calls[0], rng, validators, p.reference_date)
            requests, body = ([made[0]], made[1]) if made else ([], None)
            meta["recovery"] = made[2] if made else None
        else:
            requests = [tool_words.ask(fn, args, rng) for fn, args in calls]

        made_with_request = twice is not None or shape == "error_recovery"  # those two made their body already

        def example() -> Example | None:
            dialogue = body if made_with_request else \
                (multi_turn if shape == "multi_turn" else single_or_parallel)(calls, requests, rng, p.reference_date)
            if dialogue is None:
                return None
            shapes[shape] = shapes.get(shape, 0) + 1
            return make_example(CATEGORY, [system] + dialogue, tools=tools, meta=meta,
                                source=f"tools:{'+'.join(fn['name'] for fn, _ in calls)}")
        return tuple(requests), example

    examples = list(distinct(draw, quota, p.max_repeats))
    return examples, {"shapes": shapes, "undraftable": undraftable}
