"""Facts the docs state, each asked in several forms (knowledge augmentation).

A fact seen in one phrasing is memorised but not retrievable by others (Allen-Zhu and Li, Physics
of Language Models 3.1); so every fact this module finds is asked TRAIN_FORMS ways for training
and HELD_OUT ways for the knowledge test, and answered by the short text that states it (its
sentence, or its list item), which keeps its span.

Facts, from any markdown (no word list of one product):
- quantities: a duration ("for 30 days" -> how long), a size ("5 GB of quota" -> how much quota),
  a count ("two devices" -> how many devices), a frequency ("every 10 minutes" -> how often), in a
  sentence or in a list item "**Free**: 5 GB of quota and two devices" (the list's intro, "The
  plans are:", names what the item is: the Free plan);
- shortcuts: "press Ctrl+T", "opens with Ctrl+K" -> which shortcut;
- yes/no statements: "Filebox never deletes files on its own", "Editors cannot share ...",
  "The API does not need ..." -> does / can / is;
- named items of a list: "**Owner**: manages billing ..." -> what the Owner role is.

Each question is built twice: as an embedded question ("how long deleted files stay in the trash"),
which needs no inversion and so is always grammatical ("Tell me how long ..."), and, where a rule
can invert it, as a direct one ("How long do deleted files stay in the trash?").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from tasks.generators.words import COMMON_VERBS, IRREGULAR, base_form, first_person, known_verb, lower_first

NUM = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|sixty|ninety)"
DURATION = re.compile(rf"\b(?:{NUM}|a|an)\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b")
SIZE = re.compile(r"\b\d+(?:\.\d+)?\s?(?:KB|MB|GB|TB|PB|bytes)\b(?:\s+of\s+(?P<noun>[a-z]+))?")
COUNT = re.compile(rf"\b(?:{NUM}|unlimited)\s+(?P<noun>[a-z]{{3,}}s)\b")
SHORTCUT = re.compile(r"\b(?:Ctrl|Cmd|Alt|Shift|Option|Command|Super)(?:\s?\+\s?[A-Za-z0-9]+)+\b")
UNIT_WORDS = {"seconds", "minutes", "hours", "days", "weeks", "months", "years", "bytes"}
TRAIL = {"for", "of", "up", "to", "at", "most", "least", "within", "after", "in", "by", "the", "about", "around",
         "over", "under", "and", "with", "only", "just", "than", "every", "each", "per", "without"}
AUX = {"is", "are", "was", "were", "can", "cannot", "will", "may", "must", "should", "could", "has", "have"}
PREPOSITIONS = ("on ", "in ", "per ", "for ", "after ", "when ", "if ", "at ", "from ", "while ", "before ")
FACT_VERBS = {"stay", "keep", "last", "hold", "allow", "include", "cost", "take", "give", "get", "serve", "store",
              "limit", "expire", "run", "need", "use", "send", "show", "open", "delete", "count", "wait", "retry",
              "sync", "scan", "go", "contain", "support", "remove", "share", "change", "work", "win", "require",
              "see", "download", "edit", "rename", "move", "make", "let", "become", "mean", "apply", "reach", "pass"}

# Forms whose words around the question differ enough (word 3-grams) that dedup keeps each one.
NOT_SUBJECTS = {"note", "see", "which", "who", "that", "to", "for", "in", "on", "with", "by", "from", "if", "when", "as", "or", "and",
                "but", "so", "then", "there", "it", "this", "these", "those"}
# A sentence that points elsewhere ("sorted by any of these columns", "the following options") states
# nothing a question can carry on its own: asked alone, it would teach an answer without its fact.
POINTS_ELSEWHERE = re.compile(r"\b(?:these|those|the following|as follows|(?:listed|shown|described) (?:above|below)"
                              r"|(?:above|below)[.:]?$)", re.IGNORECASE)
GENERIC_TERMS = {"usage", "example", "examples", "note", "notes", "tip", "warning", "important", "see also", "default",
                 "optional", "required", "returns", "parameters", "arguments", "options"}
TRAIN_FORMS = ("{Direct}", "Tell me {q}.", "I'd like to know {q}.", "Any idea {q}?", "Quick question: {q}?")
HELD_OUT = ("Do you know {q}?",)


@dataclass
class Fact:
    key: str                 # what answers it: "30 days", "Ctrl+K", "never"
    train: list[str]         # questions to train on (at least 3)
    held_out: list[str]      # questions in forms never trained on, for the knowledge test


def plain(text: str) -> str:
    """A sentence without markdown emphasis, code ticks, links or line breaks."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split())


