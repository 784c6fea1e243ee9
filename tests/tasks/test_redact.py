import re
from collections import Counter

import pytest

from fixtures import pii_corpus
from fixtures.secrets import in_a_sentence, must_not_survive, seeded_secrets
from tasks.quality.redact import redact
from tasks.testing.projects import EXAMPLE
from tasks.testing.synthetic import synthetic_docs

SECRETS = seeded_secrets()


def test_the_corpus_has_at_least_fifty_secrets_and_three_of_every_kind():
    kinds = Counter(k for k, _ in SECRETS)
    assert len(SECRETS) >= 50
    assert set(kinds) == {"AWS_KEY", "GITHUB_TOKEN", "GITLAB_TOKEN", "SLACK_TOKEN", "API_KEY", "JWT",
                          "PRIVATE_KEY", "PASSWORD", "EMAIL", "PHONE", "IP_ADDRESS", "CREDIT_CARD"}
    assert min(kinds.values()) >= 3, kinds


@pytest.mark.parametrize("i, kind, value", [(i, k, v) for i, (k, v) in enumerate(SECRETS)],
                         ids=[f"{k}-{i}" for i, (k, _) in enumerate(SECRETS)])
def test_every_seeded_secret_is_replaced_by_its_placeholder(i, kind, value):
    text = in_a_sentence(kind, value, i)
    out, counts = redact(text)
    assert must_not_survive(kind, value) not in out
    assert f"[{kind}]" in out, out
    assert counts[kind] >= 1


def clean_sentences() -> list[str]:
    """Prose with numbers, dates, versions, paths and identifiers, but no PII or secrets."""
    texts = [p.read_text() for p in (EXAMPLE / "docs").glob("*.md")]
    texts += list(synthetic_docs(30, seed=1).values())
    texts += [
        "Version 1.2.3 was released on 2026-05-01 and fixed 42 bugs in 3 days.",
        "The file /Documents/Work/report-2026.pdf is 1073741824 bytes, about 1 GB.",
        "Run make test, then open http://127.0.0.1:4200 to see the dashboard.",
        "Query files(first: 10, after: \"c123\") { edges { node { id name } } }",
        "Order #5368709120 shipped; the tracking page updates every 15 minutes.",
        "Use the f_1024 id and the tag invoice-2025 to find it.",
        "Call the function create_share_link with expires_in_days 30.",
    ]
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?])\s+|\n+", t) if len(s.split()) >= 3]
    return sentences


def test_false_positive_rate_on_clean_prose_is_at_most_one_percent():
    sentences = clean_sentences()
    assert len(sentences) >= 300
    changed = [s for s in sentences if redact(s)[0] != s]
    assert len(changed) / len(sentences) <= 0.01, changed


# --- a corpus written apart from the detectors, and real documentation ------------------------

CORPUS = pii_corpus.corpus()
DOC_PACKAGES = ("fastapi", "rich", "typer", "datasets", "python-dotenv", "tabulate", "orjson", "pydantic")


def test_the_independent_corpus_has_200_secrets_of_20_kinds():
    kinds = Counter(s.kind for s in CORPUS)
    assert len(CORPUS) >= 200 and len(kinds) >= 20 and min(kinds.values()) >= 5


@pytest.mark.parametrize("secret", CORPUS, ids=[f"{s.kind}-{i}" for i, s in enumerate(CORPUS)])
def test_every_secret_of_the_independent_corpus_is_redacted(secret):
    out, _ = redact(secret.sentence)
    assert pii_corpus.secret_part(secret.kind, secret.value) not in out, out
    assert secret.placeholder in out, out


def real_doc_sentences() -> list[str]:
    """Sentences and lines of the long descriptions that installed packages ship (their PyPI
    pages): versions, sizes, dates, hashes, paths and code, written by people who are not us."""
    from importlib.metadata import metadata

    out = []
    for package in DOC_PACKAGES:
        text = metadata(package).get_payload() or ""
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.split()) >= 3]
    return out


def test_real_documentation_is_left_alone():
    sentences = real_doc_sentences()
    assert len(sentences) >= 1000
    changed = [(s, redact(s)[0]) for s in sentences if redact(s)[0] != s]
    assert len(changed) / len(sentences) <= 0.01, changed
