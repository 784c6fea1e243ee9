"""Print a short summary of the last run from reports/: examples per category, validation, metrics.

    python -m tasks.summary
"""
from __future__ import annotations

import json
import sys

from tasks.config import load_params


def main() -> None:
    paths = load_params().paths
    try:
        gen = json.loads(paths.report("generate").read_text())
        val = json.loads(paths.report("validate").read_text())
        split = json.loads(paths.report("split").read_text())
        metrics = json.loads(paths.metrics.read_text())
    except FileNotFoundError as e:
        sys.exit(f"tunesmith: no complete run yet ({e.filename} missing); run `make run` or `dvc repro`")
    print("\nExamples per category (target / produced):")
    for cat, row in gen["categories"].items():
        note = f"  short by {row['shortfall']}: {row['why']}" if row.get("shortfall") else ""
        print(f"  {cat:16} {row['target']:5} / {row['produced']:5}{note}")
    verdict = "passed" if val["success"] else "FAILED"
    print(f"\nValidation: {verdict}, {val['n_expectations']} expectations; "
          f"{val['n_out']} kept, {val['n_rejected']} rejected")
    print(f"Split: {split['splits']}")
    print("\nTest metrics, base -> tuned:")
    for cat in metrics["tuned"]:
        base, tuned = metrics["base"][cat], metrics["tuned"][cat]
        parts = [f"{k} {base[k]:.3g} -> {tuned[k]:.3g}" for k in tuned if k not in ("n", "perplexity")]
        print(f"  {cat:16} (n={tuned['n']}) " + ", ".join(parts))
    worse = json.loads(paths.report("evaluate").read_text()).get("tuned_not_better")
    if worse:
        print(f"The tuned model does not beat the base model on: {', '.join(worse)}")
    elif worse is not None:
        print("The tuned model beats the base model on every metric.")


if __name__ == "__main__":
    main()
