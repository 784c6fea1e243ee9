"""Split the validated examples into train/valid/test and write every export.

Reads:  paths.validated
Writes: paths.dataset/{train,valid,test}.jsonl (mlx-lm chat format), paths.export/
        (training_data.jsonl, openai/, mistral/, hf/ a Hugging Face DatasetDict)
Params: split.*

The split is seeded and stratified by category: each category is shuffled with the seed and
cut by the fractions, so every category appears in every split it is large enough for.
"""
from __future__ import annotations

import random

from tasks import export
from tasks.config import CATEGORIES, Paths, SplitParams
from tasks.examples import Example
from tasks.io import atomic_path, read_jsonl, write_jsonl
from tasks.stage import StageFailed, stage_main


def assign_splits(examples: list[Example], p: SplitParams, rng: random.Random) -> dict[str, list[Example]]:
    """Stratified by category; within a category the order is the rng's. Categories with fewer
    than 3 examples go to train whole (one example cannot be both learned and tested)."""
    splits: dict[str, list[Example]] = {s: [] for s in export.SPLITS}
    by_cat: dict[str, list[Example]] = {}
    for ex in examples:
        by_cat.setdefault(ex["category"], []).append(ex)
    for cat in sorted(by_cat):
        group = sorted(by_cat[cat], key=lambda ex: ex["id"])
        rng.shuffle(group)
        n = len(group)
        n_test = round(n * p.test_fraction) if n >= 3 else 0
        n_valid = round(n * p.valid_fraction) if n >= 3 else 0
        n_test, n_valid = max(n_test, 1 if n >= 3 else 0), max(n_valid, 1 if n >= 3 else 0)
        splits["test"] += group[:n_test]
        splits["valid"] += group[n_test:n_test + n_valid]
        splits["train"] += group[n_test + n_valid:]
    for s in splits:
        rng.shuffle(splits[s])  # mix categories: mlx-lm decides the format from the first row
    return splits


def write_hf(splits: dict[str, list[Example]], target) -> None:
    import datasets

    dd = datasets.DatasetDict({s: datasets.Dataset.from_list([export.to_hf_row(ex) for ex in rows])
                               for s, rows in splits.items() if rows})
    with atomic_path(target) as tmp:
        dd.save_to_disk(str(tmp))


def run(p: SplitParams, paths: Paths) -> dict:
    examples = read_jsonl(paths.validated)
    if not examples:
        raise StageFailed(f"{paths.validated}: no examples passed validation; see reports/validate.json")
    splits = assign_splits(examples, p, random.Random(p.seed))

    for s, rows in splits.items():
        write_jsonl(paths.dataset / f"{s}.jsonl", (export.to_mlx(ex) for ex in rows))
        write_jsonl(paths.export / "openai" / f"{s}.jsonl", (export.to_openai(ex) for ex in rows))
        write_jsonl(paths.export / "mistral" / f"{s}.jsonl", (export.to_mistral(ex) for ex in rows))
    write_jsonl(paths.export / "training_data.jsonl",
                (export.to_typed(ex, s) for s, rows in splits.items() for ex in rows))
    write_hf(splits, paths.export / "hf")

    counts = {s: {c: sum(1 for ex in rows if ex["category"] == c) for c in CATEGORIES} for s, rows in splits.items()}
    return {"n_in": len(examples), "n_out": sum(len(r) for r in splits.values()),
            "splits": {s: len(r) for s, r in splits.items()}, "by_category": counts}


def main(argv: list[str] | None = None) -> None:
    stage_main("split", __doc__, argv, lambda params: run(params.split, params.paths))


if __name__ == "__main__":
    main()
