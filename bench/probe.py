"""A quick probe of one training choice: train a single curriculum stage on some categories of the
current train split, then score the tuned model alone on those categories of the golden set and
the generated test split. A full `make run` takes ~30 minutes; this takes the stage's time and a
minute, so that a data or curriculum change is judged on a person's requests before it is run whole.

    .venv/bin/python -m bench.probe --categories text-to-graphql --iters 115
    .venv/bin/python -m bench.probe --categories text-to-graphql,tool_use --iters 60 --learning-rate 1.0e-3

Run after `dvc repro split` (it reads data/dataset and the parsed sources). The adapter goes to a
temporary folder; models/, reports/ and DVC's outputs are not touched. Every other train param is
params.yaml's. Prints per set and category: rows, then GraphQL valid / correct / exact, tool calls
exact / name, QA key facts; `--out FILE` keeps every reply and its scores.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from tasks import evaluate, train
from tasks.core.config import CurriculumStage, DistributedParams, load_params
from tasks.core.io import read_jsonl
from tasks.core.records import prompt_and_reference
from tasks.formats import chat_format
from tasks.tuner.training import load_base

SHOWN = {"text-to-graphql": ("valid", "correct", "exact_match"), "tool_use": ("tool_call_exact", "tool_name_match"),
         "qa": ("key_facts",), "conversation": ("token_f1",)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--categories", required=True, help="comma-separated: what the stage trains and what is scored")
    ap.add_argument("--iters", type=int, required=True, help="optimizer steps of the one stage")
    ap.add_argument("--learning-rate", type=float, default=5.0e-4)
    ap.add_argument("--per-category", type=int, default=40, help="rows of each set scored, as evaluate picks them")
    ap.add_argument("--out", type=Path, help="write every reply and its scores here (JSON)")
    args = ap.parse_args()
    categories = args.categories.split(",")
    ps = load_params()
    stage = CurriculumStage(name="probe", categories=categories, iters=args.iters, learning_rate=args.learning_rate)
    p = ps.train.model_copy(update={"stages": [stage], "distributed": DistributedParams()})  # in this process
    with tempfile.TemporaryDirectory() as tmp:
        paths = ps.paths.model_copy(update={"adapter": Path(tmp) / "adapter",
                                            "train_checkpoints": Path(tmp) / "checkpoints",
                                            "train_loss": Path(tmp) / "train_loss.json",
                                            "val_loss": Path(tmp) / "val_loss.json", "loss_plot": Path(tmp) / "loss.svg"})
        started = time.perf_counter()
        report = train.run(p, paths, relaunch=[])
        trained = time.perf_counter() - started
        test = [r for r in evaluate.pick_rows(read_jsonl(paths.split_file("test")), args.per_category)
                if r["category"] in categories]
        gold = [r for r in evaluate.golden_rows(ps.sources.eval_set, ps.generate, paths, args.per_category)
                if r["category"] in categories]
        fmt = chat_format.for_model(p.base_model)
        schema = evaluate.load_schema(paths)
        model, tokenizer = load_base(p, paths, str(paths.adapter))
        rows, sets = test + gold, ["test"] * len(test) + ["golden"] * len(gold)
        replies = evaluate.generate_replies(model, tokenizer, rows, ps.evaluate.max_new_tokens, fmt, "probe")
    kept = [{"set": which, "category": row["category"], "prompt": prompt_and_reference(row)[0][-1].get("content"),
             "reply": reply, "scores": evaluate.score(row, reply, schema, fmt)}
            for row, which, reply in zip(rows, sets, replies)]
    print(f"probe: {args.iters} steps on {categories} at {args.learning_rate} ({trained:.0f} s, "
          f"final train loss {report['final_train_loss']})")
    for which in ("golden", "test"):  # the means evaluate reports (evaluate.summarize)
        for category, m in evaluate.summarize([k for k in kept if k["set"] == which]).items():
            figures = " ".join(f"{k} {m[k]:.2f}" for k in SHOWN[category] if k in m)
            print(f"{which:7} {category:16} {m['n']:3} rows  {figures}")
    if args.out:
        args.out.write_text(json.dumps(kept, indent=1))


if __name__ == "__main__":
    main()
