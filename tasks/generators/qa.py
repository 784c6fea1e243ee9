"""Question-answer pairs from documentation chunks, each answer an exact span of its source.

Kinds of question, each from a pattern in the text:
- fact:    one fact of a sentence or list item, asked five ways (tasks/generators/facts.py):
           "stay there for 30 days" -> "How long do deleted files stay there?", "Tell me how long ..."
- define:  "A smart folder is a saved search." -> "What is a smart folder in Filebox?"
- how:     "To add one, open the sidebar ..." or a heading "Adding a location" -> "How do I add a location?"
- why:     a heading "Why search is fast", or "Links are read-only because ..." -> "Why are links read-only?"
- list:    "The available filters are:" + a list (or a table) -> "What are the filters in Filebox?"
- compare: a sentence contrasting two emphasised terms -> "What is the difference between viewer and editor?"
- about:   the section itself -> "Tell me about sharing files in Filebox."
The answer is always text copied from the chunk (whitespace unwrapped), and `meta.span` gives its
character range in the source file, so a test can check every answer against what it cites (after
redaction: a chunk's text may hold placeholders where the file holds an e-mail address; the span
is mapped back through them, see redact.source_offset).

A fact (one answer span) is often asked in several forms ("What is a smart folder in Filebox?",
"Define smart folder."). The forms in HELD_OUT_FORMS are never trained on: a question in one of
them is marked `meta.knowledge_test` and `split` puts it in valid or test, while the fact's other
forms go to train. So the test asks about facts the model was taught, in words it was not.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

from tasks.core.config import GenerateParams
from tasks.core.records import Example, chat, make_example
from tasks.generators import facts
from tasks.generators.qa_defects import FUNCTION_WORDS, GENERIC_HEADINGS, defects, names, prose_words
from tasks.generators.words import base_form, first_person, lower_first, sentence_case
from tasks.quality.redact import source_offset

CATEGORY = "qa"
KINDS = ("fact", "define", "how", "why", "list", "compare", "about")
ADMONITIONS = {"note", "tip", "tips", "warning", "important", "info", "caution", "danger", "hint", "example"}  # not terms to define
_SENTENCE = re.compile(r"(?:[^.!?]|\b(?:e\.g|i\.e|etc|vs|cf|approx|incl|resp|Mr|Dr|No)\.(?!\s*$)|\.(?=\w))+[.!?]+(?=\s|$)")
_DEFINITION = re.compile(r"^(?:A|An) ([A-Za-z][\w-]*(?: [\w-]+){0,2}) (?:is|are) (?:a|an|the|any|how|what) ")
_NAMED_DEFINITION = re.compile(r"^(?:\*\*|`)?([A-Z][\w-]*(?: [\w-]+){0,2})(?:\*\*|`)? is (?:a|an) ")
_HOW_TO = re.compile(r"^To ([a-z][^,]{3,80}),")
_BECAUSE = re.compile(r"^(?P<subj>[A-Z][\w' -]{2,60}?) (?P<verb>is|are|can|does|do|[a-z]+s) (?P<rest>[^,]{2,60}?) because ")
_EMPHASIS = re.compile(r"\*\*([^*]{2,40})\*\*|`([^`]{2,40})`")
_CONTRAST = re.compile(r"\b(while|whereas|unlike|but|also|instead|rather than)\b")
ABOUT_TEMPLATES = [
    "Tell me about {topic} in {product}.",
    "What does the {product} documentation say about {topic}?",
    "Can you explain {topic} in {product}?",
]


# Question forms held out of training for the knowledge test (matched on the drafted question).
HELD_OUT_FORMS = {
    "Define {term}.": re.compile(r"^Define "),
    "How can I {goal}?": re.compile(r"^How can I "),
    "Can you explain {topic}?": re.compile(r"^Can you explain "),
    "List the {things}.": re.compile(r"^List the "),
    "How does {a} differ from {b}?": re.compile(r"^How does .+ differ from "),
    "Do you know {question}?": re.compile(r"^Do you know "),  # tasks/generators/facts.py: HELD_OUT
    "Explain the {term} {noun}.": re.compile(r"^Explain "),
}


def held_out_form(question: str) -> bool:
    """Whether a question is in a form kept for the knowledge test, never trained on.

    >>> held_out_form("Define smart folder."), held_out_form("What is a smart folder in Filebox?")
    (True, False)
    """
    return any(form.search(question) for form in HELD_OUT_FORMS.values())


def system_prompt(product: str) -> str:
    return f"You are the {product} assistant. Answer questions about {product} accurately and briefly."


@dataclass(frozen=True)
class Block:
    kind: str  # prose | list | table | code | heading
    start: int
    end: int


_KINDS = {"paragraph_open": "prose", "bullet_list_open": "list", "ordered_list_open": "list",
          "table_open": "table", "fence": "code", "code_block": "code", "heading_open": "heading",
          "blockquote_open": "prose", "html_block": "html", "hr": "heading"}


def blocks(text: str) -> list[Block]:
    r"""The top-level blocks of a chunk, found by markdown-it (so fenced code stays whole).

    >>> [b.kind for b in blocks("Intro:\n\n- a\n- b\n\n```\nx\n\ny\n```\n\n| h |\n| - |\n")]
    ['prose', 'list', 'code', 'table']
    """
    from markdown_it import MarkdownIt

    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    out = []
    for tok in MarkdownIt("commonmark").enable("table").parse(text):
        if tok.level == 0 and tok.map is not None and tok.nesting in (0, 1):
            start, end = line_starts[tok.map[0]], line_starts[min(tok.map[1], len(line_starts) - 1)]
            out.append(Block(_KINDS.get(tok.type, "prose"), start, start + len(text[start:end].rstrip())))
    return out


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start() + (len(m.group()) - len(m.group().lstrip())), start + m.end())
            for m in _SENTENCE.finditer(text[start:end])]


def base_verb(gerund: str) -> str:
    """'Adding' -> 'add', 'Sharing' -> 'share', 'Tagging' -> 'tag', 'Installing' -> 'install'.

    >>> [base_verb(w) for w in ("Adding", "Sharing", "Tagging", "Installing", "Opening", "Using", "Scanning",
    ...                         "Removing", "Creating", "Entering", "Getting", "Checking")]
    ['add', 'share', 'tag', 'install', 'open', 'use', 'scan', 'remove', 'create', 'enter', 'get', 'check']
    """
    stem = gerund.lower()[:-3]
    vowels = "aeiou"

    def cvc(s: str) -> bool:
        return len(s) >= 2 and s[-1] not in vowels + "wxy" and s[-2] in vowels and (len(s) == 2 or s[-3] not in vowels)

    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "lsz" and cvc(stem[:-1]):
        return stem[:-1]
    if cvc(stem) and (len(stem) <= 4 and stem[-1] != "n" or len(stem) > 4 and stem[-1] not in "nr"):
        return stem + "e"
    if stem.endswith(("at", "ut", "iz", "ur")):  # create, compute, organize, configure
        return stem + "e"
    return stem


def heading_question(topic: str) -> str:
    """A "Why ..."/"How ..." heading as a question.

    >>> [heading_question(t) for t in ("Why search is fast", "How sync works", "Why versions use quota",
    ...                                "Why a file appears twice", "How long history is kept")]
    ['Why is search fast?', 'How does sync work?', 'Why do versions use quota?', 'Why does a file appear twice?', 'How long is history kept?']
    """
    words = topic.rstrip("?.").split()
    lead = 2 if len(words) > 2 and words[1] in ("long", "much", "many", "often") else 1
    first, words = " ".join(words[:lead]), words[lead:]
    for i, w in enumerate(words):
        if w in ("is", "are", "can") and i > 0:
            return f"{first} {w} {' '.join(words[:i] + words[i + 1:])}?"
    for i, w in enumerate(words[1:], 1):
        if w.endswith("s") and not w.endswith("ss"):
            return f"{first} does {' '.join(words[:i])} {w[:-1]} {' '.join(words[i + 1:])}".rstrip() + "?"
    if len(words) > 1 and words[0].endswith("s"):
        return f"{first} do {' '.join(words)}?"
    return f"{first} {' '.join(words)}?"


def list_questions(topic: str, intro: str, product: str) -> list[str]:
    """Questions answered by a list or table: from its intro ("The roles are:") or its heading.

    >>> list_questions("Roles in a team", "A team has members. The roles are:", "Filebox")
    ['What are the roles in Filebox?', 'List the roles.']
    """
    tail = re.split(r"(?<=[.!?])\s+", " ".join(intro.split()))[-1]  # the sentence ending in ":"
    m = re.fullmatch(r"The ([a-z][\w -]{1,40}) are:", tail)
    if m:
        return [f"What are the {m.group(1)} in {product}?", f"List the {m.group(1)}."]
    if topic.split()[0].lower() in ("how", "why"):
        return [heading_question(topic)]
    if topic.split()[0].lower() in ("which", "what", "when", "where", "who"):
        return [sentence_case(topic.rstrip("?")) + "?"]
    if topic_kind(topic) != "noun":
        return []
    noun = re.sub(r"^(?:the|a|an) ", "", lower_first(topic), flags=re.I)
    where = "" if product.lower() in noun.lower() else f" in {product}"
    if head_noun(noun).endswith("s") and not head_noun(noun).endswith("ss"):
        return [f"What are the {noun}{where}?", f"List the {noun}."]
    return [f"What is listed under {noun}{where}?"]


def head_noun(phrase: str) -> str:
    """The word a noun phrase is about: the last word before a preposition, else the last word.

    >>> head_noun("an example with two subcommands"), head_noun("core classes")
    ('example', 'classes')
    """
    words = phrase.split()
    for i, w in enumerate(words[1:], 1):
        if w.lower() in ("with", "for", "of", "in", "on", "to", "from", "by", "as", "and", "or"):
            return words[i - 1].lower()
    return words[-1].lower() if words else ""


IMPERATIVES = {"use", "install", "add", "create", "load", "parse", "run", "set", "get", "make", "build", "write",
               "read", "configure", "define", "call", "list", "remove", "delete", "update", "upgrade", "start",
               "stop", "open", "enable", "disable", "pass", "import", "export", "deploy", "test", "check", "see",
               "convert", "save", "share", "upload", "download", "connect", "register", "handle", "declare"}


def topic_kind(topic: str) -> str:
    """What a heading is: "generic" (a kind of content: "Usage"), "question" ("How sync works"),
    "gerund" ("Adding a location"), "imperative" ("Use Typer in your code"), "preposition"
    ("From Python objects"), "situation" ("Sync is paused": a problem to act on), or "noun" (a
    topic a question can name).

    >>> [topic_kind(t) for t in ("Usage", "Why search is fast", "Adding a location", "Install it", "With pip", "Roles")]
    ['generic', 'question', 'gerund', 'imperative', 'preposition', 'noun']
    >>> [topic_kind(t) for t in ("Search misses a file", "Sync is paused", "Usage limits", "Search and filters")]
    ['situation', 'situation', 'noun', 'noun']
    """
    words = re.sub(r"[^\w\s.'-]", " ", topic).split()
    first = words[0].lower() if words else ""
    if not words or " ".join(words).lower() in GENERIC_HEADINGS:
        return "generic"
    if first in ("how", "why", "which", "what", "when", "where", "who", "can", "does", "do", "is", "are"):
        return "question"
    if first.endswith("ing") and len(words) > 1 and first not in ("string", "thing", "everything", "nothing"):
        return "gerund"
    if first in IMPERATIVES:
        return "imperative"
    if first in FUNCTION_WORDS:
        return "preposition"
    if any(is_state_verb(w, words[i + 1] if i + 1 < len(words) else None, words[i - 1])
           for i, w in enumerate(words[1:4], 1)):
        return "situation"
    return "noun"


STATE_VERBS = {"miss", "fail", "crash", "hang", "freeze", "stop", "break", "load", "appear", "disappear",
               "respond", "start", "slow", "lag", "error", "time"} | facts.FACT_VERBS


def is_state_verb(word: str, after: str | None, before: str) -> bool:
    """Whether a heading's word states what something does or is ("Search misses a file", "Sync is
    paused", "Filebox runs slowly"), not a plural noun ("Usage limits", "Search and filters")."""
    low = word.lower()
    if low in ("is", "are", "isn't", "aren't", "won't", "doesn't", "don't", "can't", "cannot"):
        return True
    return (after is not None and after.lower() not in ("and", "or", "of", "for") and before.lower() not in
            ("and", "or", "of", "the", "a", "an") and low.endswith("s") and not low.endswith("ss")
            and base_form(low) in STATE_VERBS)


