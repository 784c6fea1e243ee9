"""Talk to the tuned model: the base model with the trained adapter, prompted exactly as training
and evaluation prompt it (the product's system prompts, its tools, the base model's chat format).

    make chat                                   # the assistant: tool requests, questions
    make chat MODE=graphql                      # requests -> GraphQL queries
    printf '/graphql\\npdfs bigger than 20 megs\\n' | .venv/bin/python -m tasks.use.chat   # a transcript

Modes, each the system prompt its training rows carry:
- assistant: the tool-use prompt and the project's tools; a reply's tool calls are shown as calls
  (`-> move_file(path="/a.pdf", ...)`), not run: nothing here can touch your files;
- docs: the QA prompt (questions about the product's documentation);
- graphql: the NL -> GraphQL prompt with generate.reference_date as "today"; each request stands
  alone, as in training.

In the session: /assistant, /docs, /graphql switch modes (and clear the history); /reset clears
it; /quit or end of input leaves. Replies are greedy, as evaluate decodes them, so a request gets
the reply evaluate scored. `--base` talks to the base model alone, to compare.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from tasks.core.config import ParamsError, load_params
from tasks.core.io import InputError, read_json
from tasks.evaluate import chat_tokens, parsed, product_of
from tasks.formats import chat_format
from tasks.generators import MODES, system_prompts
from tasks.tuner.training import load_base


@dataclass(frozen=True)
class Mode:
    name: str
    system: str
    tools: list[dict] | None
    history: bool  # whether earlier turns stay in the prompt


def modes(ps, paths) -> dict[str, Mode]:
    """The three modes for this project: its product name (as generate resolved it), its tools."""
    prompts = system_prompts(product_of(paths), ps.generate.reference_date)
    return {"assistant": Mode("assistant", prompts["assistant"], parsed(paths, "tools", read_json), True),
            "docs": Mode("docs", prompts["docs"], None, True),
            "graphql": Mode("graphql", prompts["graphql"], None, False)}


def greedy_tokens(model, tokenizer, prompt: list[int], max_tokens: int) -> list[int]:
    """The greedy continuation of `prompt`, to an end token (left out) or `max_tokens`."""
    from mlx_lm.generate import stream_generate

    return [r.token for r in stream_generate(model, tokenizer, prompt, max_tokens=max_tokens)
            if r.finish_reason in (None, "length")]


def reply(model, tokenizer, fmt, mode: Mode, messages: list[dict], max_tokens: int) -> str:
    """The model's greedy reply to `messages` (system message first), special tokens kept (the tiny
    model's tool calls are some)."""
    prompt = chat_tokens(tokenizer, fmt, messages, mode.tools, prompt=True)
    return tokenizer.decode(greedy_tokens(model, tokenizer, prompt, max_tokens), skip_special_tokens=False)


def shown(generated: str, fmt) -> tuple[str, dict]:
    """What the person sees, and the assistant message kept in the history: the prose, then each
    call on a line of its own; a call that does not parse is shown as written, and said so."""
    parsed_reply = fmt.parse(generated)
    if parsed_reply.calls is None:
        return f"{generated.strip()}\n   (a tool call that does not parse)", {"role": "assistant", "content": generated}
    lines = [parsed_reply.text] if parsed_reply.text else []
    for call in parsed_reply.calls:
        args = call["arguments"] if isinstance(call["arguments"], dict) else {}
        lines.append(f"-> {call['name']}({', '.join(f'{k}={json.dumps(v)}' for k, v in args.items())})")
    calls = [{"id": f"call_{i}", "type": "function",
              "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
             for i, c in enumerate(parsed_reply.calls)]
    return "\n".join(lines) or "(an empty reply)", {"role": "assistant", "content": parsed_reply.text,
                                                   **({"tool_calls": calls} if calls else {})}


def session(lines, out, model, tokenizer, fmt, all_modes: dict[str, Mode], mode: str, max_tokens: int,
            interactive: bool) -> int:
    """Read requests from `lines`, write replies to `out`; returns how many replies were given."""
    current, history, answered = all_modes[mode], [], 0
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    say(f"[{current.name} mode: /assistant, /docs, /graphql switch; /reset clears; /quit leaves]")
    while True:
        if interactive:
            print(f"{current.name}> ", end="", file=out, flush=True)
        line = lines.readline()
        if not line:
            return answered
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return answered
        if text.lstrip("/") in all_modes and text.startswith("/"):
            current, history = all_modes[text[1:]], []
            say(f"[{current.name} mode]")
            continue
        if text == "/reset":
            history = []
            say("[history cleared]")
            continue
        if not interactive:
            say(f"{current.name}> {text}")
        turn = history + [{"role": "user", "content": text}]
        generated = reply(model, tokenizer, fmt, current, [{"role": "system", "content": current.system}] + turn,
                          max_tokens)
        visible, message = shown(generated, fmt)
        say(visible)
        answered += 1
        history = turn + [message] if current.history else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tasks.use.chat", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=MODES, default="assistant", help="the mode to start in (default: %(default)s)")
    parser.add_argument("--base", action="store_true", help="the base model alone, without the adapter")
    parser.add_argument("--max-tokens", type=int, default=256, help="longest reply, in tokens (default: %(default)s)")
    parser.add_argument("--params", default="params.yaml", help="the config file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        ps = load_params(args.params)
        paths = ps.paths
        if not args.base and not paths.adapter_weights().exists():
            raise InputError(f"{paths.adapter_weights()}: no adapter yet; run `make run` (or `dvc repro train`) "
                             "first, or pass --base to talk to the base model alone")
        all_modes = modes(ps, paths)
        model, tokenizer = load_base(ps.train, paths, None if args.base else str(paths.adapter))
    except (ParamsError, InputError) as e:
        sys.exit(f"tunesmith chat: error: {e}")
    fmt = chat_format.for_model(ps.train.base_model)
    try:
        session(sys.stdin, sys.stdout, model, tokenizer, fmt, all_modes, args.mode, args.max_tokens, sys.stdin.isatty())
    except KeyboardInterrupt:
        print(file=sys.stdout)


if __name__ == "__main__":
    main()
