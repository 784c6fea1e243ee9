"""The Prefect front door: a real server on loopback, the served deployment, two runs."""
import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import BIN, free_port, project_env, run

pytestmark = pytest.mark.slow

STAGES = ["parse", "generate", "validate", "split", "train", "evaluate"]


def api(url: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"},
                                 method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def wait_for(check, what: str, timeout: float, proc: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what}: process exited {proc.returncode}\n{log.read_text()[-4000:]}")
        try:
            if check():
                return
        except OSError:
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


def test_deployment_runs_the_stages_and_a_second_run_is_cached(tiny_project, tmp_path):
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

        states = []
        for _ in range(2):
            result = subprocess.run([str(BIN / "prefect"), "deployment", "run", "tunesmith/default", "--watch"],
                                    cwd=tiny_project, env=env, capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + serve_log.read_text()[-4000:]
            flow_runs = api(url, "/flow_runs/filter", {"sort": "EXPECTED_START_TIME_DESC", "limit": 1})
            assert flow_runs[0]["state"]["type"] == "COMPLETED"
            task_runs = api(url, "/task_runs/filter", {"flow_runs": {"id": {"any_": [flow_runs[0]["id"]]}}})
            states.append({t["name"]: t["state"]["name"] for t in task_runs})
            artifacts = api(url, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_runs[0]["id"]]}}})
            assert {a["key"] for a in artifacts} >= {f"{s}-report" for s in STAGES} | {"train-train-loss", "train-val-loss"}

        assert states[0] == {s: "Completed" for s in STAGES}
        assert states[1] == {s: "Cached" for s in STAGES}
        # the flow ran the stages through DVC: the lock file is what `dvc repro` leaves
        assert "Data and pipelines are up to date" in run([str(BIN / "dvc"), "repro"], tiny_project).stdout
    finally:
        if serve is not None:
            stop(serve)
        stop(server)
