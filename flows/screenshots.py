"""Screenshots of the dashboard: the latest run's page and its run summary, from a headless Chromium.

    make screenshots            # installs Debian's chromium if missing (as root), then runs this
    .venv/bin/python -m flows.screenshots [--out screenshots]

Reads PREFECT_API_URL (as `make deploy` sets it) to find the server and its latest flow run, and
writes <out>/run.png (the run page: its stage tasks, logs and artifacts), <out>/summary.png (the
run summary artifact) and <out>/loss.png (the loss curve artifact). Chromium is started with every host name unresolvable except the server's
own address, so what renders needs no network.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from tasks.reports import dashboard


def api(base: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"},
                                 method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def shoot(browser: str, url: str, out: Path) -> None:
    host = urlparse(url).hostname
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {host}", "--virtual-time-budget=20000",
                    "--window-size=1440,1100", f"--screenshot={out}", url],
                   check=True, capture_output=True, timeout=120)
    print(f"tunesmith screenshots: {out} <- {url}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.screenshots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="screenshots", help="the folder for the images (default: %(default)s)")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("tunesmith screenshots: no Chromium found; install Debian's (apt-get install chromium) or run "
                 "`make screenshots`, which does")
    api_url = os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4200/api").rstrip("/")
    ui = api_url.removesuffix("/api")
    try:
        runs = api(api_url, "/flow_runs/filter", {"sort": "EXPECTED_START_TIME_DESC", "limit": 1})
    except OSError as e:
        sys.exit(f"tunesmith screenshots: no Prefect server at {api_url} ({e}); start it with `make server`")
    if not runs:
        sys.exit("tunesmith screenshots: the server has no flow run yet; start one (README: the Prefect front door)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shoot(browser, f"{ui}/runs/flow-run/{runs[0]['id']}", out / "run.png")
    for key, name in ((dashboard.RUN_SUMMARY, "summary.png"), (dashboard.LOSS_CURVE, "loss.png")):
        found = api(api_url, "/artifacts/filter", {"artifacts": {"key": {"any_": [key]}}, "sort": "UPDATED_DESC", "limit": 1})
        if found:
            shoot(browser, f"{ui}/artifacts/artifact/{found[0]['id']}", out / name)


if __name__ == "__main__":
    main()
