import re
from collections import Counter

import pytest

from bench.synthetic import synthetic_docs
from conftest import EXAMPLE
from fixtures.secrets import in_a_sentence, must_not_survive, seeded_secrets
from tasks.redact import redact

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
