"""The retrieval baseline's retriever, measured: recall@k and time, bm25s as evaluate uses it
(Snowball stems) against bm25s without stems and rank-bm25's BM25Okapi (the baseline), on the
same chunks and questions: the golden set's questions and the generated knowledge test's.

    .venv/bin/python -m bench.retrieval      # after `make run` (it reads data/parsed and the test split);
                                             # `make bench` installs rank-bm25 first

Recall@k: the share of questions for which one of the top k chunks holds the answer
(tasks/evaluation/retrieval.py: hit).
"""
from __future__ import annotations

import argparse
import re
import time

from tasks.core.config import load_params
from tasks.core.io import read_jsonl
from tasks.core.records import prompt_and_reference
from tasks.evaluate import golden_rows, holds_answer
from tasks.evaluation import retrieval

KS = (1, 2, 3, 5)


def questions(rows: list[dict]) -> list[str]:
    return [prompt_and_reference(r)[0][-1]["content"] for r in rows]


def recall(found: list[list[dict]], rows: list[dict], k: int) -> float:
    hits = sum(holds_answer(row, chunks[:k]) for chunks, row in zip(found, rows))
    return hits / len(rows) if rows else 0.0


def bm25s_plain(chunks: list[dict]):
    import bm25s

    model = bm25s.BM25()
    model.index(bm25s.tokenize([retrieval.chunk_text(c) for c in chunks], stopwords="en", show_progress=False),
                show_progress=False)

    def retrieve(qs: list[str], k: int) -> list[list[dict]]:
        ids, _ = model.retrieve(bm25s.tokenize(qs, stopwords="en", show_progress=False), k=k, show_progress=False)
        return [[chunks[i] for i in row] for row in ids.tolist()]
    return retrieve


def rank_bm25(chunks: list[dict]):
    from rank_bm25 import BM25Okapi

    words = lambda t: re.findall(r"\w\w+", t.lower())  # noqa: E731 - bm25s's default token pattern
    model = BM25Okapi([words(retrieval.chunk_text(c)) for c in chunks])

    def retrieve(qs: list[str], k: int) -> list[list[dict]]:
        return [model.get_top_n(words(q), chunks, n=k) for q in qs]
    return retrieve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="query passes to time (default %(default)s)")
    args = parser.parse_args(argv)
    params = load_params()
    paths = params.paths
    chunks = read_jsonl(paths.parsed_file("docs"))
    sets = {"golden": [r for r in golden_rows(params.sources.eval_set, params.generate, paths, 10_000) if r["category"] == "qa"],
            "knowledge": [r for r in read_jsonl(paths.split_file("test")) if r["category"] == "qa"]}
    retrievers = {"bm25s + Snowball stems (evaluate's)": lambda: retrieval.build_index(chunks).retrieve,
                  "bm25s, no stems": lambda: bm25s_plain(chunks),
                  "rank-bm25 BM25Okapi (baseline)": lambda: rank_bm25(chunks)}
    print(f"{len(chunks)} chunks; golden {len(sets['golden'])} questions, knowledge test {len(sets['knowledge'])}\n")
    print("| retriever | set | " + " | ".join(f"recall@{k}" for k in KS) + " | ms per question |")
    print("| --- | --- | " + " | ".join("---:" for _ in KS) + " | ---: |")
    timings = {}
    for name, build in retrievers.items():
        retrieve = build()
        for set_name, rows in sets.items():
            qs = questions(rows)
            found = retrieve(qs, max(KS))
            started = time.perf_counter()
            for _ in range(args.repeat):
                retrieve(qs, max(KS))
            ms = (time.perf_counter() - started) * 1000 / (args.repeat * max(1, len(qs)))
            timings[(name, set_name)] = ms
            print(f"| {name} | {set_name} | " + " | ".join(f"{recall(found, rows, k):.2f}" for k in KS) + f" | {ms:.3f} |")
    base = "rank-bm25 BM25Okapi (baseline)"
    for set_name in sets:
        ours = timings[("bm25s + Snowball stems (evaluate's)", set_name)]
        print(f"\n{set_name}: bm25s + stems takes {ours / timings[(base, set_name)]:.2f}x the baseline's time per question")


if __name__ == "__main__":
    main()
