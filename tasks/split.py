"""Split the validated examples into train/valid/test and write every export.

Reads:  paths.validated
Writes: paths.dataset (train/valid/test in mlx-lm's chat format) and paths.export (the typed
        JSONL, OpenAI chat, Mistral text, a Hugging Face DatasetDict: see tasks/formats/export.py), as one
        set: everything is written aside first, then each folder is swapped in whole, so an
        interrupted split leaves the last set as it was (never a new train beside an old test)
Params: split.*

The split is seeded, stratified by category and group-aware: examples from one logged
conversation, and examples whose prompts are near-duplicates (split.near_dup_threshold), move
together, so no prompt in valid or test was seen in train. A contamination check confirms it, or
stops the stage.

QA is a knowledge test: the docs are what the model must know, so every fact is trained on, and
what valid and test hold back is phrasings. A question in a held-out form (`meta.knowledge_test`,
tasks/generators/qa.py) goes to valid or test; every other QA example goes to train.
"""
from __future__ import annotations

import importlib
import itertools
import random
import threading
from concurrent.futures import Executor
from dataclasses import dataclass, field

import orjson

from tasks.core import workers
from tasks.core.config import CATEGORIES, SplitParams
from tasks.core.io import Spool, atomic_paths, no_cycle_collection, parsed_lines, raw_chunks
from tasks.core.layout import SPLITS, Paths
from tasks.core.records import Example
from tasks.core.stage import StageFailed, stage_main
from tasks.formats import export
from tasks.quality import dedup

CHUNK = 10_000  # examples read, and rendered, at a time


@dataclass
class Validated:
    """What split keeps of each validated example, by row: its line, and what the assignment reads."""
    lines: list[bytes] | Spool = field(default_factory=list)  # as read: render_chunk() parses each once more
    ids: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sections: list[str | None] = field(default_factory=list)  # section_key()
    testable: list[bool] = field(default_factory=list)  # held_out([example])
    prompts: list[str] = field(default_factory=list)  # dedup.prompt_text()
    sketches: list[tuple[int, dict]] = field(default_factory=list)  # (first row, dedup.sketches() of prompts) by chunk

    def extend(self, other: Validated) -> None:
        self.sketches += [(len(self.ids) + first, sketch) for first, sketch in other.sketches]
        for line in other.lines:
            self.lines.append(line)
        for name in ("ids", "categories", "sections", "testable", "prompts"):
            getattr(self, name).extend(getattr(other, name))


def read_chunk(path, first: int, lines: list[str], p: SplitParams) -> Validated:
    """What split keeps of a chunk of validated.jsonl's lines, the first numbered `first`, with the
    near-duplicate sketches of its prompts (run in a worker)."""
    out = Validated()
    with no_cycle_collection():  # in a worker too
        _read(path, first, lines, out)
    out.sketches = [(0, dedup.sketches(out.prompts, p.near_dup_threshold, p.num_perm))]
    return out


def _read(path, first: int, lines: list[str], out: Validated) -> None:
    for line, ex in parsed_lines(path, first, lines):
        out.lines.append(line.encode())
        out.ids.append(ex["id"])
        out.categories.append(ex["category"])
        out.sections.append(section_key(ex))
        out.testable.append(held_out([ex]))
        out.prompts.append(dedup.prompt_text(ex))


def render_chunk(split: str, lines: list[bytes]) -> export.Rendered:
    """A chunk of a split's lines in every export's form (run in a worker)."""
    with no_cycle_collection():  # in a worker too
        return export.render(split, [orjson.loads(line) for line in lines])


def section_key(ex: Example) -> str | None:
    """Examples from one logged conversation must stay in one split."""
    if ex["category"] == "conversation" and ex.get("source"):
        return ex["source"]
    return None


def held_out(group: list[Example]) -> bool:
    """Whether a group may be tested: none of it is a QA example in a trained phrasing (a group
    may mix categories when prompts are near-duplicates, e.g. a logged question and a QA one)."""
    return not any(ex["category"] == "qa" and not ex.get("meta", {}).get("knowledge_test") for ex in group)


def groups_of(rows: Validated, links: list[tuple[int, int]]) -> list[str]:
    """Row -> group: same source section, or identical or near-duplicate prompts (`links`,
    transitively), share a group; a group is named by the smallest id in it."""
    sets = dedup.UnionFind()
    for a, b in links:
        sets.union(rows.ids[a], rows.ids[b])
    for i, key in enumerate(rows.sections):
        if key is not None:
            sets.union(rows.ids[i], "section:" + key)
    return [sets.root(i) for i in rows.ids]


