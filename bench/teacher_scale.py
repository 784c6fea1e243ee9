"""The teacher's client at scale: 10,000 requests at concurrency 64 against a loopback server that
answers in 200 ms and injects faults, with the cache and a budget; then killed with SIGKILL halfway
and run again on the same cache.

    .venv/bin/python -m bench.teacher_scale [--n 10000] [--concurrency 64]

The server (this file, `--serve`, a process of its own, asyncio) answers every request after
LATENCY_S, so c requests in flight can do at most c / LATENCY_S a second: the capacity. With
--faults, request i is answered, the first time it is asked, with a 503 when i % 50 == 0, a 429 and
Retry-After: 1 when i % 50 == 1, a body that is not JSON when i % 97 == 0, and after 3 s (past the
client's 2 s timeout) when i % 89 == 0: the faults of tests/test_teacher_client.py. It logs each
answer it sends. Three runs, each a fresh client process with its own peak RSS:
1. no faults: wall time against the capacity, and the client's overhead;
2. faults: what the retries cost;
3. faults, killed with SIGKILL once half the answers were sent, then run again on the same cache:
   how many requests were answered twice (paid for twice): at most the concurrency, those in
   flight at the kill.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tasks.testing.projects import free_port

ROOT = Path(__file__).resolve().parent.parent
LATENCY_S = 0.2


def serve(port: int, log: Path, faults: bool) -> None:
    seen: Counter = Counter()
    out = open(log, "a", buffering=1)

    def fault(i: int) -> str | None:
        if not faults or seen[i] > 1:
            return None
        return "503" if i % 50 == 0 else "429" if i % 50 == 1 else "malformed" if i % 97 == 0 else \
            "slow" if i % 89 == 0 else None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                body = json.loads(await reader.readexactly(length))
                i = int(body["messages"][-1]["content"].split()[1].rstrip(":"))
                seen[i] += 1
                what = fault(i)
                await asyncio.sleep(3.0 if what == "slow" else LATENCY_S)
                if what in ("503", "429"):
                    status, data, extra = what + (" Service Unavailable" if what == "503" else " Too Many Requests"), \
                        b"busy", (b"Retry-After: 1\r\n" if what == "429" else b"")
                elif what == "malformed":
                    status, data, extra = "200 OK", b"<html>proxy error</html>", b""
                else:
                    data = json.dumps({"choices": [{"message": {"role": "assistant", "content": f"answer {i}"},
                                                    "finish_reason": "stop"}],
                                       "usage": {"prompt_tokens": 12, "completion_tokens": 4}}).encode()
                    status, extra = "200 OK", b""
                writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n".encode()
                             + extra + b"\r\n" + data)
                await writer.drain()
                out.write(f"{i} {what or 'ok'}\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def ask(url: str, n: int, concurrency: int, cache: Path) -> dict:
    """The client, as generate builds it, asking n distinct requests; its figures as JSON."""
    from tasks.core.config import TeacherParams
    from tasks.teacher.client import Client, NoAnswer

    p = TeacherParams(base_url=url, model="m", concurrency=concurrency, timeout_s=2.0, retries=4, max_tokens=16,
                      max_total_tokens=n * 200)  # a budget that holds: every request reserves and settles against it
    client = Client(p, cache)
    start = time.perf_counter()
    answers = client.complete_many([[{"role": "user", "content": f"request {i}: say something"}] for i in range(n)])
    wall = time.perf_counter() - start
    client.close()
    return {"wall_s": wall, "answered": sum(not isinstance(a, NoAnswer) for a in answers),
            "report": client.report(), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run(n: int, concurrency: int, faults: bool, kill_at: int | None = None) -> tuple[list[dict], Counter]:
    """One server; one client run (or one killed at kill_at answers sent, then one more): their
    figures, and how many times the server answered each request."""
    with tempfile.TemporaryDirectory() as tmp:
        log, port = Path(tmp) / "server.log", free_port()
        server = subprocess.Popen([sys.executable, "-m", "bench.teacher_scale", "--serve", str(port), str(log)]
                                  + (["--faults"] if faults else []), cwd=ROOT)
        time.sleep(1.5)
        command = [sys.executable, "-m", "bench.teacher_scale", "--ask", f"http://127.0.0.1:{port}/v1", str(n),
                   str(concurrency), str(Path(tmp) / "cache")]
        runs = []
        try:
            if kill_at is not None:
                client = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
                while client.poll() is None and (not log.exists() or sum(1 for line in open(log) if line.endswith(" ok\n")) < kill_at):
                    time.sleep(0.05)
                if client.poll() is not None:
                    raise SystemExit(f"the client ended (exit {client.returncode}) before {kill_at} answers were sent")
                os.kill(client.pid, signal.SIGKILL)
                client.wait()
                runs.append({"killed_after_answers": sum(1 for line in open(log) if line.endswith(" ok\n"))})
            out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()
        answered = Counter(int(line.split()[0]) for line in open(log) if line.endswith(" ok\n"))
    return runs, answered


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.teacher_scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--faults", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ask", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(int(args.serve[0]), Path(args.serve[1]), args.faults)
    if args.ask:
        url, n, c, cache = args.ask
        return print(json.dumps(ask(url, int(n), int(c), Path(cache))))
    n, c = args.n, args.concurrency
    capacity = c / LATENCY_S
    print(f"\n{n:,} requests at concurrency {c}; the server answers in {LATENCY_S * 1000:.0f} ms: capacity "
          f"{capacity:,.0f} requests/s, {n / capacity:.1f} s at least\n")
    print("| run | answered | wall s | requests/s | x capacity | retried | failed | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, faults in (("no faults", False), ("faults", True)):
        (row,), _ = run(n, c, faults)
        report = row["report"]
        print(f"| {name} | {row['answered']:,} | {row['wall_s']:.1f} | {n / row['wall_s']:,.0f} | "
              f"{n / row['wall_s'] / capacity:.2f} | {report.get('retried', 0)} | {sum((report.get('failed') or {}).values())} | "
              f"{row['peak_rss_mb']:,.0f} |")
    runs, answered = run(n, c, True, kill_at=n // 2)
    twice = sum(1 for k in answered.values() if k > 1)
    print(f"\nkilled with SIGKILL after {runs[0]['killed_after_answers']:,} answers sent; the rerun on the same cache "
          f"answered {runs[1]['answered']:,} of {n:,} in {runs[1]['wall_s']:.1f} s, sending "
          f"{runs[1]['report'].get('sent', 0):,} requests ({runs[1]['report'].get('cached', 0):,} from the cache)")
    print(f"requests the server answered twice (paid for twice): {twice} (at most the concurrency, {c}); "
          f"never answered: {n - len(answered)}")


if __name__ == "__main__":
    main()