Candidate = tuple[str, int, int, str]  # (question, answer start, answer end, kind), offsets within the chunk text


def section_questions(text: str, topic: str, prose: list[Block], product: str) -> Iterator[Candidate]:
    """From the heading: "Why ..."/"How ..." headings, "Adding a location" -> how, and "about"."""
    first = prose[0]
    sents = sentences(text, first.start, first.end)
    answer_end = sents[min(1, len(sents) - 1)][1] if sents else first.end
    words = topic.split()
    kind = topic_kind(topic)
    goal = None
    if topic.lower().startswith(("why ", "how ")):
        yield heading_question(topic), first.start, answer_end, "why" if topic.lower().startswith("why") else "how"
    elif kind == "gerund":
        goal = f"{base_verb(words[0])} {' '.join(words[1:])}"
    elif kind == "imperative":
        goal = lower_first(topic)
    if kind == "situation":  # "Search misses a file" -> "What should I do when search misses a file in Filebox?"
        state = first_person(topic if topic.split()[0].lower() == product.split()[0].lower() else lower_first(topic))
        where = "" if product.lower() in topic.lower() else f" in {product}"
        yield f"What should I do when {state}{where}?", first.start, answer_end, "how"
        yield f"What can I do if {state}?", first.start, answer_end, "how"
        yield f"Do you know what to do when {state}?", first.start, answer_end, "how"
    if goal:
        goal = first_person(goal)
        where = "" if product.lower() in goal.lower() else f" in {product}"
        yield f"How do I {lower_first(goal)}{where}?", first.start, answer_end, "how"
        yield f"How can I {lower_first(goal)}?", first.start, answer_end, "how"
    if kind in ("noun", "gerund"):  # "Tell me about sharing files in Filebox."
        named = product.lower() in topic.lower()
        for template in ABOUT_TEMPLATES:
            if named:  # "Tell me about Rich Inspect.", not "... Rich Inspect in Rich."
                template = template.replace(" in {product}", "").replace("the {product} documentation", "the documentation")
            about = lower_first(topic)  # "sharing files"; a title-case name keeps its case: "Hugging Face Datasets"
            if re.match(r"(?:The|A|An) ", topic) or kind == "gerund" and (words[1][:1].islower() or words[1] in product.split()):
                # "the Filebox API", "installing Filebox"; a name keeps its case: "Hugging Face Datasets"
                about = topic[:1].lower() + topic[1:]
            yield template.format(product=product, topic=about), first.start, answer_end, "about"  # "about using the Console"


