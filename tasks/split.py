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

import random

from tasks.core.config import CATEGORIES, SplitParams
from tasks.core.io import atomic_paths, read_jsonl
from tasks.core.layout import SPLITS, Paths
from tasks.core.records import Example
from tasks.core.stage import StageFailed, stage_main
from tasks.formats import export
from tasks.quality import dedup


def section_key(ex: Example) -> str | None:
    """Examples from one logged conversation must stay in one split."""
    if ex["category"] == "conversation" and ex.get("source"):
        return ex["source"]
    return None


def held_out(group: list[Example]) -> bool:
    """Whether a group may be tested: none of it is a QA example in a trained phrasing (a group
    may mix categories when prompts are near-duplicates, e.g. a logged question and a QA one)."""
    return not any(ex["category"] == "qa" and not ex.get("meta", {}).get("knowledge_test") for ex in group)


def groups_of(examples: list[Example], p: SplitParams) -> dict[str, str]:
    """id -> group: same source section, or near-duplicate prompts (transitively), share a group."""
    sets = dedup.UnionFind()
    dedup.link_near(sets, [ex["id"] for ex in examples], [dedup.prompt_text(ex) for ex in examples],
                    p.near_dup_threshold, p.num_perm)
    for ex in examples:
        if (key := section_key(ex)) is not None:
            sets.union(ex["id"], "section:" + key)
    return {ex["id"]: sets.root(ex["id"]) for ex in examples}


def assign_splits(examples: list[Example], p: SplitParams, rng: random.Random) -> dict[str, list[Example]]:
    """Seeded, stratified by category, group-aware: whole groups, in the seed's order, go to test
    or valid while they fit in that split's share of the category; the rest is train. A category
    with fewer than 3 groups goes to train whole (one group cannot be both learned and tested)."""
    group = groups_of(examples, p)
    members: dict[str, list[Example]] = {}
    for ex in sorted(examples, key=lambda ex: ex["id"]):
        members.setdefault(group[ex["id"]], []).append(ex)
    by_cat: dict[str, list[list[Example]]] = {}
    for g in sorted(members):
        by_cat.setdefault(members[g][0]["category"], []).append(members[g])
    splits: dict[str, list[Example]] = {s: [] for s in SPLITS}
    for cat in sorted(by_cat):
        groups = by_cat[cat]
        rng.shuffle(groups)
        n = sum(len(g) for g in groups)
        wanted = {"test": round(n * p.test_fraction), "valid": round(n * p.valid_fraction)}
        if len(groups) < 3:
            wanted = {"test": 0, "valid": 0}
        if cat == "qa":  # trained phrasings to train; held-out ones fill valid's share, and test takes the rest
            wanted = {"valid": wanted["valid"], "test": n}
            groups = [g for g in groups if held_out(g)] + [g for g in groups if not held_out(g)]
        have = {"test": 0, "valid": 0}
        order = ("valid", "test") if cat == "qa" else ("test", "valid")
        for g in groups:  # a group goes where it fits without overshooting; big ones end in train
            target = next((s for s in order if have[s] + len(g) <= wanted[s]), "train")
            if not held_out(g):
                target = "train"
            if target != "train":
                have[target] += len(g)
            splits[target] += g
    for s in splits:
        rng.shuffle(splits[s])  # mix categories: mlx-lm decides the format from the first row
    return splits


def check_no_leaks(splits: dict[str, list[Example]], p: SplitParams) -> dict:
    """Exact and near-duplicate prompts between train and valid/test: must be none."""
    leaks = dedup.cross_leaks(splits["train"], splits["valid"] + splits["test"], p.near_dup_threshold, p.num_perm)
    if leaks["exact"] or leaks["near"]:
        pairs = (leaks["exact"] + leaks["near"])[:5]
        raise StageFailed(f"train shares prompts with valid/test (a bug in the split): {pairs}")
    return {"exact": 0, "near": 0, "threshold": p.near_dup_threshold}


def check_openai(splits: dict[str, list[Example]]) -> None:
    for s, rows in splits.items():
        for ex in rows:
            errors = export.openai_errors(export.to_openai(ex))
            if errors:
                raise StageFailed(f"example {ex['id']} ({s}) breaks OpenAI's chat fine-tuning format: {errors}")


def run(p: SplitParams, paths: Paths) -> dict:
    examples = read_jsonl(paths.validated)
    if not examples:
        raise StageFailed(f"{paths.validated}: no examples passed validation; see reports/validate.json")
    splits = assign_splits(examples, p, random.Random(p.seed))
    contamination = check_no_leaks(splits, p)
    check_openai(splits)
    counts = {s: {c: sum(1 for ex in rows if ex["category"] == c) for c in CATEGORIES} for s, rows in splits.items()}

    with atomic_paths(paths.dataset, paths.export) as (dataset, exports):
        export.write_all(splits, counts, paths.model_copy(update={"dataset": dataset, "export": exports}))
    return {"n_in": len(examples), "n_out": sum(len(r) for r in splits.values()),
            "splits": {s: len(r) for s, r in splits.items()}, "by_category": counts,
            "contamination": contamination}


def main(argv: list[str] | None = None) -> None:
    stage_main("split", __doc__, argv, lambda params: run(params.split, params.paths))


if __name__ == "__main__":
    main()
