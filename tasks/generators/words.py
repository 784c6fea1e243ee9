"""Turning identifiers and values into the words a person would type."""
from __future__ import annotations

import re

# Neutral values for free-text arguments (names, tags, queries) when a source gives no examples.
VALUE_WORDS = ["report", "invoice", "holiday", "budget", "draft", "photos", "notes", "backup", "contract", "music"]

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