def list_candidates(text: str, topic: str, blks: list[Block], i: int, product: str) -> Iterator[Candidate]:
    """A list or table, with the prose line before it when that line introduces it ("... are:")."""
    b = blks[i]
    before = blks[i - 1] if i > 0 else None
    intro = before if before is not None and before.kind == "prose" and text[:before.end].rstrip().endswith(":") else None
    start = intro.start if intro else b.start
    for question in list_questions(topic, text[intro.start:intro.end] if intro else "", product):
        yield question, start, b.end, "list"


def define_questions(sentence: str, product: str) -> Iterator[tuple[str, str]]:
    """'A smart folder is a saved search.' -> What is a smart folder in <product>? / Define smart folder."""
    if m := _DEFINITION.match(sentence) or _NAMED_DEFINITION.match(sentence):
        term = m.group(1).strip()
        the = re.match(r"(?:The|This) (?=\S)", term)  # "The activity log is a ...": the article is not the name
        if the:
            term = lower_first(term[the.end():])
        article = "the " if the else "" if term == product or term[:1].isupper() else "an " if term[0] in "aeiou" else "a "
        yield f"What is {article}{term}{'' if term == product else ' in ' + product}?", "define"
        yield f"Define {'the ' if the else ''}{term}.", "define"


def how_questions(sentence: str, topic: str | None, product: str) -> Iterator[tuple[str, str]]:
    """'To add one, open ...' -> How do I add a location in <product>? (the pronoun from the heading)."""
    if m := _HOW_TO.match(sentence):
        goal = re.sub(r"\b(one|it)\b", _noun(topic), m.group(1).strip(), count=1)
        goal = first_person(goal)
        if re.match(r"\w+ (?:this|that|these|those|them)\b", goal):
            return  # "To try this out yourself, ...": this what? No question a reader could ask.
        yield f"How do I {goal}{'' if names(goal, product) else ' in ' + product}?", "how"


