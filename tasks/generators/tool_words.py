"""The words of a tool-use dialogue, for any tool: the request a person types, the result the tool
returns, and the assistant's reply that reports that result.

A tool's action is read from its description when that starts with a verb ("Move a file to
another folder", "Moves a file ..."), else from its name ("create_share_link" -> create a share
link). Results come from the tool definition when it has them, under either of two keys we read
beside OpenAI's own (`x-result-example`: one example result; `x-result-schema`: a JSON Schema a
result is drawn from), else they are made to fit the call by what the action does: a search or a
listing returns items, a create returns the new id, a read returns a value, anything else a status.
"""
from __future__ import annotations

import random
import re

from tasks.generators import schema_values
from tasks.generators.words import VALUE_WORDS, base_form, humanize

IRREGULAR = {"get": "got", "find": "found", "send": "sent", "make": "made", "set": "set", "run": "ran",
             "write": "wrote", "read": "read", "take": "took", "give": "gave", "put": "put", "build": "built",
             "begin": "began", "buy": "bought", "pay": "paid", "keep": "kept", "tell": "told", "bring": "brought",
             "choose": "chose", "spend": "spent", "split": "split", "shut": "shut", "cut": "cut", "sell": "sold",
             "hold": "held", "lead": "led", "meet": "met", "feed": "fed", "forget": "forgot", "show": "showed"}
SEARCHES = {"search", "list", "find", "query", "lookup", "look", "browse", "filter", "scan", "discover", "fetch"}
CREATES = {"create", "add", "make", "new", "register", "insert", "upload", "post", "open", "start", "schedule", "book"}
READS = {"get", "read", "retrieve", "calculate", "compute", "count", "estimate", "check", "convert", "measure",
         "predict", "analyze", "analyse", "evaluate", "determine"}
COMMON_VERBS = SEARCHES | CREATES | READS | {
    "move", "rename", "delete", "remove", "update", "set", "send", "tag", "untag", "share", "copy", "play",
    "stop", "cancel", "close", "run", "execute", "change", "edit", "archive", "restore", "trash", "assign",
    "apply", "mark", "enable", "disable", "reset", "sync", "translate", "generate", "validate", "submit",
    "turn", "order", "pay", "buy", "reserve", "download", "export", "import", "invite", "join", "leave",
    "block", "unblock", "pin", "unpin", "merge", "approve", "reject", "publish", "install", "write", "print",
    "connect", "disconnect", "login", "logout", "follow", "unfollow", "like", "rate", "review", "notify",
    "remind", "restart", "reboot", "resize", "compress", "extract", "encode", "decode", "sort", "summarize",
    "send", "email", "call", "transfer", "withdraw", "deposit", "ask", "answer", "plot", "draw", "clean"}


def known_verb(word: str) -> str:
    """'Moves' -> 'move', 'Applies' -> 'apply', 'Fetches' -> 'fetch' (a known verb's base form)."""
    base = base_form(word).lower()
    return base if base in COMMON_VERBS | IRREGULAR.keys() else word.lower()


def past(verb: str) -> str:
    """'move' -> 'moved', 'tag' -> 'tagged', 'apply' -> 'applied', 'get' -> 'got'.

    >>> [past(v) for v in ("move", "tag", "apply", "get", "search", "play", "stop", "create")]
    ['moved', 'tagged', 'applied', 'got', 'searched', 'played', 'stopped', 'created']
    """
    if verb in IRREGULAR:
        return IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", verb) and len(verb) <= 4:
        return verb + verb[-1] + "ed"
    return verb + "ed"


def action(fn: dict) -> tuple[str, str]:
    """(verb, the rest) of what a tool does, in words a request can use.

    >>> action({"name": "move_file", "description": "Move a file to another folder."})
    ('move', 'a file to another folder')
    >>> action({"name": "AclApi.add_mapping", "description": "Adds a mapping between a user and a resource."})
    ('add', 'a mapping between a user and a resource')
    >>> action({"name": "get_storage_usage", "description": "Storage used, by location."})
    ('get', 'the storage usage')
    """
    text = (fn.get("description") or "").strip().split("\n")[0]
    text = re.split(r"(?<=[.!?])\s", text)[0].rstrip(".!?: ")
    words = text.split()
    if words and len(words) <= 16 and known_verb(words[0]) in COMMON_VERBS and words[0][1:].islower():
        return known_verb(words[0]), " ".join(words[1:])[:1].lower() + " ".join(words[1:])[1:]
    name = humanize(fn["name"].rsplit(".", 1)[-1]).split()
    if name and known_verb(name[0]) in COMMON_VERBS:
        rest = " ".join(name[1:])
        return known_verb(name[0]), (rest if re.match(r"(?:the|a|an|all|my|your) ", rest) else "the " + rest) if rest else "it"
    return "use", f"{humanize(fn['name'])}"


