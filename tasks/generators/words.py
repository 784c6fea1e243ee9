"""Turning identifiers and values into the words a person would type."""
from __future__ import annotations

import random
import re
from functools import lru_cache

# What an argument that takes a text to look for is called (its name's words, humanize()d).
QUERY_NAMES = {"text", "query", "q", "term", "search", "keyword", "keywords", "search term"}

# Neutral values for free-text arguments (names, tags, queries) when a source gives no examples.
VALUE_WORDS = ["report", "invoice", "holiday", "budget", "draft", "photos", "notes", "backup", "contract", "music"]


@lru_cache(maxsize=1)
def lexicon() -> tuple[str, ...]:
    """About 850 everyday nouns and colours (coolname's word lists: a kept library, in pyproject;
    Prefect needs it too), sorted so that a seed draws the same words everywhere."""
    from coolname.data import config

    lists = ("of_noun", "of_noun_no_mod", "animal", "animal_breed", "adjective_near")
    return tuple(sorted({w for name in lists for w in config[name]["words"] if re.fullmatch(r"[a-z]{3,12}", w)}))


def any_word(rng: random.Random) -> str:
    """A word a person tags, names or looks for things by: one of VALUE_WORDS two times in five,
    else any word of the lexicon ("receipts" and "pets" are not in any list of ours, and a model
    that saw only ten values learns those ten, not to copy the word it was given), sometimes
    with a year ("courage-2025", "2021-discussion")."""
    r = rng.random()
    if r < 0.4:
        return rng.choice(VALUE_WORDS)
    word = rng.choice(lexicon())
    if r > 0.9:
        year = rng.randint(2020, 2026)
        return f"{word}-{year}" if rng.random() < 0.5 else f"{year}-{word}"
    return word

_SUFFIXES = {  # comparison suffixes in filter names, longest first
    "Gte": "at least", "Lte": "at most", "Gt": "greater than", "Lt": "less than",
    "Contains": "containing", "After": "after", "Before": "before", "In": "in",
}


def humanize(name: str) -> str:
    """camelCase / snake_case identifier -> lower-case words.

    >>> humanize("modifiedAfter"), humanize("create_share_link"), humanize("MODIFIED_AT")
    ('modified after', 'create share link', 'modified at')
    """
    name = name.replace("_", " ")
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return " ".join(name.lower().split())


def split_comparison(name: str) -> tuple[str, str | None]:
    """Field name -> (subject words, comparison words or None).

    >>> split_comparison("sizeGt"), split_comparison("nameContains"), split_comparison("kind")
    (('size', 'greater than'), ('name', 'containing'), ('kind', None))
    """
    for suffix, words in _SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix) and name[-len(suffix) - 1].islower():
            return humanize(name[: -len(suffix)]), words
    return humanize(name), None


def byte_words(n: int) -> str:
    """1073741824 -> '1 GB' (binary units, as file managers show them)."""
    for unit, size in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def article(noun: str) -> str:
    """'an' before a vowel sound as the spelling shows it.

    >>> [article(w) for w in ("issue", "update", "user", "unit", "folder", "item")]
    ['an', 'an', 'a', 'a', 'a', 'an']
    """
    vowel = noun[:1].lower() in "aeio" or bool(re.match(r"u[^aeiou][^aeiou]", noun.lower()))
    return "an" if vowel else "a"


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def base_form(verb: str) -> str:
    """A third-person verb in its base form, case kept: "Adds" -> "Add", "Applies" -> "Apply".

    >>> [base_form(w) for w in ("Adds", "Dismisses", "Applies", "fetches", "Moves", "Access", "Set")]
    ['Add', 'Dismiss', 'Apply', 'fetch', 'Move', 'Access', 'Set']
    """
    low = verb.lower()
    if low.endswith("ies") and len(low) > 4:
        return verb[:-3] + ("Y" if verb[-3:].isupper() else "y")
    if low.endswith(("sses", "shes", "ches", "xes", "zes")):
        return verb[:-2]
    if low.endswith("s") and not low.endswith(("ss", "us", "is")) and len(low) > 3:
        return verb[:-1]
    return verb



