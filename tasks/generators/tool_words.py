"""The words of a tool-use dialogue, for any tool: the request a person types, the result the tool
returns, and the assistant's reply that reports that result.

A tool's action is read from its description when that starts with a verb ("Move a file to
another folder", "Moves a file ...", "This function computes ..."), cut to its first clause, else
from its name ("create_share_link" -> create a share link). A request puts each argument where the
description names it ("a file" is the `path` whose description is "the file's path", so "Move
/a.pdf to the folder /Music"); the others are said by their roles ("for 'holiday'", "on
2026-05-01", "at most 10 results", "that expires in 30 days", "with level 2").

Results come from the tool definition when it has them, under either of two keys we read beside
OpenAI's own (`x-result-example`: one example result; `x-result-schema`: a JSON Schema a result is
drawn from), else they are made to fit the call by what the action does: a search returns items, a
create a new id (and a URL for a link), a calculation a value, a read its records, a move the new
path, a tag the file's tags, anything else when it took effect. The reply reports that result.
A failed call fails as an API does: 404 naming the field and suggesting a value, 409 when a
create finds its target taken, 503 when the service is busy; what the assistant does next follows
from it (tasks/generators/tools.py: error_recovery).
"""
from __future__ import annotations

import random
import re

from tasks.generators import schema_values
from tasks.generators.words import (
    CALCULATES,
    COMMON_VERBS,
    CREATES,
    IRREGULAR,
    QUERY_NAMES,
    READS,
    SEARCHES,
    SYNONYMS,
    VALUE_WORDS,
    VERB_SYNONYMS,
    article,
    base_form,
    byte_words,
    humanize,
    join_and,
    known_verb,
    past,
    sentence_case,
)

PREAMBLE = re.compile(r"^(?:(?:this|the|a)\s+(?:function|tool|method|endpoint|api|operation|service)\s+"
                      r"(?:that\s+|which\s+|will\s+|can\s+|is used to\s+|allows you to\s+)?"
                      r"|(?:function|tool|method|used|use this)\s+to\s+|allows (?:the user|you|users) to\s+)", re.I)
CLAUSE = re.compile(r",\s*(?:with|which|and|including|so|allowing|where|returning|optionally|if|as|\w+ing)\b"
                    r"|\s+such as\s"
                    r"|\s+and\s+returns?\b|\s+-\s|\s*\(|;")


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
    text, n = PREAMBLE.subn("", text)  # "This function computes ..." -> "computes ...": surely a verb
    text = CLAUSE.split(text)[0]  # "Retrieves a list of groups, with options to ..." -> its first clause
    text = FILLER.sub("", text)
    if len(text.split()) > 16:  # "Calculate the capacitance of a capacitor based on the area ... using ..."
        text = re.split(r"\s+(?:based on|using|according to|such as|given|by)\s", text)[0]
    words = text.split()
    verbs = COMMON_VERBS | IRREGULAR.keys()
    if words and len(words) <= 16 and words[0][1:].islower() and (known_verb(words[0]) in verbs or n):
        verb = known_verb(words[0]) if known_verb(words[0]) in verbs else base_form(words[0]).lower()
        return verb, " ".join(words[1:])[:1].lower() + " ".join(words[1:])[1:]
    name = humanize(fn["name"].rsplit(".", 1)[-1]).split()
    if name and known_verb(name[0]) in verbs:
        rest = " ".join(name[1:])
        return known_verb(name[0]), (rest if re.match(r"(?:the|a|an|all|my|your) ", rest) else "the " + rest) if rest else "it"
    return "use", f"the {humanize(fn['name'])} tool"


DETERMINERS = {"a", "an", "the", "another", "some", "any", "its", "their", "one", "this", "that"}
VAGUE = {"given", "specified", "specific", "particular", "certain", "provided", "selected", "desired", "chosen"}
STOP = DETERMINERS | VAGUE | {"to", "for", "of", "in", "on", "at", "by", "with", "from", "and", "or", "into",
                              "between", "as", "using", "based", "about", "than", "matching", "is", "are"}
