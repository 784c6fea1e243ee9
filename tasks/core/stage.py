"""The shared entry point of every stage: parse arguments, load params, run, write the report.

A stage module ends with

    def main(argv=None):
        stage_main("generate", __doc__, argv, lambda p: run(p.generate, p.sources, p.paths))

so `python -m tasks.generate --help` explains the stage, bad input exits 1 with a message
that names the file, and `reports/<stage>.json` is written only when the stage succeeds.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Callable

from tasks.core.config import Params, ParamsError, load_params
from tasks.core.io import InputError, write_json


class StageFailed(RuntimeError):
    """The stage ran and its verdict is "no": the message says why and what to do."""


def stage_main(
    name: str, doc: str | None, argv: list[str] | None, run: Callable[[Params], dict[str, Any]],
    modes: dict[str, tuple[str, Callable[[Params], None]]] | None = None,
    options: dict[str, tuple[str, str, Callable[[Params, str], None]]] | None = None,
) -> None:
    """`modes`: other things the stage can do instead of running ("--estimate": (help, fn));
    `options`: the same with a value ("--eval-set": (metavar, help, fn)). Neither writes the
    stage's report."""
    parser = argparse.ArgumentParser(
        prog=f"python -m tasks.{name}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--params", default="params.yaml", help="the config file (default: %(default)s)")
    for flag, (text, _) in (modes or {}).items():
        parser.add_argument(flag, action="store_true", help=text)
    for flag, (metavar, text, _) in (options or {}).items():
        parser.add_argument(flag, metavar=metavar, help=text)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        params = load_params(args.params)
        for flag, (_, fn) in (modes or {}).items():
            if getattr(args, flag.lstrip("-").replace("-", "_")):
                fn(params)
                return
        for flag, (_, _, fn) in (options or {}).items():
            if (value := getattr(args, flag.lstrip("-").replace("-", "_"))) is not None:
                fn(params, value)
                return
        report = run(params)
    except (ParamsError, InputError, StageFailed) as e:
        print(f"tunesmith {name}: error: {e}", file=sys.stderr)
        sys.exit(1)
    seconds = time.perf_counter() - started
    report = {"stage": name, **report, "seconds": round(seconds, 1)}  # wall time, loading params included
    write_json(params.paths.report(name), report)
    print(f"tunesmith {name}: done in {seconds:.1f}s -> {params.paths.report(name)}", file=sys.stderr)
