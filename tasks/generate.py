"""Generate training examples of every category from the parsed sources.

Reads:  paths.parsed/ (the parse stage's output); generate.teacher's endpoint, if set
Writes: paths.generated (one example a line, see tasks/examples.py); teacher answers to paths.teacher_cache
Params: generate.*

Each generator (GENERATORS) is a function of its source, the params, a seeded rng and its quota
that returns its examples and its coverage; it changes none of its inputs, so the same inputs give
byte-identical output. The report says, per category, the quota, what was produced, and why a
quota was missed or a generator skipped.
"""
from __future__ import annotations

import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tasks import teacher
from tasks.config import CATEGORIES, GenerateParams
from tasks.examples import Example
from tasks.generators import conversations, graphql, qa, seeds, tools
from tasks.io import InputError, read_json, read_jsonl, write_jsonl
from tasks.layout import Paths
from tasks.stage import stage_main


@dataclass(frozen=True)
class Generator:
    category: str
    source: str  # the parsed source it reads (a key of sources in params.yaml)
    make: Callable[[Any, GenerateParams, random.Random, int], tuple[list[Example], dict]]


# In this order they draw from one seeded rng: reordering them changes every example after the first.
GENERATORS = (
    Generator("qa", "docs", qa.pairs_from_docs),
    Generator("text-to-graphql", "graphql_schema", graphql.pairs_from_schema),
    Generator("tool_use", "tools", tools.dialogues),
    Generator("conversation", "conversations", lambda rows, p, rng, quota: conversations.from_log(rows, p, quota)),
)
READERS = {"docs": read_jsonl, "graphql_schema": lambda path: path.read_text(), "tools": read_json,
           "conversations": read_jsonl, "seed_examples": read_jsonl}


def read_parsed(paths: Paths) -> dict[str, Any]:
    """Each source that parse wrote, read: source name -> its content."""
    return {name: read(paths.parsed_file(name)) for name, read in READERS.items() if paths.parsed_file(name).exists()}


def skipped(source: str, inputs: dict[str, Any]) -> dict:
    why = f"sources.{source} has nothing in it" if source in inputs else f"sources.{source} is null"
    return {"status": "skipped", "reason": f"no {source} ({why})"}


def product_name(p: GenerateParams, docs: list[dict]) -> tuple[str, str]:
    """(the product's name, where it came from): generate.product, else the top-level title of the
    docs (the first heading of a README or index file, else the first heading most files share)."""
    if p.product:
        return p.product, "generate.product"
    titles = [(c["file"], re.sub(r"<[^>]+>|!?\[([^\]]*)\]\([^)]*\)|[*_`]", r"\1", c["heading_path"][0]).strip())
              for c in docs if c.get("heading_path")]
    index = [t for f, t in titles if Path(f).stem.lower() in ("readme", "index") and t]
    per_title = Counter(t for _, t in set(titles) if t)  # how many files have each first heading
    shared = [t for t, n in per_title.most_common(1) if n > 1]
    if index or shared:
        return (index or shared)[0], "the docs' top-level title"
    raise InputError("generate.product is not set and the docs have no top-level title (a README.md or "
                     "index.md with a # heading, or one # heading most files share): set generate.product "
                     "in params.yaml")


def run(p: GenerateParams, paths: Paths) -> dict:
    inputs = read_parsed(paths)
    product, product_from = product_name(p, inputs.get("docs", []))
    p = p.model_copy(update={"product": product})
    rng = random.Random(p.seed)
    made: dict[str, list[Example]] = {}
    generators: dict[str, dict] = {}
    for g in GENERATORS:
        made[g.category] = []
        if not inputs.get(g.source):
            generators[g.category] = skipped(g.source, inputs)
            continue
        made[g.category], coverage = g.make(inputs[g.source], p, rng, p.quotas.get(g.category, 0))
        generators[g.category] = {"status": "ran", "produced": len(made[g.category]), **coverage}
    if p.teacher is not None:
        extra, generators["teacher"] = ask_teacher(p, paths, made, inputs.get("docs", []))
        made = {c: made[c] + extra.get(c, []) for c in made}
    seed_examples: list[Example] = []
    if "seed_examples" in inputs:
        seed_examples = seeds.from_seeds(inputs["seed_examples"], p, "seed_examples", inputs.get("tools"),
                                         inputs.get("graphql_schema"))
        generators["seeds"] = {"status": "ran", "produced": len(seed_examples)}
    else:
        generators["seeds"] = skipped("seed_examples", inputs)
    examples = seed_examples + [ex for c in CATEGORIES for ex in made.get(c, [])]
    n = write_jsonl(paths.generated, examples)
    return {"n_out": n, "product": product, "product_from": product_from,
            "categories": category_rows(p, examples, made, generators), "generators": generators}


