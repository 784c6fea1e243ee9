"""An optional teacher model behind any OpenAI-compatible chat endpoint: what it is asked, and
the checks its answers must pass. How it is asked (concurrently, paced, retried, within a budget,
every answer cached so an interrupted stage resumes) is tasks/teacher/client.py's.
Each kind it makes is a Job (tasks/teacher/backfill.py asks until its quota is met): NL->GraphQL
paraphrases, QA pairs from doc chunks, tool dialogues in other words, and skills (whole dialogues,
tasks/generators/skills.py). The teacher's output is checked before it is used: a paraphrase must be
a new request in words (not JSON or code) that keeps the request's words and every value the query
takes from it; a QA answer must be text found in its chunk; a rewritten tool dialogue must keep every
value of its calls and results; a skill's dialogue must be in order, call only the skill's tools with
arguments their schemas accept, and answer every call. The judge (tasks/teacher/judge.py), if set, scores what passed.
Rejected outputs are counted with their reasons.
"""
from __future__ import annotations

import json
import re
from itertools import count

from tasks.core.config import GenerateParams
from tasks.core.records import Example, chat, make_example
from tasks.generators import graphql, qa, skills
from tasks.generators.conversations import system_prompt as conversation_prompt
from tasks.generators.tools import system_prompt as tool_prompt
from tasks.teacher.backfill import Job

PARAPHRASE_PROMPT = ("Rewrite the user's request in other words. Keep every value, name and number. "
                     "Reply with the rewritten request only.")
QA_PROMPT = ("Write one question that this text answers, and the answer copied word for word from the text. "
             'Reply with JSON only: {"question": "...", "answer": "..."}\n\nText:\n')
QA_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["question", "answer"],
             "properties": {"question": {"type": "string"}, "answer": {"type": "string"}}}


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
    return {"type": "object", "additionalProperties": False, "required": ["messages"], "properties": {
        "messages": {"type": "array", "minItems": n, "maxItems": n, "items": {"type": "string"}}}}


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


