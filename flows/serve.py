"""Serve the pipeline as the deployment `tunesmith/default` against a running Prefect server.

    make server      # terminal 1: prefect server start --host 127.0.0.1
    make deploy      # terminal 2: this module
    prefect deployment run 'tunesmith/default' --watch

Runs execute in this project directory, so they share dvc.lock and the DVC cache with `dvc repro`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from flows.pipeline import pipeline


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=".", help="project directory (default: current)")
    args = parser.parse_args(argv)
    pipeline.serve(name="default", parameters={"project": str(Path(args.project).resolve())})


if __name__ == "__main__":
    main()
