"""Gate the examples with Great Expectations suites; drop duplicates; keep every rejected row with its reasons.

Reads:  paths.generated, generate's report, the suites in validate.suites (GX suites in JSON)
Writes: paths.validated, paths.rejected, paths.coverage, paths.validation_page;
        on failure the report and page in paths.failures
Params: validate.*, generate.quotas

Suites, by file name in validate.suites: examples.json for every row, <category>.json for the rows
of that category, mix.json for the category mix (one row per category: its share against the
quotas' share, each quota capped by what generate could make). Row-level facts are computed in
polars and handed to GX as a pandas frame.
Exact and near duplicates (validate.near_dup_threshold, MinHash LSH) are dropped first, each kept
in paths.rejected with the id it repeats. A row failing any expectation goes to paths.rejected
with the expectations it failed. An expectation that fails outright (more bad rows than its
`mostly` allows) stops the stage, naming the expectation and example ids; the failure reports are
written outside the stage's outputs so that they survive.
"""
from __future__ import annotations

from collections import Counter
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tasks.core import workers
from tasks.core.config import CATEGORIES, ValidateParams
from tasks.core.io import (
    InputError,
    Spool,
    dump_line,
    no_cycle_collection,
    parse_lines,
    raw_chunks,
    read_json,
    write_json,
    write_lines,
    write_text,
)
from tasks.core.layout import Paths
from tasks.core.records import Example, call_problem
from tasks.core.stage import StageFailed, stage_main
from tasks.quality import dedup
from tasks.quality.redact import sweep
from tasks.reports.validation_page import validation_html

SAMPLE_IDS = 10


def roles_ok(messages: list[dict]) -> bool:
    """System first (optional), then a user turn; ends on the assistant; tool results answer calls.

    >>> roles_ok([{"role": "user"}, {"role": "assistant"}]), roles_ok([{"role": "assistant"}])
    (True, False)
    """
    roles = [m.get("role") for m in messages]
    if "system" in roles[1:] or not roles:
        return False
    body = roles[1:] if roles[0] == "system" else roles
    if not body or body[0] != "user" or body[-1] != "assistant":
        return False
    open_calls: set[str] = set()
    for m in messages:
        if m.get("role") == "assistant":
            open_calls |= {c.get("id") for c in m.get("tool_calls") or []}
        elif m.get("role") == "tool" and m.get("tool_call_id") not in open_calls:
            return False
        elif m.get("role") not in ("system", "user", "tool"):
            return False
    return True


def tool_calls_ok(ex: Example) -> bool | None:
    """None without tool calls; else every call names a known tool and has JSON-object arguments."""
    calls = [c for m in ex["messages"] for c in m.get("tool_calls") or []]
    if not calls:
        return None
    known = {t["function"]["name"] for t in ex.get("tools") or []}
    return all(call_problem(c.get("function", {}).get("name"), c.get("function", {}).get("arguments"), known) is None
               for c in calls)


FACTS_SCHEMA = {"row": "Int64", "id": "String", "category": "String", "n_messages": "Int64", "roles_ok": "Boolean",
                "no_empty_turns": "Boolean", "total_chars": "Int64", "prompt_chars": "Int64", "reply_chars": "Int64",
                "has_tools": "Boolean", "graphql_valid": "Boolean", "tool_calls_ok": "Boolean"}


def fact_row(ex: Example) -> tuple:
    """An example's facts, in FACTS_SCHEMA's order after `row`."""
    messages = ex.get("messages") or []
    first_user = next((m.get("content") or "" for m in messages if m.get("role") == "user"), "")
    first_reply = next((m for m in messages if m.get("role") == "assistant"), {})
    return (
        ex.get("id"),
        ex.get("category"),
        len(messages),
        roles_ok(messages),
        all((m.get("content") or "").strip() or m.get("tool_calls") for m in messages),
        sum(len(m.get("content") or "") for m in messages),
        len(first_user),
        len(first_reply.get("content") or ""),
        bool(ex.get("tools")),
        ex.get("meta", {}).get("graphql_valid") if ex.get("category") == "text-to-graphql" else None,
        tool_calls_ok(ex),
    )


def facts_frame(rows: list[tuple]):
    """fact_row()s as a polars DataFrame, numbered by `row` in order."""
    import polars as pl

    schema = {name: getattr(pl, kind) for name, kind in FACTS_SCHEMA.items()}
    columns = list(zip(*rows)) if rows else [[] for _ in range(len(schema) - 1)]
    return pl.DataFrame([pl.Series("row", range(len(rows)), dtype=pl.Int64)]
                        + [pl.Series(name, values, dtype=kind) for (name, kind), values in zip(list(schema.items())[1:], columns)])