def words_of(ex: Example) -> str:
    """A dialogue's words, a line a message, its calls and tool results left out."""
    return "\n".join(f"{m['role']}: {m['content']}" for m in ex["messages"]
                     if m["role"] in ("user", "assistant") and m.get("content"))


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
    >>> paraphrase_problem("I'm ready to assist you. Find the file and its name.", "Find the file with id f_12 and its name", '{ files { id } }', set())
    'speaks as the assistant'
    >>> paraphrase_problem("Which files are there?", "Find the file with id f_12 and its name", '{ files { id } }', set())
    'not a rewording of the request'
    """
    words = content_words(request)
    if not text:
        return "empty"
    if len(text) > 400:
        return "too long"
    if text[0] in "{[<`" or "```" in text:
        return "not a request (JSON or code)"
    if re.search(r"rewrit\w* (the|this) (user's )?request|rewritten request", text, re.I):
        return "echoes the instruction"
    if re.search(r"\b(I'm|I am) (ready|happy|here) to\b|\bassist you\b|\bhappy to help\b|\bI'll\b", text, re.I):
        return "speaks as the assistant"
    if any(v in request and v.lower() not in text.lower() for v in query_values(query)):
        return "drops a value of the query"
    if words and len(words & content_words(text)) < len(words) / 2:
        return "not a rewording of the request"
    if same_words(text, request):
        return "unchanged (only case or punctuation differ)"
    if text in seen:
        return "same as an existing request"
    return None


def same_words(a: str, b: str) -> bool:
    """Whether two texts are the same words, whatever their case and punctuation.

    >>> same_words("Fetch files in the library.", "fetch files in the library")
    True
    """
    return re.findall(r"\w+", a.lower()) == re.findall(r"\w+", b.lower())


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




# --- the jobs: what each kind asks for and the check its answer must pass (tasks/teacher/backfill.py asks) ---

def paraphrase_job(p: GenerateParams, examples: list[Example]) -> Job:
    """New NL -> GraphQL examples: the teacher's rewording of a request, with the same query, kept
    only when it passes paraphrase_problem."""
    seen = {ex["messages"][1]["content"] for ex in examples}

    def check(ex: Example, answer: str):
        request, query = ex["messages"][1]["content"], ex["messages"][-1]["content"]
        text = one_line(answer)
        reason = paraphrase_problem(text, request, query, seen)
        if reason:
            return reason
        seen.add(text)
        return make_example(graphql.CATEGORY, chat(graphql.system_prompt(p.product, p.reference_date), text, query),
                            source=ex["source"], meta={**ex["meta"], "teacher": "paraphrase", "of": ex["id"]}), request

    return Job("paraphrases", p.teacher.paraphrases, lambda: examples,
               lambda ex: ([{"role": "system", "content": PARAPHRASE_PROMPT},
                            {"role": "user", "content": ex["messages"][1]["content"]}], None), check)


def qa_job(p: GenerateParams, chunks: list[dict], seen: set[str]) -> Job:
    """QA written by the teacher, one question per doc chunk, kept only when the answer is text of
    the chunk it came from (the span recorded in meta)."""
    def check(chunk: dict, item: dict):
        question = one_line(item["question"])
        span = find_span(chunk["text"], item["answer"])
        reason = ("answer not found in the source" if span is None else "empty question" if not question else
                  "question already asked" if question in seen else None)
        if reason:
            return reason
        seen.add(question)
        answer = " ".join(chunk["text"][span[0]:span[1]].split())
        return make_example(qa.CATEGORY, chat(qa.system_prompt(p.product), question, answer),
                            source=f"docs:{chunk['file']}#{' > '.join(chunk['heading_path'])}",
                            meta={"kind": "teacher", "file": chunk["file"], "teacher": "qa",
                                  "span": qa.source_span(chunk, *span)}), answer

    return Job("qa", p.teacher.qa_chunks, lambda: chunks,
               lambda chunk: ([{"role": "user", "content": QA_PROMPT + chunk["text"]}], QA_SCHEMA), check)


def tool_job(p: GenerateParams, examples: list[Example]) -> Job:
    """New tool-use examples: the teacher's words for a dialogue's user turns and replies, the calls
    and tool results unchanged (so they still validate against the tools' schemas), kept only when
    every rewritten message keeps every value of the calls and results its original held."""
    def check(ex: Example, item: dict):
        values, positions = dialogue_values(ex), tool_texts(ex)
        problems = [rewrite_problem(ex["messages"][i]["content"], text, values)
                    for i, text in zip(positions, item["messages"])]
        reason = next((r for r in problems if r), None)
        if reason is None and all(same_words(ex["messages"][i]["content"], t) for i, t in zip(positions, item["messages"])):
            reason = "unchanged (only case or punctuation differ)"
        if reason:
            return reason
        messages = [dict(m) for m in ex["messages"]]
        for i, text in zip(positions, item["messages"]):
            messages[i]["content"] = text.strip()
        return make_example(ex["category"], messages, source=ex["source"], tools=ex.get("tools"),
                            meta={**ex["meta"], "teacher": "tool_rewrite", "of": ex["id"]}), words_of(ex)

    return Job("tool_dialogues", p.teacher.tool_dialogues, lambda: examples,
               lambda ex: (tool_requests([ex])[0], tool_schema(len(tool_texts(ex)))), check)


def skill_jobs(p: GenerateParams, tool_defs: list[dict] | None, seen: set[str]) -> list[Job]:
    """One job per skill and sub-topic: whole dialogues the teacher writes as JSON, each checked by
    skills.problem and kept as an example of the skill (a first user turn already written is
    rejected as a repeat)."""
    from jsonschema import Draft202012Validator

    out = []
    for skill in p.skills:
        text, tools = skills.description(skill), skills.skill_tools(skill, tool_defs)
        validators = {t["function"]["name"]: Draft202012Validator(t["function"].get("parameters") or {}) for t in tools}
        system = (tool_prompt if tools else conversation_prompt)(p.product)
        for topic, quota in skills.topics(skill).items():
            def check(k, item, skill=skill, tools=tools, validators=validators, topic=topic, text=text, system=system):
                reason = skills.problem(item, tools, validators)
                first = one_line(item["messages"][0].get("content") or "")
                if reason is None and first in seen:
                    reason = "repeats a request already written"
                if reason:
                    return reason
                seen.add(first)
                return skills.to_example(item, skill, tools, topic, system), \
                    text + ("" if topic == skills.ANY_TOPIC else f"\nSub-topic: {topic}")

            def ask(k, skill=skill, text=text, tools=tools, topic=topic):
                return skills.request(skill, text, tools, p.product, topic, k), skills.DIALOGUE_SCHEMA

            name = f"skill {skill.name}" + ("" if topic == skills.ANY_TOPIC else f" / {topic}")
            out.append(Job(name, quota, lambda: count(), ask, check, max_tokens=skill.max_tokens))
    return out


def for_run(p: GenerateParams, made: dict[str, list[Example]], inputs: dict) -> list[Job]:
    """Every job a run with p.teacher does, in order (the order is part of what makes a rerun free)."""
    qa_seen = {ex["messages"][1]["content"] for ex in made.get(qa.CATEGORY, [])}
    return ([paraphrase_job(p, made.get(graphql.CATEGORY, [])), qa_job(p, inputs.get("docs", []), qa_seen),
             tool_job(p, made.get("tool_use", []))]
            + skill_jobs(p, inputs.get("tools"), set()))
