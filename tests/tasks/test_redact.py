import re
from collections import Counter

import pytest

from fixtures import pii_corpus
from fixtures.secrets import in_a_sentence, must_not_survive, seeded_secrets
from tasks.quality.redact import CARD, CARD_ISSUERS, luhn_ok, redact
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


# --- card numbers the issuer tables do not know ------------------------------------------------

def luhn_valid(prefix: str, length: int) -> str:
    """The first number with this prefix and length whose Luhn check digit is right."""
    body = prefix + "0" * (length - len(prefix) - 1)
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@pytest.mark.parametrize("prefix,length", [("37", 16), ("99", 16), ("12", 13), ("8", 19)])
def test_a_luhn_valid_number_beside_a_card_word_is_a_card_whatever_its_prefix(prefix, length):
    number = luhn_valid(prefix, length)
    assert not CARD_ISSUERS.fullmatch(number)  # no network issues this prefix at this length
    grouped = " ".join(number[i:i + 4] for i in range(0, length, 4))
    for sentence in (f"I paid with card {grouped} yesterday.", f"Visa: {number}", f"credit card no. {number}",
                     f"{number} (the Amex on file)"):
        assert redact(sentence)[0].count("[CREDIT_CARD]") == 1 and number[-4:] not in redact(sentence)[0], sentence
    for sentence in (f"Order {number} shipped on Monday.", f"Tracking id {grouped}."):
        assert redact(sentence)[0] == sentence  # a long number with no card word is not called a card


def test_card_words_flag_no_number_in_real_documentation():
    """The false-positive side, on every installed distribution's long description (PyPI pages,
    ~2 MB of text people wrote): the card-length digit runs there, none of them called a card."""
    from importlib.metadata import distributions

    runs = flagged = 0
    for dist in distributions():
        text = dist.metadata.get_payload() or ""
        for m in CARD.finditer(text):
            runs += 1
            flagged += "[CREDIT_CARD]" in redact(text[max(0, m.start() - 60):m.end() + 60])[0]
    print(f"card-length digit runs in real docs: {runs}, redacted as cards: {flagged}")
    assert runs >= 20 and flagged == 0


# --- the batch prefilter ---------------------------------------------------------------------------

def test_the_polars_prefilter_passes_every_text_python_would_search():
    """might_hold() runs ANYTHING in Rust's dialect: on every corpus sentence, every planted secret,
    real documentation and clean prose, it must flag each text Python's ANYTHING matches (the
    sweep skips the others), and it flags no ASCII text Python does not."""
    from tasks.quality.redact import ANYTHING, might_hold

    texts = [in_a_sentence(k, v, i) for i, (k, v) in enumerate(SECRETS)] + [s.sentence for s in CORPUS]
    texts += clean_sentences() + real_doc_sentences()
    texts += ["tab\x1cseparated 12\x1d34\x1e5678 9", "12 rue de la Paix", "PASSPORT no. X1", "a" * 16, "café 1234567"]
    flags = might_hold(texts)
    python = [ANYTHING.search(t) is not None for t in texts]
    assert sum(python) >= 300 and len(texts) - sum(python) >= 1000  # both kinds are well represented
    assert [t for t, f, p in zip(texts, flags, python) if p and not f] == []
    assert [t for t, f, p in zip(texts, flags, python) if f and not p and t.isascii()] == []


def test_the_sweep_changes_only_examples_with_something_to_redact():
    from tasks.quality.redact import redact_messages, sweep

    examples = [{"id": str(i), "messages": [{"role": "user", "content": in_a_sentence(k, v, i)},
                                            {"role": "assistant", "content": "Noted."}]}
                for i, (k, v) in enumerate(SECRETS)]
    examples += [{"id": f"clean{i}", "messages": [{"role": "user", "content": s}]} for i, s in enumerate(clean_sentences())]
    one, other = Counter(), Counter()
    swept = sweep(examples, one)
    assert swept == [{**ex, "messages": redact_messages(ex["messages"], other)} for ex in examples]
    assert one == other and sum(one.values()) >= len(SECRETS)
