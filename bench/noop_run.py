"""How long a deployment run takes when nothing changed: a real Prefect server on loopback, the
served deployment on a tiny copy of the project, one full run, then two that change nothing.

    .venv/bin/python -m bench.noop_run                      # this checkout's flows/
    .venv/bin/python -m bench.noop_run --flows-from 5798f51 # flows/ as that commit had it (the baseline)

Prints, for the two no-op runs: created -> finished (what a user waits for), the flow's own run
time (Prefect's total_run_time), and the wall time of `prefect deployment run --watch
--watch-interval 1` (that CLI's own start included).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from flows.screenshots import api

ROOT = Path(__file__).resolve().parent.parent


def wait(check, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("bench.noop_run: timed out waiting for the server or the deployment")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flows-from", help="a commit whose flows/pipeline.py and flows/serve.py to measure instead")
    args = ap.parse_args(argv)
    from tasks.testing.projects import BIN, TINY_PARAMS, copy_project, edit_params, free_port, project_env

    root = Path(tempfile.mkdtemp(prefix="noop-"))
    project = copy_project(root / "project")
    edit_params(project, TINY_PARAMS)
    if args.flows_from:
        for name in ("pipeline.py", "serve.py"):
            (project / "flows" / name).write_text(subprocess.run(
                ["git", "show", f"{args.flows_from}:flows/{name}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**project_env(), "PREFECT_HOME": str(root / "prefect-home"), "PREFECT_API_URL": url}
    procs = [subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        wait(lambda: api(url, "/health") is True, 120)
        procs.append(subprocess.Popen([str(BIN / "python"), "-m", "flows.serve"], cwd=project, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        wait(lambda: api(url, "/deployments/name/tunesmith/default")["name"] == "default", 120)
        walls = []
        for _ in range(3):  # the first runs every stage
            start = time.monotonic()
            subprocess.run([str(BIN / "prefect"), "deployment", "run", "tunesmith/default", "--watch", "--watch-interval",
                            "1"], cwd=project, env=env, capture_output=True, check=True)
            walls.append(round(time.monotonic() - start, 1))
        runs = api(url, "/flow_runs/filter", {"sort": "EXPECTED_START_TIME_DESC", "limit": 2})[::-1]
        spans = [round((dt.datetime.fromisoformat(r["end_time"]) - dt.datetime.fromisoformat(r["created"])).total_seconds(), 1)
                 for r in runs]
        label = f"flows/ from {args.flows_from}" if args.flows_from else "this checkout's flows/"
        print(f"{label}: no-op runs, created -> finished: {spans} s; the flow's run time: "
              f"{[round(r['total_run_time'], 1) for r in runs]} s; `prefect deployment run --watch` wall: {walls[1:]} s "
              f"(the full first run: {walls[0]} s)")
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
