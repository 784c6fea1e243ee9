"""Generate training examples of every category from the parsed sources.

Reads:  paths.parsed/ (the parse stage's output); generate.teacher's endpoint, if set
Writes: paths.generated (one example a line, see tasks/examples.py); teacher answers to paths.teacher_cache
Params: generate.*

Each generator is a pure function of its source, the params and a seeded rng: the same inputs
give byte-identical output. The report says, per category, the quota, what was produced, and
why a quota was missed or a generator skipped.
"""
from __future__ import annotations

import random

from tasks.config import CATEGORIES, GenerateParams, Paths
from tasks.examples import Example
from tasks import teacher
from tasks.generators import conversations, graphql, qa, seeds, tools
from tasks.io import read_json, read_jsonl, write_jsonl
from tasks.parse import SOURCE_FILES
from tasks.stage import stage_main


def check_seed_queries(examples: list[Example], sdl: str | None) -> None:
    """Carry a GraphQL verdict on each text-to-graphql seed, as the generator does for its own."""
    from graphql import GraphQLError, build_schema, parse, validate

    schema = build_schema(sdl) if sdl else None
    for ex in examples:
        if ex["category"] != "text-to-graphql":
            continue
        query = ex["messages"][-1]["content"]
        try:
            ok = schema is not None and not validate(schema, parse(query))
        except GraphQLError:
            ok = False
        ex["meta"]["graphql_valid"] = ok


def run(p: GenerateParams, paths: Paths) -> dict:
    parsed = {name: paths.parsed / f for name, f in SOURCE_FILES.items()}
    present = {name: path.exists() for name, path in parsed.items()}
    rng = random.Random(p.seed)
    made: dict[str, list[Example]] = {c: [] for c in CATEGORIES}
    generators: dict[str, dict] = {}

    def skipped(name: str, source: str) -> None:
        generators[name] = {"status": "skipped", "reason": f"no {source} (sources.{source} is null)"}

    project_tools = read_json(parsed["tools"]) if present["tools"] else None
    sdl = parsed["graphql_schema"].read_text() if present["graphql_schema"] else None

    if present["docs"]:
        kinds: dict = {}
        made["qa"] = qa.pairs_from_docs(read_jsonl(parsed["docs"]), p, rng, p.quotas.get("qa", 0), kinds)
        generators["qa"] = {"status": "ran", "produced": len(made["qa"]), "kinds": kinds}
    else:
        skipped("qa", "docs")
    if sdl is not None:
        constructs: dict = {}
        made["text-to-graphql"] = list(graphql.pairs_from_schema(sdl, p, rng, p.quotas.get("text-to-graphql", 0), constructs))
        generators["text-to-graphql"] = {"status": "ran", "produced": len(made["text-to-graphql"]),
                                         "arg_kinds": constructs.pop("arg_kinds", {}), "constructs": constructs}
    else:
        skipped("text-to-graphql", "graphql_schema")
    if project_tools:
        shapes: dict = {}
        made["tool_use"] = list(tools.dialogues(project_tools, p, rng, p.quotas.get("tool_use", 0), shapes))
        generators["tool_use"] = {"status": "ran", "produced": len(made["tool_use"]), "shapes": shapes}
    else:
        skipped("tool_use", "tools")
    if present["conversations"]:
        convs, dropped = conversations.from_log(read_jsonl(parsed["conversations"]), p, p.quotas.get("conversation", 0))
        made["conversation"] = convs
        generators["conversation"] = {"status": "ran", "produced": len(convs), "dropped": dropped}
    else:
        skipped("conversation", "conversations")
    if p.teacher is not None:
        generators["teacher"] = ask_teacher(p, paths, made, read_jsonl(parsed["docs"]) if present["docs"] else [])
    seed_examples: list[Example] = []
    if present["seed_examples"]:
        seed_examples = seeds.from_seeds(read_jsonl(parsed["seed_examples"]), p, "seed_examples", project_tools)
        check_seed_queries(seed_examples, sdl)
        generators["seeds"] = {"status": "ran", "produced": len(seed_examples)}
    else:
        skipped("seeds", "seed_examples")

    examples = seed_examples + [ex for c in CATEGORIES for ex in made[c]]
    n = write_jsonl(paths.generated, examples)
    categories = {}
    for c in CATEGORIES:
        target = p.quotas.get(c, 0)
        produced = sum(1 for ex in examples if ex["category"] == c)
        generated = len(made[c])
        from_teacher = sum(1 for ex in made[c] if ex["meta"].get("teacher"))
        row = {"target": target, "produced": produced, "from_seeds": produced - generated, "from_teacher": from_teacher}
        if generated < target:
            row["shortfall"] = target - generated
            row["why"] = shortfall_reason(c, generators.get(c, {}))
        categories[c] = row
    return {"n_out": n, "categories": categories, "generators": generators}


def ask_teacher(p: GenerateParams, paths: Paths, made: dict[str, list[Example]], chunks: list[dict]) -> dict:
    """Add the teacher's paraphrases and grounded QA to `made`; returns the teacher's report."""
    from tqdm import tqdm

    t = teacher.Teacher(p.teacher, paths.teacher_cache)
    graphql_examples = list(made["text-to-graphql"])
    total = min(p.teacher.paraphrases, len(graphql_examples)) + min(p.teacher.qa_chunks, len(chunks))
    with tqdm(total=total, desc="teacher", unit="request", mininterval=2.0) as bar:
        seen = {ex["messages"][1]["content"] for ex in graphql_examples}
        extra_graphql, rejected_paraphrases = teacher.paraphrases(t, graphql_examples, p, seen, bar)
        seen = {ex["messages"][1]["content"] for ex in made["qa"]}
        extra_qa, rejected_qa = teacher.grounded_qa(t, chunks, p, seen, bar)
    made["text-to-graphql"] += extra_graphql
    made["qa"] += extra_qa
    return {"status": "ran", "endpoint": p.teacher.base_url, "model": p.teacher.model, **t.stats,
            "paraphrases_kept": len(extra_graphql), "paraphrases_rejected": rejected_paraphrases,
            "qa_kept": len(extra_qa), "qa_rejected": rejected_qa}


def shortfall_reason(category: str, gen: dict) -> str:
    if gen.get("status") == "skipped":
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
