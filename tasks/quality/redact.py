"""Redact PII and secrets, replacing each with a typed placeholder such as [EMAIL] or [AWS_KEY].

Credentials are found by detect-secrets' own detectors (Yelp's maintained library: AWS, GitHub,
GitLab, Slack, Discord, OpenAI, JWT, Stripe, Twilio, SendGrid, npm, PyPI, Mailchimp, Telegram,
Azure, Artifactory, Square, passwords in URLs), plus patterns for what it lacks: whole private-key
blocks (it only flags the BEGIN line), current model-API keys (sk-proj-, sk-ant-, hf_, AIza),
fine-grained GitHub tokens, npm tokens, Stripe test keys, and JWT-shaped tokens whose payload does
not decode (detect-secrets only takes the ones that do; a log often holds them cut).

Personal data: phone numbers are found by `phonenumbers` (Google's libphonenumber): numbers it
calls valid, numbers written with a + and a country code that it calls possible, and North American
numbers in the usual notations ((384) 593-2314, 384-593-2314, +1 384 593 2314) by their shape, so
that a number whose area code is not assigned today is taken all the same. E-mail and IP
addresses, IBANs (mod-97 checked), US social security numbers, MAC addresses, street addresses
with a house number, numbers labelled as a passport, ID card or licence, and card numbers are found
by the patterns below. A card number is a Luhn-valid run of 12-19 digits that either has a card
network's prefix and length, or has a card word near it ("paid with card", "Visa", "credit"): as
Presidio's card recognizer does, the context word counts for what the issuer tables do not know.

A bare run of digits is never taken for a phone number: GraphQL values such as 5368709120 (5 GB)
would be. A phone number needs a leading + or separators, as people write them.
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter
from functools import lru_cache
from typing import Any

OWN_PATTERNS = [
    ("PRIVATE_KEY", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----", re.S)),
    ("API_KEY", re.compile(r"\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_-]{32,}")),
    ("API_KEY", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("API_KEY", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
    ("API_KEY", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("API_KEY", re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{24,}\b")),
    ("GITHUB_TOKEN", re.compile(r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
]
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# Issuer prefixes and lengths of the card networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay)
CARD_ISSUERS = re.compile(r"4\d{12}(?:\d{3}){0,2}|(?:5[1-5]\d{2}|2(?:2[2-9]\d|[3-6]\d\d|7[01]\d|720))\d{12}|3[47]\d{13}"
                          r"|(?:6011|65\d\d|64[4-9]\d)\d{12,15}|35\d{14,17}|3(?:0[0-5]|[689]\d)\d{11,16}|62\d{14,17}")
# Words that make a Luhn-valid digit run a card number whatever its prefix: within CARD_WINDOW
# characters before it (about five words, Presidio's context window) or on the rest of its line.
CARD_CONTEXT = re.compile(r"(?i)\b(?:cards?|visa|amex|american express|master ?card|credit|debit|cc|"
                          r"discover|diners|jcb|maestro|cardholder|pan)\b")
CARD_WINDOW = 40
# North American numbers by their shape, separators required: (384) 593-2314, +1 384.593.2314
NANP = re.compile(r"(?<![\w.+-])(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
MAC = re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-])"
                 r"|(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?!\w|\.\w)")
# user:password@ in a URL, the password with characters RFC 3986 reserves (detect-secrets skips those)
URL_PASSWORD = re.compile(r"://[^\s:/@]+:([^\s@/]+)@")
_STREET_TYPES = ("Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Parkway|"
                 "Pkwy|Loop|Terrace|Ter|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Row|Crescent|Close")
ADDRESSES = [
    # 42 Elm Street / 1600 N. Main St., Apt 4 / 221B Baker Street
    re.compile(rf"\b\d{{1,5}}[A-Z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){{1,3}}(?:{_STREET_TYPES})\b\.?"
               r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Ste)\.?\s*#?\w+)?"),
    # 12 rue de la Paix / 5 avenue Foch
    re.compile(r"\b\d{1,4},?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai)\s+"
               r"(?:(?:de la|de l'|du|des|de|d')\s*)?[A-ZÉÈ][\w'’-]+(?:\s+[A-ZÉÈ][\w'’-]+)*"),
    # Hauptstraße 5 / Bahnhofstrasse 12a
    re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{1,4}[a-z]?\b"),
]
ID_NUMBER = re.compile(r"(?i:\b(?:passport|id card|identity card|national id|driver'?s licen[cs]e|licen[cs]e|"
                       r"document|social insurance|tax id)\s*(?:number|no\.?|num|#)?\s*[:#]?\s*)([A-Z0-9]{6,10})\b")
PHONE_HINT = re.compile(r"\+|\d[\s().-]+\d")

# detect-secrets detector class name -> placeholder kind
DETECTORS = {
    "AWSKeyDetector": "AWS_KEY", "GitHubTokenDetector": "GITHUB_TOKEN", "GitLabTokenDetector": "GITLAB_TOKEN",
    "SlackDetector": "SLACK_TOKEN", "DiscordBotTokenDetector": "DISCORD_TOKEN", "OpenAIDetector": "API_KEY",
    "JwtTokenDetector": "JWT", "StripeDetector": "API_KEY", "TwilioKeyDetector": "API_KEY",
    "SendGridDetector": "API_KEY", "NpmDetector": "API_KEY", "PypiTokenDetector": "API_KEY",
    "MailchimpDetector": "API_KEY", "TelegramBotTokenDetector": "API_KEY", "AzureStorageKeyDetector": "API_KEY",
    "ArtifactoryDetector": "API_KEY", "SquareOAuthDetector": "API_KEY", "BasicAuthDetector": "PASSWORD",
}
# Cheap gates: most text holds nothing any detector could match, so it is not scanned further.
# ANYTHING must match wherever a detector below could (e-mail @, URLs, key blocks, JWTs, long
# tokens, digit runs of phones and cards, IP addresses).
MAYBE_SECRET = re.compile(r"[A-Za-z0-9_\-+/=]{16,}|://[^\s/]*:[^\s/]*@|BEGIN")
ANYTHING = re.compile(r"@|://|BEGIN|eyJ|\d[\d\s().+-]{6,}\d|[A-Za-z0-9_\-+/=]{16,}|\d{1,3}(?:\.\d{1,3}){3}"
                      r"|[0-9A-Fa-f]*:[0-9A-Fa-f]*:|[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\."
                      r"|\d[A-Z]?,?\s+(?:[NSEW]\.?\s+)?[A-Z]|\d,?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai)\s"
                      r"|(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d"
                      r"|(?i:passport|licen[cs]e|id card|identity card|national id|document|social insurance|tax id)")


@lru_cache(maxsize=1)
def _detectors() -> list[tuple[str, Any]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes = {cls.__name__: cls for cls in get_mapping_from_secret_type_to_class().values()}
    return [(kind, classes[name]()) for name, kind in DETECTORS.items() if name in classes]


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum that card numbers carry.

    >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
    (True, False)
    """
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _detector_spans(detector, text: str) -> list[tuple[int, int]]:
    """Where a detect-secrets detector's patterns match. For a token pattern the whole match is the
    secret; for a pattern with context (a URL, an assignment) its last group is."""
    from detect_secrets.plugins.base import RegexBasedDetector

    if type(detector).analyze_string is not RegexBasedDetector.analyze_string:
        # the detector checks its matches itself (JWT decodes them): use what it accepts
        found = {s for s in detector.analyze_string(text) if len(s) >= 6}
        return [(m.start(), m.end()) for s in found for m in re.finditer(re.escape(s), text)]
    spans = []
    for regex in detector.denylist:
        for m in regex.finditer(text):
            whole = m.group(0)
            if m.lastindex and re.search(r"[:@'\"=]", whole):
                spans.append(m.span(m.lastindex))
            else:
                spans.append(m.span())
    return spans