def is_verb(word: str) -> bool:
    low = word.lower()
    return low in AUX or low in IRREGULAR.values() or known_verb(low) in FACT_VERBS | IRREGULAR.keys() or \
        base_form(low) in FACT_VERBS or (low.endswith("ed") and len(low) > 4)


def strip_tail(words: list[str]) -> tuple[list[str], str]:
    """Trailing prepositions and fillers off a prefix; returns the words left and the last one taken."""
    taken = ""
    while words and words[-1].lower() in TRAIL:
        taken = words.pop().lower()
    return words, taken


SUBORDINATE = {"when", "if", "because", "while", "before", "after", "unless", "until", "whenever", "so", "although",
               "since", "where", "whereas"}


def subject_case(words: list[str], product: str) -> list[str]:
    """The sentence's first word lower-cased once it is mid-question ("Editors cannot ..." ->
    "Can editors ..."), unless it is the product, an acronym or a name with capitals inside."""
    first = words[0]
    if first == product or len(first) > 1 and not first[1:].islower() or first == "I":
        return words
    return [first.lower()] + words[1:]


def direct(wh: str, clause: list[str]) -> str | None:
    """The embedded question's clause inverted: ("how long", "deleted files stay in the trash") ->
    "How long do deleted files stay in the trash?"; None when no verb is found.

    >>> direct("how long", "version history is limited on the Free plan".split())
    'How long is version history limited on the Free plan?'
    >>> direct("how much quota", "the Free plan has".split())
    'How much quota does the Free plan have?'
    >>> direct("how long", "deleted files stay in the trash".split())
    'How long do deleted files stay in the trash?'
    """
    aux = next((i for i, w in enumerate(clause[1:], start=1) if w.lower() in AUX), None)
    for i, word in enumerate(clause[1:], start=1):
        low = word.lower()
        if aux is not None and i != aux:
            continue
        if low in SUBORDINATE:
            return None
        subject = " ".join(clause[:i])
        rest = " ".join(clause[i + 1:])
        if low in AUX - {"has", "have"}:
            return f"{wh[:1].upper()}{wh[1:]} {low} {subject} {rest}".strip() + "?"
        if low in ("has", "have"):
            return f"{wh[:1].upper()}{wh[1:]} {'does' if low == 'has' else 'do'} {subject} have {rest}".strip() + "?"
        if is_verb(word) and not low.endswith("ed"):
            third = low.endswith("s") and base_form(low) != low
            return f"{wh[:1].upper()}{wh[1:]} {'does' if third else 'do'} {subject} {base_form(low)} {rest}".strip() + "?"
        if low.endswith("ed"):
            return None
    return None


def asked(wh: str, clause: list[str], key: str, product: str) -> Fact | None:
    """The forms of one question about `key`, from its wh-words and the clause it asks about."""
    if len(clause) < 2 or not any(is_verb(w) for w in clause[1:]):
        return None
    head = clause[0].lower()
    if head in NOT_SUBJECTS or not head.endswith("ed") and known_verb(head) in FACT_VERBS | COMMON_VERBS:
        return None  # "which holds ...", "see the demo folder ...": no subject to ask about
    first_verb = next(i for i, w in enumerate(clause[1:], start=1) if is_verb(w))
    if any(w.lower() in SUBORDINATE for w in clause[first_verb:]):
        return None  # the quantity is in a subordinate clause: "a conflict happens when ... on two devices"
    joined = next((j for j in range(first_verb + 1, len(clause) - 1) if clause[j] == "and" and is_verb(clause[j + 1])), None)
    if joined is not None:  # "files go to the trash and stay there" -> "files stay there"
        clause = clause[:first_verb] + clause[joined + 1:]
    clause = subject_case(clause, product)
    q = f"{wh} {' '.join(clause)}"
    straight = direct(wh, clause)
    train = [f.format(q=q, Direct=straight or "") for f in TRAIN_FORMS if straight or "{Direct}" not in f]
    return Fact(key, [t for t in train if t], [f.format(q=q) for f in HELD_OUT])


