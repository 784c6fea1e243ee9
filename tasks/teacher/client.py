"""The client the teacher speaks through: any OpenAI-compatible chat endpoint (or several), asked
concurrently, politely and within a budget, every answer cached.

- Concurrency: `teacher.concurrency` requests in flight, spread round-robin over the endpoints
  when `teacher.base_url` is a list. Answers come back in the order asked, whatever order they
  finish in, so the stage's output does not depend on timing.
- Politeness: `teacher.rpm` (request starts a minute) and `teacher.tpm` (tokens a minute, from each
  answer's `usage`); a server's `x-ratelimit-remaining-requests: 0` pauses every request until its
  `x-ratelimit-reset-requests`.
- Retries: only what can pass (HTTP 408, 409, 425, 429, 5xx, a dropped connection, a timeout, a
  body that is not the JSON the API promises), with exponential backoff and full jitter, or the
  server's `Retry-After` when it gives one; never a sleep after the last try. Anything else (a
  400, a 401, `finish_reason` "length" or "content_filter") fails at once. Failures are counted
  by reason and never cached as answers; a finish_reason failure is cached as what it is (at
  temperature 0 the same request gets the same cut-off answer), so a rerun does not pay for it again.
- Budget: tokens from `usage`, priced by `teacher.price` (USD per million input / output tokens).
  A request starts only if what is spent, what is in flight and its own worst case (its prompt,
  about 4 characters a token, and `max_tokens`) stay within `teacher.max_budget_usd` and
  `teacher.max_total_tokens`: the stop is hard. What finished is cached; a rerun with more budget
  resumes and pays for nothing twice.
- Cache: one file per answer, named by the hash of what decides the answer (model, messages,
  temperature, max_tokens, PROMPT_VERSION), not by the endpoint, so replicas share it.
"""
from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import re
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from tasks.core.config import TeacherParams
from tasks.core.io import InputError

PROMPT_VERSION = 1  # part of every cache key: bump it when a prompt changes what an answer means
TRANSIENT = {408, 409, 425, 429, 500, 502, 503, 504}
BACKOFF_S, BACKOFF_CAP_S = 1.0, 30.0


class TeacherError(InputError):
    """The endpoint could not be reached or answered with an error."""


# Why a request got no answer: the reasons the reports count, each spelled here once.
TIMEOUT = "timeout"
MALFORMED = "malformed response"  # a body that is not the JSON the API promises
UNREACHABLE = "not sent: no endpoint could be reached"
CONNECTION_FAILED = "connection failed"


def http_error(status: int) -> str:
    return f"HTTP {status}"


def finish_reason(reason: str) -> str:
    return f"finish_reason {reason}"  # "length" or "content_filter": an answer, but not a usable one


def budget_ran_out(limit: str) -> str:
    return f"not sent: the {limit} ran out"


@dataclass(frozen=True)
class NoAnswer:
    """What a request gives back in place of an answer: why there is none."""
    reason: str


