"""Exact and near-duplicate detection over example text: MinHash signatures and LSH banding.

- exact: the same normalized text (lower case, whitespace collapsed) of every turn
- near: Jaccard similarity of word 3-gram shingles at or above a threshold (candidates from
  MinHash LSH, each confirmed exactly)

Used by `validate` to drop duplicates and by `split` to keep near-duplicate prompts in one split.
MinHash signatures and LSH banding are vectorised with numpy here (see signatures()); every
candidate pair is confirmed by the exact Jaccard similarity of its shingle sets.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

from tasks.core.records import Example

_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    r"""Lower case, whitespace collapsed.

    >>> normalize("  Show ME\n the Files ")
    'show me the files'
    """
    return " ".join(text.lower().split())


def example_text(ex: Example) -> str:
    """Everything said in an example: each turn's content and tool calls (not the system prompt)."""
    parts = []
    for m in ex["messages"]:
        if m["role"] == "system":
            continue
        parts.append(m.get("content") or "")
        parts += [c["function"]["name"] + " " + c["function"]["arguments"] for c in m.get("tool_calls") or []]
    return normalize(" ".join(parts))


def prompt_text(ex: Example) -> str:
    """What the user said: the part that must not leak from train into valid or test."""
    return normalize(" ".join(m.get("content") or "" for m in ex["messages"] if m["role"] == "user"))


def shingles(text: str, n: int = 3) -> set[str]:
    """Word n-grams.

    >>> sorted(shingles("a b c d"))
    ['a b c', 'b c d']
    """
    words = _WORD.findall(text)
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


SAME_QUESTION = 0.7  # prompts this alike (word 3-grams) ask the same thing: "How do X work?" / "How do X work, please?"


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


_CHUNK = 4096  # documents per vectorised block: bounds memory at 100k examples


def signatures(shingle_sets: list[set[str]], num_perm: int, seed: int = 1):
    """MinHash signatures, one row per set: an (n, num_perm) uint64 array.

    Each shingle is hashed to 32 bits (CRC-32), then by num_perm multiply-shift hash functions
    ((a*x + b) mod 2^64) >> 32, a universal family; each row keeps the minimum per function.
    Vectorised over blocks of documents, which is what makes 100k examples take seconds
    (building one datasketch MinHash object per example took 4.5 s per 40k here).
    """
    import zlib

    import numpy as np

    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    out = np.empty((len(shingle_sets), num_perm), dtype=np.uint64)
    for start in range(0, len(shingle_sets), _CHUNK):
        block = shingle_sets[start:start + _CHUNK]
        hashes = [np.fromiter((zlib.crc32(s.encode()) for s in sh or {""}), dtype=np.uint64) for sh in block]
        offsets = np.r_[0, np.cumsum([len(h) for h in hashes])[:-1]]
        x = np.concatenate(hashes)[:, None]
        hashed = (x * a + b) >> np.uint64(32)  # uint64 arithmetic wraps modulo 2^64, as intended
        out[start:start + len(block)] = np.minimum.reduceat(hashed, offsets, axis=0)
    return out


def band_shape(num_perm: int, threshold: float) -> tuple[int, int]:
    """(bands, rows) whose candidate threshold (1/bands)^(1/rows) sits about 0.3 below `threshold`,
    so that pairs at the threshold are rarely missed (miss_probability says how rarely).

    >>> bands, rows = band_shape(128, 0.7)
    >>> bands * rows <= 128 and miss_probability(bands, rows, 0.7) < 1e-3
    True
    """
    target = max(0.1, threshold - 0.3)
    best = min(((b, num_perm // b) for b in range(1, num_perm + 1) if num_perm // b >= 1),
               key=lambda br: abs((1 / br[0]) ** (1 / br[1]) - target))
    return best


def miss_probability(bands: int, rows: int, similarity: float) -> float:
    """The chance that LSH banding never makes a pair of this Jaccard similarity a candidate:
    (1 - s^rows)^bands, taking each signature row to agree with probability s (MinHash's promise;
    our hash family approximates it). At the defaults: about 1.5 in 10^4 for a pair at exactly 0.7
    (split, 32 x 4), about 1 in 10^7 at 0.9 (validate, 21 x 6); less for more similar pairs.

    >>> miss_probability(32, 4, 0.7) > miss_probability(32, 4, 0.8) > miss_probability(32, 4, 0.9)
    True
    """
    return (1 - similarity ** rows) ** bands


def candidate_pairs(sig, threshold: float) -> set[tuple[int, int]]:
    """Pairs (i < j) of rows that share a whole band of their signatures: LSH banding, vectorised
    with numpy (datasketch's MinHashLSH inserts key by key in Python: 3 s per 27k inserts here)."""
    import numpy as np

    n, num_perm = sig.shape
    bands, rows = band_shape(num_perm, threshold)
    mix = np.random.default_rng(0).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    pairs: set[tuple[int, int]] = set()
    for b in range(bands):
        block = sig[:, b * rows:(b + 1) * rows]
        keys = (block * mix).sum(axis=1)  # wraps modulo 2**64: a hash of the band
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], n]
        for a, z in zip(starts[ends - starts > 1], ends[ends - starts > 1]):
            members = sorted(order[a:z].tolist())
            pairs.update((members[i], members[j]) for i in range(len(members)) for j in range(i + 1, len(members)))
    return pairs