def category_rows(p: GenerateParams, examples: list[Example], made: dict[str, list[Example]],
                  generators: dict[str, dict]) -> dict[str, dict]:
    """Per category: the quota, what was produced (seeds and teacher included), and why short."""
    rows = {}
    for c in CATEGORIES:
        target = p.quotas.get(c, 0)
        produced = sum(1 for ex in examples if ex["category"] == c)
        generated = len(made.get(c, []))
        from_teacher = sum(1 for ex in made.get(c, []) if ex["meta"].get("teacher"))
        row = {"target": target, "produced": produced, "from_seeds": produced - generated, "from_teacher": from_teacher}
        if generated < target:
            row["shortfall"] = target - generated
            row["why"] = shortfall_reason(c, generators.get(c, {}))
        rows[c] = row
    return rows


def ask_teacher(p: GenerateParams, paths: Paths, made: dict[str, list[Example]],
                chunks: list[dict]) -> tuple[dict[str, list[Example]], dict]:
    """The teacher's paraphrases and grounded QA, as new examples per category, and its report."""
    from tqdm import tqdm

    t = teacher.Teacher(p.teacher, paths.teacher_cache)
    graphql_examples = made["text-to-graphql"]
    total = min(p.teacher.paraphrases, len(graphql_examples)) + min(p.teacher.qa_chunks, len(chunks))
    try:
        with tqdm(total=total, desc="teacher", unit="request", mininterval=2.0) as bar:
            seen = {ex["messages"][1]["content"] for ex in graphql_examples}
            extra_graphql, rejected_paraphrases = teacher.paraphrases(t, graphql_examples, p, seen, bar)
            seen = {ex["messages"][1]["content"] for ex in made["qa"]}
            extra_qa, rejected_qa = teacher.grounded_qa(t, chunks, p, seen, bar)
    finally:
        t.close()
    stats = t.report()
    if stats["requested"] == 0 and stats["failed"] and all(r.startswith(("connection failed", "timeout"))
                                                           for r in stats["failed"]):
        raise teacher.TeacherError(
            f"teacher at {', '.join(t.urls)} could not be reached ({', '.join(stats['failed'])}): start the server "
            "or set generate.teacher to null; finished requests are cached and will not be repeated")
    if stats["stopped_by"]:
        print(f"tunesmith generate: the teacher's {stats['stopped_by']} ended its requests "
              f"({stats['failed']}); what finished is cached, and a rerun with more resumes", file=sys.stderr)
    report = {"status": "ran", "endpoint": p.teacher.base_url, "model": p.teacher.model, **stats,
              "paraphrases_kept": len(extra_graphql), "paraphrases_rejected": rejected_paraphrases,
              "qa_kept": len(extra_qa), "qa_rejected": rejected_qa}
    return {"text-to-graphql": extra_graphql, "qa": extra_qa}, report


def shortfall_reason(category: str, gen: dict) -> str:
    if gen.get("status") == "skipped" or gen.get("reason"):
        return gen["reason"]
    if category == "conversation":
        dropped = gen.get("dropped", {})
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(dropped.items())) or "none dropped"
        return f"the log holds too few usable conversations ({detail})"
    return "the source allows no more distinct examples with the current generator"


def main(argv: list[str] | None = None) -> None:
    stage_main("generate", __doc__, argv, lambda params: run(params.generate, params.paths))


if __name__ == "__main__":
    main()
