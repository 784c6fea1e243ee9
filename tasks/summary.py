"""Print a summary of the last run from its reports: examples per category, validation, split,
and the test metrics of the base and the tuned model.

    python -m tasks.summary              # for the terminal (make run prints it)
    python -m tasks.summary --markdown   # the metrics as the Markdown table README shows
"""
from __future__ import annotations

import argparse
import json
import sys

from tasks.config import ParamsError, load_params
from tasks.layout import Paths

# The metrics README's table shows, per category, in this order (loss: lower is better).
SHOWN = {
    "text-to-graphql": ["loss", "parsed", "valid", "exact_match", "shape_match"],
    "tool_use": ["loss", "tool_name_match", "tool_call_exact"],
    "qa": ["loss", "token_f1", "rouge_l"],
    "conversation": ["loss", "token_f1", "rouge_l"],
}


def load_reports(paths: Paths) -> dict:
    """The reports a complete run leaves; a missing one ends the program with what to run."""
    try:
        return {"generate": json.loads(paths.report("generate").read_text()),
                "validate": json.loads(paths.report("validate").read_text()),
                "split": json.loads(paths.report("split").read_text()),
                "evaluate": json.loads(paths.report("evaluate").read_text()),
                "metrics": json.loads(paths.metrics.read_text()),
                "stages": stage_reports(paths)}
    except FileNotFoundError as e:
        sys.exit(f"tunesmith: no complete run yet ({e.filename} missing); run `make run` or `dvc repro`")


def stage_reports(paths: Paths) -> list[dict]:
    """Every stage report in reports/, in the order the stages finished."""
    files = sorted(paths.reports.glob("*.json"), key=lambda f: f.stat().st_mtime)
    return [r for r in (json.loads(f.read_text()) for f in files) if isinstance(r, dict) and "stage" in r]


def markdown_table(metrics: dict) -> str:
    """Base and tuned side by side, one row per category and metric.

    >>> print(markdown_table({"base": {"qa": {"n": 3, "loss": 2.0, "token_f1": 0.1, "rouge_l": 0.2}},
    ...                       "tuned": {"qa": {"n": 3, "loss": 1.0, "token_f1": 0.5, "rouge_l": 0.25}}}))
    | category (n) | metric | base | tuned |
    | --- | --- | ---: | ---: |
    | qa (3) | loss | 2.00 | 1.00 |
    |  | token_f1 | 0.10 | 0.50 |
    |  | rouge_l | 0.20 | 0.25 |
    """
    lines = ["| category (n) | metric | base | tuned |", "| --- | --- | ---: | ---: |"]
    for cat, tuned in metrics["tuned"].items():
        base = metrics["base"][cat]
        keys = [k for k in SHOWN.get(cat, []) if k in tuned] or [k for k in tuned if k not in ("n", "perplexity")]
        for i, key in enumerate(keys):
            label = f"{cat} ({tuned['n']})" if i == 0 else ""
            lines.append(f"| {label} | {key} | {base[key]:.2f} | {tuned[key]:.2f} |")
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
    lines += ["", "## Base vs tuned (test split)", ""] + delta_table(metrics["tuned"], metrics["base"], "base", "tuned")
    worse = reports["evaluate"].get("tuned_not_better")
    lines += ["", f"tuned_not_better: {', '.join(worse) if worse else 'none'}"]
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
              f"Split: {split['splits']}", "", "Test metrics, base -> tuned:"]
    for cat in metrics["tuned"]:
        base, tuned = metrics["base"][cat], metrics["tuned"][cat]
        parts = [f"{k} {base[k]:.3g} -> {tuned[k]:.3g}" for k in tuned if k not in ("n", "perplexity")]
        lines.append(f"  {cat:16} (n={tuned['n']}) " + ", ".join(parts))
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
    parser = argparse.ArgumentParser(prog="python -m tasks.summary", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", default="params.yaml", help="the config file (default: %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print the metrics as a Markdown table")
    args = parser.parse_args(argv)
    try:
        paths = load_params(args.params).paths
    except ParamsError as e:
        sys.exit(f"tunesmith summary: error: {e}")
    reports = load_reports(paths)
    print(markdown_table(reports["metrics"]) if args.markdown else terminal(reports))


if __name__ == "__main__":
    main()
