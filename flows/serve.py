"""Serve the pipeline as the deployment `tunesmith/default` against a running Prefect server.

    make server      # terminal 1: prefect server start --host 127.0.0.1 --port $(PORT), PORT=4200 by default
    make deploy      # terminal 2: this module
    prefect deployment run 'tunesmith/default' --watch

Runs execute in this project directory, so they share dvc.lock and the DVC cache with `dvc repro`;
so one run at a time: a second is queued until the first ends (the deployment's concurrency
limit). Ctrl-C or SIGTERM stops serving at once.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path


def server_up(api_url: str) -> bool:
    import httpx

    try:
        return httpx.get(api_url.rstrip("/") + "/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def stop_at_once(signum, frame) -> None:
    print(f"\ntunesmith serve: stopped ({signal.Signals(signum).name})", file=sys.stderr, flush=True)
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=".", help="project directory (default: current)")
    args = parser.parse_args(argv)
    api_url = os.environ.get("PREFECT_API_URL", "")
    if not api_url or not server_up(api_url):
        sys.exit(f"tunesmith serve: no Prefect server at {api_url or '(PREFECT_API_URL is not set)'}; "
                 "start one with `make server` (same PORT) and run `make deploy` again")
    import asyncio

    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.runner import Runner

    from flows.pipeline import pipeline

    # Runner, not pipeline.serve(): serve's own SIGTERM handler pauses the deployment through the
    # API first, which waits out its retries when the server is gone (~40 s); this one just stops.
    # query_seconds=1: a run starts within a second of being asked for (the default polls every 10 s)
    runner = Runner(name="default", pause_on_shutdown=False, query_seconds=1)
    runner.add_flow(pipeline, name="default", parameters={"project": str(Path(args.project).resolve())},
                    concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE))
    runner.handle_sigterm = lambda *_: stop_at_once(signal.SIGTERM, None)  # Runner.start installs it
    signal.signal(signal.SIGINT, stop_at_once)  # before asyncio.run, which then leaves SIGINT alone
    print(f"tunesmith serve: serving tunesmith/default from {Path(args.project).resolve()} (one run at a time); "
          "start a run with: prefect deployment run 'tunesmith/default' --watch", flush=True)
    asyncio.run(runner.start())


if __name__ == "__main__":
    main()
