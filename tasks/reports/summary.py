"""Print a summary of the last run from its reports: examples per category, validation, split,
and the base and tuned models' figures on the generated test split and on the golden set side
by side, and QA closed-book and with retrieval.

    python -m tasks.reports.summary              # for the terminal (make run prints it)
    python -m tasks.reports.summary --markdown   # the metrics as the Markdown tables README shows
"""
from __future__ import annotations

import argparse
import json
import sys

from tasks.core.config import ParamsError, load_params
from tasks.core.io import InputError
from tasks.core.layout import Paths

# The metrics the tables show, per category, in this order (loss: lower is better).
SHOWN = {
    "text-to-graphql": ["loss", "parsed", "valid", "correct", "exact_match", "shape_match"],
    "tool_use": ["loss", "tool_name_match", "tool_call_exact", "unparsed"],
    "qa": ["loss", "key_facts", "token_f1", "rouge_l"],
    "conversation": ["loss", "token_f1", "rouge_l"],
}
WAYS = (("base", "base"), ("base+rag", "base + RAG"), ("tuned", "tuned"), ("tuned+rag", "tuned + RAG"))


class MissingReports(InputError):
    """A report a complete run leaves is not there: no run yet, or one that stopped part way."""


def load_reports(paths: Paths) -> dict:
    """The reports a complete run leaves; a missing one is a MissingReports that says what to run."""
    try:
        return {"generate": json.loads(paths.report("generate").read_text()),
                "validate": json.loads(paths.report("validate").read_text()),
                "split": json.loads(paths.report("split").read_text()),
                "evaluate": json.loads(paths.report("evaluate").read_text()),
                "metrics": json.loads(paths.metrics.read_text()),
                "stages": stage_reports(paths)}
    except FileNotFoundError as e:
        raise MissingReports(f"no complete run yet ({e.filename} missing); run `make run` or `dvc repro`") from None


def stage_reports(paths: Paths) -> list[dict]:
    """Every stage report in reports/, in the order the stages finished."""
    files = sorted(paths.reports.glob("*.json"), key=lambda f: f.stat().st_mtime)
    return [r for r in (json.loads(f.read_text()) for f in files) if isinstance(r, dict) and "stage" in r]


def _cell(row: dict | None, key: str) -> str:
    value = (row or {}).get(key)
    if value is None:
        return ""
    n = (row or {}).get(f"n_{key}")
    return f"{value:.2f}" + (f" ({n})" if n is not None else "")


def _keys(cat: str, *rows: dict | None) -> list[str]:
    present = {k for r in rows if r for k in r}
    return [k for k in SHOWN.get(cat, []) if k in present] or sorted(present - {"n", "perplexity"})