GENERIC = {"value", "data", "information", "info", "details", "parameter", "parameters", "input", "options",
           "config", "settings", "type", "number", "result", "results"}
FILLER = re.compile(r"\s*(?:,\s*)?(?:\b(?:and|with|using|based on)\s+)?(?:the\s+)?\b(?:optional|additional|various|other|"
                    r"provided|given|specified|supplied)\s+(?:[\w-]+\s+)?(?:filters?|parameters?|options?|criteria|settings|"
                    r"details|arguments|inputs?|information|data|values?|configuration)\b")
UNITS = {"days", "hours", "minutes", "seconds", "ms", "bytes", "kb", "mb", "gb", "percent", "years", "months",
         "weeks", "meters", "km", "miles", "kg", "pounds"}
LIMITS = {"limit", "max results", "top k", "max", "count", "num results", "page size", "n", "k", "size limit"}
PREPOSITIONS = [  # a name word -> the words a person puts before the value
    ({"destination", "dest", "target", "to", "recipient", "receiver"}, "to"),
    ({"source", "from", "origin", "sender"}, "from"),
    ({"language", "lang", "locale", "unit", "units", "currency"}, "in"),
    ({"location", "city", "country", "region", "place", "area", "town"}, "in"),
    ({"format"}, "as"),
    ({"query", "keyword", "keywords", "q", "term", "topic", "search"}, "for"),
    ({"name", "title", "filename"}, "named"),
    ({"tag", "tags", "label", "labels"}, "tagged"),
]
IDENTITY = {"path", "file", "folder", "id", "name", "user", "username", "account", "location", "city", "country",
            "project", "repo", "repository", "document", "item", "product", "customer", "order", "url",
            "endpoint", "channel", "team", "page", "record", "ticket", "directory", "bucket", "table"}
CONTAINERS = {"path", "id", "name", "key", "identifier", "uuid", "location", "code", "ref", "slug", "handle"}
# A noun phrase in a description: determiners, up to two adjectives, the noun; never "gains" in "gains type"
DET = r"(?:(?:%s)\s+)" % "|".join(sorted(DETERMINERS | VAGUE))
ADJ = r"(?:(?!(?:%s)\b)[\w-]+\s+){0,2}?" % "|".join(sorted(STOP))
NOT_COMPOUND = r"(?!'|\s+(?!(?:%s)\b)[a-z]+\b)" % "|".join(sorted(STOP))


def prop(fn: dict, key: str) -> dict:
    """The schema of argument `key` (a boolean schema, `true`, says nothing: {})."""
    schema = ((fn.get("parameters") or {}).get("properties") or {}).get(key)
    return schema if isinstance(schema, dict) else {}


def value_words(value) -> str:
    """An argument value as words: lists joined with "and", objects as their keys and values,
    free text with spaces in quotes."""
    if isinstance(value, list):
        return join_and([value_words(v) for v in value]) or "nothing"
    if isinstance(value, dict):
        return join_and([f"{humanize(k)} {value_words(v)}" for k, v in value.items()]) or "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if value == "":
        return '""'
    if isinstance(value, str) and " " in value.strip() and not value[:1].isupper():
        return f'"{value}"'
    if isinstance(value, str) and re.search(r"[.!?]$", value) and " " in value:
        return f'"{value}"'
    return str(value)


def nouns(key: str, schema: dict) -> list[str]:
    """The words a description may use for argument `key`: its name's words, and the noun its own
    description is about ("the file's current path" -> file, path).

    >>> nouns("path", {"description": "the file's current path"})
    ['path', 'file']
    >>> nouns("expires_in_days", {})
    ['expires in days', 'days']
    """
    words = humanize(key).split()
    if not words:  # a property named "" or "_"
        return []
    found = [" ".join(words)] + ([words[-1]] if len(words) > 1 else [])
    about = str(schema.get("description") or "").lower()
    head = re.match(r"(?:the|a|an)\s+(?:\w+\s+){0,2}?([a-z]+)(?:'s\b|\s+(?:to|for|of|that|which|whose)\b)", about)
    if head and head.group(1) not in STOP | GENERIC:
        found.append(head.group(1))
    found += [NOUN_SYNONYMS[w] for w in found if w in NOUN_SYNONYMS]
    return [w for w in dict.fromkeys(found) if w not in GENERIC]


