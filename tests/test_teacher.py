"""The teacher against a real mlx_lm.server on loopback serving SmolLM2-135M-Instruct (converted by
`make` from its PyPI wheel): a poor teacher, whose bad answers the checks must reject."""
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tasks.core.config import TeacherParams, load_params
from tasks.core.io import read_jsonl
from tasks.teacher import jobs
from tasks.teacher.backfill import NO_ANSWER
from tasks.teacher.client import Client, NoAnswer
from tasks.testing.projects import BIN, ROOT, edit_params, free_port, project_env, project_paths, run
from tasks.tuner import smollm2

SKILL = {"name": "folders", "description": "The user asks for a folder; the assistant makes it.", "quota": 2,
         "tools": ["create_folder"], "max_tokens": 200}


def cache_files(root: Path) -> int:
    """Answers in the cache (root/<2 hex>/<hash>.json). Not rglob: it would race with the
    temporary folders an atomic write makes and removes beside each answer."""
    return sum(1 for _ in root.glob("*/*.json")) if root.exists() else 0


def test_a_failed_request_is_retried_reported_and_never_cached(tmp_path):
    calls = []

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self):
            calls.append(self.path)
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"busy")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        p = TeacherParams(base_url=f"http://127.0.0.1:{server.server_port}/v1", model="m", retries=1)
        t = Client(p, tmp_path / "cache")
        assert t.complete_many([[{"role": "user", "content": "hi"}]]) == [NoAnswer("HTTP 503")]
    finally:
        server.shutdown()
    assert len(calls) == 2  # one try and one retry
    assert t.report()["failed"] == {"HTTP 503": 1} and t.report()["retried"] == 1
    assert cache_files(tmp_path / "cache") == 0


@pytest.mark.slow
def test_an_interrupted_generate_resumes_and_the_checks_reject_bad_answers(tiny_project, tmp_path):
    model_dir = smollm2.converted(load_params(ROOT / "params.yaml").paths.under(ROOT).model_cache)
    (tmp_path / "hf").mkdir()
    port = free_port()
    env = {**project_env(), "HF_HUB_CACHE": str(tmp_path / "hf")}
    log = tmp_path / "server.log"
    server = subprocess.Popen([str(BIN / "mlx_lm.server"), "--model", str(model_dir), "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                              start_new_session=True)

    def served() -> int:  # requests the server received, from its access log
        return log.read_text().count('"POST /v1/chat/completions')

    try:
        edit_params(tiny_project, {"generate": {"teacher": {
            "base_url": f"http://127.0.0.1:{port}/v1", "model": str(model_dir),
            "paraphrases": 30, "qa_chunks": 10, "max_tokens": 48, "retries": 5, "concurrency": 4,
            "max_attempts": 1}, "skills": [SKILL]}})
        run([str(BIN / "python"), "-m", "tasks.parse"], tiny_project)
        cache = project_paths(tiny_project).teacher_cache

        # first run: killed once a few answers are cached
        proc = subprocess.Popen([str(BIN / "python"), "-m", "tasks.generate"], cwd=tiny_project, env=project_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 300
        while cache_files(cache) < 5 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "generate finished before it could be interrupted"
        last, quiet_since = served(), time.monotonic()  # the server finishes (and only then logs) what was
        while time.monotonic() - quiet_since < 5:       # in flight: wait until its log is quiet for 5 s
            time.sleep(0.5)
            if served() != last:
                last, quiet_since = served(), time.monotonic()
        cached_1, served_1 = cache_files(cache), served()
        print(f"after kill -9: {cached_1} answers cached, {served_1} requests served")
        assert 5 <= cached_1 < 40 and served_1 - cached_1 <= 4  # at most the 4 in flight were lost

        # second run: completes, asking only what was not cached
        run([str(BIN / "python"), "-m", "tasks.generate"], tiny_project)
        cached_2, served_2 = cache_files(cache), served()
        print(f"after the rerun: {cached_2} answers cached, {served_2} requests served")
        assert cached_2 >= 42  # 30 paraphrases + 10 chunks + 2 dialogues, each asked once, and the re-asks of bad JSON
        assert served_2 - served_1 == cached_2 - cached_1
        report = json.loads(project_paths(tiny_project).report("generate").read_text())["generators"]["teacher"]
        assert report["cached"] == cached_1 and report["requested"] == cached_2 - cached_1
        # SmolLM2-135M is a poor teacher: most of its answers are cut off or rejected, each with its reason...
        print("teacher report:", json.dumps(report))
        rejected = Counter()
        for row in report["jobs"].values():
            rejected.update(row["rejected"])
        assert report["jobs"]["skill folders"]["attempts"] == 2  # asked, and checked or counted as failed
        no_answer = {r[len(NO_ANSWER):]: n for r, n in rejected.items() if r.startswith(NO_ANSWER)}
        assert no_answer == report["failed"]  # every failed request is one attempt, counted by its reason
        assert sum(rejected.values()) >= 20  # cut off at max_tokens, not JSON, or rejected by a check
        assert set(rejected) - {"same as an existing request"} - {NO_ANSWER + r for r in no_answer}
        assert set(report["failed"]) <= {"finish_reason length", "not JSON", "JSON not matching the schema"}
        # ...and what is kept passes the checks: a kept paraphrase keeps its request's words and values
        made = read_jsonl(project_paths(tiny_project).generated)
        requests = {ex["id"]: ex["messages"][1]["content"] for ex in made}
        for ex in made:
            if ex["meta"].get("teacher") == "paraphrase":
                text, query = ex["messages"][1]["content"], ex["messages"][-1]["content"]
                assert jobs.paraphrase_problem(text, requests[ex["meta"]["of"]], query, set()) is None
        output = project_paths(tiny_project).generated.read_bytes()

        # third run: nothing asked, same output
        run([str(BIN / "python"), "-m", "tasks.generate"], tiny_project)
        assert served() == served_2
        assert project_paths(tiny_project).generated.read_bytes() == output
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
