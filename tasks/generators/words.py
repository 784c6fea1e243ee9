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


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