def find_credentials(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in OWN_PATTERNS:
        spans += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
    spans += [(m.start(1), m.end(1), "PASSWORD") for m in URL_PASSWORD.finditer(text)]
    if MAYBE_SECRET.search(text):
        for kind, detector in _detectors():
            spans += [(a, b, kind) for a, b in _detector_spans(detector, text) if b - a >= 6]
    return spans


def find_pii(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    if "@" in text:
        spans += [(m.start(), m.end(), "EMAIL") for m in EMAIL.finditer(text)]
    for m in IPV4.finditer(text):
        if _is_ip(m.group()):
            spans.append((m.start(), m.end(), "IP_ADDRESS"))
    if ":" in text:
        for m in IPV6.finditer(text):
            if m.group().count(":") >= 2 and len(m.group()) > 4 and _is_ip(m.group()):
                spans.append((m.start(), m.end(), "IP_ADDRESS"))
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if luhn_ok(digits) and (CARD_ISSUERS.fullmatch(digits) or card_context(text, m.start(), m.end())):
            spans.append((m.start(), m.end(), "CREDIT_CARD"))
    for m in IBAN.finditer(text):
        if iban_ok(m.group()):
            spans.append((m.start(), m.end(), "IBAN"))
    spans += [(m.start(), m.end(), "SSN") for m in SSN.finditer(text)]
    spans += [(m.start(), m.end(), "MAC_ADDRESS") for m in MAC.finditer(text)]
    spans += [(m.start(), m.end(), "ADDRESS") for pattern in ADDRESSES for m in pattern.finditer(text)]
    spans += [(m.start(1), m.end(1), "ID_NUMBER") for m in ID_NUMBER.finditer(text) if re.search(r"\d", m.group(1))]
    if PHONE_HINT.search(text):
        spans += _phones(text)
    return spans


def card_context(text: str, start: int, end: int) -> bool:
    """Whether a card word is near text[start:end]: in the CARD_WINDOW characters before it, or
    after it on its line.

    >>> t = "paid with card 3712 3456 7890 1237 on Monday"
    >>> card_context(t, 15, 34), card_context("order 3712345678901237 shipped", 6, 22)
    (True, False)
    """
    after = text[end:end + CARD_WINDOW].split("\n", 1)[0]
    return CARD_CONTEXT.search(text[max(0, start - CARD_WINDOW):start]) is not None \
        or CARD_CONTEXT.search(after) is not None


def iban_ok(s: str) -> bool:
    """ISO 13616's check: the country and check digits moved to the end, letters as 10-35, mod 97 is 1.

    >>> iban_ok("GB82 WEST 1234 5698 7654 32"), iban_ok("GB82 WEST 1234 5698 7654 33")
    (True, False)
    """
    s = s.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def _is_ip(s: str) -> bool:
    """An address that says something about someone's network: loopback and 0.0.0.0 do not.

    >>> _is_ip("10.1.2.3"), _is_ip("127.0.0.1"), _is_ip("300.1.2.3"), _is_ip("2001:db8::1")
    (True, False, False, True)
    """
    try:
        address = ipaddress.ip_address(s)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def _phones(text: str) -> list[tuple[int, int, str]]:
    import phonenumbers

    out = []
    for leniency in (phonenumbers.Leniency.VALID, phonenumbers.Leniency.POSSIBLE):
        for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=leniency):
            raw = match.raw_string
            if leniency == phonenumbers.Leniency.POSSIBLE and not raw.startswith("+"):
                continue  # without a country code, only what libphonenumber calls valid
            if (raw.startswith("+") or re.search(r"\d[\s().-]+\d", raw)) and ":" not in raw:
                out.append((match.start, match.end, "PHONE"))
    out += [(m.start(), m.end(), "PHONE") for m in NANP.finditer(text)]
    return out


def placeholder(kind: str) -> str:
    return f"[{kind}]"


def _resolve(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping findings become one: the earliest start, then the longest, wins."""
    out: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not out or start >= out[-1][1]:
            out.append((start, end, kind))
    return out


def apply_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, kind) span, in order and not overlapping, replaced by its placeholder."""
    out, pos = [], 0
    for start, end, kind in spans:
        out += [text[pos:start], placeholder(kind)]
        pos = end
    return "".join(out) + text[pos:]


def source_offset(offset: int, spans: list[tuple[int, int, str]], side: str) -> int:
    """Where an offset into the redacted text falls in the original one. `spans` are the
    redaction_spans() of the original; an offset inside a placeholder maps to the start of what it
    replaced (side="start") or to its end (side="end").

    >>> text = "mail ana@example.org today"
    >>> spans = redaction_spans(text)
    >>> red = apply_spans(text, spans)
    >>> i = red.index("today")
    >>> text[source_offset(i, spans, "start"):source_offset(i + 5, spans, "end")]
    'today'
    >>> text[source_offset(0, spans, "start"):source_offset(red.index("]") + 1, spans, "end")]
    'mail ana@example.org'
    """
    shift = 0  # original offset minus redacted offset, after the placeholders passed so far
    for start, end, kind in spans:
        p0 = start - shift
        p1 = p0 + len(placeholder(kind))
        if offset < p0 or (side == "end" and offset == p0):
            break
        if offset < p1 or (side == "end" and offset == p1):
            return start if side == "start" else end
        shift += (end - start) - len(placeholder(kind))
    return offset + shift


def redaction_spans(text: str) -> list[tuple[int, int, str]]:
    """Every (start, end, kind) that redact() replaces, in `text`'s own offsets, in order and not
    overlapping. Credentials are found first and PII in what is left (so a password in a URL is not
    read as an e-mail address); PII offsets are mapped back through the credential placeholders."""
    if not ANYTHING.search(text):
        return []
    credentials = _resolve(find_credentials(text))
    rest = apply_spans(text, credentials)
    pii = [(source_offset(a, credentials, "start"), source_offset(b, credentials, "end"), kind)
           for a, b, kind in find_pii(rest)]
    return _resolve(credentials + pii)


def redact(text: str) -> tuple[str, Counter]:
    """Replace every finding with its placeholder. Returns the text and counts by kind.

    >>> redact("mail ana@example.org or call +1 415-555-0132, key AKIAIOSFODNN7EXAMPLE")[0]
    'mail [EMAIL] or call [PHONE], key [AWS_KEY]'
    >>> redact("postgres://admin:hunter2hunter2@db.internal/app")[0]
    'postgres://admin:[PASSWORD]@db.internal/app'
    """
    spans = redaction_spans(text)
    return apply_spans(text, spans), Counter(kind for _, _, kind in spans)


def redact_all(obj: Any, counts: Counter) -> Any:
    """Redact every string inside a JSON-like value, adding to `counts`."""
    if isinstance(obj, str):
        text, found = redact(obj)
        counts.update(found)
        return text
    if isinstance(obj, list):
        return [redact_all(x, counts) for x in obj]
    if isinstance(obj, dict):
        return {k: redact_all(v, counts) for k, v in obj.items()}
    return obj


def redact_messages(messages: list[dict], counts: Counter) -> list[dict]:
    """Redact what chat messages say: their content and tool-call arguments (not roles or ids)."""
    out = []
    for m in messages:
        m = dict(m)
        if isinstance(m.get("content"), str):
            m["content"], found = redact(m["content"])
            counts.update(found)
        if m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                arguments, found = redact(c["function"]["arguments"])
                counts.update(found)
                calls.append({**c, "function": {**c["function"], "arguments": arguments}})
            m["tool_calls"] = calls
        out.append(m)
    return out


def _for_polars(pattern: str) -> str:
    r"""ANYTHING in Rust's regex dialect with Python's meaning on ASCII text: Python's \s also takes
    the separators \x1c-\x1f (str.isspace() does), Rust's does not.

    >>> _for_polars(r"a\s+[\d\s]")
    'a[\\s\\x1c-\\x1f]+[\\d\\s\\x1c-\\x1f]'
    """
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            pair = pattern[i:i + 2]
            out.append(pair if pair != r"\s" else (r"\s\x1c-\x1f" if in_class else r"[\s\x1c-\x1f]"))
            i += 2
            continue
        in_class = (in_class and c != "]") or (not in_class and c == "[")
        out.append(c)
        i += 1
    return "".join(out)


def might_hold(texts: list[str]) -> list[bool]:
    """For each text, whether redaction_spans() has anything to look at: ANYTHING matches it. Run by
    polars over the whole list at once (0.11 s against Python's 5.0 s on the 375,000 texts of
    bench.clean's 100k examples, a throwaway timing during issue 24), on ASCII text, where the two dialects agree once \\s is translated; a text
    with any other character is always True, so that Python's own ANYTHING decides it.

    >>> might_hold(["show me the files", "mail ana@example.org", "café"])
    [False, True, True]
    """
    import polars as pl

    series = pl.Series(texts, dtype=pl.String)
    return (series.str.contains(_for_polars(ANYTHING.pattern)) | series.str.contains(r"[^\x00-\x7F]")).to_list()


def sweep(examples: list[dict], counts: Counter) -> list[dict]:
    """redact_messages() over many examples: an example whose every text might_hold() clears is
    kept as it is (the same object), so that only the few that could hold something are searched."""
    texts, owner = [], []
    needs = [False] * len(examples)
    for k, ex in enumerate(examples):
        for m in ex["messages"]:
            if isinstance(m.get("content"), str):
                texts.append(m["content"])
                owner.append(k)
            for c in m.get("tool_calls") or []:
                arguments = c["function"]["arguments"]
                if isinstance(arguments, str):
                    texts.append(arguments)
                    owner.append(k)
                else:
                    needs[k] = True  # not text: redact() says what is wrong with it
    for k, flagged in zip(owner, might_hold(texts)):
        needs[k] = needs[k] or flagged
    return [{**ex, "messages": redact_messages(ex["messages"], counts)} if need else ex
            for ex, need in zip(examples, needs)]