def join_and(items: list[str]) -> str:
    """Items as a sentence lists them.

    >>> join_and(["name", "size", "kind"]), join_and(["name"]), join_and([])
    ('name, size and kind', 'name', '')
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""

def lower_first(s: str) -> str:
    """Lower-case the first letter of a heading used mid-sentence, unless its first word is an
    acronym or has capitals inside ("API", "GitHub"), or the heading is in title case, which makes
    it a name ("Hugging Face Datasets").

    >>> lower_first("Adding a location"), lower_first("GitHub tokens"), lower_first("Hugging Face Datasets")
    ('adding a location', 'GitHub tokens', 'Hugging Face Datasets')
    """
    words = s.split()
    first = words[0] if words else ""
    if len(first) > 1 and not first[1:].islower() and first[1:].isalpha():
        return s
    longer = [w for w in words[1:] if len(w) > 3 and w[:1].isalpha()]
    if longer and all(w[:1].isupper() for w in longer):
        return s
    return s[:1].lower() + s[1:]



_OBJECT_AFTER = {"let", "lets", "help", "helps", "make", "makes", "allow", "allows", "ask", "asks", "tell", "tells",
                 "show", "shows", "give", "gives", "send", "sends", "warn", "warns", "remind", "reminds", "notify",
                 "notifies", "prompt", "prompts", "email", "emails", "to", "for", "with", "by", "from", "of", "about"}


def first_person(text: str) -> str:
    """Words the docs say to the reader, as the reader asks them: "you" becomes "I" where it does
    something and "me" where something is done to it.

    >>> first_person("set up your account yourself"), first_person("shows you the files you own")
    ('set up my account myself', 'shows me the files I own')
    >>> first_person("lets you undo it"), first_person("keeps them for you")
    ('lets me undo it', 'keeps them for me')
    """
    for you, me in (("yourself", "myself"), ("yours", "mine"), ("your", "my"), ("Your", "My")):
        text = re.sub(rf"\b{you}\b", me, text)

    def pronoun(m: re.Match) -> str:
        before = text[:m.start()].split()
        after = text[m.end():].split()
        done_to = (before and before[-1].lower() in _OBJECT_AFTER) or not after \
            or after[0].lower() in {"the", "a", "an", "this", "that", "it", "them", "and", "or", "before", "after",
                                    "when", "if", "until", "unless"} or not after[0][:1].isalpha()
        return "me" if done_to else "I"

    return re.sub(r"\b[Yy]ou\b", pronoun, text)

# --- verbs: what a description or a name starting with one says to do -------------------------
IRREGULAR = {"get": "got", "find": "found", "send": "sent", "make": "made", "set": "set", "run": "ran",
             "write": "wrote", "read": "read", "take": "took", "give": "gave", "put": "put", "build": "built",
             "begin": "began", "buy": "bought", "pay": "paid", "keep": "kept", "tell": "told", "bring": "brought",
             "choose": "chose", "spend": "spent", "split": "split", "shut": "shut", "cut": "cut", "sell": "sold",
             "hold": "held", "lead": "led", "meet": "met", "feed": "fed", "forget": "forgot", "show": "showed"}
SEARCHES = {"search", "list", "find", "query", "lookup", "look", "browse", "filter", "scan", "discover", "locate"}
CREATES = {"create", "add", "make", "new", "register", "insert", "upload", "post", "open", "start", "schedule", "book"}
READS = {"get", "read", "retrieve", "check", "fetch"}
CALCULATES = {"calculate", "compute", "count", "estimate", "convert", "measure", "predict", "analyze", "analyse",
              "evaluate", "determine"}
COMMON_VERBS = SEARCHES | CREATES | READS | CALCULATES | {
    "move", "rename", "delete", "remove", "update", "set", "send", "tag", "untag", "share", "copy", "play",
    "stop", "cancel", "close", "run", "execute", "change", "edit", "archive", "restore", "trash", "assign",
    "apply", "mark", "enable", "disable", "reset", "sync", "translate", "generate", "validate", "submit",
    "turn", "order", "pay", "buy", "reserve", "download", "export", "import", "invite", "join", "leave",
    "block", "unblock", "pin", "unpin", "merge", "approve", "reject", "publish", "install", "write", "print",
    "connect", "disconnect", "login", "logout", "follow", "unfollow", "like", "rate", "review", "notify",
    "remind", "restart", "reboot", "resize", "compress", "extract", "encode", "decode", "sort", "summarize",
    "email", "call", "transfer", "withdraw", "deposit", "ask", "answer", "plot", "draw", "clean",
    "attach", "detach", "label", "unlabel", "initialize", "initialise", "load", "train", "fit", "return",
    "provide", "fetch", "track", "monitor", "save", "store", "simulate", "recommend", "suggest", "identify",
    "verify", "detect", "classify", "lock", "unlock", "accept", "decline", "renew", "activate", "deactivate"}


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


# --- everyday words for schema words: enum values, participles, field names -----------------------
# General English, not one product's: a schema's "IMAGE" is what people call photos and pictures,
# its "modified" what they call changed or edited.
SYNONYMS = {
    "image": ["images", "photos", "pictures", "pics"], "photo": ["photos", "pics", "pictures"],
    "document": ["documents", "docs"], "video": ["videos", "movies", "clips"], "audio": ["audio files", "music", "songs"],
    "archive": ["archives", "zips", "zip files"], "spreadsheet": ["spreadsheets", "sheets"],
    "modified": ["changed", "edited", "updated"], "updated": ["changed", "modified"], "created": ["made", "added"],
    "deleted": ["removed"], "pushed": ["pushed to"], "published": ["released"], "last seen": ["last online"],
    "open": ["open", "still open"], "closed": ["closed", "done"], "merged": ["merged"],
}
# Everyday verbs for a tool's action verb: "create a folder" is also "make a folder".
VERB_SYNONYMS = {
    "create": ["make", "add", "set up"], "search": ["find", "look for"], "find": ["search for", "look for"],
    "get": ["check", "show me"], "retrieve": ["get", "fetch"], "fetch": ["get"], "attach": ["add", "put"],
    "delete": ["remove"], "remove": ["delete"], "list": ["show me", "show"], "calculate": ["work out"],
    "send": ["email"], "update": ["change"], "tag": ["label", "mark"], "trash": ["delete", "bin"], "rename": ["change the name of"], "cancel": ["call off"],
}
