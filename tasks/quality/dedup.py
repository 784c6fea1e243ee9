"""Exact and near-duplicate detection over example text: MinHash signatures and LSH banding.

- exact: the same normalized text (lower case, whitespace collapsed) of every turn
- near: Jaccard similarity of word 3-gram shingles at or above a threshold (candidates from
  MinHash LSH, each confirmed exactly)

Used by `validate` to drop duplicates and by `split` to keep near-duplicate prompts in one split.
Words are split and hashed by polars, MinHash signatures and LSH banding computed with numpy, a
block of texts at a time (see sketches()); every candidate pair is confirmed by the exact Jaccard
similarity of its shingle sets.
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
    empty text the empty shingle, as shingles() has it), flattened and in text order: (hashes, the
    text each belongs to).

    Words are split and hashed by polars, in Rust; `[\\p{L}\\p{N}_]+` is Python's `\\w+` (letters,
    digits, underscore). The hashes only choose candidate pairs: every pair is then confirmed on the
    Python shingle sets, so a word split differently can cost recall, never precision.
    """
    import polars as pl

    words = pl.Series(texts, dtype=pl.String).str.extract_all(r"[\p{L}\p{N}_]+")
    lengths = words.list.len().to_numpy().astype(np.int64)
    h = words.explode().drop_nulls().hash(seed=1).to_numpy()
    ends = np.cumsum(lengths)
    k1, k2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
    long = lengths >= 3
    trigram = np.empty(max(0, len(h) - 2), dtype=np.uint64)
    np.multiply(h[:-2], k1, out=trigram)
    trigram ^= h[1:-1] * k2
    trigram ^= _mix(h[2:])
    keep = np.zeros(len(trigram), dtype=bool)  # a 3-gram that starts and ends inside one text
    starts = ends - lengths
    keep[np.repeat(starts[long], lengths[long] - 2) + _ranges(lengths[long] - 2)] = True
    values, docs = [trigram[keep]], [np.repeat(np.flatnonzero(long), lengths[long] - 2)]
    short = np.flatnonzero(~long)  # no words, one or two: one shingle each
    if len(short):
        first = np.where(lengths[short] > 0, h[np.minimum(starts[short], len(h) - 1)] if len(h) else 0, 0)
        second = np.where(lengths[short] == 2, h[np.minimum(starts[short] + 1, len(h) - 1)] if len(h) else 0, 0)
        values.append(_mix(first * k1 ^ second * k2 ^ lengths[short].astype(np.uint64)))
        docs.append(short)
        values, docs = np.concatenate(values), np.concatenate(docs)
        order = np.argsort(docs, kind="stable")
        return values[order], docs[order]
    return values[0], docs[0]


def _ranges(counts):
    """0..c-1 for each count c, concatenated.

    >>> _ranges(np.array([3, 1, 2])).tolist()
    [0, 1, 2, 0, 0, 1]
    """
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)


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


def _one_permutation(values, docs, n: int, num_perm: int, seed: int):
    """One-permutation MinHash: each shingle hash, mixed once, falls in one of num_perm bins, and
    each bin keeps its least value: one pass over the shingles. A bin no shingle fell in borrows the
    value of a filled bin chosen by a random order of the bins that depends on the bin alone (optimal
    densification, Shrivastava 2017). For texts of many shingles; (n, num_perm) values < 2**32."""
    rng = np.random.default_rng(seed)
    salt = rng.integers(0, 2**63, dtype=np.uint64)
    rank = rng.random((num_perm, num_perm)).astype(np.float32)
    np.fill_diagonal(rank, -1.0)
    mixed = _mix(values ^ salt)
    sig = np.full(n * num_perm, _EMPTY, dtype=np.uint64)
    np.minimum.at(sig, docs * num_perm + (mixed % np.uint64(num_perm)).astype(np.int64), mixed >> np.uint64(32))
    return _densify(sig.reshape(n, num_perm), rank, np.argsort(rank, axis=1))