def assign_splits(rows: Validated, links: list[tuple[int, int]], p: SplitParams, rng: random.Random) -> dict[str, list[int]]:
    """Split -> rows. Seeded, stratified by category, group-aware: whole groups, in the seed's order,
    go to test or valid while they fit in that split's share of the category; the rest is train. A
    category with fewer than 3 groups goes to train whole (one group cannot be both learned and tested)."""
    group = groups_of(rows, links)
    members: dict[str, list[int]] = {}
    for i in sorted(range(len(rows.ids)), key=rows.ids.__getitem__):
        members.setdefault(group[i], []).append(i)
    by_cat: dict[str, list[list[int]]] = {}
    for g in sorted(members):
        by_cat.setdefault(rows.categories[members[g][0]], []).append(members[g])
    splits: dict[str, list[int]] = {s: [] for s in SPLITS}
    for cat in sorted(by_cat):
        groups = by_cat[cat]
        rng.shuffle(groups)
        n = sum(len(g) for g in groups)
        wanted = {"test": round(n * p.test_fraction), "valid": round(n * p.valid_fraction)}
        if len(groups) < 3:
            wanted = {"test": 0, "valid": 0}
        testable = {id(g): all(rows.testable[i] for i in g) for g in groups}
        if cat == "qa":  # trained phrasings to train; held-out ones fill valid's share, and test takes the rest
            wanted = {"valid": wanted["valid"], "test": n}
            groups = [g for g in groups if testable[id(g)]] + [g for g in groups if not testable[id(g)]]
        have = {"test": 0, "valid": 0}
        order = ("valid", "test") if cat == "qa" else ("test", "valid")
        for g in groups:  # a group goes where it fits without overshooting; big ones end in train
            target = next((s for s in order if have[s] + len(g) <= wanted[s]), "train")
            if not testable[id(g)]:
                target = "train"
            if target != "train":
                have[target] += len(g)
            splits[target] += g
    for s in splits:
        rng.shuffle(splits[s])  # mix categories: mlx-lm decides the format from the first row
    return splits


def check_no_leaks(splits: dict[str, list[int]], rows: Validated, links: list[tuple[int, int]], p: SplitParams) -> dict:
    """Identical and near-duplicate prompts (`links`) between train and valid/test: must be none."""
    trained = set(splits["train"])
    leaks = [(rows.ids[b], rows.ids[a]) if a in trained else (rows.ids[a], rows.ids[b])
             for a, b in links if (a in trained) != (b in trained)]
    if leaks:
        raise StageFailed(f"train shares prompts with valid/test (a bug in the split): {leaks[:5]}")
    return {"exact": 0, "near": 0, "threshold": p.near_dup_threshold}


def run(p: SplitParams, paths: Paths) -> dict:
    size = paths.validated.stat().st_size if paths.validated.is_file() else None
    # the Hugging Face export's library, imported while this process mostly waits on the workers (0.6 s here)
    threading.Thread(target=importlib.import_module, args=("datasets",), daemon=True).start()
    with no_cycle_collection(), atomic_paths(paths.dataset, paths.export) as (dataset, exports), Spool(exports) as kept:
        out = paths.model_copy(update={"dataset": dataset, "export": exports})
        with workers.pool(input_bytes=size) as pool, Spool(paths.dataset.parent) as spool:
            report, hf = _run(p, paths, out, pool, spool, kept)
        # the Hugging Face export once the workers and the rows have gone: its memory is a whole split's columns
        export.write_hf({s: (kept[i] for i in chunks) for s, chunks in hf.items()}, report["by_category"], out.hf_dir())
    return report


def _run(p: SplitParams, paths: Paths, out: Paths, pool: Executor, spool: Spool, kept: Spool) -> tuple[dict, dict]:
    """Read, group, assign and render into `out`'s folders; the report, and where each split's
    Hugging Face chunks are in `kept` (export.write_texts)."""
    rows = Validated(lines=spool)
    for part in workers.in_order(pool, read_chunk, ((paths.validated, first, lines, p)
                                                    for first, lines in raw_chunks(paths.validated, CHUNK))):
        rows.extend(part)
    if not rows.lines:
        raise StageFailed(f"{paths.validated}: no examples passed validation; see reports/validate.json")
    links = dedup.near_groups(rows.prompts, p.near_dup_threshold, p.num_perm, dedup.join_sketches(rows.sketches))
    del rows.prompts, rows.sketches
    splits = assign_splits(rows, links, p, random.Random(p.seed))
    contamination = check_no_leaks(splits, rows, links, p)
    counts = {s: {c: sum(1 for i in members if rows.categories[i] == c) for c in CATEGORIES} for s, members in splits.items()}

    # every split's chunks in one queue, so that the workers start on valid while train's last chunks are written
    chunks = {s: range(0, len(members), CHUNK) for s, members in splits.items()}
    rendered = workers.in_order(pool, render_chunk, ((s, [rows.lines[i] for i in splits[s][k:k + CHUNK]])
                                                     for s in chunks for k in chunks[s]))
    try:
        hf = export.write_texts({s: itertools.islice(rendered, len(chunks[s])) for s in chunks}, out, kept)
    except export.BadExample as e:
        raise StageFailed(str(e)) from None
    return {"n_in": len(rows.lines), "n_out": sum(len(r) for r in splits.values()),
            "splits": {s: len(r) for s, r in splits.items()}, "by_category": counts,
            "contamination": contamination}, hf


def main(argv: list[str] | None = None) -> None:
    stage_main("split", __doc__, argv, lambda params: run(params.split, params.paths))


if __name__ == "__main__":
    main()
