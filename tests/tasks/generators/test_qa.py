import datetime as dt
import random

from bench.synthetic import synthetic_docs
from conftest import EXAMPLE
from tasks import parse
from tasks.config import GenerateParams, ParseParams
from tasks.generators import qa

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox", quotas={"qa": 1})


def check_grounded(examples, docs_dir) -> None:
    """Every answer is the text of the span it cites, with line wrapping undone."""
    for ex in examples:
        start, end = ex["meta"]["span"]
        source = (docs_dir / ex["meta"]["file"]).read_text()[start:end]
        assert " ".join(source.split()) == ex["messages"][-1]["content"], ex["messages"][1]["content"]


def test_answers_are_copied_from_their_cited_span_and_every_kind_appears():
    chunks, _ = parse.parse_docs(EXAMPLE / "docs", ParseParams())
    coverage: dict = {}
    examples = qa.pairs_from_docs(chunks, P, random.Random(0), 1000, coverage)
    check_grounded(examples, EXAMPLE / "docs")
    assert set(coverage) == set(qa.KINDS)
    assert len({ex["messages"][1]["content"] for ex in examples}) == len(examples)


def test_synthetic_docs_are_grounded_too(tmp_path):
    for name, text in synthetic_docs(20, seed=3).items():
        (tmp_path / name).write_text(text)
    chunks, _ = parse.parse_docs(tmp_path, ParseParams())
    coverage: dict = {}
    examples = qa.pairs_from_docs(chunks, P, random.Random(0), 10_000, coverage)
    check_grounded(examples, tmp_path)
    assert set(coverage) == set(qa.KINDS)


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
    coverage: dict = {}
    qa.pairs_from_docs(chunks, P, random.Random(0), 30, coverage)
    assert set(coverage) == set(qa.KINDS) and sum(coverage.values()) == 30
