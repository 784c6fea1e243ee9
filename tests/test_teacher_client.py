"""The teacher's client against a small loopback server that injects the faults a real one will
not produce on demand: 429 with Retry-After, 503, an answer slower than the timeout, a body that
is not JSON, finish_reason "length", a 400. Each is survived as tasks/teacher/client.py says, and
counted by reason; nothing that failed is cached; the budget stop is hard and a rerun resumes
without paying twice (counted at the server)."""
import json
import random
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tasks.core.config import TeacherParams
from tasks.teacher.backfill import Progress, fill
from tasks.teacher.client import PROMPT_VERSION, Client, NoAnswer
from tasks.teacher.judge import Judge


class FaultServer:
    """An OpenAI-compatible /chat/completions whose behaviour is the last user message's first
    word: ok, 429 (once, Retry-After: 1), 503 (once), slow, malformed, length, 400, wait (0.3 s),
    json (a schema-violating object, then a right one), never-json."""

    def __init__(self):
        self.calls: Counter = Counter()
        self.bodies: list[dict] = []
        self.lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0
        self.delay = 0.0  # seconds before every answer
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = next(m["content"] for m in body["messages"] if m["role"] == "user")  # later ones: feedback
                word = text.split()[0]
                server.bodies.append(body)
                with server.lock:
                    server.calls[text] += 1
                    n = server.calls[text]
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                self.counted = True
                try:
                    time.sleep(server.delay)
                    self.answer(word, n, text)
                finally:
                    self.release()

            def release(self):
                """The request is no longer in flight. Called before its answer is sent: once a client
                has the answer it may send its next request, which must not find this one counted
                (on a busy machine this thread can be descheduled between its write and a later count)."""
                if getattr(self, "counted", False):
                    self.counted = False
                    with server.lock:
                        server.in_flight -= 1

            def answer(self, word, n, text):
                if word == "429" and n == 1:
                    return self.reply(429, b'{"error": "slow down"}', {"Retry-After": "1"})
                if word == "503" and n == 1:
                    return self.reply(503, b"busy")
                if word == "400":
                    return self.reply(400, b'{"error": "bad request"}')
                if word == "slow":
                    time.sleep(4.0)  # past the fault test's 2 s timeout, which a busy machine's quick answers stay well inside
                if word == "wait":
                    time.sleep(0.3)
                if word == "malformed":
                    return self.reply(200, b"<html>proxy error</html>")
                content = f"echo: {text}"
                if word == "These":  # the tool-dialogue rewrite: "Hey, " before each message, and a
                    said = json.loads(text[text.rindex("\n\n") + 2:])["messages"]  # a dialogue about tags loses its paths
                    lost = "tag" in said[0]
                    content = json.dumps({"messages": [re.sub(r"/\S+", "that file", m) if lost else f"Hey, {m}"
                                                       for m in said]})
                if word == "json":  # a schema-violating object first; right once told what was wrong
                    content = '{"question": 5, "answer": "Because."}' if n == 1 else '{"question": "Why?", "answer": "Because."}'
                if word == "Judge":  # the judge likes what the rewrite test's server wrote
                    good = "Hey," in text.split("Candidate:")[1]
                    content = json.dumps({"score": 9 if good else 2, "reason": "reads well" if good else "stiff"})
                if word == "You":  # a skill's dialogue: which one is in the request (skill_dialogue)
                    content = json.dumps(skill_dialogue(text))
                if word == "never-json":
                    content = "I would rather not."
                finish = "length" if word == "length" else "stop"
                answer = {"choices": [{"message": {"role": "assistant", "content": content},
                                       "finish_reason": finish}],
                          "usage": {"prompt_tokens": len(text) // 4 + 1, "completion_tokens": 10}}
                self.reply(200, json.dumps(answer).encode())

            def reply(self, code, data, headers=None):
                self.release()
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except BrokenPipeError:  # the client gave up waiting (the timeout case)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def message(role, content=None, calls=None, call_id=None):
    return {"role": role, "content": content, "tool_calls": calls, "tool_call_id": call_id}


def skill_dialogue(request: str) -> dict:
    """The fault server's skill dialogue for the k-th request of a sub-topic: conversation 1, 5, 9
    ... are right; 2, 6 ... call a tool the skill may not use; 3, 7 ... pass arguments its schema
    rejects; 4, 8 ... leave a call unanswered. Sub-topic "broken": never right."""
    k = int(re.search(r"This is conversation (\d+)", request).group(1))
    topic = (re.search(r"Sub-topic: (.+)", request) or [None, "any"])[1]
    fault = 3 if topic == "broken" else (k - 1) % 4
    path = f"/Projects/{topic}-{k}"
    name, args = ("delete_everything", {}) if fault == 1 else ("create_folder", {"folder": 3} if fault == 2 else {"path": path})
    messages = [message("user", f"Please make a folder at {path}."),
                message("assistant", None, [{"id": "call_0", "name": name, "arguments": json.dumps(args)}])]
    if fault != 3:
        messages.append(message("tool", json.dumps({"status": "ok", "path": path}), call_id="call_0"))
    return {"messages": messages + [message("assistant", f"Done: {path} exists now.")]}


@pytest.fixture
def server():
    s = FaultServer()
    yield s
    s.close()


def ask(text):
    return [{"role": "user", "content": text}]


def cached(root):
    return sum(1 for _ in root.glob("*/*.json")) if root.exists() else 0


def test_every_fault_is_survived_counted_and_never_cached(server, tmp_path):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        time.sleep(min(seconds, 1.0))

    p = TeacherParams(base_url=server.url, model="m", retries=2, timeout_s=2.0, concurrency=1)
    client = Client(p, tmp_path / "cache", sleep=sleep)
    texts = ["ok 1", "429 then ok", "503 then ok", "slow", "malformed", "length", "400"]
    answers = dict(zip(texts, client.complete_many([ask(t) for t in texts])))
    report = client.report()
    print("fault matrix:", json.dumps({"calls": dict(server.calls), "report": report}))

    assert answers["ok 1"] == "echo: ok 1" and server.calls["ok 1"] == 1
    assert answers["429 then ok"] == "echo: 429 then ok" and server.calls["429 then ok"] == 2
    assert 1.0 in sleeps  # the Retry-After the 429 named, not a backoff of our own
    assert answers["503 then ok"] == "echo: 503 then ok" and server.calls["503 then ok"] == 2
    for text, reason, calls in [("slow", "timeout", 3), ("malformed", "malformed response", 3),
                                ("length", "finish_reason length", 1), ("400", "HTTP 400", 1)]:
        assert answers[text] == NoAnswer(reason) and server.calls[text] == calls, text  # transient: 1 + 2 retries
        assert report["failed"][reason] == 1
    assert len(sleeps) == report["retried"] == 1 + 1 + 2 + 2  # no sleep after a last try
    assert cached(tmp_path / "cache") == report["requested"] == 4  # the answers, and the cut-off one as a failure
    again = Client(p, tmp_path / "cache", sleep=sleep)
    assert again.complete_many([ask("length")]) == [NoAnswer("finish_reason length")] and server.calls["length"] == 1
    assert again.report()["failed"] == {"finish_reason length": 1}
    assert report["tokens"]["output"] == 40  # three answers and the cut-off one were paid for


def test_concurrency_and_order(server, tmp_path):
    p = TeacherParams(base_url=server.url, model="m", concurrency=4)
    client = Client(p, tmp_path / "cache")
    texts = [f"wait {i}" for i in range(12)]
    assert client.complete_many([ask(t) for t in texts]) == [f"echo: {t}" for t in texts]
    assert server.max_in_flight == 4


def test_requests_spread_across_endpoints(tmp_path):
    servers = [FaultServer(), FaultServer()]
    try:
        p = TeacherParams(base_url=[s.url for s in servers], model="m", concurrency=2)
        client = Client(p, tmp_path / "cache")
        client.complete_many([ask(f"ok {i}") for i in range(10)])
        assert [sum(s.calls.values()) for s in servers] == [5, 5]
    finally:
        for s in servers:
            s.close()


def test_the_budget_stops_hard_and_a_rerun_pays_for_nothing_twice(server, tmp_path):
    texts = [f"ok request number {i}" for i in range(10)]  # 21 characters: 6 prompt tokens + 10 out
    price = {"input": 1000.0, "output": 1000.0}  # USD per million: 1 token = 0.001 USD
    p = TeacherParams(base_url=server.url, model="m", concurrency=1, max_tokens=16, price=price,
                      max_budget_usd=0.1)
    client = Client(p, tmp_path / "cache")
    answers = client.complete_many([ask(t) for t in texts])
    report = client.report()
    done = [a for a in answers if not isinstance(a, NoAnswer)]
    assert report["stopped_by"] == "budget" and 0 < len(done) < len(texts)
    assert answers[:len(done)] == [f"echo: {t}" for t in texts[:len(done)]]  # in order, then nothing
    assert report["cost_usd"] <= 0.1 and sum(server.calls.values()) == len(done)

    more = Client(p.model_copy(update={"max_budget_usd": 10.0}), tmp_path / "cache")
    assert more.complete_many([ask(t) for t in texts]) == [f"echo: {t}" for t in texts]
    assert set(server.calls.values()) == {1}  # every request paid once, across both runs
    assert more.report()["cached"] == len(done)


def test_the_cache_key_does_not_depend_on_the_endpoint(tmp_path):
    a = Client(TeacherParams(base_url="http://a/v1", model="m"), tmp_path)
    b = Client(TeacherParams(base_url=["http://b/v1", "http://c/v1"], model="m"), tmp_path)
    assert a.cache_path(a.body(ask("hi"))) == b.cache_path(b.body(ask("hi")))
    assert PROMPT_VERSION >= 1


def test_a_budget_in_dollars_needs_a_price():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="max_budget_usd needs price"):
        TeacherParams(base_url="http://a/v1", model="m", max_budget_usd=1.0)


def test_estimate_then_a_run_the_budget_stops_then_a_rerun_that_finishes(tiny_project, server):
    """`python -m tasks.generate --estimate` sends and writes nothing; a run whose budget ends
    early exits 0 with what finished cached and the report saying the budget ended it; a rerun
    with more budget asks only what is left."""
    from tasks.testing.projects import BIN, edit_params, project_paths, run

    teacher = {"base_url": server.url, "model": "m", "paraphrases": 12, "qa_chunks": 0, "max_tokens": 16,
               "concurrency": 2, "price": {"input": 1000.0, "output": 1000.0}, "max_budget_usd": 0.2,
               "max_attempts": 1}  # no backfill here: test_backfill_* has it
    edit_params(tiny_project, {"generate": {"teacher": teacher}})
    run([str(BIN / "python"), "-m", "tasks.parse"], tiny_project)
    paths = project_paths(tiny_project)
    out = run([str(BIN / "python"), "-m", "tasks.generate", "--estimate"], tiny_project).stdout
    print(out)
    assert "teacher requests, first round: 12 (0 cached, 12 to send)" in out and "cost, at most: $" in out
    assert "max_budget_usd $0.2000 may stop the run" in out
    assert not paths.report("generate").exists() and not paths.teacher_cache.exists() and not server.calls

    run([str(BIN / "python"), "-m", "tasks.generate"], tiny_project)
    report = json.loads(paths.report("generate").read_text())["generators"]["teacher"]
    assert report["stopped_by"] == "budget" and report["cost_usd"] <= 0.2
    paid = sum(server.calls.values())
    assert 0 < paid == report["requested"] == cached(paths.teacher_cache) < 12

    edit_params(tiny_project, {"generate": {"teacher": {**teacher, "max_budget_usd": 100.0, "judge": {"threshold": 6}}}})
    run([str(BIN / "python"), "-m", "tasks.generate"], tiny_project)
    report = json.loads(paths.report("generate").read_text())["generators"]["teacher"]
    # the echoing server's "paraphrases" pass the checks; its judge scores each 2 and all are rejected
    assert report["stopped_by"] is None and report["cached"] == paid and report["requested"] == 12 - paid + 12
    assert report["judge"] == {"threshold": 6, "scores": {"2": 12}, "rejected": {"the judge scored it below 6": 12}}
    assert report["jobs"]["paraphrases"] == {"target": 12, "kept": 0, "attempts": 12, "ended_by": (
        "the attempt cap (12 requests: teacher.max_attempts 1 x 12)"), "rejected": {"the judge scored it below 6": 12}}
    paraphrase_calls = {k: v for k, v in server.calls.items() if not k.startswith("Judge")}
    assert set(paraphrase_calls.values()) == {1} and sum(paraphrase_calls.values()) == 12


def test_a_json_answer_is_asked_with_its_schema_and_asked_again_with_the_error(server, tmp_path):
    from tasks.teacher.jobs import QA_SCHEMA

    p = TeacherParams(base_url=server.url, model="m", parse_retries=2)
    client = Client(p, tmp_path / "cache")
    items = client.complete_json_many([ask("json please"), ask("never-json please")], QA_SCHEMA)
    assert items[0] == {"question": "Why?", "answer": "Because."} and isinstance(items[1], NoAnswer)
    assert server.calls["json please"] == 2 and server.calls["never-json please"] == 3  # 1 + parse_retries
    first = server.bodies[0]
    assert first["response_format"]["json_schema"]["schema"] == QA_SCHEMA
    retry = next(b for b in server.bodies if b["messages"][0]["content"] == "json please" and len(b["messages"]) == 3)
    assert retry["messages"][1] == {"role": "assistant", "content": '{"question": 5, "answer": "Because."}'}
    assert "5 is not of type 'string'" in retry["messages"][-1]["content"]  # the error fed back
    report = client.report()
    assert report["failed"] == {"not JSON": 1} and report["parse_retried"] == 3
    plain = Client(p.model_copy(update={"structured": "none"}), tmp_path / "other")
    plain.complete_json_many([ask("json again")], QA_SCHEMA)
    assert "response_format" not in server.bodies[-1]


def test_tool_dialogues_are_reworded_with_calls_and_values_kept(server, tmp_path):
    """The teacher rewrites a dialogue's user turns and replies; the calls and tool results are the
    same objects, so they still validate; a rewrite that loses a path is rejected with its reason."""
    from jsonschema import Draft202012Validator

    from tasks.core.config import GenerateParams
    from tasks.generators import tools
    from tasks.teacher import jobs
    from tasks.testing.projects import EXAMPLE

    p = GenerateParams(reference_date="2026-06-01", product="Filebox", quotas={"tool_use": 1})
    defs = json.loads((EXAMPLE / "tools.json").read_text())
    dialogues, _ = tools.dialogues(defs, p, random.Random(0), 24)
    tp = TeacherParams(base_url=server.url, model="m", tool_dialogues=24, max_attempts=1)
    t = Client(tp, tmp_path / "cache")
    kept, row = fill(t, jobs.tool_job(p.model_copy(update={"teacher": tp}), dialogues), None, Progress())
    tagged = [ex for ex in dialogues if "tag" in ex["messages"][1]["content"]]
    assert tagged and row["rejected"] == {"drops a value of the calls or results": len(tagged)}
    assert len(kept) == len(dialogues) - len(tagged)
    validators = {d["function"]["name"]: Draft202012Validator(d["function"]["parameters"]) for d in defs}
    originals = {ex["id"]: ex for ex in dialogues}
    for ex in kept:
        old = originals[ex["meta"]["of"]]
        assert [m for m in ex["messages"] if m["role"] == "tool" or m.get("tool_calls")] == \
               [m for m in old["messages"] if m["role"] == "tool" or m.get("tool_calls")]
        for i in jobs.tool_texts(old):
            assert ex["messages"][i]["content"] == "Hey, " + old["messages"][i]["content"]
        for m in ex["messages"]:
            for call in m.get("tool_calls") or []:
                validators[call["function"]["name"]].validate(json.loads(call["function"]["arguments"]))


def test_the_judge_scores_keeps_and_rejects(server, tmp_path):
    from tasks.core.records import chat, make_example
    from tasks.teacher import jobs

    original = make_example("qa", chat(None, "Move /a.pdf to /Music.", "Moved."), "test")
    good = make_example("qa", chat(None, "Hey, move /a.pdf to /Music.", "Moved."), "test", meta={"of": original["id"]})
    stiff = make_example("qa", chat(None, "Relocate /a.pdf to /Music.", "Moved."), "test", meta={"of": original["id"]})
    params = TeacherParams(base_url=server.url, model="m", judge={"threshold": 6})
    t = Client(params, tmp_path / "cache")
    judge = Judge(params.judge)
    source = jobs.words_of(original)
    kept, rejected = judge.keep(t, [(good, source), (stiff, source)], Progress())
    assert [ex["id"] for ex in kept] == [good["id"]] and kept[0]["meta"]["judge"] == {"score": 9, "reason": "reads well"}
    assert rejected == {"the judge scored it below 6": 1}
    assert judge.report() == {"threshold": 6, "scores": {2: 1, 9: 1}, "rejected": {"the judge scored it below 6": 1}}
    prompt = server.bodies[0]["messages"][0]["content"]
    assert "Source:\nuser: Move /a.pdf to /Music." in prompt and "faithfulness" in prompt


def test_skills_are_written_checked_backfilled_and_covered(tiny_project, server):
    """A skill with two sub-topics and the rest of its quota unclaimed, against the fault server:
    each wrong dialogue is rejected by its reason and asked for again from the next request until
    the quota is met; a sub-topic that is never right stops at the attempt cap; the kept dialogues
    pass validation as tool_use examples, and the coverage table has a row per skill and sub-topic."""
    from tasks.testing.projects import BIN, edit_params, project_paths, run

    teacher = {"base_url": server.url, "model": "m", "paraphrases": 0, "qa_chunks": 0, "max_attempts": 3}
    skill = {"name": "folders", "description": "The user asks for folders; the assistant makes them.", "quota": 6,
             "topics": {"projects": 2, "broken": 1}, "tools": ["create_folder"]}
    edit_params(tiny_project, {"generate": {"teacher": teacher, "skills": [skill]}})
    for stage in ("parse", "generate", "validate"):
        run([str(BIN / "python"), "-m", f"tasks.{stage}"], tiny_project)
    paths = project_paths(tiny_project)
    report = json.loads(paths.report("generate").read_text())
    jobs = report["generators"]["teacher"]["jobs"]
    # projects: 1 right, 2 wrong tool, 3 bad arguments, 4 unanswered, 5 right -> 2 kept in 5 asked
    assert jobs["skill folders / projects"] == {"target": 2, "kept": 2, "attempts": 5, "ended_by": None, "rejected": {
        "calls a tool it was not given (delete_everything)": 1, "arguments do not match create_folder's parameters": 1,
        "a tool call is not answered by a tool result": 1}}
    assert jobs["skill folders / broken"]["attempts"] == 3 and jobs["skill folders / broken"]["kept"] == 0
    assert jobs["skill folders / broken"]["ended_by"] == "the attempt cap (3 requests: teacher.max_attempts 3 x 1)"
    assert jobs["skill folders"]["kept"] == 3  # the unclaimed rest of the quota
    assert report["skills"]["folders"]["produced"] == 5 and report["categories"]["tool_use"]["from_skills"] == 5
    kept = [json.loads(line) for line in paths.validated.read_text().splitlines()]
    mine = [ex for ex in kept if ex["meta"].get("skill") == "folders"]
    assert len(mine) == 5 and {ex["category"] for ex in mine} == {"tool_use"}
    assert all([t["function"]["name"] for t in ex["tools"]] == ["create_folder"] for ex in mine)
    coverage = paths.coverage.read_text()
    assert "| skill folders (tool_use) | 6 | 5 | 5 | broken: the attempt cap" in coverage
    row = next(line for line in coverage.splitlines() if line.startswith("| skill folders / projects | 2 | 2 | 2 | 5 asked; "))
    assert all(f"{reason} 1" in row for reason in jobs["skill folders / projects"]["rejected"])
    assert "| skill folders / broken | 1 | 0 | 0 | ended by the attempt cap" in coverage
    prompt = next(b for b in server.bodies if "Sub-topic: projects" in b["messages"][0]["content"])
    assert prompt["max_tokens"] == 1024 and prompt["response_format"]["json_schema"]["strict"] is True


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_generate_waits_for_what_is_in_flight_and_pays_for_nothing_twice(tiny_project, server, how):
    """SIGTERM (a cancelled run) or Ctrl-C mid-way: generate exits 130 with a message, not a
    traceback; the requests in flight are waited for and cached, so every request the server
    answered is in the cache; the rerun asks only for the rest (each request served once)."""
    from tasks.testing.projects import BIN, edit_params, project_env, project_paths, run

    server.delay = 0.5
    edit_params(tiny_project, {"generate": {"teacher": {"base_url": server.url, "model": "m", "paraphrases": 24,
                                                        "qa_chunks": 0, "concurrency": 4, "max_attempts": 1}}})
    run([str(BIN / "python"), "-m", "tasks.parse"], tiny_project)
    cache = project_paths(tiny_project).teacher_cache
    proc = subprocess.Popen([str(BIN / "python"), "-m", "tasks.generate"], cwd=tiny_project, env=project_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while cached(cache) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(how)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert 4 <= cached(cache) == sum(server.calls.values()) < 24  # what was in flight was waited for
    run([str(BIN / "python"), "-m", "tasks.generate"], tiny_project)
    assert cached(cache) == sum(server.calls.values()) == 24 and set(server.calls.values()) == {1}
