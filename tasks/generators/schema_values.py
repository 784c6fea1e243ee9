"""Argument values drawn from a tool's JSON Schema, for any schema a tool spec may hold.

`draw(name, schema, rng, root)` reads: const and enum; oneOf / anyOf (one branch) and allOf
(merged); type lists (["string", "null"]: not null); integers and numbers with their bounds
(minimum, maximum, exclusive ones, multipleOf); booleans; arrays with an item schema (or
prefixItems), minItems / maxItems and uniqueItems; nested objects (every required property, each
optional one with probability 1/2, fewer deeper down); strings by format (date, date-time, time,
email, uri, uuid, ipv4, hostname), by length bounds and, when nothing else says, by the property's
name (a folder, a path, a plain word); `examples` and `default` when the schema gives them; local
`$ref`s ("#/$defs/...", "#/definitions/..."). Dates count from the reference date, never the clock.

What it draws is checked against the schema by the caller (a `pattern` it cannot satisfy, say), so
a value that does not validate is never written.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import re
import string

from tasks.core.json_schema import resolve
from tasks.generators.words import VALUE_WORDS, any_word, humanize

FOLDERS = ["/Documents", "/Downloads", "/Pictures", "/Music", "/Projects", "/Archive"]
EXTENSIONS = [".pdf", ".docx", ".jpg", ".mp4", ".zip", ".txt"]
MAX_DEPTH = 4  # nested objects deeper than this get only their required properties, arrays []
PEOPLE = ["ana", "li", "omar", "june", "sam", "noor"]


def folder(rng: random.Random, year_share: float = 0.0) -> str:
    """A folder a person names: "/Projects/Courage", or, `year_share` of the time, "/Archive/2024"."""
    top = rng.choice(FOLDERS)
    name = any_word(rng) if not year_share or rng.random() < 1 - year_share else str(rng.randint(2020, 2026))
    return f"{top}/{name.title()}"
PLACE_WORDS = ["Riverside", "Central", "Harbor", "Northgate", "Lakeside"]


def merged(schemas: list[dict], root: dict) -> dict:
    """allOf as one schema: properties and required lists joined, other keywords the last one's."""
    out: dict = {}
    for s in (resolve(x, root) for x in schemas):
        props = {**out.get("properties", {}), **s.get("properties", {})}
        required = list(dict.fromkeys(out.get("required", []) + s.get("required", [])))
        out = {**out, **s, "properties": props, "required": required}
    return out


def kind_of(schema: dict, rng: random.Random) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        options = [k for k in kind if k != "null"] or ["null"]
        kind = options[0] if len(options) == 1 else rng.choice(options)
    if kind:
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return "string"


def draw(name: str, schema, rng: random.Random, root: dict | None = None, depth: int = 0,
         today: dt.date = dt.date(2026, 6, 1)):
    """One value for property `name` with JSON Schema `schema` (`root` holds its $defs)."""
    root = root if root is not None else (schema if isinstance(schema, dict) else {})
    schema = resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            branches = [resolve(b, root) for b in schema[key]]
            branches = [b for b in branches if b.get("type") != "null"] or branches
            rest = {k: v for k, v in schema.items() if k != key}
            return draw(name, merged([rest, rng.choice(branches)], root), rng, root, depth, today)
    if schema.get("allOf"):
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return draw(name, merged([rest, *schema["allOf"]], root), rng, root, depth, today)
    if schema.get("examples") and isinstance(schema["examples"], list) and rng.random() < 0.3:
        return rng.choice(schema["examples"])
    kind = kind_of(schema, rng)
    if kind == "integer":
        return integer(schema, rng, name)
    if kind == "number":
        return number(schema, rng)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "array":
        return array(name, schema, rng, root, depth, today)
    if kind == "object":
        return obj(schema, rng, root, depth, today)
    return text(name, schema, rng, today)


# Amounts people ask for, by the unit an argument's name ends in: a link for a week, not 256 days.
HUMAN_AMOUNTS = {"days": [1, 2, 3, 7, 7, 14, 30, 90], "hours": [1, 2, 6, 12, 24, 48], "minutes": [5, 10, 15, 30, 60],
                 "seconds": [10, 30, 60, 120], "bytes": [100 << 10, 1 << 20, 10 << 20, 100 << 20, 500 << 20, 1 << 30, 2 << 30],
                 "limit": [3, 5, 5, 10, 10, 20, 50], "results": [3, 5, 10, 20]}


