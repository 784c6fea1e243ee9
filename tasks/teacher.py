"""An optional teacher model behind any OpenAI-compatible chat endpoint: what it is asked, and
the checks its answers must pass. How it is asked (concurrently, paced, retried, within a budget,
every answer cached so an interrupted stage resumes) is tasks/teacher_client.py's.
The teacher's output is checked before it is used: a paraphrase must be a new request in words
(not JSON or code) that keeps the request's words and every value the query takes from it, and a
QA answer must be text found in its chunk; rejected outputs are counted with their reasons.
"""
from __future__ import annotations

import json
import re

from tasks.config import GenerateParams
from tasks.examples import Example, chat, make_example
from tasks.generators import graphql, qa
from tasks.teacher_client import Client, TeacherError  # noqa: F401  (TeacherError: raised to callers)

PARAPHRASE_PROMPT = ("Rewrite the user's request in other words. Keep every value, name and number. "
                     "Reply with the rewritten request only.")
QA_PROMPT = ("Write one question that this text answers, and the answer copied word for word from the text. "
             'Reply with JSON only: {"question": "...", "answer": "..."}\n\nText:\n')
QA_SCHEMA = {"type": "object", "properties": {"question": {"type": "string", "minLength": 1},
                                              "answer": {"type": "string", "minLength": 1}},
             "required": ["question", "answer"]}


class Teacher(Client):
    """The teacher: the client, plus `complete` for one request that must succeed."""

    def complete(self, messages: list[dict]) -> str:
        answer = self.complete_many([messages])[0]
        if answer is None:
            reason = next(iter(self.failed), "no answer")
            raise TeacherError(f"teacher at {', '.join(self.urls)} failed: {reason}. Start the server or set "
                               "generate.teacher to null; finished requests are cached and will not be repeated")
        return answer


TOOL_PROMPT = ("These are the user's messages and the assistant's replies of a conversation in which the "
               "assistant uses tools. Rewrite each one as a person would write it: plainer, more natural, "
               "in other words. Keep every value exactly as written (paths, names, ids, numbers, dates). "
               'Reply with JSON only: {"messages": ["...", ...]}, the same number of messages, in order.\n\n')


def tool_texts(ex: Example) -> list[int]:
    """The positions of a tool dialogue's words: its user turns and the assistant's turns that call
    nothing (the calls and the tool results are never rewritten)."""
    return [i for i, m in enumerate(ex["messages"])
            if m["role"] == "user" or (m["role"] == "assistant" and not m.get("tool_calls") and m.get("content"))]


def tool_requests(examples: list[Example]) -> list[list[dict]]:
    return [[{"role": "user", "content": TOOL_PROMPT + json.dumps(
        {"messages": [ex["messages"][i]["content"] for i in tool_texts(ex)]}, ensure_ascii=False)}]
        for ex in examples]


def tool_schema(n: int) -> dict:
    return {"type": "object", "required": ["messages"], "properties": {
        "messages": {"type": "array", "minItems": n, "maxItems": n, "items": {"type": "string", "minLength": 1}}}}


