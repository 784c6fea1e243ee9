import datetime as dt
import random
import re

from tasks import parse
from tasks.core.config import GenerateParams, ParseParams
from tasks.core.io import read_jsonl
from tasks.generators import qa, qa_defects
from tasks.quality.redact import redact
from tasks.testing.projects import EXAMPLE, only_sources, tmp_paths
from tasks.testing.synthetic import synthetic_docs

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox", quotas={"qa": 1})


def check_grounded(examples, docs_dir) -> None:
    """Every answer is the text of the span it cites in the source file, PII redacted as parse
    redacts it, only its whitespace changed (prose lines unwrapped, a list's lines kept)."""
    assert examples
    for ex in examples:
        start, end = ex["meta"]["span"]
        source = (docs_dir / ex["meta"]["file"]).read_text()[start:end]
        answer = ex["messages"][-1]["content"]
        assert redact(" ".join(source.split()))[0] == " ".join(answer.split()), ex["messages"][1]["content"]


def test_spans_point_at_the_file_when_a_chunk_held_pii(tmp_path):
    """Regression: offsets in the redacted text were added to the chunk's start in the file, so
    every answer after a redacted e-mail address cited the wrong characters."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "support.md").write_text(
        "# Getting help\n\nWrite to support-team@filebox.example or call +1 415-555-0132 any day. "
        "A ticket is a request you send us. Tickets are answered within a day because we staff the desk "
        "around the clock.\n\n## Escalating a ticket\n\nAsk ana.lopez@example.org to escalate. "
        "To escalate one, reply to the ticket with the word urgent.\n")
    paths = tmp_paths(tmp_path)
    parse.run(ParseParams(), only_sources(docs=docs), paths)
    chunks = read_jsonl(paths.parsed_file("docs"))
    assert all(c["redactions"] for c in chunks)  # both sections held PII
    examples, _ = qa.pairs_from_docs(chunks, P, random.Random(0), 1000)
    after_pii = [ex for ex in examples if "[EMAIL]" not in ex["messages"][-1]["content"]]
    assert after_pii and len(after_pii) < len(examples)  # answers both with and after a placeholder
    check_grounded(examples, docs)


def test_answers_are_copied_from_their_cited_span_and_every_kind_appears():
    chunks, _ = parse.parse_docs(EXAMPLE / "docs", ParseParams())
    examples, coverage = qa.pairs_from_docs(chunks, P, random.Random(0), 1000)
    check_grounded(examples, EXAMPLE / "docs")
    assert set(coverage["kinds"]) == set(qa.KINDS)
    assert len({ex["messages"][1]["content"] for ex in examples}) == len(examples)


def test_synthetic_docs_are_grounded_too(tmp_path):
    for name, text in synthetic_docs(20, seed=3).items():
        (tmp_path / name).write_text(text)
    chunks, _ = parse.parse_docs(tmp_path, ParseParams())
    examples, coverage = qa.pairs_from_docs(chunks, P, random.Random(0), 10_000)
    check_grounded(examples, tmp_path)
    assert set(coverage["kinds"]) >= set(qa.KINDS) - {"fact"}  # the synthetic prose states no quantities


def test_each_fact_is_asked_several_ways_and_answered_by_the_text_that_states_it():
    """Knowledge augmentation: a fact (a sentence or list item) is trained in at least 3 forms, and
    asked in a held-out form for the knowledge test; every answer holds what answers it."""
    chunks, _ = parse.parse_docs(EXAMPLE / "docs", ParseParams())
    examples, coverage = qa.pairs_from_docs(chunks, P, random.Random(0), 1000)
    fact_rows = [ex for ex in examples if ex["meta"]["kind"] == "fact"]
    assert coverage["facts"]["stating_sentences"] >= 20
    assert coverage["facts"]["asked_3_ways_or_more"] == coverage["facts"]["stating_sentences"]
    by_fact: dict[str, list] = {}
    for ex in fact_rows:
        by_fact.setdefault(ex["meta"]["fact"], []).append(ex)
    for rows in by_fact.values():
        assert len({ex["messages"][2]["content"] for ex in rows}) == 1  # one answer, many questions
        assert any(ex["meta"].get("knowledge_test") for ex in rows)
    asked = {ex["messages"][1]["content"]: ex["messages"][2]["content"] for ex in fact_rows}
    for question, key in [("How much quota does the Free plan have?", "5 GB"),
                          ("How long do deleted files stay there?", "30 days"),
                          ("What is the shortcut for quick search?", "Ctrl+K"),
                          ("Does Filebox delete files on its own to make room?", "never")]:
        assert key in asked[question], (question, asked.get(question))


def test_question_kinds_on_known_sentences():
    chunk = {"file": "a.md", "heading_path": ["Sharing", "Why links are read-only"], "start": 0,
             "text": "Links are read-only because anyone can use them.\n\nA **viewer** can open files, while an "
                     "**editor** can also rename them.\n\nTo revoke a link, open the Sharing panel."}
    found = {(q, kind) for q, _, _, kind in qa.candidates(chunk, "Filebox")}
    assert ("Why are links read-only?", "why") in found
    assert ("What is the difference between viewer and editor in Filebox?", "compare") in found
    assert ("How do I revoke a link in Filebox?", "how") in found


def test_quota_keeps_every_kind_its_share():
    chunks, _ = parse.parse_docs(EXAMPLE / "docs", ParseParams())
    examples, coverage = qa.pairs_from_docs(chunks, P, random.Random(0), 30)
    assert set(coverage["kinds"]) == set(qa.KINDS) and sum(coverage["kinds"].values()) == len(examples) == 30


def questions_from(folder, markdown: str) -> tuple[list[str], dict]:
    """Every question drafted from one doc page, and the coverage report."""
    (folder / "guide.md").write_text(markdown)
    chunks, _ = parse.parse_docs(folder, ParseParams())
    examples, coverage = qa.pairs_from_docs(chunks, P, random.Random(0), 1000)
    return [ex["messages"][1]["content"] for ex in examples], coverage


def test_how_questions_are_asked_by_the_reader_and_never_about_this(tmp_path):
    """Docs speak to the reader ("your", "yourself"); the reader asks in the first person. A goal
    that is only a pronoun ("To try this out yourself, ...") is no question at all."""
    questions, coverage = questions_from(tmp_path, (
        "# Accounts\n\nTo set up your account yourself, open Settings and choose Sign up.\n\n"
        "## Demo\n\nTo try this out yourself, see the demo folder, which holds three examples.\n"))
    assert "How do I set up my account myself in Filebox?" in questions
    assert not any(re.search(r"\byour(self)?\b|try this", q) for q in questions), questions
    assert coverage["defects"] == {}  # not drafted and dropped: never drafted


def test_the_reader_asks_about_their_own_things_and_headings_keep_their_grammar(tmp_path):
    """Regressions found in the bundled docs: "Does Filebox delete your files?" (the docs' "your"
    left in a question the reader asks), "Define The activity log." (a capital article), "Tell me
    about search misses a file" (a heading that states a problem asked as if it named a topic),
    and "Tell me about Size." (a list item without the noun its intro names)."""
    questions, coverage = questions_from(tmp_path, (
        "# Library\n\nFilebox never deletes your files on its own. Files in your own locations do not count.\n\n"
        "The activity log is a record of every change made to the library.\n\n"
        "The available filters are:\n\n- **Size**: larger or smaller than a given number of bytes.\n\n"
        "## Search misses a file\n\nSearch misses a file when its location is not indexed yet.\n"))
    assert "Does Filebox delete my files on its own?" in questions
    assert "Do files in my own locations count?" in questions
    assert "What is the activity log in Filebox?" in questions and "Define the activity log." in questions
    assert "What should I do when search misses a file in Filebox?" in questions
    assert "What is the Size filter?" in questions
    assert not any(re.search(r"\byour\b|(?<=[a-z] )The [a-z]|about search misses|about Size", q) for q in questions), questions
    assert coverage["defects"] == {}
    assert qa_defects.defects("Does Filebox delete your files?", "Filebox never deletes your files.", "", "Filebox") == ["wrong_person"]
    assert qa_defects.defects("Define The activity log.", "The activity log is a record.", "", "Filebox") == ["capital_article"]