NOUN_SYNONYMS = {"path": "file", "paths": "file", "dir": "folder", "directory": "folder"}


def self_describing(value) -> bool:
    """A value that needs no noun before it: a path, a URL, an e-mail, a name in capitals, an id."""
    return isinstance(value, str) and bool(re.match(r"(?:/|https?://|[A-Z])|\S*@|\w+_\d+$|\S+ \S", value))


def naming(noun_phrase: str, value, rng: random.Random | None) -> str:
    """The words that put `value` where the description says `noun_phrase` ("a file" ->
    "the file /a.pdf" or "/a.pdf"); with no `rng`, the shortest of these."""
    words = noun_phrase.split()
    det = words[0] if words[0] in DETERMINERS else ""
    rest = [w for w in words[1 if det else 0:] if w not in VAGUE]
    if not rest:
        return value_words(value)
    bare = self_describing(value) or isinstance(value, list) and all(self_describing(v) for v in value)
    if bare and len(rest) == 1 and (rng is None or rng.random() < 0.6):  # "a file" -> "/a.pdf"; "a new folder" keeps its words
        return value_words(value)
    if isinstance(value, str) and not bare and rest[-1] in ("query", "term", "keyword", "keywords", "text", "phrase"):
        return f'{det or "the"} {" ".join(rest)} "{value}"'.strip()
    det = det if det in ("its", "their") or (det in ("a", "an") and len(rest) > 1) else "the"
    if det in ("a", "an"):
        det = "an" if rest[0][:1] in "aeiou" else "a"
    return f"{det} {' '.join(rest)} {value_words(value)}"


def phrase(fn: dict, args: dict, rng: random.Random | None) -> tuple[str, list[str], list[str]]:
    """(what to do, role phrases, "with" pairs): the tool's action with each argument its description names put in
    its place ("move a file to another folder" -> "move /a.pdf to /Music"), and the other
    arguments said by their roles ("for 'holiday'", "on 2026-05-01", "with limit 5")."""
    verb, rest = action(fn)
    rest = FILLER.sub("", rest)
    placed: set[str] = set()
    for key, value in args.items():
        if not isinstance(value, (str, list)) or isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            continue  # numbers, booleans and objects are said by their roles, after the action
        for noun in nouns(key, prop(fn, key)):
            m = re.search(rf"\b{DET}+{ADJ}{re.escape(noun)}(?:e?s)?\b{NOT_COMPOUND}", rest)
            if m is None and isinstance(value, list):  # "export files ..." names a list of paths
                m = re.search(rf"(?<![\w-] )\b{re.escape(noun)}e?s\b{NOT_COMPOUND}", rest)
            if m:
                rest = rest[:m.start()] + naming(m.group(0), value, rng) + rest[m.end():]
                placed.add(key)
                break
    free, pairs = role_words({k: v for k, v in args.items() if k not in placed}, fn, verb)
    for piece in list(free):  # "on a date" + "on 2026-05-01": the value takes the description's place
        prep = piece.split()[0]
        vague = (rf"\b{prep}\s+(?:a|an|some|any)\s+[\w-]+(?:\s+or\s+(?:a|an)\s+[\w-]+)?"
                 r"(?=,|$|\s(?:or|and|to|on|at|in|for|with|from)\b)")
        if prep in ("on", "at", "to", "from", "in", "for", "as", "until") and re.search(vague, rest):
            rest = re.sub(vague, lambda _: piece, rest, count=1)
            free.remove(piece)
    return f"{verb} {rest}".strip(), free, pairs


