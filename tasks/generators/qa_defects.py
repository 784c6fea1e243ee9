"""The defect checker of QA pairs: a table of named checks, each a thing a person would not
write ("List the list Models.", "How do I try this out yourself?", an answer that stops at a colon).
A drafted pair with any defect is left out and counted by its name in generate's report; the
real-docs tests require none in what is kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

# Section headings that name a kind of content, not a topic: a question about "Commands" alone is
# not a question a person asks.
GENERIC_HEADINGS = {
    "commands", "command", "example", "examples", "usage", "overview", "introduction", "intro", "notes", "note",
    "details", "summary", "contents", "table of contents", "more", "misc", "miscellaneous", "other", "faq",
    "see also", "license", "changelog", "links", "resources", "reference", "references", "help", "about",
    "description", "features", "requirements", "installation", "install", "setup", "getting started",
    "quickstart", "quick start", "contributing", "credits", "acknowledgements", "acknowledgments", "options",
    "arguments", "parameters", "returns", "output", "result", "results", "demo", "tutorial", "documentation",
    "docs", "history", "release notes", "news", "support", "authors", "status", "todo", "roadmap", "sponsors",
    "recap", "next steps", "what's next", "limitations", "known issues", "troubleshooting", "tips",
}
FUNCTION_WORDS = {"from", "to", "with", "for", "of", "in", "on", "by", "at", "into", "via", "and", "or", "about",
                  "use", "install", "run", "add", "create", "get", "set", "make", "list", "see", "check", "read"}
QUESTION_WORDS = {"what", "how", "why", "when", "where", "which", "who", "does", "do", "can", "is", "are", "the",
                  "tell", "me", "about", "explain", "you", "documentation", "say", "says", "define", "list", "describe",
                  "differ", "from", "between", "difference", "there", "any", "should", "would", "could", "with",
                  "that", "this", "for", "and", "or", "not", "into", "of", "in", "on", "to", "an", "my", "i", "it",
                  "listed", "under", "mean", "means", "used", "use", "work", "works", "happens", "kinds", "types",
                  "i'd", "like", "know", "idea", "quick", "question", "whether", "if"}  # a question's frame (facts.py)


def mentions(text: str, product: str) -> int:
    """How often `text` names the product, as written ("rich output" does not name Rich)."""
    return len(re.findall(rf"(?<![\w-]){re.escape(product)}(?![\w-])", text)) if product else 0


def names(text: str, product: str) -> bool:
    """Whether `text` names the product at all."""
    return mentions(text, product) > 0


def prose_words(text: str) -> int:
    """Words of an answer outside links' targets, images, HTML tags and markup: a list of badges,
    sponsor logos or bare links has none."""
    plain = re.sub(r"!?\[[^\]]*\]\([^)]*\)|\[!\[.*?\]\]|<[^>]+>|https?://\S+|[`*_#>|\[\]-]", " ", text)
    return len(re.findall(r"[A-Za-z]{2,}", plain))


@dataclass
class Pair:
    """One QA pair and what the checks read of it: `source` is the text the answer comes from
    (its chunk), `topic` the heading it is under."""
    question: str
    answer: str
    source: str
    product: str
    topic: str | None

    def __post_init__(self):
        self.words = re.findall(r"[A-Za-z][\w'-]*", self.question)
        self.low = [w.lower() for w in self.words]
        self.text = self.answer.rstrip()
        self.last_line = self.text.splitlines()[-1].strip() if self.text else ""


def doubled_word(q: Pair) -> bool:  # "List the list Models."
    return any(len(q.low[i]) > 2 and q.low[i] in q.low[i + 1:i + 3] for i in range(len(q.low) - 1))


def article_after_article(q: Pair) -> bool:  # "What is the a list?"
    return re.search(r"\b(?:the|a|an) (?:the|a|an)\b", q.question, re.I) is not None


def topic_not_a_noun(q: Pair) -> bool:  # "Tell me about from the shell."
    m = re.search(r"\b(?:about|explain|under|are the|is the) (\w+)", q.question)
    return m is not None and m.group(1).lower() in FUNCTION_WORDS


def product_twice(q: Pair) -> bool:  # "How do I use Filebox in Filebox?"
    return mentions(q.question, q.product) > 1


def generic_topic(q: Pair) -> bool:  # "What does the documentation say about Examples?"
    return bool(q.topic) and q.topic.strip().lower().rstrip(":") in GENERIC_HEADINGS \
        and q.topic.lower() in q.question.lower()


def answer_without_text(q: Pair) -> bool:  # badges, logos, bare links
    return prose_words(q.text) < 3


def answer_ends_with_colon(q: Pair) -> bool:  # "The roles are:" and the list left behind
    return q.text.endswith(":")


def answer_ends_mid_sentence(q: Pair) -> bool:  # cut before its full stop (a list, table or code may end it)
    return not q.text.endswith(":") and "```" not in q.text[-4:] and not re.search(
        r"[.!?)\]`\"'*]$|^\s*(?:[-*+]|\d+[.)])\s|^\|.*\|$|^```|\S \| \S", q.last_line)


def flattened_table(q: Pair) -> bool:  # a Markdown table on one line
    return re.search(r"\|[^\n]*\|\s*-{3,}[^\n]*\|[^\n]*\|", q.text) is not None \
        and "\n" not in q.text.split("|", 1)[1][:200]


def wrong_person(q: Pair) -> bool:  # "How do I try this out yourself?", "Does Filebox delete your files?"
    return re.search(r"\b(?:your|yours|yourself)\b", q.question, re.I) is not None or (
        re.match(r"How (?:do|can|should) I\b", q.question) is not None and re.search(r"\byou\b", q.question, re.I) is not None)


def capital_article(q: Pair) -> bool:  # "Define The activity log."
    return re.search(r"(?<=[a-z] )(?:The|A|An) [a-z]", q.question) is not None


def vague_reference(q: Pair) -> bool:  # "How do I try this out?": this what?
    return re.match(r"How (?:do|can|should) I \w+ (?:this|that|these|those|them)\b", q.question) is not None


def answer_off_topic(q: Pair) -> bool:  # no word the question asks about is in the answer or its heading
    product_words = set(re.findall(r"[a-z][\w'-]*", q.product.lower()))
    asked = {w[:5] for w in q.low if len(w) > 2 and w not in QUESTION_WORDS | product_words}
    said = {w.lower()[:5] for w in re.findall(r"[A-Za-z][\w'-]*", f"{q.answer} {q.topic or ''}")}
    return bool(asked) and not asked & said


def casing_changed(q: Pair) -> bool:  # a name the source capitalizes mid-sentence, and never writes in lower case
    for word in q.words:
        name = word[:1].upper() + word[1:]
        if word[:1].islower() and re.search(rf"[a-z,;] {re.escape(name)}\b", q.source) \
                and not re.search(rf"\b{re.escape(word)}\b", q.source):
            return True
    return False


# The checks, in the order a pair's defects are listed.
CHECKS: dict[str, Callable[[Pair], bool]] = {check.__name__: check for check in (
    doubled_word, article_after_article, topic_not_a_noun, product_twice, generic_topic, answer_without_text,
    answer_ends_with_colon, answer_ends_mid_sentence, flattened_table, wrong_person, capital_article,
    vague_reference, answer_off_topic, casing_changed)}


def defects(question: str, answer: str, source: str, product: str, topic: str | None = None) -> list[str]:
    """The defects of one QA pair, by name (CHECKS); none for a pair a person would write.

    >>> defects("List the list Models.", "The models are listed below.", "", "X")
    ['doubled_word']
    >>> defects("What is Filebox?", "Filebox keeps the library index:", "", "Filebox")
    ['answer_ends_with_colon']
    >>> defects("What are the hugging Face Datasets in X?", "Datasets are many.", "Data from the Hugging Face Hub", "X")
    ['casing_changed']
    >>> defects("How do I try this out yourself in X?", "Run the demo.", "", "X", "Demo")
    ['wrong_person', 'vague_reference', 'answer_off_topic']
    """
    pair = Pair(question, answer, source, product, topic)
    return [name for name, check in CHECKS.items() if check(pair)]