def why_questions(sentence: str) -> Iterator[tuple[str, str]]:
    """'Links are read-only because ...' -> Why are links read-only?"""
    if m := _BECAUSE.match(sentence):
        verb, subj = m.group("verb"), lower_first(m.group("subj"))
        if verb in ("is", "are", "can", "does", "do"):
            question = f"Why {verb} {subj} {m.group('rest')}?"
        else:
            question = f"Why does {subj} {verb[:-1]} {m.group('rest')}?"
        yield sentence_case(question), "why"


def compare_questions(sentence: str, product: str) -> Iterator[tuple[str, str]]:
    """A sentence contrasting two emphasised terms -> What is the difference between A and B?"""
    terms = [a or b for a, b in _EMPHASIS.findall(sentence)]
    terms = [t for t in terms if len(t.split()) <= 3 and t.lower() not in ADMONITIONS and not names(t, product)
             and product.lower() not in t.lower()]
    if len(set(terms)) >= 2 and _CONTRAST.search(sentence):
        a, b = terms[0], next(t for t in terms[1:] if t != terms[0])
        yield f"What is the difference between {a} and {b} in {product}?", "compare"
        yield f"How does {a} differ from {b}?", "compare"


def sentence_candidates(text: str, block: Block, topic: str | None, product: str) -> Iterator[Candidate]:
    """The questions single sentences answer; definitions and how-tos take the next sentence too."""
    sents = sentences(text, block.start, block.end)
    for j, (s, e) in enumerate(sents):
        sentence = text[s:e]
        with_next = sents[j + 1][1] if j + 1 < len(sents) else e
        for question, kind in (*define_questions(sentence, product), *how_questions(sentence, topic, product)):
            yield question, s, with_next, kind
        for question, kind in (*why_questions(sentence), *compare_questions(sentence, product)):
            yield question, s, e, kind