def quantity_facts(sentence: str, product: str) -> Iterator[Fact]:
    """How long / how much / how many / how often, for each quantity the sentence states in its
    predicate (after its verb), the clause before the first one asked about."""
    found = []
    for pattern, kind in ((DURATION, "long"), (SIZE, "much"), (COUNT, "many")):
        for m in pattern.finditer(sentence):
            if kind == "many" and m.group("noun") in UNIT_WORDS:
                continue
            found.append((m.start(), m.end(), kind, m))
    found.sort()
    if not found:
        return
    first = found[0][0]
    start_of_clause = max([0] + [m.end() for m in re.finditer(r"[:;,] ", sentence[:first])])
    clause, taken = strip_tail(sentence[start_of_clause:first].split())
    for start, end, kind, m in found:
        after = sentence[end:].lstrip(" ")
        scope = re.split(r"[,;.]| and | but ", after)[0].strip() if after.startswith(PREPOSITIONS) else ""
        if taken in ("than", "over", "under", "without") or not clause:
            continue  # "larger than 1 GB" is a condition, not a fact to ask for
        if taken in ("every", "each"):
            wh = "how often"
        elif kind == "long":
            wh = "how long"
        elif kind == "much" and (m.group("noun") or "").endswith("s"):
            wh = f"how many {m.group(0).split()[-3] if len(m.group(0).split()) > 3 else 'GB'} of {m.group('noun')}"
        elif kind == "much":
            wh = f"how much {m.group('noun') or 'space'}"
        else:
            wh = f"how many {m.group('noun')}"
        fact = asked(wh, clause + (scope.split() if scope else []), m.group(0), product)
        if fact is not None:
            yield fact


def shortcut_facts(sentence: str, product: str) -> Iterator[Fact]:
    """"To tag files, press Ctrl+T" / "Search opens with Ctrl+K" -> which shortcut does it."""
    m = SHORTCUT.search(sentence)
    if not m:
        return
    goal = re.search(r"\bto ([a-z][^,.;]{3,60}?)(?:,|\.|;| press| use| or |$)", sentence[:m.start()], re.I)
    what = re.match(r"(?:the\s+)?([A-Za-z][\w ]{2,40}?) opens with", sentence)
    if goal:
        task = goal.group(1).strip()
        forms = [f"What is the shortcut to {task}?", f"Which keys {task}?", f"Is there a keyboard shortcut to {task}?",
                 f"Is there a hotkey to {task}?"]
        held = [f"Do you know the shortcut to {task}?"]
    elif what:
        thing = lower_first(what.group(1).strip())
        forms = [f"What is the shortcut for {thing}?", f"Which keys open {thing}?", f"Is there a hotkey for {thing}?",
                 f"Is there a keyboard shortcut for {thing}?"]
        held = [f"Do you know the shortcut for {thing}?"]
    else:
        return
    yield Fact(m.group(0), forms, held)


NAME = r"[a-z]*[A-Z][\w.+-]*(?: [A-Z][\w.+-]*)?"  # Linux, macOS, Google Drive
NAMES = re.compile(rf"^(?P<clause>[A-Z][^,:;]*?) (?P<prep>on|in|to|with|from|by|for|supports|include|includes)? ?"
                   rf"(?P<names>{NAME}(?:, {NAME})*,? (?:and|or) {NAME})\.?$")


def names_facts(sentence: str, product: str) -> Iterator[Fact]:
    """"Filebox runs on Linux, macOS and Windows" -> "What does Filebox run on?" (a list of names
    the sentence ends on, after a verb or a preposition)."""
    m = NAMES.match(sentence)
    if not m:
        return
    clause = m.group("clause").split()
    prep = m.group("prep") or ""
    if prep and not prep.islower() or prep in ("supports", "include", "includes"):
        clause, prep = clause + [prep], ""
    fact = asked("what", clause + ([prep] if prep else []), m.group("names"), product)
    if fact is not None:
        yield fact


YES_NO = re.compile(r"^(?P<subj>[A-Z][\w'-]*(?: [\w'-]+){0,5}?) (?P<neg>never|always|cannot|can't|can not|can|does not|"
                    r"doesn't|do not|don't|is not|isn't|are not|aren't|only) (?P<rest>[a-z][^.]*)\.?$")


