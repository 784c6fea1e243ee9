"""Secrets seeded into docs, the conversation log and seeds never reach any output."""
import json
import sqlite3

import pytest

from fixtures.secrets import in_a_sentence, must_not_survive, seeded_secrets
from tasks.testing.projects import BIN, project_paths, run

pytestmark = pytest.mark.slow


def test_seeded_secrets_are_redacted_in_every_output(tiny_project):
    secrets = seeded_secrets(seed=7)
    docs, log, seeds = secrets[0::3], secrets[1::3], secrets[2::3]
    example = tiny_project / "examples/filebox"

    page = "# Support notes\n\n" + "".join(
        f"## Case {i}\n\nA case {i} is a support request. {in_a_sentence(k, v, i)}\n\n" for i, (k, v) in enumerate(docs))
    (example / "docs/support-notes.md").write_text(page)
    db = sqlite3.connect(example / "conversations.db")
    for i, (kind, value) in enumerate(log):
        cid = 1000 + i
        db.execute("INSERT INTO conversations VALUES (?, ?, ?)", (cid, "2026-05-30T10:00:00Z", 5))
        db.execute("INSERT INTO messages VALUES (?, 0, 'user', ?)", (cid, in_a_sentence(kind, value, i)))
        db.execute("INSERT INTO messages VALUES (?, 1, 'assistant', ?)", (cid, f"Thanks, noted: {value}"))
    db.commit()
    db.close()
    with open(example / "seed.jsonl", "a") as f:
        for i, (kind, value) in enumerate(seeds):
            f.write(json.dumps({"type": "qa", "question": f"What did ticket {i} say?",
                                "answer": in_a_sentence(kind, value, i)}) + "\n")

    run([str(BIN / "dvc"), "repro", "split"], tiny_project)

    outputs = [p for d in ("data", "reports") for p in (tiny_project / d).rglob("*") if p.is_file()]
    assert len(outputs) > 10
    leaks = [(kind, str(p.relative_to(tiny_project))) for p in outputs for kind, v in secrets
             if must_not_survive(kind, v).encode() in p.read_bytes()]
    assert leaks == []
    parse_report = json.loads(project_paths(tiny_project).report("parse").read_text())
    assert sum(parse_report["redacted"].values()) >= len(secrets)
    seeds_out = project_paths(tiny_project).parsed_file("seed_examples").read_text()
    assert all(f"[{kind}]" in seeds_out for kind, _ in seeds)  # replaced, not dropped