def candidates(chunk: dict, product: str) -> Iterator[Candidate]:
    """Every question the chunk answers, with its answer's offsets in the chunk's text; an answer
    that introduces a list, table or code block (it ends with ":") takes that block with it, or
    is dropped when none follows."""
    text = chunk["text"]
    blks = [b for b in blocks(text) if b.kind != "heading"]
    for question, start, end, kind in _candidates(text, blks, chunk, product):
        if text[start:end].rstrip().endswith(":"):
            following = next((b for b in blks if b.start >= end), None)
            if following is None or following.kind not in ("list", "table", "code") \
                    or text[following.start:following.end].lstrip().startswith("<"):
                continue
            end = following.end
        yield question, start, end, kind


def _candidates(text: str, blks: list[Block], chunk: dict, product: str) -> Iterator[Candidate]:
    prose = [b for b in blks if b.kind == "prose"]
    topic = re.sub(r"[*_`]", "", chunk["heading_path"][-1]).strip() if chunk["heading_path"] else None
    if topic and prose:
        yield from section_questions(text, topic, prose, product)
    for i, b in enumerate(blks):
        if b.kind in ("list", "table") and topic:
            yield from list_candidates(text, topic, blks, i, product)
        if b.kind == "prose":
            yield from sentence_candidates(text, b, topic, product)
        yield from fact_candidates(text, blks, i, product)


def fact_candidates(text: str, blks: list[Block], i: int, product: str) -> Iterator[Candidate]:
    """Each fact a sentence or list item states, in every form tasks/generators/facts.py asks it,
    answered by that sentence or item alone."""
    b = blks[i]
    if b.kind == "prose":
        units = [(s, e, None, False) for s, e in sentences(text, b.start, b.end)]
    elif b.kind == "list":
        intro = facts.plain(text[blks[i - 1].start:blks[i - 1].end]) if i > 0 and blks[i - 1].kind == "prose" else ""
        noun = facts.list_noun(intro)
        units = [(b.start + m.start(), b.start + m.end(), noun, True)
                 for m in re.finditer(r"(?m)^\s*(?:[-*+]|\d+[.)])\s.*$", text[b.start:b.end])]
    else:
        return
    for s, e, noun, in_list in units:
        for fact in facts.facts_in(text[s:e], product, noun, in_list):
            for question in fact.train + fact.held_out:
                yield question, s, e, "fact"


def _noun(topic: str | None) -> str:
    """The thing a heading is about: "Adding a location" -> "a location"."""
    if not topic:
        return "it"
    words = topic.split()
    if words[0].lower().endswith("ing") and len(words) > 1:
        words = words[1:]
    return " ".join(words).lower()


def tidy(text: str) -> str:
    r"""An answer as a person reads it: hard-wrapped prose lines joined, lists, tables and code
    kept line by line, blocks apart.

    >>> tidy("The roles are:\n\n- viewer\n- editor\n\nSee the\nsettings.")
    'The roles are:\n\n- viewer\n- editor\n\nSee the settings.'
    """
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in block.splitlines() if line.strip()]
        if any(re.match(r"\s*(?:[-*+] |\d+[.)] |\||```|~~~|    |:?-{3,}:?\s*\|)", line) for line in lines):
            out.append("\n".join(lines))
        else:
            out.append(" ".join(" ".join(lines).split()))
    return "\n\n".join(b for b in out if b)