def yes_no_facts(sentence: str, product: str) -> Iterator[Fact]:
    """"Filebox never deletes files on its own" -> "Does Filebox delete files on its own?" and
    "whether Filebox deletes files on its own"; can / does / is likewise."""
    m = YES_NO.match(sentence)
    if not m:
        return
    subj, neg, rest = m.group("subj"), m.group("neg"), m.group("rest").rstrip(".")
    rest = re.split(r"[:;]|, (?:but|because|whereas|so|while|and) ", rest)[0].strip()
    rest = first_person(rest)  # the asker's own files: "Does Filebox delete my files?"
    words = rest.split()
    if not words or set(subj.lower().split()) & (SUBORDINATE | {"that", "which", "who"}) or subj.split()[0].lower() in NOT_SUBJECTS:
        return
    if subj in ("You", "you"):  # the docs speak to the reader; the reader asks about themselves
        subj = "I"
    subj = first_person(subj)  # "files in your own locations" -> "files in my own locations"
    if len(re.findall(rf"\b{re.escape(product)}\b", f"{subj} {rest}")) > 1:
        return  # "... your FastAPI app to FastAPI Cloud": a question would name the product twice
    subj_l = " ".join(subject_case(subj.split(), product))
    plural = subj == "I" or subj.split()[-1].endswith("s") and not subj.split()[-1].endswith("ss")
    if neg in ("never", "always", "only"):
        verb = words[0]
        if not is_verb(verb):
            return
        question = f"{'Do' if plural else 'Does'} {subj_l} {base_form(verb)} {' '.join(words[1:])}?"
        statement = f"{subj_l} {verb} {' '.join(words[1:])}"
    elif neg in ("cannot", "can't", "can not", "can"):
        question, statement = f"Can {subj_l} {rest}?", f"{subj_l} can {rest}"
    elif neg in ("does not", "doesn't", "do not", "don't") and not is_verb(words[0]):
        return  # "doesn't even use": an adverb first; said plainly only by a rule this module has not
    elif neg in ("does not", "doesn't", "do not", "don't"):
        aux = "Does" if neg.startswith("do") and "es" in neg else "Do"
        question = f"{aux} {subj_l} {rest}?"
        statement = f"{subj_l} {words[0] + ('s' if aux == 'Does' and not words[0].endswith('s') else '')} {' '.join(words[1:])}"
    else:
        aux = "Is" if neg.startswith("is") else "Are"
        question, statement = f"{aux} {subj_l} {rest}?", f"{subj_l} {aux.lower()} {rest}"
    statement = " ".join(statement.split())
    yield Fact(neg, [question, f"Tell me whether {statement}.", f"I'd like to know if {statement}.",
                     f"Any idea whether {statement}?"], [f"Do you know whether {statement}?"])


def item_facts(item: str, noun: str | None, product: str) -> Iterator[Fact]:
    """A list item "Term: what it is": what the Term (plan, role, ...) is, and the quantities it states."""
    m = re.match(r"^(?P<term>[A-Z][\w .'-]{0,30}): (?P<desc>.+)$", item)
    if not m:
        return
    term, desc = m.group("term").strip(), m.group("desc").rstrip(".")
    first = term.split()[0].lower()
    if known_verb(first) in FACT_VERBS | COMMON_VERBS or first in NOT_SUBJECTS or term.lower() in GENERIC_TERMS:
        return  # "Run scripts: ...", "Usage: ...": not a thing to ask what it is
    name = f"the {term} {noun}" if noun else term
    yield Fact(term, [f"What is {name}?", f"Tell me about {name}.", f"What should I know about {name}?",
                      f"What does {name} mean?"], [f"Explain {name}."])
    if DURATION.search(desc) or SIZE.search(desc) or COUNT.search(desc):
        yield from quantity_facts(f"{name[:1].upper()}{name[1:]} has {desc}.", product)


def list_noun(intro: str) -> str | None:
    """What a list's items are, from its intro: "The plans are:" -> "plan", "The available filters are:" -> "filter"."""
    m = re.search(r"\b(?:the|The) (?:[a-z]+ )?([a-z]+?)s (?:are|include)\b[^.]*:$", intro.strip())
    return m.group(1) if m else None


def facts_in(unit: str, product: str, noun: str | None = None, in_list: bool = False) -> list[Fact]:
    """Every fact one sentence (or list item) states."""
    text = plain(unit)
    text = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", text)
    text = re.sub(r"^(?:But|And|So|However|Also),? ", "", text)
    if POINTS_ELSEWHERE.search(text):
        return []
    if in_list:
        return list(item_facts(text, noun, product))
    out = [*quantity_facts(text, product), *shortcut_facts(text, product), *yes_no_facts(text, product),
           *names_facts(text, product)]
    return out