def facts(examples: list[Example]):
    """One row of facts per example, as a polars DataFrame."""
    return facts_frame([fact_row(ex) for ex in examples])


def mix_facts(frame, targets: dict[str, int]):
    """One row per category with a target: its share of the examples, the share its target asks
    for, and the difference. Targets are what generate could make of each quota (a quota the
    sources cannot fill is reported by generate), so this catches validation skewing the mix."""
    import polars as pl

    counts = dict(frame.group_by("category").len().iter_rows())
    total = sum(counts.values()) or 1
    wanted = {c: n for c, n in targets.items() if n > 0}
    wanted_total = sum(wanted.values()) or 1
    rows = [{"id": c, "share": counts.get(c, 0) / total, "target_share": n / wanted_total,
             "deviation": abs(counts.get(c, 0) / total - n / wanted_total)}
            for c, n in sorted(wanted.items())]
    return pl.DataFrame(rows, schema={"id": pl.String, "share": pl.Float64,
                                      "target_share": pl.Float64, "deviation": pl.Float64})


def mix_targets(quotas: dict[str, int], generate_report: dict | None) -> dict[str, int]:
    """Each category's quota, capped by what generate produced for it.

    >>> mix_targets({"qa": 100, "tool_use": 50}, {"categories": {"qa": {"produced": 80}, "tool_use": {"produced": 60}}})
    {'qa': 80, 'tool_use': 50}
    """
    report = generate_report or {}
    produced = {c: row["produced"] for c, row in report.get("categories", {}).items()}
    skills = report.get("skills", {}).values()
    targets = {}
    for c, q in quotas.items():
        made_by_skills = sum(s["produced"] for s in skills if s["category"] == c)
        targets[c] = min(q, produced.get(c, q) - made_by_skills) + \
            sum(min(s["target"], s["produced"]) for s in skills if s["category"] == c)
    return targets


def load_suite(path: Path):
    """The GX suite in `path`; every expectation in the file must survive loading (GX drops an
    unknown expectation type with only a log line, so we count)."""
    import great_expectations as gx

    spec = read_json(path)
    if not isinstance(spec, dict) or not isinstance(spec.get("expectations"), list) or not spec.get("name"):
        raise InputError(f"{path}: not a GX suite; expected {{\"name\": ..., \"expectations\": [...]}}")
    suite = gx.ExpectationSuite(name=spec["name"], expectations=spec["expectations"])
    if len(suite.expectations) != len(spec["expectations"]):
        loaded = {e.expectation_type for e in suite.expectations}
        dropped = sorted({e.get("type", "?") for e in spec["expectations"]} - loaded) or ["(see log above)"]
        raise InputError(
            f"{path}: {len(spec['expectations'])} expectations in the file but {len(suite.expectations)} loaded; "
            f"GX rejected: {', '.join(dropped)} (a misspelt type or bad kwargs)"
        )
    return suite


def check(frame, suite, name: str) -> list[dict]:
    """Run a suite on a facts frame. One verdict per expectation, with the failing examples' row
    numbers (a frame without a `row` column, such as the mix, fails no example: its verdicts are
    about the whole set)."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("facts").add_dataframe_asset(name)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame.to_pandas(use_pyarrow_extension_array=True)}
    )
    index = ["row", "id"] if "row" in frame.columns else ["id"]
    result = batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index})
    verdicts = []
    for r in result.results:
        cfg = r.expectation_config
        failing = r.result.get("unexpected_index_list") or []
        verdicts.append({
            "suite": name,
            "expectation": cfg.type + (f"({cfg.kwargs['column']})" if "column" in cfg.kwargs else ""),
            "success": bool(r.success),
            "unexpected_count": r.result.get("unexpected_count", 0),
            "rows": sorted({f["row"] for f in failing if "row" in f}),
            "sample_ids": [f["id"] if isinstance(f["id"], str) else None for f in failing[:SAMPLE_IDS]],  # a missing id: None, not pandas NA
            "observed": r.result.get("observed_value"),
        })
    return verdicts


def run_suites(frame, mix, suites_dir: Path) -> list[dict]:
    """examples.json on every row, <category>.json on each category's rows, mix.json on the mix."""
    import polars as pl

    verdicts = check(frame, load_suite(suites_dir / "examples.json"), "examples")
    for category in CATEGORIES:
        path = suites_dir / f"{category}.json"
        rows = frame.filter(pl.col("category") == category)
        if path.exists() and rows.height:
            verdicts += check(rows, load_suite(path), category)
    if (suites_dir / "mix.json").exists() and mix.height:
        verdicts += check(mix, load_suite(suites_dir / "mix.json"), "mix")
    return verdicts