class Tracker:
    """Every count the client keeps, changed only here, under one lock: answers from the cache and
    from the server, requests sent (retries included), retries, JSON re-asks, failures by reason,
    and what ended the run (the budget or the token limit)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.failed: Counter = Counter()
        self.stopped_by: str | None = None

    def add(self, what: str) -> None:  # "cached", "requested", "sent", "retried", "parse_retried"
        with self.lock:
            self.counts[what] += 1

    def fail(self, reason: str) -> NoAnswer:
        with self.lock:
            self.failed[reason] += 1
        return NoAnswer(reason)

    def stop(self, limit: str) -> NoAnswer:
        with self.lock:
            self.stopped_by = self.stopped_by or limit
        return self.fail(budget_ran_out(limit))

    def unreachable(self, concurrency: int) -> bool:
        """Nothing has answered and a whole round of requests could not connect."""
        with self.lock:
            return self.counts["requested"] == 0 and sum(
                n for r, n in self.failed.items() if r.startswith(CONNECTION_FAILED)) >= concurrency

    def reached_nothing(self) -> bool:
        """No request got through to a server at all (as opposed to failing there)."""
        return self.counts["requested"] == 0 and bool(self.failed) and all(
            r.startswith((CONNECTION_FAILED, TIMEOUT, UNREACHABLE)) for r in self.failed)

    def report(self) -> dict:
        return {"cached": self.counts["cached"], "requested": self.counts["requested"], "sent": self.counts["sent"],
                "retried": self.counts["retried"], "parse_retried": self.counts["parse_retried"],
                "failed": dict(self.failed.most_common()), "stopped_by": self.stopped_by}


@dataclass
class Failure:
    reason: str  # "HTTP 400", "timeout", "finish_reason length", ...
    transient: bool
    answered: bool = False  # a complete answer that is unusable (finish_reason): cached as a failure
    usage: tuple[int, int] = (0, 0)


class Budget:
    """Spend so far and the hard limits; `reserve` says whether a request may start."""

    def __init__(self, p: TeacherParams):
        self.p = p
        self.lock = threading.Lock()
        self.tokens_in = self.tokens_out = 0
        self.reserved_usd = 0.0
        self.reserved_tokens = 0

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        price = self.p.price
        return 0.0 if price is None else (tokens_in * price.input + tokens_out * price.output) / 1e6

    @property
    def spent_usd(self) -> float:
        return self.cost(self.tokens_in, self.tokens_out)

    def reserve(self, worst_in: int, worst_out: int) -> str | None:
        """Book a request's worst case; None when it fits, else which limit it would pass."""
        with self.lock:
            worst_usd, worst_tokens = self.cost(worst_in, worst_out), worst_in + worst_out
            if self.p.max_budget_usd is not None and \
                    self.spent_usd + self.reserved_usd + worst_usd > self.p.max_budget_usd:
                return "budget"
            if self.p.max_total_tokens is not None and \
                    self.tokens_in + self.tokens_out + self.reserved_tokens + worst_tokens > self.p.max_total_tokens:
                return "token budget"
            self.reserved_usd += worst_usd
            self.reserved_tokens += worst_tokens
            return None

    def settle(self, worst_in: int, worst_out: int, used_in: int, used_out: int) -> None:
        with self.lock:
            self.reserved_usd -= self.cost(worst_in, worst_out)
            self.reserved_tokens -= worst_in + worst_out
            self.tokens_in += used_in
            self.tokens_out += used_out


class Pacer:
    """Request starts at most `rpm` a minute, tokens at most `tpm` a minute, and a pause until a
    time the server named."""

    def __init__(self, rpm: float | None, tpm: float | None, sleep):
        self.rpm, self.tpm, self.sleep = rpm, tpm, sleep
        self.lock = threading.Lock()
        self.next_start = 0.0
        self.paused_until = 0.0
        self.tokens: deque[tuple[float, int]] = deque()  # (when, tokens) of the last minute's answers

    def wait(self, worst_tokens: int) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                while self.tokens and self.tokens[0][0] < now - 60:
                    self.tokens.popleft()
                used = sum(n for _, n in self.tokens)
                until = max(self.paused_until, self.next_start)
                if self.tpm is not None and self.tokens and used + worst_tokens > self.tpm:
                    until = max(until, self.tokens[0][0] + 60)
                if until <= now:
                    if self.rpm is not None:
                        self.next_start = now + 60.0 / self.rpm
                    return
            self.sleep(until - now)

    def used(self, tokens: int) -> None:
        with self.lock:
            self.tokens.append((time.monotonic(), tokens))

    def pause(self, seconds: float) -> None:
        with self.lock:
            self.paused_until = max(self.paused_until, time.monotonic() + seconds)


def parse_json(text: str, validator) -> tuple[dict | None, str | None]:
    """The first JSON object in an answer (bare, or in a ```json fence), or why there is none.

    >>> from jsonschema import Draft202012Validator
    >>> v = Draft202012Validator({"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}}})
    >>> parse_json('Sure: {"q": "why?"}', v), parse_json('{"q": 5}', v)[1], parse_json('no', v)[1]
    (({'q': 'why?'}, None), 'JSON not matching the schema', 'not JSON')
    """
    start = text.find("{")
    if start < 0:
        return None, "not JSON"
    try:
        item, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return None, "not JSON"
    if not isinstance(item, dict) or not validator.is_valid(item):
        return None, "JSON not matching the schema"
    return item, None