def dialogue_values(ex: Example) -> set[str]:
    """Every scalar of a dialogue's tool calls and tool results, as text: what its words must keep."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) >= 2:
            found.add(str(value))

    for m in ex["messages"]:
        for call in m.get("tool_calls") or []:
            walk(json.loads(call["function"]["arguments"]))
        if m["role"] == "tool":
            try:
                walk(json.loads(m["content"]))
            except ValueError:
                pass
    return found


def rewrite_problem(old: str, new: str, values: set[str]) -> str | None:
    """Why `new` cannot replace `old` in a tool dialogue, or None.

    >>> rewrite_problem("Move /a.pdf to /Music.", "Please put /a.pdf into /Music.", {"/a.pdf", "/Music"})
    >>> rewrite_problem("Move /a.pdf to /Music.", "Please move the file.", {"/a.pdf", "/Music"})
    'drops a value of the calls or results'
    """
    new = new.strip()
    if not new or new[0] in "{[<`":
        return "not a message in words"
    if len(new) > 3 * len(old) + 80:
        return "too long"
    if any(v in old and v not in new for v in values):
        return "drops a value of the calls or results"
    return None


def tool_rewrites(teacher: Teacher, examples: list[Example], progress) -> tuple[list[Example], dict]:
    """New tool-use examples: the teacher's words for a dialogue's user turns and replies, the calls
    and tool results unchanged (so they still validate against the tools' schemas), kept only when
    every rewritten message keeps every value of the calls and results its original held."""
    out, rejected = [], {}
    todo = examples[: teacher.p.tool_dialogues]
    by_size: dict[int, list[int]] = {}
    for k, ex in enumerate(todo):
        by_size.setdefault(len(tool_texts(ex)), []).append(k)
    items: list[dict | None] = [None] * len(todo)
    for n, ks in by_size.items():  # one schema per message count
        for k, item in zip(ks, teacher.complete_json_many(tool_requests([todo[k] for k in ks]), tool_schema(n),
                                                          on_done=progress.update)):
            items[k] = item
    for ex, item in zip(todo, items):
        if item is None:
            continue  # failed, not sent, or never the JSON asked for: counted by the client
        values = dialogue_values(ex)
        positions = tool_texts(ex)
        problems = [rewrite_problem(ex["messages"][i]["content"], text, values)
                    for i, text in zip(positions, item["messages"])]
        reason = next((r for r in problems if r), None)
        if reason is None and all(ex["messages"][i]["content"].strip() == t.strip() for i, t in zip(positions, item["messages"])):
            reason = "unchanged"
        if reason:
            rejected[reason] = rejected.get(reason, 0) + 1
            continue
        messages = [dict(m) for m in ex["messages"]]
        for i, text in zip(positions, item["messages"]):
            messages[i]["content"] = text.strip()
        out.append(make_example(ex["category"], messages, source=ex["source"], tools=ex.get("tools"),
                                meta={**ex["meta"], "teacher": "tool_rewrite", "of": ex["id"]}))
    return out, rejected


JUDGE_SCHEMA = {"type": "object", "required": ["score", "reason"], "properties": {
    "score": {"type": "integer", "minimum": 1, "maximum": 10}, "reason": {"type": "string"}}}


def words_of(ex: Example) -> str:
    """A dialogue's words, a line a message, its calls and tool results left out."""
    return "\n".join(f"{m['role']}: {m['content']}" for m in ex["messages"]
                     if m["role"] in ("user", "assistant") and m.get("content"))


def judge_requests(teacher: Teacher, candidates: list[Example], originals: dict[str, Example]) -> list[list[dict]]:
    rubric = teacher.p.judge.rubric
    out = []
    for ex in candidates:
        source = words_of(originals[ex["meta"]["of"]]) if ex["meta"].get("of") in originals else \
            ex["messages"][-1]["content"]  # a QA pair's source is the span its answer copies
        out.append([{"role": "user", "content": (
            f"Judge the candidate against its source. Score it from 1 to 10 for {rubric}. "
            'Reply with JSON only: {"score": <1-10>, "reason": "<one sentence>"}\n\n'
            f"Source:\n{source}\n\nCandidate:\n{words_of(ex)}")}])
    return out


def judged(teacher: Teacher, candidates: list[Example], originals: dict[str, Example],
           progress) -> tuple[list[Example], dict]:
    """The candidates the judge scores at least teacher.judge.threshold, each with its score and
    reason in meta["judge"]; and the report: the score distribution and the rejections by reason."""
    scores = teacher.complete_json_many(judge_requests(teacher, candidates, originals), JUDGE_SCHEMA,
                                        on_done=progress.update)
    kept, distribution, rejected = [], {}, {}
    for ex, verdict in zip(candidates, scores):
        if verdict is None:
            rejected["the judge gave no score"] = rejected.get("the judge gave no score", 0) + 1
            continue
        distribution[verdict["score"]] = distribution.get(verdict["score"], 0) + 1
        if verdict["score"] < teacher.p.judge.threshold:
            rejected[f"scored below {teacher.p.judge.threshold}"] = rejected.get(f"scored below {teacher.p.judge.threshold}", 0) + 1
            continue
        kept.append({**ex, "meta": {**ex["meta"], "judge": {"score": verdict["score"], "reason": verdict["reason"]}}})
    return kept, {"scores": dict(sorted(distribution.items())), "rejected": rejected}


def paraphrase_requests(examples: list[Example]) -> list[list[dict]]:
    return [[{"role": "system", "content": PARAPHRASE_PROMPT}, {"role": "user", "content": ex["messages"][1]["content"]}]
            for ex in examples]


def qa_requests(chunks: list[dict]) -> list[list[dict]]:
    return [[{"role": "user", "content": QA_PROMPT + chunk["text"]}] for chunk in chunks]


def requests_for(p: GenerateParams, made: dict[str, list[Example]], chunks: list[dict]) -> list[tuple[list[dict], dict | None]]:
    """Every first request a run would make, in order, each with the JSON schema its answer must
    match (None: text); what `--estimate` prices."""
    dialogues = made.get("tool_use", [])[: p.teacher.tool_dialogues]
    return ([(m, None) for m in paraphrase_requests(made.get(graphql.CATEGORY, [])[: p.teacher.paraphrases])]
            + [(m, QA_SCHEMA) for m in qa_requests(chunks[: p.teacher.qa_chunks])]
            + [(m, tool_schema(len(tool_texts(ex)))) for m, ex in zip(tool_requests(dialogues), dialogues)])


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
    todo = examples[: teacher.p.paraphrases]
    answers = teacher.complete_many(paraphrase_requests(todo), on_done=progress.update)
    for ex, answer in zip(todo, answers):
        if answer is None:
            continue  # failed or not sent: counted by the client
        request, query = ex["messages"][1]["content"], ex["messages"][-1]["content"]
        text = one_line(answer)
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
    todo = chunks[: teacher.p.qa_chunks]
    items = teacher.complete_json_many(qa_requests(todo), QA_SCHEMA, on_done=progress.update)
    for chunk, item in zip(todo, items):
        if item is None:
            continue  # failed, not sent, or never the JSON asked for: counted by the client
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
