"""Redact PII and secrets, replacing each with a typed placeholder such as [EMAIL] or [AWS_KEY].

Credentials are found by detect-secrets' own detectors (Yelp's maintained library: AWS, GitHub,
GitLab, Slack, Discord, OpenAI, JWT, Stripe, Twilio, SendGrid, npm, PyPI, Mailchimp, Telegram,
Azure, Artifactory, Square, passwords in URLs), plus patterns for what it lacks: whole private-key
blocks (it only flags the BEGIN line), current model-API keys (sk-proj-, sk-ant-, hf_, AIza).
Phone numbers are parsed by `phonenumbers` (Google's libphonenumber); e-mail addresses, IP addresses
and Luhn-checked card numbers by the patterns below.

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
    ("API_KEY", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
]
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
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
                      r"|[0-9A-Fa-f]*:[0-9A-Fa-f]*:")


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
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            spans.append((m.start(), m.end(), "CREDIT_CARD"))
    if PHONE_HINT.search(text):
        spans += _phones(text)
    return spans


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
    for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.VALID):
        raw = match.raw_string
        if raw.startswith("+") or re.search(r"\d[\s().-]+\d", raw):
            out.append((match.start, match.end, "PHONE"))
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