def describe_error(text: str, validator) -> str:
    """The parse or validation error of an answer, in a line, to feed back."""
    start = text.find("{")
    try:
        item, _ = json.JSONDecoder().raw_decode(text[max(start, 0):])
    except ValueError as e:
        return f"JSON error: {e}"
    error = next(iter(validator.iter_errors(item)), None)
    return error.message if error is not None else "not an object"


def strict_ready(schema) -> bool:
    """Whether OpenAI's strict structured output takes `schema`: every object closed
    (additionalProperties false) with every property required.

    >>> strict_ready({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False})
    True
    >>> strict_ready({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})
    False
    """
    if isinstance(schema, list):
        return all(strict_ready(s) for s in schema)
    if not isinstance(schema, dict):
        return True
    if "object" in (schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]):
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False or set(schema.get("required") or []) != set(props):
            return False
    children = [*(schema.get("properties") or {}).values(), *(schema.get("$defs") or {}).values(),
                *(schema.get("anyOf") or []), schema.get("items")]
    return all(strict_ready(c) for c in children)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds a server asks us to wait: Retry-After (seconds or an HTTP date), else OpenAI's
    x-ratelimit-reset-requests ("1s", "6m0s", "20ms") when no request is left.

    >>> retry_after(httpx.Headers({"retry-after": "2"}))
    2.0
    >>> retry_after(httpx.Headers({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1m30s"}))
    90.0
    """
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time()) if when else None
    if headers.get("x-ratelimit-remaining-requests") == "0":
        reset = headers.get("x-ratelimit-reset-requests", "")
        parts = re.findall(r"([\d.]+)(ms|h|m|s)", reset)
        if parts:
            unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
            return sum(float(n) * unit[u] for n, u in parts)
    return None


class Client:
    def __init__(self, p: TeacherParams, cache_dir: Path, sleep=time.sleep):
        self.p = p
        self.cache_dir = Path(cache_dir)
        self.urls = [u.rstrip("/") + "/chat/completions" for u in ([p.base_url] if isinstance(p.base_url, str) else p.base_url)]
        self.key = None
        if p.api_key_env is not None:
            self.key = os.environ.get(p.api_key_env)
            if not self.key:
                raise InputError(f"generate.teacher.api_key_env names {p.api_key_env}, which is not set in the environment")
        self.sleep = sleep
        self.budget = Budget(p)
        self.pacer = Pacer(p.rpm, p.tpm, sleep)
        self.rng = random.Random(0)  # jitter only: it never changes an answer
        self.lock = threading.Lock()  # the endpoint turn
        self.turn = 0
        self.tracker = Tracker()
        self.seconds = 0.0
        # one kept-alive connection per request in flight (httpx keeps 20 by default: at concurrency
        # 32 the rest would be opened and closed for every request)
        self.http = httpx.Client(timeout=p.timeout_s, limits=httpx.Limits(
            max_connections=p.concurrency, max_keepalive_connections=p.concurrency))

    def close(self) -> None:
        self.http.close()

    # --- the cache --------------------------------------------------------------------------
    def body(self, messages: list[dict], extra: dict | None = None) -> dict:
        return {"model": self.p.model, "messages": messages, "temperature": 0.0, "max_tokens": self.p.max_tokens,
                **(extra or {})}

    def cache_path(self, body: dict) -> Path:
        digest = hashlib.sha256(json.dumps({"prompt_version": PROMPT_VERSION, **body}, sort_keys=True).encode()).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.json"

    @staticmethod
    def remember(path: Path, record: dict) -> None:
        """Cache one answer: written beside its place under a name of this thread's, then renamed
        into it, so a reader (or a kill -9) never sees half an answer."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(record, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    # --- asking -----------------------------------------------------------------------------
    def complete_many(self, requests: list[list[dict]], on_done=None) -> list[str | NoAnswer]:
        """The answer to each list of messages, in order; a NoAnswer with its reason where it
        failed or the budget ended the run. `on_done()` is called after each."""
        return self.each(self.ask, requests, on_done)

    def each(self, fn, requests: list, on_done=None) -> list:
        """fn(request) for every request, `concurrency` at a time, results in the order given.
        Interrupted (Ctrl-C, or SIGTERM in generate), the requests in flight finish and are cached,
        so none is paid for twice; the ones not yet sent never are."""
        start = time.monotonic()

        def one(request):
            try:
                return fn(request)
            finally:
                if on_done:
                    on_done()

        pool = ThreadPoolExecutor(max_workers=self.p.concurrency)
        try:
            results = list(pool.map(one, requests))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        self.seconds += time.monotonic() - start
        return results

    def ask(self, messages: list[dict], extra: dict | None = None) -> str | NoAnswer:
        body = self.body(messages, extra)
        path = self.cache_path(body)
        if path.exists():
            record = json.loads(path.read_text())
            self.tracker.add("cached")
            return self.tracker.fail(record["failure"]) if "failure" in record else record["content"]
        if self.tracker.unreachable(self.p.concurrency):  # stop asking
            return self.tracker.fail(UNREACHABLE)
        worst_in, worst_out = self.worst_case(body)
        limit = self.budget.reserve(worst_in, worst_out)
        if limit is not None:
            return self.tracker.stop(limit)
        used_in = used_out = 0
        try:
            outcome = self.post(body, worst_in + worst_out)
            if isinstance(outcome, Failure):
                if outcome.answered:  # the server's final word at temperature 0: asking again buys the same
                    self.remember(path, {"request": body, "failure": outcome.reason})
                    used_in, used_out = outcome.usage
                    self.tracker.add("requested")
                return self.tracker.fail(outcome.reason)
            content, used_in, used_out = outcome
        finally:
            self.budget.settle(worst_in, worst_out, used_in, used_out)
        self.remember(path, {"request": body, "content": content, "usage": {"input": used_in, "output": used_out}})
        self.tracker.add("requested")
        return content

    def post(self, body: dict, worst_tokens: int) -> tuple[str, int, int] | Failure:
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        failure = Failure("no attempt", False)
        for attempt in range(self.p.retries + 1):
            with self.lock:
                url = self.urls[self.turn % len(self.urls)]
                self.turn += 1
            self.pacer.wait(worst_tokens)
            wait = None
            try:
                self.tracker.add("sent")
                response = self.http.post(url, json=body, headers=headers)
                wait = retry_after(response.headers)
                if wait and (response.status_code in (429, 503) or response.headers.get("x-ratelimit-remaining-requests") == "0"):
                    self.pacer.pause(wait)  # the server is busy for everyone, not only this request
                failure = self.read(response)
                if not isinstance(failure, Failure):
                    self.pacer.used(failure[1] + failure[2])
                    return failure
            except httpx.TimeoutException:
                failure = Failure(TIMEOUT, True)
            except httpx.TransportError as e:
                failure = Failure(f"{CONNECTION_FAILED} ({type(e).__name__})", True)
            if not failure.transient or attempt == self.p.retries:
                break  # no wait after the last try
            self.tracker.add("retried")
            delay = wait if wait is not None else self.rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_S * 2 ** attempt))
            self.sleep(delay)
        return failure

    @staticmethod
    def read(response: httpx.Response) -> tuple[str, int, int] | Failure:
        if response.status_code != 200:
            return Failure(http_error(response.status_code), response.status_code in TRANSIENT)
        try:
            data = response.json()
            choice = data["choices"][0]
            content = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            return Failure(MALFORMED, True)
        usage = data.get("usage") or {}
        used = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        if choice.get("finish_reason") in ("length", "content_filter"):
            return Failure(finish_reason(choice["finish_reason"]), False, answered=True, usage=used)
        return content, *used

    # --- JSON answers ---------------------------------------------------------------------------
    def response_format(self, schema: dict) -> dict | None:
        if self.p.structured == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": strict_ready(schema)}}
        if self.p.structured == "json_object":
            return {"type": "json_object"}
        return None

    def json_extra(self, schema: dict, max_tokens: int | None = None) -> dict:
        """What a request for a JSON answer adds to the body: response_format, and a max_tokens of its own."""
        fmt = self.response_format(schema)
        return {**({"response_format": fmt} if fmt else {}), **({"max_tokens": max_tokens} if max_tokens else {})}

    def complete_json_many(self, requests: list[list[dict]], schema: dict, on_done=None,
                           max_tokens: int | None = None) -> list[dict | NoAnswer]:
        """A JSON object matching `schema` for each request, in order; a NoAnswer where it failed. The
        schema goes to the server as `response_format` (teacher.structured); an answer that is not
        such an object is asked again with the parse error fed back, at most teacher.parse_retries
        times, then counted as a failure by reason. `max_tokens` replaces teacher.max_tokens."""
        from jsonschema import Draft202012Validator

        validator = Draft202012Validator(schema)
        extra = self.json_extra(schema, max_tokens)
        return self.each(lambda messages: self.ask_json(messages, validator, extra), requests, on_done)

    def ask_json(self, messages: list[dict], validator, extra: dict) -> dict | NoAnswer:
        for attempt in range(self.p.parse_retries + 1):
            answer = self.ask(messages, extra or None)
            if isinstance(answer, NoAnswer):
                return answer  # failed or not sent: already counted
            item, problem = parse_json(answer, validator)
            if problem is None:
                return item
            if attempt == self.p.parse_retries:
                return self.tracker.fail(problem)
            self.tracker.add("parse_retried")
            messages = messages + [{"role": "assistant", "content": answer},
                                   {"role": "user", "content": f"That is not what was asked for ({problem}: "
                                                               f"{describe_error(answer, validator)}). Reply with "
                                                               f"one JSON object only, matching this JSON schema: "
                                                               f"{json.dumps(validator.schema)}"}]
        raise AssertionError("unreachable: the last attempt returns")

    @staticmethod
    def worst_case(body: dict) -> tuple[int, int]:
        """A request's tokens at most: its prompt at about 4 characters a token, and its max_tokens."""
        return sum(len(str(m.get("content") or "")) for m in body["messages"]) // 4 + 8, body["max_tokens"]

    def estimate(self, requests: list[tuple[list[dict], dict | None, int | None]]) -> dict:
        """What asking `requests` ((messages, JSON schema or None, max_tokens or None) each) would
        cost, before anything is sent: how many are cached, and the tokens and dollars of the rest at
        their worst case (re-asks after an answer that is not the JSON asked for are not counted)."""
        bodies = [self.body(m, self.json_extra(schema, n) if schema is not None else
                            ({"max_tokens": n} if n else None)) for m, schema, n in requests]
        todo = [b for b in bodies if not self.cache_path(b).exists()]
        tokens_in = sum(self.worst_case(b)[0] for b in todo)
        tokens_out = sum(self.worst_case(b)[1] for b in todo)
        return {"requests": len(requests), "cached": len(requests) - len(todo), "to_send": len(todo),
                "input_tokens": tokens_in, "output_tokens_at_most": tokens_out,
                "cost_usd_at_most": round(self.budget.cost(tokens_in, tokens_out), 4) if self.p.price else None,
                "max_budget_usd": self.p.max_budget_usd, "max_total_tokens": self.p.max_total_tokens}

    def report(self) -> dict:
        sent = self.tracker.counts["requested"]
        return {**self.tracker.report(),
                "tokens": {"input": self.budget.tokens_in, "output": self.budget.tokens_out},
                "cost_usd": round(self.budget.spent_usd, 6), "seconds": round(self.seconds, 2),
                "requests_per_s": round(sent / self.seconds, 2) if self.seconds else 0.0,
                "endpoints": len(self.urls), "concurrency": self.p.concurrency}
