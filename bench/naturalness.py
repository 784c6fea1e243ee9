"""How much the generated requests read like what people write: the mean per-token loss of each
category's user turns under the untuned base model (train.base_model, SmolLM2 by default), next to
the same figure for the hand-written seed examples. A template-made request ("I need you to tag file
(path /a.pdf, tag x).") surprises a model trained on human text more than a person's request does.

    .venv/bin/python -m bench.naturalness [--examples data/generated/examples.jsonl] [--per-category 100]

Run after `make run` (it reads the generated examples). Each user turn is scored alone, in the base
model's chat template, on its own tokens only; the seed examples are the rows whose source is
`seed_examples`. The aim (issue 11): every generated category within 1.25x of the seeds' figure.
"""
from __future__ import annotations

import argparse
import random
from collections import defaultdict

from tasks.core.config import load_params
from tasks.core.io import read_jsonl

SEEDS = "seeds"


def user_turns(rows: list[dict], per_category: int, seed: int = 0) -> dict[str, list[str]]:
    """The user turns of up to `per_category` rows of each category (seed rows apart, all of them)."""
    by_category: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_category[SEEDS if row["source"].startswith("seed") else row["category"]].append(row)
    out = {}
    for category, members in sorted(by_category.items()):
        if category != SEEDS and len(members) > per_category:
            members = random.Random(seed).sample(members, per_category)
        out[category] = [m["content"] for r in members for m in r["messages"]
                         if m["role"] == "user" and isinstance(m.get("content"), str) and m["content"].strip()]
    return out


def turn_losses(model, tokenizer, text: str) -> tuple[float, int]:
    """Summed loss and count of the tokens of `text` as a user turn in the model's chat template."""
    import mlx.core as mx
    import mlx.nn as nn

    full = tokenizer.apply_chat_template([{"role": "user", "content": text}], return_dict=False)
    empty = tokenizer.apply_chat_template([{"role": "user", "content": ""}], return_dict=False)
    start = next((i for i, (a, b) in enumerate(zip(full, empty)) if a != b), len(empty))
    end = len(full) - (len(empty) - start)  # the template's tokens after the content
    tokens = mx.array(full[:end])[None]
    losses = nn.losses.cross_entropy(model(tokens[:, :-1]), tokens[:, 1:])[0, start - 1:]
    return losses.sum().item(), int(losses.shape[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.naturalness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--examples", default=None, help="default: paths.generated")
    parser.add_argument("--per-category", type=int, default=100, help="rows sampled per generated category")
    args = parser.parse_args(argv)

    from tasks.tuner.training import load_base

    p = load_params(args.params)
    rows = read_jsonl(args.examples or p.paths.generated)
    model, tokenizer = load_base(p.train, p.paths)
    figures = {}
    for category, turns in user_turns(rows, args.per_category).items():
        total = n = 0
        for text in turns:
            loss, count = turn_losses(model, tokenizer, text)
            total, n = total + loss, n + count
        figures[category] = (len(turns), n, total / max(n, 1))
    seeds = figures.get(SEEDS, (0, 0, float("nan")))[2]
    print(f"\nUser-turn loss under the untuned base model ({p.train.base_model}); seeds: the hand-written examples\n")
    print("| category | user turns | tokens | mean loss per token | x seeds |\n| --- | ---: | ---: | ---: | ---: |")
    for category, (turns, n, loss) in figures.items():
        print(f"| {category} | {turns} | {n:,} | {loss:.3f} | {loss / seeds:.2f}x |")


if __name__ == "__main__":
    main()