def role_words(args: dict, fn: dict, verb: str) -> tuple[list[str], list[str]]:
    """The arguments a description does not name, each said by its role."""
    free, pairs = [], []
    for key, value in args.items():
        words = humanize(key.lstrip("_")) or "value"
        last = words.split()[-1]
        fmt = prop(fn, key).get("format", "")
        if isinstance(value, bool):
            if words.startswith(("include ", "with ", "show ")):  # include_count: "including count" / "without count"
                free.append(("including " if value else "without ") + words.split(" ", 1)[1])
            else:
                pairs.append(f"{words} {'on' if value else 'off'}")
        elif isinstance(value, int) and words in LIMITS:
            free.append(f"at most {value} result{'' if value == 1 else 's'}")
        elif isinstance(value, int) and last == "bytes" and words != last:
            lead = words[:-len(last)].strip()
            than = "bigger than" if re.match(r"min", lead) else "smaller than" if re.match(r"max", lead) else f"with {lead} of"
            free.append(f"{than} {byte_words(value)}")
        elif isinstance(value, (int, float)) and last in UNITS and words != last:
            lead = words[:-len(last)].strip()
            value, last = duration(value, last)
            if re.search(r"\b(?:in|after|within|every|for)$", lead):
                third_person = re.match(r"[a-z]+[^s]s\b", lead)  # "expires in" -> "that expires in"
                free.append(f"{'that ' if third_person else ''}{lead} {value} {last}")
            else:
                pairs.append(f"{lead} of {value} {last}")
        elif isinstance(value, (int, float)) and last in UNITS:
            free.append(f"for {value} {last}")
        elif fmt in ("date", "date-time") and isinstance(value, str):
            at = "on" if fmt == "date" else "at"
            first = words.split()[0]
            free.append(f"from {value}" if first in ("start", "from", "since", "after", "begin")
                        else f"until {value}" if first in ("end", "until", "before", "to", "due")
                        else f"{at} {value}")
        elif isinstance(value, (str, list, dict)) and value != {} and any(last in names for names, _ in PREPOSITIONS):
            prep = next(p for names, p in PREPOSITIONS if last in names)
            prep = "as" if prep == "tagged" and verb in ("tag", "label") else prep
            free.append(f"{prep} {value_words(value)}")
        else:
            pairs.append(f"{words} {value_words(value)}")
    return free, pairs


KIND_KEYS = {"kind", "type", "category", "file type", "media type", "format"}


def search_words(fn: dict, args: dict, rng: random.Random) -> tuple[str, str] | None:
    """A search said short, as people type it: "find photos about beach", "search invoice", with
    an enum kind said by its everyday name (words.SYNONYMS); (words, the "with" pair they replace),
    or None for a tool that is not a search by a text query."""
    verb, rest = action(fn)
    query = next((v for k, v in args.items() if isinstance(v, str) and humanize(k) in QUERY_NAMES), None)
    if verb not in SEARCHES or query is None:
        return None
    kind_key = next((k for k, v in args.items() if humanize(k) in KIND_KEYS and "enum" in prop(fn, k)
                     and isinstance(v, str)), None)
    things = next((w for w in re.findall(r"[a-z]+", rest) if w in ("files", "documents", "items", "records", "messages",
                                                                   "products", "users", "issues", "songs", "photos")), "")
    said_query = f'"{query}"' if " " in query else query
    used = ""
    if kind_key is not None:
        kind = str(args[kind_key]).lower()
        things = rng.choice(SYNONYMS.get(kind, [f"{kind} {things or 'items'}"]))
        used = f"{humanize(kind_key)} {value_words(args[kind_key])}"
    if things:
        return rng.choice([f"find {things} about {said_query}", f"find {said_query} {things}",
                           f"search {things} for {said_query}"]), used
    return rng.choice([f"search {said_query}", f"search for {said_query}", f"look for {said_query}",
                       f"find {said_query}"]), used


DROPPABLE = {"new", "read-only", "existing", "single", "given", "specified"}


