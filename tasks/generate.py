"""Generate training examples of every category from the parsed sources.

Reads:  paths.parsed/ (the parse stage's output); generate.teacher's endpoint, if set
Writes: paths.generated (one example a line, see tasks/core/records.py); teacher answers to paths.teacher_cache
Params: generate.*

Each generator (GENERATORS) is a function of its source, the params, a seeded rng and its quota
that returns its examples and its coverage; it changes none of its inputs, so the same inputs give
byte-identical output. The report says, per category, the quota, what was produced, and why a
quota was missed or a generator skipped.
"""
from __future__ import annotations

import random
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tasks.core.config import CATEGORIES, GenerateParams
from tasks.core.io import InputError, read_json, read_jsonl, write_jsonl
from tasks.core.layout import Paths
from tasks.core.records import Example
from tasks.core.stage import stage_main
from tasks.generators import conversations, graphql, qa, seeds, skills, tools
from tasks.teacher import backfill, jobs
from tasks.teacher.client import Client, TeacherError
from tasks.teacher.judge import Judge


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


def offline(p: GenerateParams, inputs: dict) -> tuple[dict[str, list[Example]], dict[str, dict]]:
    """Every offline generator's examples and report, by category."""
    rng = random.Random(p.seed)
    made: dict[str, list[Example]] = {}
    generators: dict[str, dict] = {}
    for g in GENERATORS:
        made[g.category] = []
        if not inputs.get(g.source):
            generators[g.category] = skipped(g.source, inputs)
            continue
        started = time.perf_counter()
        made[g.category], coverage = g.make(inputs[g.source], p, rng, p.quotas.get(g.category, 0))
        generators[g.category] = {"status": "ran", "produced": len(made[g.category]), **coverage,
                                  "seconds": round(time.perf_counter() - started, 2)}
    return made, generators


def run(p: GenerateParams, paths: Paths) -> dict:
    inputs = read_parsed(paths)
    product, product_from = product_name(p, inputs.get("docs", []))
    p = p.model_copy(update={"product": product})
    for skill in p.skills:  # a missing spec file or an unknown tool is the user's to fix, teacher or not
        skills.description(skill), skills.skill_tools(skill, inputs.get("tools"))
    if p.skills and p.teacher is None:
        print(f"tunesmith generate: {len(p.skills)} skill(s) in generate.skills skipped: the teacher writes them "
              "(set generate.teacher)", file=sys.stderr)
    made, generators = offline(p, inputs)
    skilled: list[Example] = []
    if p.teacher is not None:
        extra, skilled, generators["teacher"] = ask_teacher(p, paths, made, inputs)
        made = {c: made[c] + extra.get(c, []) for c in made}
    seed_examples: list[Example] = []
    if "seed_examples" in inputs:
        seed_examples = seeds.from_seeds(inputs["seed_examples"], p, "seed_examples", inputs.get("tools"),
                                         inputs.get("graphql_schema"))
        generators["seeds"] = {"status": "ran", "produced": len(seed_examples)}
    else:
        generators["seeds"] = skipped("seed_examples", inputs)
    examples = seed_examples + [ex for c in CATEGORIES for ex in made.get(c, [])] + skilled
    n = write_jsonl(paths.generated, examples)
    return {"n_out": n, "product": product, "product_from": product_from,
            "categories": category_rows(p, examples, made, generators), "generators": generators,
            "skills": skill_rows(p, skilled, generators.get("teacher", {}).get("jobs"))}


def category_rows(p: GenerateParams, examples: list[Example], made: dict[str, list[Example]],
                  generators: dict[str, dict]) -> dict[str, dict]:
    """Per category: the quota, what was produced (seeds and teacher included), and why short."""
    rows = {}
    for c in CATEGORIES:
        target = p.quotas.get(c, 0)
        produced = sum(1 for ex in examples if ex["category"] == c)
        from_skills = sum(1 for ex in examples if ex["category"] == c and ex["meta"].get("skill"))
        generated = len(made.get(c, []))
        from_teacher = sum(1 for ex in made.get(c, []) if ex["meta"].get("teacher"))
        row = {"target": target, "produced": produced, "from_seeds": produced - generated - from_skills,
               "from_teacher": from_teacher, "from_skills": from_skills}
        if generated < target:
            row["shortfall"] = target - generated
            row["why"] = shortfall_reason(c, generators.get(c, {}))
        rows[c] = row
    return rows


