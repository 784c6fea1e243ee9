"""Exact and near-duplicate detection over example text, with MinHash LSH (datasketch).

- exact: the same normalized text (lower case, whitespace collapsed) of every turn
- near: estimated Jaccard similarity of word 3-gram shingles at or above a threshold

Used by `validate` to drop duplicates and by `split` to keep near-duplicate prompts in one split.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

from tasks.examples import Example

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


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def minhashes(shingle_sets: list[set[str]], num_perm: int) -> list:
    """One MinHash per shingle set, built in bulk (datasketch's bulk path is much faster than update())."""
    from datasketch import MinHash

    return MinHash.bulk([[s.encode() for s in sh] or [b""] for sh in shingle_sets], num_perm=num_perm, seed=1)


class NearIndex:
    """Answers "which stored texts have a Jaccard similarity of at least `threshold` with this one?".

    LSH (datasketch) proposes candidates at a threshold well below the one asked, so that a pair
    above it is all but never missed (with 128 permutations, about 1 in 10^7 at 0.7); each
    candidate is then confirmed by the exact Jaccard similarity of the shingle sets.
    """

    def __init__(self, threshold: float, num_perm: int):
        from datasketch import MinHashLSH

        self.threshold = threshold
        self.lsh = MinHashLSH(threshold=max(0.1, threshold - 0.3), num_perm=num_perm)
        self.sets: dict[str, set[str]] = {}

    def add(self, key: str, mh, shingle_set: set[str]) -> None:
        self.lsh.insert(key, mh)
        self.sets[key] = shingle_set

    def similar(self, mh, shingle_set: set[str]) -> list[str]:
        return sorted(k for k in self.lsh.query(mh) if jaccard(self.sets[k], shingle_set) >= self.threshold)


def dedup(examples: list[Example], threshold: float, num_perm: int) -> tuple[list[Example], list[tuple[Example, str]]]:
    """Keep the first of each exact or near duplicate. Returns (kept, [(removed, reason), ...])."""
    seen: dict[str, str] = {}
    kept, removed = [], []
    texts = [example_text(ex) for ex in examples]
    sets = [shingles(t) for t in texts]
    index = NearIndex(threshold, num_perm)
    for ex, text, sh, mh in zip(examples, texts, sets, minhashes(sets, num_perm)):
        key = digest(text)
        if key in seen:
            removed.append((ex, f"exact duplicate of {seen[key]}"))
            continue
        near = index.similar(mh, sh)
        if near:
            removed.append((ex, f"near duplicate of {near[0]} (Jaccard >= {threshold})"))
            continue
        seen[key] = ex["id"]
        index.add(ex["id"], mh, sh)
        kept.append(ex)
    return kept, removed


def clusters(keys: list[str], texts: list[str], threshold: float, num_perm: int) -> dict[str, str]:
    """Union-find over near-duplicate texts: key -> the smallest key of its cluster."""
    parent = {k: k for k in keys}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    sets = [shingles(t) for t in texts]
    index = NearIndex(threshold, num_perm)
    for key, sh, mh in zip(keys, sets, minhashes(sets, num_perm)):
        for other in index.similar(mh, sh):
            a, b = root(key), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
        index.add(key, mh, sh)
    return {k: root(k) for k in keys}


def cross_leaks(train: Iterable[Example], held_out: Iterable[Example], threshold: float,
                num_perm: int) -> dict[str, list[tuple[str, str]]]:
    """Pairs (held-out id, train id) whose prompts are identical or near-identical."""
    train, held_out = list(train), list(held_out)
    exact_train: dict[str, str] = {}
    for ex in train:
        exact_train.setdefault(digest(prompt_text(ex)), ex["id"])
    index = NearIndex(threshold, num_perm)
    train_sets = [shingles(prompt_text(e)) for e in train]
    for ex, sh, mh in zip(train, train_sets, minhashes(train_sets, num_perm)):
        index.add(ex["id"], mh, sh)
    exact, near = [], []
    held_sets = [shingles(prompt_text(e)) for e in held_out]
    for ex, sh, mh in zip(held_out, held_sets, minhashes(held_sets, num_perm)):
        if digest(prompt_text(ex)) in exact_train:
            exact.append((ex["id"], exact_train[digest(prompt_text(ex))]))
        near += [(ex["id"], other) for other in index.similar(mh, sh)]
    return {"exact": exact, "near": near}