def value_words(value) -> str:
    """An argument value as words: lists joined with "and", objects as their keys and values."""
    if isinstance(value, list):
        items = [value_words(v) for v in value]
        return "none" if not items else items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, dict):
        return "(" + describe(value) + ")" if value else "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe(args: dict) -> str:
    """'path /a.pdf, tag invoice'"""
    return ", ".join(f"{humanize(k)} {value_words(v)}" for k, v in args.items())


def ask(fn: dict, args: dict, rng: random.Random) -> str:
    """The request for one call, in one of several phrasings."""
    verb, rest = action(fn)
    what = f"{verb} {rest}".strip()
    if not args:
        forms = ["Please {what}.", "Can you {what}?", "{What}, please.", "I'd like to {what}."]
    else:
        forms = ["Please {what}: {args}.", "Can you {what}? Use {args}.", "{What} with {args}.",
                 "I'd like to {what} ({args}).", "Could you {what} for me? {Args}."]
    form = rng.choice(forms)
    words = describe(args)
    return form.format(what=what, What=what[:1].upper() + what[1:], args=words, Args=words[:1].upper() + words[1:])


def result(fn: dict, args: dict, rng: random.Random, today) -> dict:
    """What the tool returns for this call (see the module's docstring)."""
    if isinstance(fn.get("x-result-example"), dict):
        return fn["x-result-example"]
    if isinstance(fn.get("x-result-schema"), dict):
        drawn = schema_values.draw("result", fn["x-result-schema"], rng, fn["x-result-schema"], today=today)
        return drawn if isinstance(drawn, dict) else {"result": drawn}
    verb, rest = action(fn)
    if verb in SEARCHES:
        n = rng.randint(0, 3)
        stem = next((v for v in args.values() if isinstance(v, str)), rng.choice(VALUE_WORDS))
        return {"count": n, "items": [f"{stem}-{i + 1}" for i in range(n)]}
    if verb in CREATES:
        return {"id": f"{verb[:1]}_{rng.randint(1000, 9999)}", "status": "created"}
    if verb in READS:
        return {"value": rng.choice([rng.randint(1, 500), round(rng.uniform(1, 100), 1)])}
    return {"status": "ok"}


def reply(fn: dict, args: dict, outcome: dict) -> str:
    """The assistant's report of one call, from its result."""
    verb, rest = action(fn)
    done = f"{past(verb)} {rest}".strip()
    done = done[:1].upper() + done[1:]
    if "items" in outcome and isinstance(outcome["items"], list):
        items = outcome["items"]
        if not items:
            return f"I looked ({describe(args)}) and found nothing."
        return f"I found {len(items)}: {value_words(items)}."
    if "id" in outcome:
        return f"{done}; its id is {outcome['id']}."
    if "value" in outcome:
        return f"The result is {value_words(outcome['value'])} ({describe(args)})."
    details = ", ".join(f"{humanize(k)} {value_words(v)}" for k, v in outcome.items() if k != "status")
    named = next((v for v in args.values() if isinstance(v, str)), None)  # what the call was about
    return f"{done}{': ' + named if named else ''}{' (' + details + ')' if details else ''}."


def error(fn: dict, key: str | None, value) -> dict:
    """A failed call's result, as an API reports it."""
    if key is None:
        return {"error": {"status": 503, "code": "unavailable", "message": "The service is busy; try again."}}
    return {"error": {"status": 404, "code": "not_found",
                      "message": f"No {humanize(key)} '{value_words(value)}' was found.", "field": key}}


def fix(key: str | None, old, new) -> str:
    """What the assistant says before it calls again, from the error it got."""
    if key is None:
        return "The service was busy, so I'm trying again."
    return f"There is no {humanize(key)} '{value_words(old)}', so I'll try '{value_words(new)}' instead."