def _import_gx() -> None:
    import great_expectations  # noqa: F401


class Checker:
    """run_suites() in a process of its own, started with the stage: importing Great Expectations
    takes about 2.5 s here, which this overlaps with reading and deduplicating the examples."""

    def __init__(self, executor) -> None:
        self.executor = executor
        executor.submit(_import_gx)

    def verdicts(self, frame, mix, suites_dir: Path) -> list[dict]:
        return self.executor.submit(run_suites, frame, mix, suites_dir).result()


def tally_key(ex: Example) -> tuple:
    """What the coverage table counts an example by: (category, meta.teacher, meta.skill, meta.topic)."""
    meta = ex.get("meta") or {}
    return ex.get("category"), meta.get("teacher"), meta.get("skill"), meta.get("topic")


def coverage_table(generate_report: dict | None, produced: Counter, kept: Counter, rejected_file: str) -> str:
    """Markdown: per category the quota, what was produced, what validation kept, and why a quota was
    missed; then the finer coverage each generator reported (constructs, question kinds, shapes).
    `produced` and `kept` count the examples by tally_key()."""
    def count(tally: Counter, category=None, teacher=None, skill=None, topic=None) -> int:
        wanted = (category, teacher, skill, topic)
        return sum(n for key, n in tally.items() if all(w is None or w == k for w, k in zip(wanted, key)))

    cats = (generate_report or {}).get("categories", {})
    lines = ["# Coverage", "", "| category | target | produced | kept after validation | note |",
             "| --- | ---: | ---: | ---: | --- |"]
    for c in CATEGORIES:
        n_produced, n_kept = count(produced, c), count(kept, c)
        row = cats.get(c, {})
        notes = [row["why"]] if row.get("why") else []
        if n_kept < n_produced:
            notes.append(f"{n_produced - n_kept} rejected: duplicates or failed expectations (see {rejected_file})")
        lines.append(f"| {c} | {row.get('target', '')} | {n_produced} | {n_kept} | {'; '.join(notes)} |")
    jobs = ((generate_report or {}).get("generators", {}).get("teacher") or {}).get("jobs", {})
    for job, (kind, category) in TEACHER_JOBS.items():
        row = jobs.get(job)
        if row and row["target"]:
            lines.append(skill_line(f"teacher {job} ({category})", row["target"], row["ended_by"] and
                                    f"ended by {row['ended_by']}", row, count(produced, teacher=kind),
                                    count(kept, teacher=kind)))
    for name, skill in (generate_report or {}).get("skills", {}).items():
        topics = skill.get("topics") or {}
        only = next(iter(topics.values())) if len(topics) == 1 else None
        lines.append(skill_line(f"skill {name} ({skill['category']})", skill["target"], skill.get("why"), only,
                                count(produced, skill=name), count(kept, skill=name)))
        for topic, job in topics.items() if len(topics) > 1 else ():
            lines.append(skill_line(f"skill {name} / {topic}", job["target"], job["ended_by"] and f"ended by {job['ended_by']}",
                                    job, count(produced, skill=name, topic=topic), count(kept, skill=name, topic=topic)))
    for name, gen in (generate_report or {}).get("generators", {}).items():
        for key in ("constructs", "arg_kinds", "kinds", "shapes"):
            if gen.get(key):
                lines += ["", f"## {name}: {key.replace('_', ' ')}", "", "| | examples |", "| --- | ---: |"]
                lines += [f"| {k} | {v} |" for k, v in sorted(gen[key].items())]
    return "\n".join(lines) + "\n"


TEACHER_JOBS = {"paraphrases": ("paraphrase", "text-to-graphql"), "qa": ("qa", "qa"),
                "tool_dialogues": ("tool_rewrite", "tool_use")}  # job -> (its examples' meta.teacher, their category)


