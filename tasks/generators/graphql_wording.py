"""How a drafted request opens: a root field's subject ("files in the library"), a lead ("Show me"),
or its description as an instruction ("Look up a code of conduct", "Add a star")."""
from __future__ import annotations

import random
import re

from graphql import GraphQLField

from tasks.generators.graphql_schema import Root
from tasks.generators.words import COMMON_VERBS, IRREGULAR, base_form, humanize, known_verb, lower_first, sentence_case

# First words of a field description that is a sentence about it ("Look up a user by login"), not
# a name for what it returns ("Files in the library"): such a field is named by its name instead.
VERBS = {"look", "lookup", "get", "gets", "fetch", "fetches", "find", "finds", "return", "returns", "list",
         "lists", "retrieve", "retrieves", "query", "queries", "search", "searches", "show", "shows", "read",
         "reads", "resolve", "resolves", "load", "loads", "check", "checks", "provide", "provides", "used",
         "this", "a", "an", "if", "when", "deprecated", "note", "gives", "give", "returned"}


LEADS = ["Show me {s}", "List {s}", "Find {s}", "Get {s}", "I want to see {s}", "Give me {s}", "Fetch {s}"]


SHOWING = [", showing {f}", " with their {f}", ", include {f}", " and tell me {f}"]


CONDITIONS = [" with {c}", " where {c}", " that have {c}"]


def subject_of(name: str, f: GraphQLField) -> str:
    """What a request calls a root field: its description when that is a short name for what it
    returns ("Files in the library" -> "files in the library"), else the field's name in words
    (a description such as "Look up a code of conduct by its key" is not a name), its case as
    words.lower_first leaves it ("GitHub Security Advisories" stays).

    >>> from graphql import GraphQLEnumType
    >>> subject_of("codeOfConduct", GraphQLField(GraphQLEnumType("E", {"A": 1}), description="Look up a code of conduct."))
    'code of conduct'
    >>> subject_of("advisories", GraphQLField(GraphQLEnumType("E", {"A": 1}), description="GitHub Security Advisories"))
    'GitHub Security Advisories'
    """
    text = (f.description or "").strip().split("\n")[0].strip().rstrip(".")
    words = text.split()
    if not words or len(words) > 8 or words[0].lower() in VERBS or not text.replace(" ", "").isprintable() \
            or is_verb(words):
        return humanize(name)
    return lower_first(text)


def is_verb(words: list[str]) -> bool:
    """Whether a description starting with `words` says what to do: "Perform a search", "Look up
    a user", "Fetches the viewer" do; "books in the catalogue" (a noun that is also a verb) does not.

    >>> is_verb(["Perform", "a", "search"]), is_verb(["Fetches", "the", "viewer"]), is_verb(["books", "in", "the"])
    (True, True, False)
    """
    first, after = words[0], (words[1:2] or [""])[0].lower()
    if not first[:1].isupper() or not first[1:].islower():
        return False
    base = known_verb(first)
    if base not in COMMON_VERBS | IRREGULAR.keys() | {"perform", "look", "lookup"}:
        return False
    return base == first.lower() or after in ("a", "an", "the", "all", "one", "up", "every", "this", "its")


def query_lead(root, rng: random.Random) -> str:
    """A query request's opening: the field's description when it is an instruction ("Perform a
    search across resources", "Look up a code of conduct", cut before "by its key"), every other
    time; else a lead and the field's subject ("List GitHub Security Advisories")."""
    text = (root.field.description or "").strip().split("\n")[0].strip().rstrip(".")
    text = re.split(r"\s(?:by|for|with|using|based on|that|which|if|when)\s|[,;(]", text)[0]
    text = re.sub(r"^Lookup\b", "Look up", re.sub(r"\s(?:given|specified|particular)\b", "", text))
    words = text.split()
    if words and len(words) <= 10 and is_verb(words) and rng.random() < 0.5:
        return imperative(text)
    return rng.choice(LEADS).format(s=subject_of(root.name, root.field))


def imperative(text: str) -> str:
    """A mutation's description as an instruction: "Adds a comment" -> "Add a comment".

    >>> imperative("Adds a star."), imperative("Dismisses a review"), imperative("Applies a patch")
    ('Add a star.', 'Dismiss a review', 'Apply a patch')
    """
    first, _, rest = text.partition(" ")
    return f"{base_form(first)} {rest}".strip()


def mutation_lead(root: Root) -> str:
    """A mutation request's opening: its description as an instruction when it starts with a verb
    ("Adds a star to a repository" -> "Add a star to a repository"), else its name in words."""
    text = (root.field.description or "").strip().split("\n")[0].strip().rstrip(".")
    words = text.split()
    if words and len(words) <= 12 and words[0].lower().endswith("s") and words[0][1:].islower():
        return imperative(text)
    return sentence_case(humanize(root.name))
