"""The Prefect front door: a real server on loopback, the served deployment, runs watched while they run."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tasks.reports import dashboard as d
from tasks.testing.projects import BIN, ROOT, STAGES, free_port, project_env, run

pytestmark = pytest.mark.slow



TRANSIENT = {429, 502, 503, 504}


class NoAnswer(Exception):
    """The server gave no usable answer, however often asked."""


def api(url: str, path: str, body: dict | None = None, tries: int = 8, creates: bool = False):
    """The server's JSON answer. A busy server (SQLite under two runs and this polling) answers 503
    now and then, late, or drops the connection: each is asked again, with a growing pause; an
    answer that is not JSON, or is null, is never returned as if it were one. A request that
    `creates` something is asked again only after a refusal (429, 5xx), never after a timeout or a
    dropped connection, which may have created it."""
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(tries):
        req = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"},
                                     method="POST" if data else "GET")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                answer = json.loads(resp.read())
            if answer is not None:
                return answer
            reason = "a null body"
        except urllib.error.HTTPError as e:
            if e.code not in TRANSIENT:
                raise
            reason = f"HTTP {e.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError, json.JSONDecodeError) as e:
            if creates:
                raise
            reason = repr(e)
        if attempt == tries - 1:
            raise NoAnswer(f"{path}: no answer after {tries} tries (last: {reason})")
        time.sleep(min(0.5 * 2 ** attempt, 8))


def wait_for(check, what: str, timeout: float, proc: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what}: process exited {proc.returncode}\n{log.read_text()[-4000:]}")
        try:
            if check():
                return
        except (OSError, NoAnswer):  # not up yet
            pass
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\n{log.read_text()[-4000:]}")


def start(cmd, cwd, env, log):
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def flow_run(url: str, run_id: str) -> dict:
    return api(url, f"/flow_runs/{run_id}")


def task_runs(url: str, run_id: str) -> dict:
    return {t["name"]: t for t in api(url, "/task_runs/filter", {"flow_runs": {"id": {"any_": [run_id]}}})}


def artifacts(url: str, run_id: str) -> dict:
    return {a["key"]: a for a in api(url, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}})}


def test_deployment_runs_watched_queued_summarised_and_cached(tiny_project, tmp_path):
    """Two deployment runs started at once: the second waits for the first (one run at a time)
    and then finds every stage Cached, republishing nothing. While the first trains, its log lines
    and its progress artifact are already readable through the server's REST API. The first run
    is named from its commit and dvc.lock and publishes the run summary, the coverage table and the
    loss curve as an image. A bad param fails a third run at its start, naming the key."""
    from tasks.testing.projects import edit_params

    edit_params(tiny_project, {"train": {"stages": [{"name": "all", "iters": 300, "learning_rate": 5.0e-4}],
                                         "checkpoint_every": 100, "steps_per_eval": 100}})
    subprocess.run(["git", "commit", "-qam", "a longer training"], cwd=tiny_project, check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**project_env(), "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": url,
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90"}
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    server = start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                   tiny_project, env, server_log)
    serve = None
    try:
        wait_for(lambda: api(url, "/health") is True, "the Prefect server", 120, server, server_log)
        serve = start([str(BIN / "python"), "-m", "flows.serve"], tiny_project, env, serve_log)
        wait_for(lambda: api(url, "/deployments/name/tunesmith/default")["name"] == "default",
                 "the deployment", 120, serve, serve_log)
        deployment = api(url, "/deployments/name/tunesmith/default")["id"]
        created = [api(url, f"/deployments/{deployment}/create_flow_run", {}, creates=True)["id"] for _ in range(2)]

        def ended(run_id: str) -> bool:
            return flow_run(url, run_id)["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED")

        seen = []  # (log lines of the train task, its progress) read while train was running, in either run
        deadline = time.monotonic() + 900
        while not all(ended(r) for r in created):
            assert time.monotonic() < deadline, serve_log.read_text()[-4000:]
            for run_id in created:
                train = task_runs(url, run_id).get("train")
                if train and train["state"]["type"] == "RUNNING":
                    logs = api(url, "/logs/filter", {"logs": {"task_run_id": {"any_": [train["id"]]}}})
                    progress = artifacts(url, run_id).get(d.progress_key("train"), {}).get("data")
                    again = task_runs(url, run_id).get("train") or {}
                    if again.get("state", {}).get("type") == "RUNNING":  # still, after reading
                        seen.append((len(logs), progress, [entry["message"] for entry in logs]))
            time.sleep(0.5)
        # which of the two the runner took first is its choice: the one that started first did the work
        one, two = sorted((flow_run(url, r) for r in created), key=lambda r: r["start_time"])
        first, second = one["id"], two["id"]
        assert one["state"]["type"] == two["state"]["type"] == "COMPLETED", serve_log.read_text()[-4000:]
        mid = [(n, p) for n, p, _ in seen if n > 1 and p is not None and 0 < p < 100]
        assert mid, f"nothing read mid-train: {[(n, p) for n, p, _ in seen]}"
        print("read while train ran (log lines, progress %):", [(n, p) for n, p, _ in seen][:: max(1, len(seen) // 8)])
        assert not any("\x1b[" in message for _, _, messages in seen for message in messages)  # no colour codes
        assert two["start_time"] >= one["end_time"]  # it waited: one run at a time
        assert {n: t["state"]["name"] for n, t in task_runs(url, first).items()} == {s: "Completed" for s in STAGES}
        cached = task_runs(url, second)
        assert {n: t["state"]["name"] for n, t in cached.items()} == {s: "Cached" for s in STAGES}
        assert all(one["name"] in t["state"]["message"] for t in cached.values())  # whose artifacts they are
        print(f"no-op run: {two['total_run_time']:.1f} s")

        mine = artifacts(url, first)
        assert {d.report_key(s) for s in STAGES} | {d.RUN_SUMMARY, d.COVERAGE, d.VALIDATION, d.LOSS_CURVE, d.progress_key("train")} <= set(mine)
        assert "## Base vs tuned" in mine[d.RUN_SUMMARY]["data"] and "| qa |" in mine[d.RUN_SUMMARY]["data"]
        assert mine[d.LOSS_CURVE]["type"] == "image" and mine[d.LOSS_CURVE]["data"].startswith("data:image/svg+xml;base64,")
        assert not artifacts(url, second)  # a run that changed nothing republishes nothing
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tiny_project, capture_output=True,
                                text=True).stdout.strip()
        assert one["name"].startswith(f"{commit}-") and f"commit:{commit}" in one["tags"]

        # results made outside Prefect (a user's `make run`): the next run finds every stage Cached
        # and publishes them from the workspace, once; the run after it publishes nothing
        edit_params(tiny_project, {"evaluate": {"rag_k": 1}})
        run([str(BIN / "python"), "-m", "dvc", "repro"], tiny_project)
        outside = []
        for _ in range(2):
            outside.append(api(url, f"/deployments/{deployment}/create_flow_run", {}, creates=True)["id"])
            wait_for(lambda: ended(outside[-1]), "a run after `dvc repro`", 120, serve, serve_log)
            assert flow_run(url, outside[-1])["state"]["type"] == "COMPLETED", serve_log.read_text()[-4000:]
            assert {t["state"]["name"] for t in task_runs(url, outside[-1]).values()} == {"Cached"}
        shown = artifacts(url, outside[0])
        assert {d.RUN_SUMMARY, d.LOSS_CURVE, d.COVERAGE, d.VALIDATION, d.report_key("evaluate")} <= set(shown)
        assert "made outside Prefect" in task_runs(url, outside[0])["evaluate"]["state"]["message"]
        assert "Generated test split vs golden set" in shown[d.RUN_SUMMARY]["data"]
        assert "QA four ways" in shown[d.RUN_SUMMARY]["data"] and "recall@1" in shown[d.RUN_SUMMARY]["data"]
        assert not artifacts(url, outside[1])

        edit_params(tiny_project, {"split": {"valid_fraction": 2}})
        third = api(url, f"/deployments/{deployment}/create_flow_run", {}, creates=True)["id"]
        wait_for(lambda: flow_run(url, third)["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED"),
                 "the third run", 120, serve, serve_log)
        assert flow_run(url, third)["state"]["type"] == "FAILED" and not task_runs(url, third)
        assert "split.valid_fraction" in flow_run(url, third)["state"]["message"] + serve_log.read_text()

        serve.send_signal(signal.SIGTERM)  # serving stops at once (it once ignored SIGTERM for ~40 s)
        assert serve.wait(timeout=15) == 0 and "stopped (SIGTERM)" in serve_log.read_text()
    finally:
        if serve is not None:
            stop(serve)
        stop(server)


def test_serving_without_a_server_says_so_in_one_line(tmp_path):
    env = {**project_env(), "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
           "PREFECT_HOME": str(tmp_path / "prefect-home")}
    result = subprocess.run([str(BIN / "python"), "-m", "flows.serve"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "start one with `make server`" in result.stderr