def skill_line(label: str, target: int, why: str | None, job: dict | None, produced: int, kept: int) -> str:
    """A coverage row for a teacher's job (a skill, a sub-topic, the paraphrases ...): what was
    wanted, made and kept; why it is short; and, from its job's row, what was asked and the
    rejections by reason."""
    notes = [why] if why else []
    if job and job.get("rejected"):
        notes.append(f"{job['attempts']} asked; rejected: " + ", ".join(f"{r} {n}" for r, n in job["rejected"].items()))
    if kept < produced:
        notes.append(f"{produced - kept} rejected by validation")
    return f"| {label} | {target} | {produced} | {kept} | {'; '.join(notes)} |"


CHUNK = 10_000  # examples parsed at a time: a million never sit in memory as Python objects at once


@dataclass
class Scanned:
    """What validate keeps of each generated example (redacted by the late sweep), by row."""
    lines: list[bytes] | Spool = field(default_factory=list)  # the example as dump_line() renders it: what the outputs hold
    ids: list = field(default_factory=list)
    digests: list[bytes] = field(default_factory=list)  # dedup.digest(dedup.example_text())
    facts: list[tuple] = field(default_factory=list)  # fact_row()
    tally: list[tuple] = field(default_factory=list)  # tally_key()
    late: Counter = field(default_factory=Counter)  # what the late sweep redacted, by kind
    sketches: list[tuple[int, dict]] = field(default_factory=list)  # (first row, dedup.sketches()) by chunk

    def example(self, row: int) -> Example:
        return orjson.loads(self.lines[row])


def scan_chunk(path: Path, first: int, lines: list[str], threshold: float, num_perm: int) -> Scanned:
    """One chunk of scan() (lines numbered from `first`): parse, sweep, and keep what the stage
    needs of each row, with the chunk's near-duplicate sketches."""
    out = Scanned()
    texts = []
    with no_cycle_collection():  # in a worker too
        for ex in sweep(parse_lines(path, first, lines), out.late):
            out.lines.append(dump_line(ex))
            out.ids.append(ex.get("id"))  # a row without one is the expectations' to reject, not a crash
            texts.append(dedup.example_text(ex))
            out.facts.append(fact_row(ex))
            out.tally.append(tally_key(ex))
    out.digests = [dedup.digest(t) for t in texts]
    out.sketches = [(0, dedup.sketches(texts, threshold, num_perm))]
    return out


def scan(path: Path, p: ValidateParams, pool: Executor, spool: Spool) -> Scanned:
    """Read the generated examples a chunk at a time; sweep each chunk for PII
    and secrets once more (sources were redacted in parse, but generators and a teacher write text
    too) and keep per row only what the stage needs, with the rows' near-duplicate sketches; the
    rows themselves go to `spool`. The chunks are scanned by `pool`'s workers, and taken in order."""
    out = Scanned(lines=spool)
    jobs = ((path, first, lines, p.near_dup_threshold, p.num_perm) for first, lines in raw_chunks(path, CHUNK))
    for part in workers.in_order(pool, scan_chunk, jobs):
        out.sketches += [(len(out.lines) + first_row, sketch) for first_row, sketch in part.sketches]
        for line in part.lines:
            out.lines.append(line)
        for mine, theirs in ((out.ids, part.ids), (out.digests, part.digests), (out.facts, part.facts),
                             (out.tally, part.tally)):
            mine += theirs
        out.late.update(part.late)
    return out


def rejections(verdicts: list[dict]) -> dict[int, list[str]]:
    """Row number -> every expectation that row failed, as "suite: expectation"."""
    reasons: dict[int, list[str]] = {}
    for v in verdicts:
        for row in v["rows"]:
            reasons.setdefault(row, []).append(f"{v['suite']}: {v['expectation']}")
    return reasons


def build_report(p: ValidateParams, n_in: int, n_examples: int, duplicates: dict[int, str], reasons, verdicts,
                 late: Counter) -> dict:
    return {
        "suites": str(p.suites),
        "n_expectations": len(verdicts),
        "n_in": n_in,
        "n_out": n_examples - len(reasons),
        "n_rejected": len(reasons) + len(duplicates),
        "duplicates": {"exact": sum(1 for r in duplicates.values() if r.startswith("exact")),
                       "near": sum(1 for r in duplicates.values() if r.startswith("near"))},
        "success": all(v["success"] for v in verdicts),
        "redacted_late": dict(sorted(late.items())),
        "expectations": [{k: v[k] for k in ("suite", "expectation", "success", "unexpected_count", "sample_ids")}
                         for v in verdicts],
    }


