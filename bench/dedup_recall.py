"""Near-duplicate recall of tasks.quality.dedup against brute force, texts short and long.

    .venv/bin/python -m bench.dedup_recall [--seeds 100]

For each seed and each kind of text (words drawn from a 60-word vocabulary, so that unrelated
texts share 3-grams too), 400 texts and 200 edited copies (1 to 3 words replaced, one inserted
half the time): pairs from far above to just below the threshold. Brute force compares every pair
exactly; LSH must find the same pairs. Prints, per kind: true pairs, pairs LSH missed, and the
candidate pairs it had to confirm (what a false candidate costs is one exact comparison).
"""
from __future__ import annotations

import argparse
import random
from itertools import combinations

from tasks.quality import dedup

VOCAB = [f"w{i}" for i in range(60)]
KINDS = [(5, 9, 0.7), (8, 16, 0.7), (20, 60, 0.7), (30, 100, 0.9), (100, 200, 0.9)]  # words from, to; threshold


def corpus(seed: int, low: int, high: int, n: int = 400, copies: int = 200) -> list[str]:
    rng = random.Random(seed)
    texts = [" ".join(rng.choices(VOCAB, k=rng.randint(low, high))) for _ in range(n)]
    for original in rng.sample(texts, copies):
        words = original.split()
        for _ in range(rng.randint(1, 3)):
            words[rng.randrange(len(words))] = rng.choice(VOCAB)
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), rng.choice(VOCAB))
        texts.append(" ".join(words))
    return texts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dedup_recall", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=100)
    args = parser.parse_args(argv)
    print("| words | threshold | true pairs | missed | candidates confirmed |\n| --- | ---: | ---: | ---: | ---: |")
    for low, high, threshold in KINDS:
        true = missed = confirmed = 0
        for seed in range(args.seeds):
            texts = corpus(seed, low, high)
            sets = [dedup.shingles(t) for t in texts]
            truth = {(i, j) for i, j in combinations(range(len(texts)), 2) if dedup.jaccard(sets[i], sets[j]) >= threshold}
            candidates = dedup.candidates(dedup.sketches(texts, threshold, 128), len(texts))
            found = set(dedup.confirmed(candidates, texts.__getitem__, threshold))
            assert found <= truth
            true, missed, confirmed = true + len(truth), missed + len(truth - found), confirmed + len(candidates)
        print(f"| {low}-{high} | {threshold} | {true:,} | {missed} | {confirmed:,} |")


if __name__ == "__main__":
    main()