def source_span(chunk: dict, start: int, end: int) -> list[int]:
    """Offsets in the chunk's (redacted) text -> the character range in its source file."""
    spans = [tuple(r) for r in chunk.get("redactions", [])]
    return [chunk["start"] + source_offset(start, spans, "start"), chunk["start"] + source_offset(end, spans, "end")]


def pairs_from_docs(chunks: list[dict], p: GenerateParams, rng: random.Random,
                    quota: int) -> tuple[list[Example], dict]:
    """Up to `quota` QA examples with distinct questions, and {"kinds": {kind: count}, "drafted":
    n, "defects": {defect: count}, "without_text": n, "knowledge_test": n, "held_out_alone": n, "facts":
    {"stating_sentences": n, "asked_3_ways_or_more": n}} (a fact is counted by the sentence or list
    item that states it, tasks/generators/facts.py; trained forms only)
    (`without_text`: questions not drafted because their section is images, links or markup
    with fewer than three words of prose, so holds no fact to ask about): a drafted pair with
    a defect (see `defects`) is left out and counted by kind. When there are more candidates than
    the quota, every kind keeps its share (round-robin over kinds) before any kind gets more. A
    question in a held-out form (HELD_OUT_FORMS) comes along with the first trained question of
    its fact (`meta.fact`) and is marked `meta.knowledge_test`; one whose fact has no trained
    form is left out and counted (`held_out_alone`): it would test a fact never taught."""
    by_kind: dict[str, list[Example]] = {k: [] for k in KINDS}
    held: dict[str, list[Example]] = {}
    seen: set[str] = set()
    drafted, no_text, found = 0, 0, Counter()
    for chunk in chunks:
        topic = chunk["heading_path"][-1] if chunk["heading_path"] else None
        for question, s, e, kind in candidates(chunk, p.product):
            if question in seen:
                continue
            seen.add(question)
            answer = tidy(chunk["text"][s:e])
            if prose_words(answer) < 3:  # a section of images, links or markup only: no fact to ask about
                no_text += 1
                continue
            drafted += 1
            problems = defects(question, answer, chunk["text"], p.product, topic)
            if problems:
                found.update(problems)
                continue
            span = source_span(chunk, s, e)
            fact = f"{chunk['file']}:{span[0]}-{span[1]}"
            meta = {"kind": kind, "file": chunk["file"], "span": span, "fact": fact}
            if held_out_form(question):
                meta["knowledge_test"] = True
            ex = make_example(CATEGORY, chat(system_prompt(p.product), question, answer),
                              source=f"docs:{chunk['file']}#{' > '.join(chunk['heading_path'])}", meta=meta)
            (held.setdefault(fact, []) if held_out_form(question) else by_kind[kind]).append(ex)
    for pool in by_kind.values():
        rng.shuffle(pool)
    taught = {ex["meta"]["fact"] for pool in by_kind.values() for ex in pool}
    picked: list[Example] = []
    for round_ in range(max((len(v) for v in by_kind.values()), default=0)):
        for kind in KINDS:
            if len(picked) < quota and round_ < len(by_kind[kind]):
                ex = by_kind[kind][round_]
                picked.append(ex)
                for sibling in held.pop(ex["meta"]["fact"], []):  # the fact's held-out forms, with its first trained one
                    if len(picked) < quota:
                        picked.append(sibling)
    kinds: dict[str, int] = {}
    for ex in picked:
        kinds[ex["meta"]["kind"]] = kinds.get(ex["meta"]["kind"], 0) + 1
    trained = Counter(ex["meta"]["fact"] for ex in picked if ex["meta"]["kind"] == "fact" and not ex["meta"].get("knowledge_test"))
    stated = {ex["meta"]["fact"] for ex in picked if ex["meta"]["kind"] == "fact"}
    return picked, {"kinds": kinds, "drafted": drafted, "defects": dict(found.most_common()), "without_text": no_text,
                    "knowledge_test": sum(1 for ex in picked if ex["meta"].get("knowledge_test")),
                    "facts": {"stating_sentences": len(stated), "asked_3_ways_or_more": sum(1 for n in trained.values() if n >= 3)},
                    "held_out_alone": sum(len(v) for f, v in held.items() if f not in taught)}
