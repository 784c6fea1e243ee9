"""Question-answer pairs from documentation chunks, each answer an exact span of its source.

Questions come from the section's heading (what the section is about) and from sentences that
define something ("A smart folder is ...") or say how to do something ("To add one, ...").
The answer is always text copied from the chunk, and `meta.span` says where it sits in the file.
"""
from __future__ import annotations

import random
import re
from typing import Iterator

from tasks.config import GenerateParams
from tasks.examples import Example, chat, make_example
from tasks.generators.words import sentence_case

CATEGORY = "qa"
_SENTENCE = re.compile(r"[^.!?]+[.!?]+(?=\s|$)")
_DEFINITION = re.compile(r"^(?:A|An) ([A-Za-z][\w-]*(?: [\w-]+){0,2}) (?:is|are) ")
_HOW_TO = re.compile(r"^To ([a-z][^,]{3,60}),")
HEADING_TEMPLATES = [
    "What does the {product} documentation say about {topic}?",
    "Tell me about {topic} in {product}.",
    "Can you explain {topic} in {product}?",
    "I have a question about {topic} in {product}: how does it work?",
]


def system_prompt(product: str) -> str:
    return f"You are the {product} assistant. Answer questions about {product} accurately and briefly."


def prose_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each prose paragraph in a chunk: code, tables and list items are left out.

    >>> list(prose_spans("One two.\\n\\n```\\ncode\\n```\\n\\n| a |\\n\\nThree."))
    [(0, 8), (31, 37)]
    """
    pos = 0
    for para in re.split(r"(\n\s*\n)", text):
        stripped = para.strip()
        if stripped and not stripped.startswith(("```", "|", "-", "*", "#", ">")) and not re.match(r"\d+\.", stripped):
            lead = len(para) - len(para.lstrip())
            yield pos + lead, pos + lead + len(stripped)
        pos += len(para)


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start() + (len(m.group()) - len(m.group().lstrip())), start + m.end())
            for m in _SENTENCE.finditer(text[start:end])]


def candidates(chunk: dict, product: str) -> Iterator[tuple[str, int, int, str]]:
    """(question, answer start, answer end, kind) for one chunk; offsets are within chunk text."""
    text = chunk["text"]
    paras = list(prose_spans(text))
    if not paras:
        return
    topic = chunk["heading_path"][-1] if chunk["heading_path"] else None
    if topic:
        first, end = paras[0]
        sents = sentences(text, first, end)
        answer_end = sents[min(1, len(sents) - 1)][1] if sents else end
        topic_words = topic if topic.isupper() else topic[:1].lower() + topic[1:]
        if topic.lower().startswith(("why ", "how ")):
            yield sentence_case(topic.rstrip("?.")) + "?", first, answer_end, "why" if topic.lower().startswith("why") else "how"
        else:
            for template in HEADING_TEMPLATES:
                yield template.format(product=product, topic=topic_words), first, answer_end, "about"
    for pstart, pend in paras:
        sents = sentences(text, pstart, pend)
        for i, (s, e) in enumerate(sents):
            sentence = text[s:e]
            answer_end = sents[i + 1][1] if i + 1 < len(sents) else e
            if m := _DEFINITION.match(sentence):
                term = m.group(1).strip()
                yield f"What is a {term} in {product}?", s, answer_end, "define"
                yield f"Define {term}.", s, answer_end, "define"
            if m := _HOW_TO.match(sentence):
                goal = m.group(1).strip()
                goal = re.sub(r"\b(one|it)\b", _noun(topic), goal, count=1)
                yield f"How do I {goal} in {product}?", s, answer_end, "how"


def _noun(topic: str | None) -> str:
    """The thing a heading is about: "Adding a location" -> "a location"."""
    if not topic:
        return "it"
    words = topic.split()
    if words[0].lower().endswith("ing") and len(words) > 1:
        words = words[1:]
    return " ".join(words).lower()


def pairs_from_docs(chunks: list[dict], p: GenerateParams, rng: random.Random, quota: int) -> list[Example]:
    """Up to `quota` QA examples with distinct questions, sampled evenly over the candidates."""
    pool, seen = [], set()
    for chunk in chunks:
        for question, s, e, kind in candidates(chunk, p.product):
            if question in seen:
                continue
            seen.add(question)
            answer = " ".join(chunk["text"][s:e].split())  # unwrap hard-wrapped lines
            pool.append(make_example(
                CATEGORY,
                chat(system_prompt(p.product), question, answer),
                source=f"docs:{chunk['file']}#{' > '.join(chunk['heading_path'])}",
                meta={"kind": kind, "file": chunk["file"], "span": [chunk["start"] + s, chunk["start"] + e]},
            ))
    rng.shuffle(pool)
    return pool[:quota]