def integer(schema: dict, rng: random.Random, name: str = "") -> int:
    """An integer within the bounds (inclusive, exclusive, fractional) and multipleOf; for an
    argument named by a unit or a limit (`expires_in_days`, `min_size_bytes`, `limit`), an amount
    people use, when one fits the bounds.

    >>> rng = random.Random(0)
    >>> sorted({integer({"minimum": 0.5, "exclusiveMaximum": 3}, rng) for _ in range(50)})
    [1, 2]
    """
    lo = math.ceil(schema["minimum"]) if "minimum" in schema else (
        math.floor(schema["exclusiveMinimum"]) + 1 if "exclusiveMinimum" in schema else None)
    hi = math.floor(schema["maximum"]) if "maximum" in schema else (
        math.ceil(schema["exclusiveMaximum"]) - 1 if "exclusiveMaximum" in schema else None)
    unit = (humanize(name).split() or [""])[-1]
    usual = [n for n in HUMAN_AMOUNTS.get(unit, []) if (lo is None or lo <= n) and (hi is None or n <= hi)
             and n % (int(schema.get("multipleOf", 1)) or 1) == 0]
    if usual and rng.random() < 0.85:
        return rng.choice(usual)
    if lo is None and hi is None:
        lo, hi = 1, 100
    elif lo is None:
        lo = hi - 100 if hi > 100 else min(1, hi)
    elif hi is None:
        hi = lo + 1000
    step = int(schema.get("multipleOf", 1)) or 1
    first = -(-lo // step) * step
    if first > hi:
        return lo
    return first + step * rng.randint(0, min((hi - first) // step, 1000))


def number(schema: dict, rng: random.Random) -> float:
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    lo = 0 if lo is None else lo
    hi = lo + 100 if hi is None else hi
    for _ in range(20):
        value = round(rng.uniform(lo, hi), 2)
        if "multipleOf" in schema:
            value = round(round(value / schema["multipleOf"]) * schema["multipleOf"], 6)
        if (lo <= value <= hi and value != schema.get("exclusiveMinimum") and value != schema.get("exclusiveMaximum")):
            return value
    return (lo + hi) / 2


def array(name: str, schema: dict, rng: random.Random, root: dict, depth: int, today: dt.date) -> list:
    low = schema.get("minItems", 1 if depth < MAX_DEPTH else 0)
    high = max(low, min(schema.get("maxItems", low + 2), low + 2))
    if depth >= MAX_DEPTH:
        high = low
    prefix = schema.get("prefixItems") or []
    items = schema.get("items", {}) if isinstance(schema.get("items", {}), (dict, bool)) else {}
    out: list = []
    singular = name[:-1] if name.endswith("s") and len(name) > 3 else name
    for i in range(rng.randint(low, high)):
        item_schema = prefix[i] if i < len(prefix) else items
        for _ in range(10):
            value = draw(singular, item_schema, rng, root, depth + 1, today)
            if not schema.get("uniqueItems") or value not in out:
                break
        out.append(value)
    return out


def obj(schema: dict, rng: random.Random, root: dict, depth: int, today: dt.date) -> dict:
    """Every required property (one the schema requires but does not describe: a word), and each
    optional one with probability 1/2 (none below the second level)."""
    props = schema.get("properties") or {}
    required = schema.get("required") or []
    chance = 0.5 if depth < 2 else 0.0
    out = {key: draw(key, sub, rng, root, depth + 1, today)
           for key, sub in props.items() if key in required or rng.random() < chance}
    for key in required:
        if key not in props:
            out[key] = draw(key, {}, rng, root, depth + 1, today)
    return out


def text(name: str, schema: dict, rng: random.Random, today: dt.date) -> str:
    fmt = schema.get("format", "")
    if fmt == "date":
        value = (today - dt.timedelta(days=rng.randint(0, 60))).isoformat()
    elif fmt == "date-time":
        value = f"{(today - dt.timedelta(days=rng.randint(0, 60))).isoformat()}T{rng.randint(8, 18):02d}:00:00Z"
    elif fmt == "time":
        value = f"{rng.randint(8, 18):02d}:{rng.choice(['00', '15', '30', '45'])}:00"
    elif fmt in ("email", "idn-email"):
        value = f"{rng.choice(PEOPLE)}@example.com"
    elif fmt in ("uri", "url", "iri", "uri-reference"):
        value = f"https://example.com/{rng.choice(VALUE_WORDS)}"
    elif fmt == "uuid":
        value = "-".join("".join(rng.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12))
    elif fmt in ("ipv4",):
        value = f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    elif fmt in ("hostname", "idn-hostname"):
        value = f"{rng.choice(VALUE_WORDS)}.example.com"
    elif "default" in schema and isinstance(schema["default"], str):
        value = schema["default"]
    elif humanize(name).split()[-1:] in (["date"], ["day"]) and "enum" not in schema:  # "end_date" without a format
        value = (today - dt.timedelta(days=rng.randint(0, 60))).isoformat()
    else:
        value = by_name(name, schema, rng)
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < low:
        value += "".join(rng.choice(string.ascii_lowercase) for _ in range(low - len(value)))
    if high is not None and len(value) > high:
        value = value[:high]
    return value


# Plausible strings for free-text properties, by a word of the property's name (or description).
ROLE_VALUES = {
    "city": ["Berlin", "Lisbon", "Osaka", "Toronto", "Nairobi", "Austin"],
    "country": ["Canada", "Japan", "Brazil", "Kenya", "Germany", "India"],
    "currency": ["USD", "EUR", "JPY", "GBP"],
    "language": ["English", "French", "German", "Spanish", "Japanese"],
    "lang": ["en", "fr", "de", "es", "ja"],
    "locale": ["en-US", "fr-FR", "de-DE", "ja-JP"],
    "username": PEOPLE,
    "name": ["Ana Silva", "Li Wei", "Omar Haddad", "June Park", "Sam Taylor", "Noor Khan"],
    "company": ["Acme Corp", "Globex", "Initech", "Umbrella Ltd"],
    "title": ["Quarterly review", "Team offsite", "Launch plan", "Budget draft"],
    "message": ["The draft is ready for review.", "Running ten minutes late.", "Please check the new budget."],
    "query": ["holiday photos", "budget 2026", "contract draft", "meeting notes", "invoice"],
    "color": ["red", "blue", "green", "black"],
    "symbol": ["AAPL", "MSFT", "NVDA", "AMZN"],
    "method": ["GET", "POST"],
}
ROLE_OF = {  # name (or description) word -> the ROLE_VALUES pool it draws from
    "city": "city", "town": "city", "location": "city", "place": "city",
    "country": "country", "nation": "country", "currency": "currency",
    "language": "language", "lang": "lang", "locale": "locale",
    "username": "username", "user": "username", "login": "username", "handle": "username",
    "name": "name", "person": "name", "author": "name", "owner": "name", "assignee": "name",
    "recipient": "name", "contact": "name", "customer": "name",
    "company": "company", "organization": "company", "organisation": "company", "vendor": "company",
    "title": "title", "subject": "title", "headline": "title",
    "message": "message", "text": "message", "body": "message", "content": "message", "note": "message",
    "comment": "message", "prompt": "message",
    "query": "query", "keyword": "query", "keywords": "query", "search": "query", "term": "query", "q": "query",
    "topic": "query", "color": "color", "colour": "color", "symbol": "symbol", "ticker": "symbol",
    "method": "method",
}


def by_name(name: str, schema: dict, rng: random.Random) -> str:
    """A plausible string for a property by its name and description: a folder, a path, an id, a
    city, a person's name, a query (ROLE_VALUES), else a plain word."""
    lname = name.lower()
    words = humanize(name).split()
    about = str(schema.get("description", "")).lower()
    if lname in ("destination", "folder", "dir", "directory") or lname.endswith("dir") or "folder" in about:
        return folder(rng)
    if lname.replace("_", "") == "filename":
        return f"{any_word(rng)}{rng.choice(EXTENSIONS)}"
    if "path" in lname or "file" in lname:
        return f"{rng.choice(FOLDERS)}/{any_word(rng)}{rng.choice(EXTENSIONS)}"
    if "email" in lname or "e-mail" in about or "email" in about and words[-1:] == ["address"]:
        return f"{rng.choice(PEOPLE)}@example.com"
    if words and words[-1] in ("token", "secret") or "token" in about.split()[:3]:
        return f"tok_{rng.randint(10**7, 10**8 - 1)}"
    if len(words) > 1 and words[-1] == "name" and words[-2] not in ROLE_OF.keys() | {"full", "first", "last", "display"}:
        return f"{rng.choice(PLACE_WORDS)} {words[-2].title()}"  # museum_name -> "Riverside Museum"
    if words and words[-1] in ("id", "ids", "identifier", "key", "uuid"):
        return f"{(words[-2] if len(words) > 1 else rng.choice(VALUE_WORDS))[:3]}_{rng.randint(1000, 9999)}"
    if words and words[-1] in ("url", "uri", "link", "endpoint"):
        return f"https://api.example.com/{rng.choice(VALUE_WORDS)}"
    heads = re.findall(r"\b(?:the|a|an)\s+(?:[a-z-]+\s+)?([a-z]+)\b", about)[:1]  # "The departure city." -> city
    for word in list(reversed(words)) + heads:  # the last word names the thing: "user_query" is a query
        if word in ROLE_OF:
            role = ROLE_OF[word]
            return any_word(rng) if role == "query" and rng.random() < 0.5 else rng.choice(ROLE_VALUES[role])
    return any_word(rng)
