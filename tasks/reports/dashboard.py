"""What the Prefect dashboard shows of a run, as data: the artifact keys (flows/pipeline.py
publishes under them; the tests and flows/screenshots.py read them) and each artifact's content,
rendered from the stage reports. The flow only publishes what this module renders."""
from __future__ import annotations

import base64
from pathlib import Path

RUN_SUMMARY = "run-summary"      # Markdown: the run against the previous one (summary.run_markdown)
RUN_METRICS = "run-metrics"      # metrics.json of the run, for the next run to compare against
COVERAGE = "coverage"            # Markdown: quotas, produced and kept per category
VALIDATION = "validation"        # a table: every expectation's verdict
LOSS_CURVE = "loss-curve"        # an image: the train and validation loss
PUBLISHED = "published-results"  # which results (dvc.lock's hash) a run published last


def report_key(stage: str) -> str:
    return f"{stage}-report"


def progress_key(stage: str) -> str:
    return f"{stage}-progress"


def stage_markdown(stage: str, report: dict) -> str:
    """A stage report's top-level figures as a small table (the whole report is in reports/).

    >>> print(stage_markdown("split", {"rows": 3, "splits": {"train": 2}}), end="")
    # split
    <BLANKLINE>
    | | |
    | --- | --- |
    | rows | 3 |
    """
    rows = [f"| {k} | {v} |" for k, v in report.items() if isinstance(v, (int, float, str, bool)) or v is None]
    return f"# {stage}\n\n| | |\n| --- | --- |\n" + "\n".join(rows) + "\n"


def validation_rows(validate_report: dict) -> list[dict]:
    """Each expectation's verdict, as the rows of the dashboard's table."""
    return [{k: str(e[k]) for k in ("suite", "expectation", "success", "unexpected_count")}
            for e in validate_report.get("expectations", [])]


def svg_data_url(path: Path) -> str:
    """An SVG as a data: URL, so the dashboard shows it with no network."""
    return f"data:image/svg+xml;base64,{base64.b64encode(path.read_bytes()).decode()}"
