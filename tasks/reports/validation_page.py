"""The validation report as one self-contained HTML page: no scripts, no fonts, no CDN, so it
renders the same offline, in a browser or in CI artifacts."""
from __future__ import annotations

from html import escape

SAMPLE_ROWS = 5
STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.ok{color:#176f2c;font-weight:600}.fail{color:#b00020;font-weight:600}code{font-size:12px}"""


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _prompt(ex: dict | None) -> str:
    if not ex:
        return ""
    text = next((m.get("content") or "" for m in ex["messages"] if m["role"] == "user"), "")
    return escape(text[:160] + ("..." if len(text) > 160 else ""))


def validation_html(report: dict, verdicts: list[dict], by_id: dict[str, dict], rejected: list[dict],
                    rejected_file: str, n_rejected: int | None = None) -> str:
    """The page. `by_id` holds at least the examples that verdicts name in sample_ids; `rejected` at
    least the first 50 rejected rows, of `n_rejected` in all (len(rejected) if not given)."""
    verdict = '<span class="ok">passed</span>' if report["success"] else '<span class="fail">FAILED</span>'
    counts = _table(["", "examples"], [
        ["generated", str(report["n_in"])],
        ["exact duplicates dropped", str(report["duplicates"]["exact"])],
        ["near duplicates dropped", str(report["duplicates"]["near"])],
        ["rejected by expectations", str(report["n_rejected"] - sum(report["duplicates"].values()))],
        ["kept", str(report["n_out"])],
    ])
    rows = []
    for v in verdicts:
        mark = '<span class="ok">pass</span>' if v["success"] else '<span class="fail">fail</span>'
        samples = "<br>".join(f"<code>{escape(str(i))}</code> {_prompt(by_id.get(i))}" for i in v["sample_ids"][:SAMPLE_ROWS])
        rows.append([escape(v["suite"]), escape(v["expectation"]), mark, str(v["unexpected_count"]), samples])
    expectations = _table(["suite", "expectation", "verdict", "failing rows", "sample failing rows"], rows)
    quarantine = _table(["id", "reasons", "request"], [
        [f"<code>{escape(str(r['example'].get('id')))}</code>", escape("; ".join(r["reasons"])), _prompt(r["example"])]
        for r in rejected[:50]])
    redacted = ", ".join(f"{k}: {v}" for k, v in report.get("redacted_late", {}).items()) or "none"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>tunesmith validation</title>
<style>{STYLE}</style></head><body>
<h1>Validation {verdict}</h1>
<p>{report['n_expectations']} expectations from <code>{escape(report['suites'])}</code>.
Redacted in this last sweep: {escape(redacted)}.</p>
<h2>Counts</h2>{counts}
<h2>Expectations</h2>{expectations}
<h2>Rejected rows (first 50 of {len(rejected) if n_rejected is None else n_rejected}; all in {escape(rejected_file)})</h2>{quarantine}
</body></html>
"""