def fail(report: dict, verdicts: list[dict], page: str, p: ValidateParams, paths: Paths) -> None:
    """Write the failure report where it survives (outside the stage's outs), then stop the stage."""
    failed = [v for v in verdicts if not v["success"]]
    write_json(paths.failure_report("validate"), report)
    write_text(paths.failure_page("validate"), page)
    lines = [f"{len(failed)} of {len(verdicts)} expectations failed (suites in {p.suites}):"]
    for v in failed:
        ids = ", ".join(str(i) for i in v["sample_ids"]) or "(table-level)"
        lines.append(f"  {v['suite']}: {v['expectation']}: {v['unexpected_count']} rows, e.g. {ids}")
    lines.append(f"Full report: {paths.failure_report('validate')} (and {paths.failure_page('validate').name} "
                 "beside it). Fix the data or the suite, then rerun.")
    raise StageFailed("\n".join(lines))


def rejected_line(line: bytes, reasons: list[str]) -> bytes:
    """{"example": ..., "reasons": [...]} as dump_line() renders it, from the example's own line."""
    return b'{"example":' + line + b',"reasons":' + dump_line(reasons) + b"}"


def run(p: ValidateParams, quotas: dict[str, int], paths: Paths) -> dict:
    size = paths.generated.stat().st_size if paths.generated.is_file() else None
    with no_cycle_collection(), workers.pool(1) as gx, workers.pool(input_bytes=size) as pool, \
            Spool(paths.validated.parent) as spool:
        return _run(p, quotas, paths, Checker(gx), pool, spool)


def _run(p: ValidateParams, quotas: dict[str, int], paths: Paths, checker: Checker, pool: Executor, spool: Spool) -> dict:
    generated = scan(paths.generated, p, pool, spool)
    duplicates = dedup.duplicates(generated.digests, dedup.join_sketches(generated.sketches),
                                  lambda i: dedup.example_text(generated.example(i)),
                                  lambda i: dedup.prompt_text(generated.example(i)),
                                  generated.ids.__getitem__, p.near_dup_threshold)
    del generated.digests, generated.sketches
    rows = [i for i in range(len(generated.lines)) if i not in duplicates]  # the examples left: row k is generated row rows[k]
    generate_report = read_json(paths.report("generate")) if paths.report("generate").exists() else None
    frame = facts_frame([generated.facts[i] for i in rows])
    del generated.facts
    verdicts = checker.verdicts(frame, mix_facts(frame, mix_targets(quotas, generate_report)), p.suites)
    reasons = rejections(verdicts)
    report = build_report(p, len(generated.lines), len(rows), duplicates, reasons, verdicts, generated.late)
    rejected = [(i, [why]) for i, why in sorted(duplicates.items())] + [(rows[k], reasons[k]) for k in sorted(reasons)]
    shown = {i for v in verdicts for i in v["sample_ids"]}
    by_id = {generated.ids[i]: generated.example(i) for i in range(len(generated.ids))
             if generated.ids[i] in shown}  # the last example of an id, as a dict of all would hold
    page = validation_html(report, verdicts, by_id, [{"reasons": why, "example": generated.example(i)}
                                                     for i, why in rejected[:50]], paths.rejected.name, len(rejected))
    if not report["success"]:
        fail(report, verdicts, page, p, paths)
    paths.failure_report("validate").unlink(missing_ok=True)  # a stale failure from an earlier run no longer applies
    paths.failure_page("validate").unlink(missing_ok=True)

    kept = [rows[k] for k in range(len(rows)) if k not in reasons]
    write_lines(paths.validated, (generated.lines[i] for i in kept))
    write_lines(paths.rejected, (rejected_line(generated.lines[i], why) for i, why in rejected))
    write_text(paths.coverage, coverage_table(generate_report, Counter(generated.tally),
                                              Counter(generated.tally[i] for i in kept), paths.rejected.name))
    write_text(paths.validation_page, page)
    report["kept_by_category"] = dict(sorted(Counter(generated.tally[i][0] for i in kept).items()))
    report["rejected_by_reason"] = dict(Counter(r for _, why in rejected for r in why
                                                if not r.startswith(("exact duplicate", "near duplicate"))))
    return report


def main(argv: list[str] | None = None) -> None:
    stage_main("validate", __doc__, argv,
               lambda params: run(params.validate_, params.generate.quotas, params.paths))


if __name__ == "__main__":
    main()