def similar_pairs(sets: list[set[str]], threshold: float, num_perm: int) -> list[tuple[int, int]]:
    """Pairs (i < j) whose exact Jaccard similarity is at least `threshold`, found via LSH."""
    pairs = candidate_pairs(signatures(sets, num_perm), threshold)
    return sorted((i, j) for i, j in pairs if jaccard(sets[i], sets[j]) >= threshold)


def dedup(examples: list[Example], threshold: float, num_perm: int) -> tuple[list[Example], list[tuple[Example, str]]]:
    """Keep the first of each exact or near duplicate: near means the whole example is at least
    `threshold` alike and what the user asked at least SAME_QUESTION, so a question asked in
    another form with the same answer (tasks/generators/facts.py) is not a duplicate. Returns (kept, [(removed, reason), ...])."""
    first_of: dict[str, int] = {}
    removed: dict[int, str] = {}
    texts = [example_text(ex) for ex in examples]
    distinct = []
    for i, text in enumerate(texts):
        key = digest(text)
        if key in first_of:
            removed[i] = f"exact duplicate of {examples[first_of[key]]['id']}"
        else:
            first_of[key] = i
            distinct.append(i)
    sets = [shingles(texts[i]) for i in distinct]
    earlier: dict[int, list[int]] = {}
    for a, b in similar_pairs(sets, threshold, num_perm):
        asked = [shingles(prompt_text(examples[distinct[k]])) for k in (a, b)]
        if jaccard(*asked) < SAME_QUESTION:
            continue  # one answer to two questions asked differently: a paraphrase, kept (knowledge augmentation)
        earlier.setdefault(distinct[b], []).append(distinct[a])
    for i in distinct:  # in order: an example goes if it is near one kept before it
        kept_before = [j for j in earlier.get(i, []) if j not in removed]
        if kept_before:
            removed[i] = f"near duplicate of {examples[min(kept_before)]['id']} (Jaccard >= {threshold})"
    kept = [ex for i, ex in enumerate(examples) if i not in removed]
    return kept, [(examples[i], removed[i]) for i in sorted(removed)]


class UnionFind:
    """Disjoint sets whose representative is the smallest member (so results do not depend on order)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def root(self, k: str) -> str:
        self.parent.setdefault(k, k)
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def link_near(sets: UnionFind, keys: list[str], texts: list[str], threshold: float, num_perm: int) -> None:
    """Join the keys whose texts are near-duplicates."""
    for a, b in similar_pairs([shingles(t) for t in texts], threshold, num_perm):
        sets.union(keys[a], keys[b])


def clusters(keys: list[str], texts: list[str], threshold: float, num_perm: int) -> dict[str, str]:
    """key -> the smallest key of its cluster of near-duplicate texts."""
    sets = UnionFind()
    link_near(sets, keys, texts, threshold, num_perm)
    return {k: sets.root(k) for k in keys}


def cross_leaks(train: Iterable[Example], held_out: Iterable[Example], threshold: float,
                num_perm: int) -> dict[str, list[tuple[str, str]]]:
    """Pairs (held-out id, train id) whose prompts are identical or near-identical."""
    train, held_out = list(train), list(held_out)
    exact_train: dict[str, str] = {}
    for ex in train:
        exact_train.setdefault(digest(prompt_text(ex)), ex["id"])
    exact = [(ex["id"], exact_train[digest(prompt_text(ex))]) for ex in held_out
             if digest(prompt_text(ex)) in exact_train]
    everything = train + held_out
    sets = [shingles(prompt_text(ex)) for ex in everything]
    n_train = len(train)
    near = [(everything[b]["id"], everything[a]["id"]) for a, b in similar_pairs(sets, threshold, num_perm)
            if a < n_train <= b]
    return {"exact": exact, "near": near}
