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
from typing import Callable, Iterable

import numpy as np

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


_CHUNK = 16384  # texts per vectorised block: bounds the (block, num_perm) arrays at a million texts
_EMPTY = np.uint64(2**32)  # a bin no shingle fell in (every value below is < 2**32)


def _mix(x):
    """splitmix64's finaliser, elementwise on a uint64 array: a well-spread 64-bit hash of each value."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def shingle_hashes(texts: list[str]):
    """The 64-bit hashes of each text's word 3-grams (a text of one or two words is one shingle, an
    empty text the empty shingle, as shingles() has it), flattened: (hashes, the text each belongs to).

    Words are split and hashed by polars, in Rust, across cores; `[\\p{L}\\p{N}_]+` is Python's `\\w+`
    (letters, digits, underscore). The hashes only choose candidate pairs: every pair is then
    confirmed on the Python shingle sets, so a word split differently can cost recall, never precision.
    """
    import polars as pl

    words = pl.Series(texts, dtype=pl.String).str.extract_all(r"[\p{L}\p{N}_]+")
    lengths = words.list.len().to_numpy().astype(np.int64)
    h = _mix(words.explode().drop_nulls().hash(seed=1).to_numpy().astype(np.uint64))
    doc = np.repeat(np.arange(len(texts)), lengths)
    start = np.repeat(np.cumsum(lengths) - lengths, lengths)
    position, length = np.arange(len(h)) - start, lengths[doc]
    nxt = np.r_[h[1:], np.uint64(0)]
    after = np.r_[h[2:], np.zeros(2, np.uint64)]
    k1, k2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
    trigram = (h * k1) ^ _mix(nxt * k2 + after)
    whole = np.where(length == 2, (h * k1) ^ _mix(nxt * k2 + np.uint64(2)), h * k1 + np.uint64(1))  # one or two words
    keep = (position <= length - 3) | ((length < 3) & (position == 0))
    values = np.where(length >= 3, trigram, whole)[keep]
    empty = np.flatnonzero(lengths == 0)  # no words: the empty shingle, one value shared by all such texts
    values = np.r_[values, np.full(len(empty), np.uint64(0x5BD1E995))]
    docs = np.r_[doc[keep], empty]
    order = np.argsort(docs, kind="stable")
    return values[order], docs[order]


def _densify(sig, rank, order):
    """Fill each empty bin of each row of `sig` (uint64, _EMPTY where no shingle fell) with the value
    of the filled bin k of that row with the least rank[bin, k] (optimal densification: `rank` is a
    random order of the bins for each bin, each bin first in its own, so a filled bin keeps its value;
    `order` is argsort(rank)). Rows with few filled bins take the argmin over their filled bins; rows
    with many walk `order` until a filled bin, a few steps."""
    n, num_perm = sig.shape
    filled = sig != _EMPTY
    counts = filled.sum(axis=1)
    source = np.broadcast_to(np.arange(num_perm), (n, num_perm)).copy()
    few = np.flatnonzero(counts < num_perm // 4)
    if len(few):
        width = max(1, int(counts[few].max()))
        which = np.argsort(~filled[few], axis=1, kind="stable")[:, :width]  # each row's filled bins first
        which[np.arange(width) >= counts[few][:, None]] = num_perm  # padding: a row of rank inf
        by_source = np.vstack([rank.T, np.full(num_perm, np.inf, dtype=rank.dtype)])
        for s in range(0, len(few), 1024):  # (rows, width, bins) ranks, 1024 rows at a time
            w = which[s:s + 1024]
            source[few[s:s + 1024]] = np.take_along_axis(w, by_source[w].argmin(axis=1), axis=1)
    rows, cols = np.nonzero(~filled & (counts >= num_perm // 4)[:, None])
    for step in range(1, num_perm):
        if not len(rows):
            break
        candidate = order[cols, step]
        hit = filled[rows, candidate]
        source[rows[hit], cols[hit]] = candidate[hit]
        rows, cols = rows[~hit], cols[~hit]
    return np.take_along_axis(sig, source, axis=1)


def signatures(texts: list[str], num_perm: int, seed: int = 1):
    """One-permutation MinHash signatures, one row per text: an (n, num_perm) uint64 array of values < 2**32.

    Each shingle hash is mixed once and falls in one of num_perm bins, keeping the least value per
    bin (one pass over the shingles, where classic MinHash computes num_perm hashes of each: 100x the
    work at the defaults). A bin no shingle fell in borrows the value of a filled bin chosen by a
    random order of the bins that depends on the bin alone (optimal densification, Shrivastava 2017),
    so two texts agree in a bin with probability their Jaccard similarity, as MinHash promises.
    """
    values, docs = shingle_hashes(texts)
    rng = np.random.default_rng(seed)
    salt = rng.integers(0, 2**63, dtype=np.uint64)
    rank = rng.random((num_perm, num_perm)).astype(np.float32)
    np.fill_diagonal(rank, -1.0)
    order = np.argsort(rank, axis=1)
    mixed = _mix(values ^ salt)
    bins = (mixed % np.uint64(num_perm)).astype(np.int64)
    low = mixed >> np.uint64(32)
    out = np.empty((len(texts), num_perm), dtype=np.uint64)
    bounds = np.searchsorted(docs, np.arange(0, len(texts) + _CHUNK, _CHUNK))
    for block, (a, z) in enumerate(zip(bounds[:-1], bounds[1:])):
        first = block * _CHUNK
        n = min(_CHUNK, len(texts) - first)
        if n <= 0:
            break
        sig = np.full(n * num_perm, _EMPTY, dtype=np.uint64)
        np.minimum.at(sig, (docs[a:z] - first) * num_perm + bins[a:z], low[a:z])
        out[first:first + n] = _densify(sig.reshape(n, num_perm), rank, order)
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


def band_keys(texts: list[str], threshold: float, num_perm: int):
    """One 64-bit key per LSH band of each text's signature: an (n, bands) uint64 array. Two texts
    that share a key in some band are a candidate pair. Computed block by block, so that a million
    texts hold 8 bytes per band each, not their whole signatures."""
    bands, rows = band_shape(num_perm, threshold)
    mix = np.random.default_rng(0).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    out = np.empty((len(texts), bands), dtype=np.uint64)
    for start in range(0, len(texts), _CHUNK * 4):
        sig = signatures(texts[start:start + _CHUNK * 4], num_perm)
        for b in range(bands):
            out[start:start + len(sig), b] = (sig[:, b * rows:(b + 1) * rows] * mix).sum(axis=1)  # wraps modulo 2**64
    return out


def candidate_pairs(keys) -> np.ndarray:
    """Pairs (i < j), as a (k, 2) int64 array in order, of rows that share a key in some band."""
    n = len(keys)
    found = []
    for b in range(keys.shape[1]):
        order = np.argsort(keys[:, b], kind="stable")
        sorted_keys = keys[order, b]
        same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])  # neighbours in a bucket
        if not len(same):
            continue
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, n])
        for a, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            members = np.sort(order[a:a + size])
            i, j = np.triu_indices(size, 1)
            found.append(members[i] * n + members[j])
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    flat = np.unique(np.concatenate(found))
    return np.stack([flat // n, flat % n], axis=1)


def confirmed(pairs, texts: list[str], threshold: float) -> list[tuple[int, int]]:
    """The candidate pairs whose exact Jaccard similarity (word 3-gram sets) is at least `threshold`."""
    sets: dict[int, set[str]] = {}

    def of(i: int) -> set[str]:
        if i not in sets:
            sets[i] = shingles(texts[i])
        return sets[i]

    return [(i, j) for i, j in pairs.tolist() if jaccard(of(i), of(j)) >= threshold]


def similar_pairs(texts: list[str], threshold: float, num_perm: int) -> list[tuple[int, int]]:
    """Pairs (i < j), in order, whose exact Jaccard similarity is at least `threshold`, found via LSH."""
    return confirmed(candidate_pairs(band_keys(texts, threshold, num_perm)), texts, threshold)


def duplicates(texts: list[str], prompt_of: Callable[[int], str], id_of: Callable[[int], str],
               threshold: float, num_perm: int) -> dict[int, str]:
    """Row -> why it goes, for every exact or near duplicate of an earlier row (the first of each is
    kept). `texts` are the rows' example_text(); near means the whole example is at least `threshold`
    alike and what the user asked (prompt_of(row), read only for candidate pairs) at least
    SAME_QUESTION, so a question asked in another form with the same answer
    (tasks/generators/facts.py) is not a duplicate."""
    first_of: dict[bytes, int] = {}
    removed: dict[int, str] = {}
    distinct = []
    for i, text in enumerate(texts):
        key = hashlib.sha1(text.encode()).digest()
        if key in first_of:
            removed[i] = f"exact duplicate of {id_of(first_of[key])}"
        else:
            first_of[key] = i
            distinct.append(i)
    del first_of
    earlier: dict[int, list[int]] = {}
    for a, b in similar_pairs([texts[i] for i in distinct], threshold, num_perm):
        if jaccard(shingles(prompt_of(distinct[a])), shingles(prompt_of(distinct[b]))) < SAME_QUESTION:
            continue  # one answer to two questions asked differently: a paraphrase, kept (knowledge augmentation)
        earlier.setdefault(distinct[b], []).append(distinct[a])
    for i in sorted(earlier):  # in order: an example goes if it is near one kept before it
        kept_before = [j for j in earlier[i] if j not in removed]
        if kept_before:
            removed[i] = f"near duplicate of {id_of(min(kept_before))} (Jaccard >= {threshold})"
    return removed


def dedup(examples: list[Example], threshold: float, num_perm: int) -> tuple[list[Example], list[tuple[Example, str]]]:
    """duplicates() on a list of examples: (kept, [(removed, reason), ...])."""
    removed = duplicates([example_text(ex) for ex in examples], lambda i: prompt_text(examples[i]),
                         lambda i: examples[i]["id"], threshold, num_perm)
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


def near_groups(texts: list[str], threshold: float, num_perm: int) -> list[tuple[int, int]]:
    """Pairs (i, j) that join texts into groups of identical or near-identical ones: identical texts
    are linked to the first of them (so LSH sees each text once), and near pairs among the distinct
    texts are found by similar_pairs()."""
    first: dict[str, int] = {}
    links = []
    for i, text in enumerate(texts):
        if text in first:
            links.append((first[text], i))
        else:
            first[text] = i
    distinct = list(first.values())
    links += [(distinct[a], distinct[b]) for a, b in similar_pairs(list(first), threshold, num_perm)]
    return links


def cross_leaks(train: Iterable[Example], held_out: Iterable[Example], threshold: float,
                num_perm: int) -> dict[str, list[tuple[str, str]]]:
    """Pairs (held-out id, train id) whose prompts are identical or near-identical."""
    train, held_out = list(train), list(held_out)
    exact_train: dict[str, str] = {}
    for ex in train:
        exact_train.setdefault(prompt_text(ex), ex["id"])
    exact = [(ex["id"], exact_train[prompt_text(ex)]) for ex in held_out if prompt_text(ex) in exact_train]
    everything = train + held_out
    n_train = len(train)
    near = [(everything[b]["id"], everything[a]["id"])
            for a, b in similar_pairs([prompt_text(ex) for ex in everything], threshold, num_perm)
            if a < n_train <= b]
    return {"exact": exact, "near": near}