def _classic(values, docs, n: int, num_perm: int, seed: int):
    """Classic MinHash: num_perm multiply-shift hashes ((a*x + b) mod 2^64) >> 32 of every shingle,
    the least of each kept. num_perm times the work of one permutation, and independent values in
    every bin: for texts of few shingles, where one permutation would leave most bins borrowed."""
    rng = np.random.default_rng(seed + 1)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    out = np.empty((n, num_perm), dtype=np.uint64)
    starts = np.r_[np.searchsorted(docs, np.arange(n)), len(values)]
    block = max(1, 2**16 // max(1, len(values) // max(1, n)))  # texts per block: about 65k shingles
    buffer = np.empty(num_perm * 2**17, dtype=np.uint64)  # reused: a fresh 64 MB array per block costs page faults
    for first in range(0, n, block):
        last = min(n, first + block)
        a0, z0 = starts[first], starts[last]
        hashed = buffer[:num_perm * (z0 - a0)].reshape(num_perm, z0 - a0) if z0 - a0 <= 2**17 else \
            np.empty((num_perm, z0 - a0), dtype=np.uint64)
        np.multiply(a[:, None], values[None, a0:z0], out=hashed)  # one row per hash function: reduceat runs along rows
        hashed += b[:, None]  # uint64 arithmetic wraps modulo 2^64
        hashed >>= np.uint64(32)
        out[first:last] = np.minimum.reduceat(hashed, starts[first:last] - a0, axis=1).T
    return out


def sketches(texts: list[str], threshold: float, num_perm: int, seed: int = 1):
    """LSH band keys of every text, in two schemes: {scheme: (rows, keys)} where keys is a (len(rows),
    bands) uint64 array; two texts sharing a key in some band of one scheme are a candidate pair.

    Texts of fewer than num_perm/4 distinct shingles divided by `threshold` get classic MinHash, texts
    of at least num_perm/4 one-permutation MinHash; those between get both. A pair at or above
    `threshold` has sizes within that ratio (Jaccard <= smaller / larger), so both its texts share a
    scheme. One permutation hashes each shingle once where classic hashes it num_perm times; on short
    texts, though, most of its bins would be borrowed from a few, and unrelated texts sharing one
    common shingle would collide in whole bands.
    Computed a block of texts at a time, so that a million texts hold their band keys, not signatures.
    """
    bands, rows = band_shape(num_perm, threshold)
    mix = np.random.default_rng(0).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    cut = num_perm // 4
    found: dict[str, tuple[list, list]] = {"classic": ([], []), "one permutation": ([], [])}
    if not texts:
        return {}
    for start in range(0, len(texts), _CHUNK * 4):
        block = texts[start:start + _CHUNK * 4]
        values, docs = shingle_hashes(block)
        key = np.sort((docs.astype(np.uint64) << np.uint64(40)) | (values >> np.uint64(24)))
        distinct = np.r_[True, key[1:] != key[:-1]]
        sizes = np.bincount((key[distinct] >> np.uint64(40)).astype(np.int64), minlength=len(block))  # distinct shingles
        for scheme, wanted, sign in (("classic", sizes * threshold < cut, _classic),
                                     ("one permutation", sizes >= cut, _one_permutation)):
            members = np.flatnonzero(wanted)
            if not len(members):
                continue
            local = np.full(len(block), -1)
            local[members] = np.arange(len(members))
            keep = wanted[docs]
            sig = sign(values[keep], local[docs[keep]], len(members), num_perm, seed)
            keys = np.stack([(sig[:, b * rows:(b + 1) * rows] * mix).sum(axis=1) for b in range(bands)], axis=1)
            found[scheme][0].append(members + start)
            found[scheme][1].append(keys)  # a band's key: its values mixed, modulo 2**64
    return {scheme: (np.concatenate(r), np.concatenate(k)) for scheme, (r, k) in found.items() if r}


def join_sketches(parts: list[tuple[int, dict]]) -> dict:
    """The sketches() of consecutive blocks of texts, each given with its first text's row, as one."""
    joined: dict[str, tuple[list, list]] = {}
    for offset, sketch in parts:
        for scheme, (rows, keys) in sketch.items():
            joined.setdefault(scheme, ([], []))
            joined[scheme][0].append(rows + offset)
            joined[scheme][1].append(keys)
    return {scheme: (np.concatenate(r), np.concatenate(k)) for scheme, (r, k) in joined.items()}


def candidates(sketch: dict, n: int, keep=None):
    """Candidate pairs (i < j) of rows 0..n-1, in order, as a (k, 2) int64 array: rows that share a
    band key in a scheme of `sketch`. Only rows where the boolean array `keep` is True take part."""
    found = []
    for rows, keys in sketch.values():
        if keep is not None:
            rows, keys = rows[keep[rows]], keys[keep[rows]]
        pairs = rows[candidate_pairs(keys)]
        found.append(pairs[:, 0] * n + pairs[:, 1])
    flat = np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return np.stack([flat // max(n, 1), flat % max(n, 1)], axis=1)


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


def candidate_pairs(keys) -> np.ndarray:
    """Pairs (i < j), as a (k, 2) int64 array in order, of rows that share a key in some band."""
    n = len(keys)
    found = []
    for b in range(keys.shape[1]):
        order = np.argsort(keys[:, b], kind="stable")
        sorted_keys = keys[order, b]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, n])
        two = starts[sizes == 2]  # most buckets that pair anything pair two rows: in one step
        i, j = np.minimum(order[two], order[two + 1]), np.maximum(order[two], order[two + 1])
        found.append(i * n + j)
        for a, size in zip(starts[sizes > 2], sizes[sizes > 2]):
            members = np.sort(order[a:a + size])
            i, j = np.triu_indices(size, 1)
            found.append(members[i] * n + members[j])
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    flat = np.unique(np.concatenate(found))
    return np.stack([flat // n, flat % n], axis=1)


def confirmed(pairs, text_of: Callable[[int], str], threshold: float) -> list[tuple[int, int]]:
    """The candidate pairs (in order of their first row) whose exact Jaccard similarity (word 3-gram
    sets) is at least `threshold`. The shingle sets of a first row are kept while its pairs are
    checked, of a second row only in a bounded cache: candidates can be most of a million rows."""
    out = []
    last, first_set = -1, set()
    cache: dict[int, set[str]] = {}
    for i, j in pairs.tolist():
        if i != last:
            last, first_set = i, shingles(text_of(i))
        if j not in cache:
            if len(cache) >= 65536:
                cache.clear()
            cache[j] = shingles(text_of(j))
        if jaccard(first_set, cache[j]) >= threshold:
            out.append((i, j))
    return out


def similar_pairs(texts: list[str], threshold: float, num_perm: int) -> list[tuple[int, int]]:
    """Pairs (i < j), in order, whose exact Jaccard similarity is at least `threshold`, found via LSH."""
    return confirmed(candidates(sketches(texts, threshold, num_perm), len(texts)), texts.__getitem__, threshold)


def digest(text: str) -> bytes:
    return hashlib.sha1(text.encode()).digest()


def duplicates(digests: list[bytes], sketch: dict, text_of: Callable[[int], str], prompt_of: Callable[[int], str],
               id_of: Callable[[int], str], threshold: float) -> dict[int, str]:
    """Row -> why it goes, for every exact or near duplicate of an earlier row (the first of each is
    kept). `digests` are digest(example_text()) of every row, `sketch` their sketches() at `threshold`;
    text_of(row) and prompt_of(row) are read only for candidate pairs. Near means the whole example
    is at least `threshold` alike and what the user asked at least SAME_QUESTION, so a question asked
    in another form with the same answer (tasks/generators/facts.py) is not a duplicate."""
    first_of: dict[bytes, int] = {}
    removed: dict[int, str] = {}
    for i, key in enumerate(digests):
        if key in first_of:
            removed[i] = f"exact duplicate of {id_of(first_of[key])}"
        else:
            first_of[key] = i
    del first_of
    distinct = np.ones(len(digests), dtype=bool)
    distinct[list(removed)] = False
    earlier: dict[int, list[int]] = {}
    for a, b in confirmed(candidates(sketch, len(digests), distinct), text_of, threshold):
        if jaccard(shingles(prompt_of(a)), shingles(prompt_of(b))) < SAME_QUESTION:
            continue  # one answer to two questions asked differently: a paraphrase, kept (knowledge augmentation)
        earlier.setdefault(b, []).append(a)
    for i in sorted(earlier):  # in order: an example goes if it is near one kept before it
        kept_before = [j for j in earlier[i] if j not in removed]
        if kept_before:
            removed[i] = f"near duplicate of {id_of(min(kept_before))} (Jaccard >= {threshold})"
    return removed


def dedup(examples: list[Example], threshold: float, num_perm: int) -> tuple[list[Example], list[tuple[Example, str]]]:
    """duplicates() on a list of examples: (kept, [(removed, reason), ...])."""
    texts = [example_text(ex) for ex in examples]
    removed = duplicates([digest(t) for t in texts], sketches(texts, threshold, num_perm), texts.__getitem__,
                         lambda i: prompt_text(examples[i]), lambda i: examples[i]["id"], threshold)
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


def near_groups(texts: list[str], threshold: float, num_perm: int, sketch: dict | None = None) -> list[tuple[int, int]]:
    """Pairs (i, j) that join texts into groups of identical or near-identical ones: identical texts
    are linked to the first of them, and near pairs among the first of each text are found by LSH
    and confirmed. `sketch`: sketches() of `texts` at `threshold`, if the caller made them (by chunk,
    in workers); made here otherwise."""
    first: dict[str, int] = {}
    links = []
    distinct = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if text in first:
            links.append((first[text], i))
        else:
            first[text] = i
            distinct[i] = True
    if sketch is None:
        sketch = sketches(texts, threshold, num_perm)
    return links + confirmed(candidates(sketch, len(texts), distinct), texts.__getitem__, threshold)


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