def ask_teacher(p: GenerateParams, paths: Paths, made: dict[str, list[Example]],
                inputs: dict) -> tuple[dict[str, list[Example]], list[Example], dict]:
    """The teacher's examples: by category those that add to the offline ones (paraphrases, QA,
    tool dialogues in other words), and the skills' dialogues; and the teacher's report."""
    from tqdm import tqdm

    t = Client(p.teacher, paths.teacher_cache)
    judge = Judge(p.teacher.judge) if p.teacher.judge is not None else None
    todo = jobs.for_run(p, made, inputs)
    rows, extra, skilled = {}, {}, []
    stop_on_term = signal.signal(signal.SIGTERM, interrupt)
    try:
        first_round = sum(len(job.first_requests()) for job in todo)  # backfill and the judge add to it
        with tqdm(total=first_round, desc="teacher", unit="request", mininterval=2.0) as bar:
            progress = backfill.Progress(bar, t)
            for job in todo:
                kept, rows[job.name] = backfill.fill(t, job, judge, progress)
                for ex in kept:
                    (skilled if ex["meta"].get("skill") else extra.setdefault(ex["category"], [])).append(ex)
    except KeyboardInterrupt:
        print(f"\ntunesmith generate: interrupted; the {t.tracker.counts['requested']} answers received are cached (the "
              "requests in flight were waited for, so none is paid twice); a rerun resumes", file=sys.stderr)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, stop_on_term)
        t.close()
    stats = t.report()
    if t.tracker.reached_nothing():
        raise TeacherError(
            f"teacher at {', '.join(t.urls)} could not be reached ({', '.join(stats['failed'])}): start the server "
            "or set generate.teacher to null; finished requests are cached and will not be repeated")
    if stats["stopped_by"]:
        print(f"tunesmith generate: the teacher's {stats['stopped_by']} ended its requests "
              f"({stats['failed']}); what finished is cached, and a rerun with more resumes", file=sys.stderr)
    report = {"status": "ran", "endpoint": p.teacher.base_url, "model": p.teacher.model, **stats, "jobs": rows,
              "judge": judge.report() if judge else None}
    return extra, skilled, report


def interrupt(signum, frame):
    """SIGTERM (a cancelled Prefect run, `kill`) stops the teacher as Ctrl-C does: cleanly."""
    raise KeyboardInterrupt


def skill_rows(p: GenerateParams, skilled: list[Example], jobs: dict[str, dict] | None) -> dict[str, dict]:
    """Per skill: its category, quota, dialogues produced, and per sub-topic the job's row (what
    was asked, kept, rejected by reason, and what ended it short)."""
    rows = {}
    for skill in p.skills:
        produced = [ex for ex in skilled if ex["meta"]["skill"] == skill.name]
        row = {"category": "tool_use" if skill.tools else "conversation", "target": skill.quota,
               "produced": len(produced)}
        if jobs is None:
            row["why"] = "generate.teacher is null: skills are written by the teacher"
        else:
            row["topics"] = {topic: jobs[f"skill {skill.name}" + ("" if topic == skills.ANY_TOPIC else f" / {topic}")]
                             for topic in skills.topics(skill)}
            short = [f"{t}: {r['ended_by']}" for t, r in row["topics"].items() if r["ended_by"]]
            if short:
                row["why"] = "; ".join(short)
        rows[skill.name] = row
    return rows


def shortfall_reason(category: str, gen: dict) -> str:
    if gen.get("status") == "skipped" or gen.get("reason"):
        return gen["reason"]
    if category == "conversation":
        dropped = gen.get("dropped", {})
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(dropped.items())) or "none dropped"
        return f"the log holds too few usable conversations ({detail})"
    return "the source allows no more distinct examples with the current generator"


def estimate(p: GenerateParams, paths: Paths) -> None:
    """Print what the teacher would be asked and what it could cost; send nothing, write nothing."""
    if p.teacher is None:
        print("generate.teacher is null: nothing would be sent")
        return
    inputs = read_parsed(paths)
    p = p.model_copy(update={"product": product_name(p, inputs.get("docs", []))[0]})
    made, _ = offline(p, inputs)
    client = Client(p.teacher, paths.teacher_cache)
    todo = jobs.for_run(p, made, inputs)
    first = [r for job in todo for r in job.first_requests()]
    e = client.estimate(first)
    client.close()
    backfill_at_most = sum(p.teacher.max_attempts * job.target for job in todo) - len(first)
    lines = ["teacher jobs: " + ", ".join(f"{job.name} {job.target}" for job in todo),
             f"teacher requests, first round: {e['requests']} ({e['cached']} cached, {e['to_send']} to send)",
             f"input tokens (about 4 characters a token): {e['input_tokens']:,}",
             f"output tokens, at most (max_tokens each): {e['output_tokens_at_most']:,}",
             "cost, at most: " + (f"${e['cost_usd_at_most']:.4f}" if e["cost_usd_at_most"] is not None
                                  else "not counted (set generate.teacher.price)"),
             f"not counted: up to {backfill_at_most} more requests to backfill rejected answers (teacher.max_attempts "
             f"{p.teacher.max_attempts} per example wanted), up to {p.teacher.parse_retries} re-asks of an answer that is "
             "not the JSON asked for" + (", and one judge request for each answer that passes its checks"
                                         if p.teacher.judge else "")]
    if e["max_budget_usd"] is not None and e["cost_usd_at_most"] is not None and e["cost_usd_at_most"] > e["max_budget_usd"]:
        lines.append(f"max_budget_usd ${e['max_budget_usd']:.4f} may stop the run before every request is sent")
    tokens = e["input_tokens"] + e["output_tokens_at_most"]
    if e["max_total_tokens"] is not None and tokens > e["max_total_tokens"]:
        lines.append(f"max_total_tokens {e['max_total_tokens']:,} may stop the run before every request is sent")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    stage_main("generate", __doc__, argv, lambda params: run(params.generate, params.paths),
               modes={"--estimate": ("print the teacher's requests, tokens and cost at most, send nothing, write nothing",
                                     lambda params: estimate(params.generate, params.paths))})


if __name__ == "__main__":
    main()