def everyday(what: str, args: dict, rng: random.Random) -> str:
    """The action as people also say it: the verb by an everyday synonym now and then ("make a new
    folder"), an adjective a person leaves out ("a share link"), and a file path said as its name
    and its folder ("holiday.jpg from /Downloads")."""
    verb, _, rest = what.partition(" ")
    if verb in VERB_SYNONYMS and rng.random() < 0.4:
        what = f"{rng.choice(VERB_SYNONYMS[verb])} {rest}".strip()
    if rng.random() < 0.5:
        what = re.sub(r"\b(a|an|the) (?:%s) " % "|".join(sorted(DROPPABLE)), lambda m: ("a" if m.group(1) == "an" else m.group(1)) + " ", what)
    for value in args.values():
        if isinstance(value, str) and re.fullmatch(r"(/[^/\s]+)+/[^/\s]+\.\w+", value) and what.count(value) == 1 \
                and rng.random() < 0.25:
            folder, name = value.rsplit("/", 1)
            prep = "from" if verb in ("move", "copy", "remove", "delete", "download") else "in"
            what = what.replace(value, f"{name} {prep} {folder}")
    return what


def duration(value, unit: str) -> tuple:
    """(amount, unit) as people say a duration: 7 days -> ("a", "week"), 14 days -> (2, "weeks")."""
    if unit == "days" and value in (7, 14, 21):
        return ("a", "week") if value == 7 else (value // 7, "weeks")
    if value == 1 and unit.endswith("s"):
        return "a", unit[:-1]
    return value, unit


def ask(fn: dict, args: dict, rng: random.Random) -> str:
    """The request for one call, in one of several phrasings."""
    what, free, pairs = phrase(fn, args, rng)
    short = search_words(fn, args, rng) if rng.random() < 0.5 else None
    if short is not None:  # "find photos about beach, at most 3 results" for "search the library for files matching ..."
        what, used = short
        free = [f for f in free if not f.startswith("for ")]
        pairs = [p for p in pairs if p != used]
    what = everyday(what, args, rng)
    pieces = free + (["with " + join_and(pairs)] if pairs else [])
    if pieces:
        what += ("," if pieces[0].startswith("at most") else "") + " " + ", ".join(pieces)
    form = rng.choice(["Please {what}.", "Can you {what}?", "{What}.", "I'd like to {what}.",
                       "Could you {what} for me?", "I need to {what}.", "{what}", "{what}", "{what} please", "pls {what}"])
    return form.format(what=what, What=what[:1].upper() + what[1:])


# A search for files of a kind finds files of that kind (never a .pdf for "video").
KIND_EXTENSIONS = {"document": [".pdf", ".docx", ".txt"], "image": [".jpg", ".png"], "photo": [".jpg", ".png"],
                   "video": [".mp4", ".mov"], "audio": [".mp3", ".wav"], "music": [".mp3"], "archive": [".zip", ".tar.gz"],
                   "pdf": [".pdf"], "spreadsheet": [".xlsx", ".csv"]}


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
        stem = re.sub(r"\W+", "-", stem.strip("/").lower()).strip("-")[:24] or "item"
        if re.search(r"\bfiles?\b", rest):  # a file search finds paths, of the kind asked for
            kinds = [KIND_EXTENSIONS[v] for v in args.values() if isinstance(v, str) and v.lower() in KIND_EXTENSIONS]
            return {"count": n, "items": [f"{rng.choice(schema_values.FOLDERS)}/{stem}-{i + 1}"
                                          f"{rng.choice(kinds[0] if kinds else schema_values.EXTENSIONS)}" for i in range(n)]}
        return {"count": n, "items": [f"{stem}-{i + 1}" for i in range(n)]}
    if verb in CREATES:
        made = {"id": f"{(rest.split() or ['x'])[-1][:3]}_{rng.randint(1000, 9999)}", "status": "created"}
        if re.search(r"\b(?:link|url)\b", rest):
            made["url"] = f"https://example.com/s/{made['id']}"
        return made
    stamp = f"{today.isoformat()}T{rng.randint(8, 18):02d}:{rng.choice(['05', '20', '40'])}:00Z"
    if verb in CALCULATES:
        return {"value": rng.choice([rng.randint(1, 500), round(rng.uniform(1, 100), 1)])}
    if verb in READS:
        return {"status": "ok", "records": rng.randint(1, 5), "updated_at": stamp}
    if verb in ("tag", "label") or re.match(r"(?:a|the) (?:tag|label)\b", rest):
        added = [v for k, v in args.items() if re.search(r"tag|label", k) and isinstance(v, str)]
        return {"status": "ok", "tags": added + rng.sample([w for w in VALUE_WORDS if w not in added], rng.randint(0, 3))}
    if verb in ("move", "copy", "rename"):
        new_path = moved_to(fn, args)
        if new_path:
            return {"status": "ok", "path": new_path}
    return {"status": "ok", "done_at": stamp}


def is_destination(fn: dict, key: str) -> bool:
    """Whether argument `key` says where something goes (destination, target, to, into, "the
    folder to move it into")."""
    about = str(prop(fn, key).get("description", "")).lower()
    return bool(set(humanize(key).split()) & {"destination", "dest", "target", "to", "into"}
                or re.search(r"\b(?:destination|target|into|(?:folder|directory) to)\b", about))


def moved_to(fn: dict, args: dict) -> str | None:
    """Where a move or copy puts the thing: the destination folder plus the moved thing's own name
    (/Archive/budget.pdf into /Archive/Report -> /Archive/Report/budget.pdf). The destination is the
    path argument whose name or description says so (destination, target, to, into, "the folder to
    move it into"), whatever order the arguments come in; None when the call has no such pair.

    >>> fn = {"parameters": {"properties": {"path": {}, "destination": {"description": "the folder to move it into"}}}}
    >>> moved_to(fn, {"destination": "/Archive/Report/", "path": "/Archive/budget.pdf"})
    '/Archive/Report/budget.pdf'
    """
    paths = {k: v for k, v in args.items() if isinstance(v, str) and v.startswith("/")}
    if len(paths) != 2:
        return None
    ends = [k for k in paths if is_destination(fn, k)]
    if len(ends) != 1:
        return None
    source = next(k for k in paths if k != ends[0])
    return paths[ends[0]].rstrip("/") + "/" + paths[source].rstrip("/").rsplit("/", 1)[-1]


def reply(fn: dict, args: dict, outcome: dict) -> str:
    """The assistant's report of one call, from its result."""
    verb, _ = action(fn)
    what, free, _ = phrase(fn, args, None)  # the action with its arguments in place
    where = ", ".join(p for p in free if not p.startswith("at most"))  # "in /Projects", "on 2026-05-01"
    done = sentence_case(f"{past(verb)} {what.split(' ', 1)[1] if ' ' in what else ''} {where}".strip())
    if "items" in outcome and isinstance(outcome["items"], list):
        items = outcome["items"]
        about = next((value_words(v) for v in args.values() if isinstance(v, str)), "")
        if not items:
            return f"I found nothing{' for ' + about if about else ''}."
        return f"I found {len(items)}{' for ' + about if about else ''}: {value_words(items)}."
    if "id" in outcome:
        return f"{done}; its id is {outcome['id']}" + (f" and it is at {outcome['url']}." if "url" in outcome else ".")
    if "value" in outcome:
        subject = sentence_case(re.split(r"\s+(?:given|based on|using|with)\s", what.split(" ", 1)[-1])[0])
        subject += " " + where if where else ""
        return f"{subject} is {value_words(outcome['value'])}."
    if isinstance(outcome.get("tags"), list):
        n = len(outcome["tags"])
        return f"{done}; it now has {n} tag{'s' if n != 1 else ''}."
    if "path" in outcome and set(outcome) <= {"status", "path"}:
        return f"{done}; it is now at {outcome['path']}."
    if set(outcome) == {"status", "done_at"}:
        return f"{done}. It took effect at {outcome['done_at'][11:16]} UTC."
    if set(outcome) == {"status", "records", "updated_at"}:
        n = outcome["records"]
        return f"{done}: {n} record{'s' if n != 1 else ''}, last updated {outcome['updated_at'][:10]}."
    details = join_and([f"{humanize(k)} {value_words(v)}" for k, v in outcome.items() if k != "status"])
    return f"{done}{': ' + details if details else ''}."


def error_key(fn: dict, args: dict) -> str | None:
    """The argument an API would say it could not find: a free-text one that names a thing (a path,
    an id, a user), never an enum, a date or a number; None when the call has none."""
    named = [k for k, v in args.items() if isinstance(v, str) and "enum" not in prop(fn, k) and "const" not in prop(fn, k)
             and prop(fn, k).get("format", "") not in ("date", "date-time", "time", "email", "uri")
             and (set(nouns(k, prop(fn, k))) | set(humanize(k).split())) & IDENTITY]
    return named[0] if named else None


def error(fn: dict, key: str | None, value, suggestion=None) -> dict:
    """A failed call's result, as an API reports it: 409 when a create finds the thing exists,
    404 when anything else cannot find it (each with a suggestion), 503 when no argument names a thing."""
    if key is None:
        return {"error": {"status": 503, "code": "unavailable", "message": "The service is busy; try again.",
                          "retry_after": 2}}
    noun = thing(fn, key)
    if creates(fn, key):
        return {"error": {"status": 409, "code": "conflict", "field": key, "suggestion": suggestion,
                          "message": f"{sentence_case(article(noun))} {noun} {value_words(value)} already exists."}}
    return {"error": {"status": 404, "code": "not_found", "field": key, "suggestion": suggestion,
                      "message": f"No {noun} {value_words(value)} was found. Did you mean {value_words(suggestion)}?"}}


def creates(fn: dict, key: str) -> bool:
    """Whether argument `key` names the thing the tool creates ("Create a new folder": its path),
    so that finding it taken is a conflict, not a miss."""
    verb, rest = action(fn)
    obj = re.split(r"\s(?:%s)\s" % "|".join(sorted(STOP - DETERMINERS - VAGUE)), f" {rest} ")[0].split()
    return verb in CREATES and bool(set(nouns(key, prop(fn, key))) & set(obj))


def thing(fn: dict, key: str) -> str:
    """What an argument names, for an error message: "team" for `team`, but "file" for a `path`
    whose description is "the file's path"."""
    names = nouns(key, prop(fn, key))
    last = (humanize(key).split() or ["value"])[-1]
    return names[-1] if last in CONTAINERS and len(names) > 1 else last


def near_miss(value, rng: random.Random) -> str | None:
    """`value` as a person may type it when the fix is certain: the case of its letters changed, or
    a folder's trailing slash added; None when it has neither to change.

    >>> near_miss("/Archive/notes.txt", random.Random(0)), near_miss("f_12", random.Random(0))
    ('/archive/notes.txt', None)
    """
    if not isinstance(value, str):
        return None
    options = [value.lower()] if value.lower() != value else []
    if value.startswith("/") and not value.endswith("/") and "." not in value.rsplit("/", 1)[-1]:
        options.append(value + "/")
    return rng.choice(options) if options else None


def fix(fn: dict, key: str | None, old, new) -> str:
    """What the assistant says before it calls again on its own: only where the fix is certain (a
    busy service, or a value that differs from the one asked for only by case or a trailing slash)."""
    if key is None or old == new:
        return "The service was busy, so I'm trying again."
    noun = thing(fn, key)
    return (f"There is no {noun} {value_words(old)}, but there is {value_words(new)}, which differs only in "
            f"{'case' if str(old).lower() == str(new).lower() else 'a trailing slash'}, so I'll use that.")


def offer(fn: dict, key: str, old, new) -> str:
    """What the assistant says when the service suggests another thing than the one asked for: it
    says so and asks, and acts on nothing the user did not name."""
    noun = thing(fn, key)
    if creates(fn, key):
        return (f"{sentence_case(article(noun))} {noun} {value_words(old)} already exists. The service suggests "
                f"{value_words(new)} instead: shall I use that, or would you like another name?")
    return (f"I couldn't find the {noun} {value_words(old)}, so I did nothing. The service suggests "
            f"{value_words(new)}: is that the one you meant?")


CONFIRMS = ["Yes, use {new}.", "yes, that one", "Yes please.", "yes go ahead with {new}", "That's it, yes."]
