"""An optional teacher model behind any OpenAI-compatible chat endpoint, with a response cache.

Each request is hashed (endpoint, model and body); a finished response is written to
paths.teacher_cache/<hash>.json, atomically, and never asked again, so an interrupted generate
stage resumes where it stopped. Failed requests are retried, then reported, and never cached.
The teacher's output is checked before it is used: a paraphrase must be a new request in words
(not JSON or code) that keeps the request's words and every value the query takes from it, and a
QA answer must be text found in its chunk; rejected outputs are counted with their reasons.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from tasks.config import GenerateParams, TeacherParams
from tasks.examples import Example, chat, make_example
from tasks.generators import graphql, qa
from tasks.io import InputError, write_json

PARAPHRASE_PROMPT = ("Rewrite the user's request in other words. Keep every value, name and number. "
                     "Reply with the rewritten request only.")
QA_PROMPT = ("Write one question that this text answers, and the answer copied word for word from the text. "
             'Reply with JSON only: {"question": "...", "answer": "..."}\n\nText:\n')


class TeacherError(InputError):
    """The endpoint could not be reached or answered with an error."""


class Teacher:
    def __init__(self, p: TeacherParams, cache_dir: Path):
        self.p = p
        self.cache_dir = Path(cache_dir)
        self.key = None
        if p.api_key_env is not None:
            self.key = os.environ.get(p.api_key_env)
            if not self.key:
                raise InputError(f"generate.teacher.api_key_env names {p.api_key_env}, which is not set in the environment")
        self.stats = {"cached": 0, "requested": 0}

    def _path(self, body: dict) -> Path:
        digest = hashlib.sha256(json.dumps({"url": self.p.base_url, **body}, sort_keys=True).encode()).hexdigest()
        return self.cache_dir / digest[:2] / f"{digest}.json"

    def complete(self, messages: list[dict]) -> str:
        body = {"model": self.p.model, "messages": messages, "temperature": 0.0, "max_tokens": self.p.max_tokens}
        path = self._path(body)
        if path.exists():
            self.stats["cached"] += 1
            return json.loads(path.read_text())["content"]
        content = self._post(body)
        write_json(path, {"request": body, "content": content})  # only a finished answer is cached
        self.stats["requested"] += 1
        return content

    def _post(self, body: dict) -> str:
        url = self.p.base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        last = None
        for attempt in range(self.p.retries + 1):
            request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.p.timeout_s) as response:
                    return json.loads(response.read())["choices"][0]["message"]["content"] or ""
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}: {e.read()[:200]!r}"
                if e.code < 500:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError, KeyError, json.JSONDecodeError) as e:
                last = str(e)
            if attempt < self.p.retries:  # no wait after the last try
                time.sleep(min(2 ** attempt, 10))
        raise TeacherError(f"teacher at {url} failed: {last}. Start the server or set generate.teacher to null; "
                           "finished requests are cached and will not be repeated")


def one_line(text: str) -> str:
    r"""A reply as one line: whitespace runs collapsed, surrounding quotes dropped.

    >>> one_line('  "Show my\n  files"  ')
    'Show my files'
    """
    return " ".join(text.split()).strip('"')


def query_values(query: str) -> list[str]:
    """The string and number literals of a GraphQL query.

    >>> query_values('{ files(first: 5, filter: {nameContains: "q3 report"}) { id } }')
    ['5', 'q3 report']
    """
    from graphql import parse, visit
    from graphql.language import Visitor

    found = []

    class Values(Visitor):
        def enter_int_value(self, node, *_):
            found.append(node.value)

        enter_float_value = enter_string_value = enter_int_value

    visit(parse(query), Values())
    return found


def content_words(text: str) -> set[str]:
    """Words of four letters or more, by their first four letters (a crude stem: files -> file,
    colour -> colo), without the verbs every request starts with.

    >>> sorted(content_words("Find tags and their file counts"))
    ['coun', 'file', 'tags', 'thei']
    """
    return {w[:4] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in ("find", "show", "list", "give")}


def paraphrase_problem(text: str, request: str, query: str, seen: set[str]) -> str | None:
    """Why a teacher's rewording of `request` cannot stand beside `query`, or None.

    >>> q = '{ file(id: "f_12") { name } }'
    >>> paraphrase_problem("What is the name of file f_12?", "Find the file with id f_12 and its name", q, set())
    >>> paraphrase_problem("What is the name of that file?", "Find the file with id f_12 and its name", q, set())
    'drops a value of the query'
    >>> paraphrase_problem("I'm ready to assist you.", "Find the file with id f_12 and its name", '{ files { id } }', set())
    'not a rewording of the request'
    """
    words = content_words(request)
    if not text:
        return "empty"
    if len(text) > 400:
        return "too long"
    if text[0] in "{[<`" or "```" in text:
        return "not a request (JSON or code)"
    if any(v in request and v.lower() not in text.lower() for v in query_values(query)):
        return "drops a value of the query"
    if words and len(words & content_words(text)) < len(words) / 2:
        return "not a rewording of the request"
    if text in seen:
        return "same as an existing request"
    return None


def paraphrases(teacher: Teacher, examples: list[Example], p: GenerateParams, seen: set[str],
                progress) -> tuple[list[Example], dict]:
    """New NL -> GraphQL examples: the teacher's rewording of a request, with the same query, kept
    only when it passes paraphrase_problem."""
    out, rejected = [], {}
    for ex in examples[: teacher.p.paraphrases]:
        request, query = ex["messages"][1]["content"], ex["messages"][-1]["content"]
        text = one_line(teacher.complete([{"role": "system", "content": PARAPHRASE_PROMPT},
                                            {"role": "user", "content": request}]))
        progress.update()
        reason = paraphrase_problem(text, request, query, seen)
        if reason:
            rejected[reason] = rejected.get(reason, 0) + 1
            continue
        seen.add(text)
        out.append(make_example(graphql.CATEGORY, chat(graphql.system_prompt(p.product, p.reference_date), text, query),
                                source=ex["source"], meta={**ex["meta"], "teacher": "paraphrase", "of": ex["id"]}))
    return out, rejected


def find_span(text: str, answer: str) -> tuple[int, int] | None:
    """Where `answer` occurs in `text`, ignoring differences in whitespace.

    >>> find_span("A tag is\\n a label.", "tag is a label")
    (2, 17)
    """
    words = answer.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (m.start(), m.end()) if m else None


def grounded_qa(teacher: Teacher, chunks: list[dict], p: GenerateParams, seen: set[str],
                progress) -> tuple[list[Example], dict]:
    """QA written by the teacher, kept only when the answer is text of the chunk it came from."""
    out, rejected = [], {}
    for chunk in chunks[: teacher.p.qa_chunks]:
        reply = teacher.complete([{"role": "user", "content": QA_PROMPT + chunk["text"]}])
        progress.update()
        m = re.search(r"\{.*\}", reply, re.S)
        try:
            item = json.loads(m.group(0)) if m else None
        except json.JSONDecodeError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str) or not isinstance(item.get("answer"), str):
            rejected["not JSON with question and answer"] = rejected.get("not JSON with question and answer", 0) + 1
            continue
        question = one_line(item["question"])
        span = find_span(chunk["text"], item["answer"])
        reason = ("answer not found in the source" if span is None else "empty question" if not question else
                  "question already asked" if question in seen else None)
        if reason:
            rejected[reason] = rejected.get(reason, 0) + 1
            continue
        seen.add(question)
        answer = " ".join(chunk["text"][span[0]:span[1]].split())
        out.append(make_example(qa.CATEGORY, chat(qa.system_prompt(p.product), question, answer),
                                source=f"docs:{chunk['file']}#{' > '.join(chunk['heading_path'])}",
                                meta={"kind": "teacher", "file": chunk["file"], "teacher": "qa",
                                      "span": qa.source_span(chunk, *span)}))
    return out, rejected
