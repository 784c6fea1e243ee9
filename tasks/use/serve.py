"""Serve the tuned model on loopback through mlx-lm's own OpenAI-compatible server
(`mlx_lm.server --model <base> --adapter-path models/adapter`):

    make serve-model                       # http://127.0.0.1:8080/v1, until Ctrl-C
    make serve-model SERVE_PORT=8181

Any OpenAI client talks to it: ask for the model "default_model" (the base with the adapter) and
send the system prompt of the mode you want, as training wrote it (this command prints them for
this project), and for tool use the tools as usual:

    from openai import OpenAI
    client = OpenAI(base_url="http://127.0.0.1:8080/v1", api_key="unused")
    reply = client.chat.completions.create(model="default_model", temperature=0, messages=[
        {"role": "system", "content": "<the graphql prompt printed below>"},
        {"role": "user", "content": "pdfs bigger than 20 megs"}])

The server renders requests through the chat template train wrote beside the adapter
(models/adapter/chat_template.jinja), the one the adapter was trained through: for SmolLM2, whose
own template drops `tools`, it puts the tool specs into the system message as training did
(tasks/formats/chat_format.py, TaggedToolsFormat). A reply's tool calls come back in the message text as
lines `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path

from tasks.core.config import ParamsError, load_params
from tasks.core.io import InputError
from tasks.core.layout import Paths
from tasks.tuner.training import base_model_path
from tasks.use.chat import modes


def system_prompts(ps, paths) -> dict[str, str]:
    """Each mode's system message as clients should send it."""
    return {name: mode.system for name, mode in modes(ps, paths).items()}


def command(ps, paths, port: int, base_only: bool) -> list[str]:
    template = Paths.adapter_template(paths.adapter)
    if not template.exists():
        raise InputError(f"{template}: missing; rerun the train stage (`dvc repro train`), which writes it")
    cmd = [str(Path(sys.executable).parent / "mlx_lm.server"), "--model", base_model_path(ps.train, paths),
           "--host", "127.0.0.1", "--port", str(port), "--temp", "0.0", "--chat-template", template.read_text()]
    return cmd if base_only else cmd + ["--adapter-path", str(paths.adapter)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tasks.use.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="loopback port (default: %(default)s)")
    parser.add_argument("--base", action="store_true", help="serve the base model alone, without the adapter")
    parser.add_argument("--prompts", type=Path, help="also write the system prompts and the tools to this JSON file")
    parser.add_argument("--params", default="params.yaml", help="the config file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        ps = load_params(args.params)
        paths = ps.paths
        if not paths.adapter_weights().exists():
            raise InputError(f"{paths.adapter_weights()}: no adapter yet; run `make run` (or `dvc repro train`) first")
        prompts = system_prompts(ps, paths)
        cmd = command(ps, paths, args.port, args.base)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", args.port)) == 0:
                raise InputError(f"port {args.port} is in use on 127.0.0.1; pick another: make serve-model SERVE_PORT=8181")
    except (ParamsError, InputError) as e:
        sys.exit(f"tunesmith serve-model: error: {e}")
    if args.prompts:
        tools = modes(ps, paths)["assistant"].tools
        args.prompts.write_text(json.dumps({"system": prompts, "tools": tools}, indent=2) + "\n")
    print(f"tunesmith serve-model: http://127.0.0.1:{args.port}/v1, model \"default_model\" "
          f"({'the base alone' if args.base else 'base + ' + str(paths.adapter)}). System prompts by mode:", file=sys.stderr)
    for name, prompt in prompts.items():
        print(f"--- {name}\n{prompt}", file=sys.stderr)
    sys.stderr.flush()
    os.execv(cmd[0], cmd)  # the server itself, in this process: Ctrl-C and kill reach it


if __name__ == "__main__":
    main()
