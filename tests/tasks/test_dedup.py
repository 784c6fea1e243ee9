"""Near-duplicate detection against brute force: LSH must find every pair exact comparison finds."""
import random
from itertools import combinations

from tasks.quality import dedup

VOCAB = [f"w{i}" for i in range(400)]


def planted_corpus(seed: int = 0) -> list[str]:
    """300 random texts of 60 to 120 words, and for 120 of them a copy with 1 to 4 words changed: pairs from far
    above to just below the thresholds used by validate (0.9) and split (0.7)."""
    rng = random.Random(seed)
    texts = [" ".join(rng.choices(VOCAB, k=rng.randint(60, 120))) for _ in range(300)]
    for original in rng.sample(texts, 120):
        words = original.split()
        for _ in range(rng.randint(1, 4)):
            words[rng.randrange(len(words))] = rng.choice(VOCAB)
        texts.append(" ".join(words))
    rng.shuffle(texts)
    return texts


def brute_force(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    """Every pair, compared exactly: no hashing, no banding."""
    sets = [set(zip(t.split(), t.split()[1:], t.split()[2:])) for t in texts]  # word 3-grams, written apart from dedup
    return {(i, j) for i, j in combinations(range(len(texts)), 2)
            if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= threshold}


def test_lsh_finds_every_pair_that_brute_force_finds():
    texts = planted_corpus()
    for threshold in (0.7, 0.9):
        truth = brute_force(texts, threshold)
        assert len(truth) >= 25, threshold  # the corpus holds pairs at and above the threshold
        found = set(dedup.similar_pairs(texts, threshold, num_perm=128))
        assert found == truth, (threshold, sorted(truth - found)[:5], sorted(found - truth)[:5])


def test_the_planted_pairs_reach_down_to_the_threshold():
    """The check above means something only if some true pairs sit near the threshold, where LSH misses."""
    texts = planted_corpus()
    near = brute_force(texts, 0.7) - brute_force(texts, 0.8)
    assert len(near) >= 5


def test_dedup_keeps_no_pair_above_the_threshold_and_explains_each_removal():
    texts = planted_corpus(1)
    examples = [{"id": f"x{i}", "messages": [{"role": "user", "content": t}]} for i, t in enumerate(texts)]
    examples.append({"id": "copy", "messages": [{"role": "user", "content": texts[0].upper()}]})  # exact, after normalising
    kept, removed = dedup.dedup(examples, 0.9, 128)
    kept_texts = [ex["messages"][0]["content"].lower() for ex in kept]
    assert not brute_force(kept_texts, 0.9)
    assert len(kept) + len(removed) == len(examples)
    reasons = dict((ex["id"], why) for ex, why in removed)
    assert reasons["copy"] == "exact duplicate of x0"
    assert sum(why.startswith("near duplicate of") for why in reasons.values()) >= 30