def markdown_table(metrics: dict) -> str:
    """The generated test split and the golden set side by side, base and tuned, one row per
    category and metric: the gap between the two sets is the first thing to read. A figure
    over fewer rows than the category has says how many in brackets (a QA answer with no number,
    shortcut or emphasised name has no key facts to check).

    >>> m = {"base": {"qa": {"n": 3, "loss": 2.0, "token_f1": 0.1}}, "tuned": {"qa": {"n": 3, "loss": 1.0, "token_f1": 0.5}}}
    >>> print(markdown_table({**m, "golden": {"base": {"qa": {"n": 30, "loss": 2.5, "token_f1": 0.1, "key_facts": 0.2}},
    ...                                        "tuned": {"qa": {"n": 30, "loss": 2.0, "token_f1": 0.2, "key_facts": 0.3}}}}))
    | category | metric | test: base | test: tuned | golden: base | golden: tuned |
    | --- | --- | ---: | ---: | ---: | ---: |
    | qa (test 3, golden 30) | loss | 2.00 | 1.00 | 2.50 | 2.00 |
    |  | key_facts |  |  | 0.20 | 0.30 |
    |  | token_f1 | 0.10 | 0.50 | 0.10 | 0.20 |
    """
    golden = metrics.get("golden") or {"base": {}, "tuned": {}}
    lines = ["| category | metric | test: base | test: tuned | golden: base | golden: tuned |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for cat in sorted(set(metrics["tuned"]) | set(golden["tuned"])):
        rows = (metrics["base"].get(cat), metrics["tuned"].get(cat), golden["base"].get(cat), golden["tuned"].get(cat))
        label = f"{cat} (test {(rows[1] or {}).get('n', 0)}, golden {(rows[3] or {}).get('n', 0)})"
        for i, key in enumerate(_keys(cat, *rows)):
            lines.append(f"| {label if i == 0 else ''} | {key} | " + " | ".join(_cell(r, key) for r in rows) + " |")
    return "\n".join(lines)


def four_way_table(four_way: dict) -> str:
    """QA four ways: each model closed-book and with the retrieved doc chunks, per QA set, and the
    retriever's recall@k (how often the chunks it gave held the answer).

    >>> print(four_way_table({"golden": {"n": 30, "k": 2, "recall_at_k": 0.8,
    ...     "base": {"key_facts": 0.1, "token_f1": 0.2}, "base+rag": {"key_facts": 0.4, "token_f1": 0.3},
    ...     "tuned": {"key_facts": 0.3, "token_f1": 0.4}, "tuned+rag": {"key_facts": 0.5, "token_f1": 0.5}}}))
    | QA set (n) | metric | base | base + RAG | tuned | tuned + RAG |
    | --- | --- | ---: | ---: | ---: | ---: |
    | golden (30) | key_facts | 0.10 | 0.40 | 0.30 | 0.50 |
    |  | token_f1 | 0.20 | 0.30 | 0.40 | 0.50 |
    |  | recall@2 |  | 0.80 |  | 0.80 |
    """
    lines = ["| QA set (n) | metric | " + " | ".join(label for _, label in WAYS) + " |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for name, row in four_way.items():
        keys = [k for k in ("key_facts", "token_f1", "rouge_l") if any(k in (row.get(w) or {}) for w, _ in WAYS)]
        for i, key in enumerate(keys):
            label = f"{name} ({row['n']})" if i == 0 else ""
            lines.append(f"| {label} | {key} | " + " | ".join(_cell(row.get(w), key) for w, _ in WAYS) + " |")
        if row.get("recall_at_k") is not None:
            recall = f"{row['recall_at_k']:.2f}"
            lines.append(f"|  | recall@{row['k']} | " + " | ".join(["", recall, "", recall]) + " |")
    return "\n".join(lines)


def set_table(metrics: dict, four_way: dict, title: str) -> str:
    """One hand-written set's figures (python -m tasks.evaluate --eval-set FILE)."""
    lines = [f"# {title}", "", "| category (n) | metric | base | tuned |", "| --- | --- | ---: | ---: |"]
    for cat in metrics["tuned"]:
        base, tuned = metrics["base"][cat], metrics["tuned"][cat]
        label = f"{cat} ({tuned['n']})"
        for i, key in enumerate(_keys(cat, base, tuned)):
            lines.append(f"| {label if i == 0 else ''} | {key} | {_cell(base, key)} | {_cell(tuned, key)} |")
    if four_way:
        lines += ["", four_way_table(four_way)]
    return "\n".join(lines)


def fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def delta_table(now: dict, then: dict, then_label: str, now_label: str) -> list[str]:
    """One row per category and shown metric: `then`, `now` and the difference."""
    lines = [f"| category (n) | metric | {then_label} | {now_label} | delta |", "| --- | --- | ---: | ---: | ---: |"]
    for cat, row in now.items():
        keys = [k for k in SHOWN.get(cat, []) if k in row] or [k for k in row if k not in ("n", "perplexity")]
        label = f"{cat} ({row.get('n', '?')})"
        for i, key in enumerate(keys):
            old = (then.get(cat) or {}).get(key)
            diff = f"{row[key] - old:+.3f}" if isinstance(old, (int, float)) else ""
            lines.append(f"| {label if i == 0 else ''} | {key} | {fmt(old) if old is not None else ''} | "
                         f"{fmt(row[key])} | {diff} |")
    return lines


def run_markdown(reports: dict, previous: dict | None = None, previous_name: str | None = None) -> str:
    """The run summary a person reads in the dashboard: examples per category, the validation
    verdict, base vs tuned per category with deltas, and the tuned model against the previous run's
    (`previous`: that run's metrics.json)."""
    gen, val, metrics = reports["generate"], reports["validate"], reports["metrics"]
    kept = (val.get("kept_by_category") or {})
    lines = ["# tunesmith run", "", "## Examples per category", "",
             "| category | target | produced | kept after validation | short because |", "| --- | ---: | ---: | ---: | --- |"]
    for cat, row in gen["categories"].items():
        lines.append(f"| {cat} | {row['target']} | {row['produced']} | {kept.get(cat, '')} | {row.get('why', '')} |")
    failing = [e for e in val.get("expectations", []) if not e["success"]]
    lines += ["", f"## Validation: {'passed' if val['success'] else 'FAILED'}", "",
              f"{val['n_expectations']} expectations; {val['n_out']} examples kept, {val['n_rejected']} rejected "
              f"(duplicates: {val['duplicates']['exact']} exact, {val['duplicates']['near']} near)."]
    lines += [f"- failing: {e['suite']}: {e['expectation']} ({e['unexpected_count']} rows)" for e in failing]
    lines += ["", "## Generated test split vs golden set (hand-written), base and tuned", "", markdown_table(metrics)]
    if metrics.get("qa_four_way"):
        lines += ["", "## QA four ways: closed-book and with retrieved doc chunks (BM25)", "",
                  four_way_table(metrics["qa_four_way"])]
    lines += ["", "## Base vs tuned (generated test split)", ""] + delta_table(metrics["tuned"], metrics["base"], "base", "tuned")
    worse = reports["evaluate"].get("tuned_not_better")
    lines += ["", f"tuned_not_better: {', '.join(worse) if worse else 'none'}"]
    if reports["evaluate"].get("golden_tuned_not_better") is not None:
        lines += [f"golden_tuned_not_better: {', '.join(reports['evaluate']['golden_tuned_not_better']) or 'none'}"]
    if previous is not None:
        lines += ["", f"## Tuned, against the previous run{f' ({previous_name})' if previous_name else ''}", ""]
        lines += delta_table(metrics["tuned"], previous.get("tuned", {}), "previous", "this run")
    return "\n".join(lines) + "\n"


def terminal(reports: dict) -> str:
    gen, val, split, metrics = reports["generate"], reports["validate"], reports["split"], reports["metrics"]
    lines = ["", "Examples per category (target / produced):"]
    for cat, row in gen["categories"].items():
        note = f"  short by {row['shortfall']}: {row['why']}" if row.get("shortfall") else ""
        lines.append(f"  {cat:16} {row['target']:5} / {row['produced']:5}{note}")
    for cat, g in gen.get("generators", {}).items():
        if g.get("generator_bugs"):
            lines.append(f"  {cat}: generator bugs: {sum(g['generator_bugs'].values())} drafts left out "
                         f"(a tunesmith bug; reports/generate.json lists them by message)")
        if g.get("defects"):
            lines.append(f"  {cat}: {sum(g['defects'].values())} of {g['drafted']} drafted pairs left out for defects: "
                         + ", ".join(f"{k} {v}" for k, v in g["defects"].items()))
        if g.get("undraftable"):
            lines.append(f"  {cat}: tools left out, no valid arguments drawn: {', '.join(g['undraftable'])}")
    verdict = "passed" if val["success"] else "FAILED"
    lines += ["", f"Validation: {verdict}, {val['n_expectations']} expectations; "
                  f"{val['n_out']} kept, {val['n_rejected']} rejected",
              f"Split: {split['splits']}"]
    sets = [("Generated test split", metrics)] + ([("Golden set (hand-written)", metrics["golden"])] if metrics.get("golden") else [])
    for title, found in sets:
        lines += ["", f"{title}, base -> tuned:"]
        for cat in found["tuned"]:
            base, tuned = found["base"][cat], found["tuned"][cat]
            parts = [f"{k} {base[k]:.3g} -> {tuned[k]:.3g}" for k in _keys(cat, base, tuned) if k in base and k in tuned]
            lines.append(f"  {cat:16} (n={tuned['n']}) " + ", ".join(parts))
    for name, row in (metrics.get("qa_four_way") or {}).items():
        ways = ", ".join(f"{label} {row[w]['key_facts']:.2f}" for w, label in WAYS if "key_facts" in (row.get(w) or {}))
        if ways:
            recall = "no docs to retrieve from" if row.get("recall_at_k") is None else \
                f"retrieval recall@{row['k']} {row['recall_at_k']:.2f}"
            lines.append(f"  QA {name} (n={row['n']}) key facts: {ways}; {recall}")
    timed = [f"{r['stage']} {r['seconds']:.0f}" for r in reports["stages"] if "seconds" in r]
    if timed:
        lines += ["", "Seconds per stage (the last time each ran): " + ", ".join(timed)]
    train = next((r for r in reports["stages"] if r["stage"] == "train"), {})
    if train.get("trained_tokens_per_second"):
        lines.append(f"Training: {train['trained_tokens_per_second']:.0f} trained tokens/s on {train['base_model'].get('model', 'tiny')}")
    worse = reports["evaluate"].get("tuned_not_better")
    if worse:
        lines.append(f"The tuned model does not beat the base model on: {', '.join(worse)}")
    elif worse is not None:
        lines.append("The tuned model beats the base model on every metric.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tasks.reports.summary", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", default="params.yaml", help="the config file (default: %(default)s)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the metrics as Markdown tables: test vs golden, and QA four ways")
    args = parser.parse_args(argv)
    try:
        paths = load_params(args.params).paths
    except ParamsError as e:
        sys.exit(f"tunesmith summary: error: {e}")
    try:
        reports = load_reports(paths)
    except MissingReports as e:
        sys.exit(f"tunesmith: {e}")
    metrics = reports["metrics"]
    if args.markdown:
        four = metrics.get("qa_four_way")
        print(markdown_table(metrics) + (f"\n\n{four_way_table(four)}" if four else ""))
    else:
        print(terminal(reports))


if __name__ == "__main__":
    main()
