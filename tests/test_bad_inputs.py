"""Bad input, case by case, through `dvc repro` up to the dataset (or further): each ends the way a
user would expect, and the last good dataset and exports are never touched, though DVC would have
rebuilt them had the failing stage let it."""
import hashlib
import json
import subprocess

import pytest
import yaml

from tasks.testing.projects import BIN, project_paths, run

pytestmark = pytest.mark.slow

EX = "examples/filebox"


def snapshot(project, paths) -> dict[str, str]:
    """Every file of the dataset and the exports, by content."""
    return {str(p.relative_to(project)): hashlib.sha1(p.read_bytes()).hexdigest()
            for folder in (paths.dataset, paths.export) for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_yaml(path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def write(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)


# (name, how to break the project, stage to run to, expected exit: 0 or "error", text the user must see).
# Every error case runs to split at least, so that the dataset is downstream of the failure.
CASES = [
    ("image beside the docs", lambda p: write(p / EX / "docs/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
     "split", 0, None),
    ("binary file named .md", lambda p: write(p / EX / "docs/blob.md", bytes(range(256)) * 4),
     "split", "error", "blob.md: not UTF-8"),
    ("non-UTF-8 text", lambda p: write(p / EX / "docs/latin.txt", "Caf\xe9 cr\xe8me".encode("latin-1")),
     "split", "error", "latin.txt: not UTF-8"),
    ("empty docs folder", lambda p: [f.unlink() for f in (p / EX / "docs").glob("*")],
     "split", "error", "no documents"),
    ("invalid SDL", lambda p: write(p / EX / "schema.graphql", "type Query {\n  files: [File!\n}\n"),
     "split", "error", "schema.graphql:3: invalid GraphQL schema"),  # the "}" where "]" belongs
    ("malformed introspection JSON", lambda p: write(p / EX / "schema.graphql", '{"data": {"__schema": \n'),
     "split", "error", "schema.graphql: not a GraphQL introspection result"),
    ("SDL that only graphql-core's schema validation rejects", lambda p: write(
        p / EX / "schema.graphql", 'interface Named {\n  name: String\n}\ntype Query implements Named {\n  name: Int\n}\n'),
     "split", "error", "schema.graphql:2: invalid GraphQL schema: Interface field Named.name expects type String"),
    ("a type name beginning with __", lambda p: write(p / EX / "schema.graphql", "type Query {\n  a: __Thing\n}\ntype __Thing {\n  b: Int\n}\n"),
     "split", "error", "schema.graphql:4: invalid GraphQL schema: Name '__Thing' must not begin with '__'"),
    ("malformed JSONL line", lambda p: write(p / EX / "seed.jsonl", (p / EX / "seed.jsonl").read_text() + "{oops\n"),
     "split", "error", "seed.jsonl:9: not valid JSON"),
    ("seed of unknown type", lambda p: write(p / EX / "seed.jsonl", '{"type": "essay", "text": "x"}\n'),
     "split", "error", "seed_examples:1: unknown type 'essay'"),
    ("SQLite file that is not a database", lambda p: write(p / EX / "conversations.db", "not a database\n" * 100),
     "split", "error", "conversations.db: cannot read the conversation log"),
    ("database without the log tables", lambda p: (p / EX / "conversations.db").unlink() or
     subprocess.run(["python3", "-c", f"import sqlite3; sqlite3.connect('{p / EX / 'conversations.db'}').execute('create table t (x)')"], check=True),
     "split", "error", "tables conversations(id, started_at, rating)"),
    ("missing source path", lambda p: (p / EX / "tools.json").unlink(),
     "split", "error", "No such file or directory: '{project}/examples/filebox/tools.json'"),  # DVC says it first
    ("tools.json not JSON", lambda p: write(p / EX / "tools.json", "[\n  {\"type\": \"function\",\n  oops\n]"),
     "split", "error", "tools.json:3: not valid JSON"),
    ("tool without a name", lambda p: write(p / EX / "tools.json", '[{"type": "function", "function": {}}]'),
     "split", "error", "tool #0 is not OpenAI-style"),
    ("wrong param type", lambda p: edit_yaml(p / "params.yaml", lambda d: d["split"].update(seed="abc")),
     "split", "error", "split.seed: Input should be a valid integer"),
    ("misspelt param", lambda p: edit_yaml(p / "params.yaml", lambda d: d["train"].update(learning_rte=0.1)),
     "train", "error", "train.learning_rte: Extra inputs are not permitted"),
    ("negative quota", lambda p: edit_yaml(p / "params.yaml", lambda d: d["generate"]["quotas"].update(qa=-5)),
     "split", "error", "generate.quotas.qa"),
    ("quotas that cannot be met", lambda p: edit_yaml(p / "params.yaml", lambda d: d["generate"]["quotas"].update(qa=100000)),
     "validate", 0, None),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One good run of the pipeline up to the dataset; each case starts from it."""
    from tasks.testing.projects import TINY_PARAMS, copy_project, edit_params

    project = copy_project(tmp_path_factory.mktemp("bad") / "project")
    edit_params(project, TINY_PARAMS)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "tiny params"], project)
    run([str(BIN / "dvc"), "repro", "split"], project)
    return project


@pytest.mark.parametrize("name, breaks, stage, expected, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input(built, name, breaks, stage, expected, message):
    project = built
    paths = project_paths(project)  # read before the case may break params.yaml
    before = snapshot(project, paths)
    assert before
    try:
        breaks(project)
        result = run([str(BIN / "dvc"), "repro", stage], project, check=False)
        if expected == 0:
            assert result.returncode == 0, result.stderr[-3000:]
        else:
            assert result.returncode != 0
            assert message.format(project=project) in result.stderr, result.stderr[-3000:]
            assert "Traceback" not in result.stderr  # a message for a person, not a stack trace
        if name == "quotas that cannot be met":  # it runs to validate only: a new dataset would be right
            report = json.loads(paths.report("generate").read_text())
            qa = report["categories"]["qa"]
            assert qa["shortfall"] > 0 and qa["why"]
            coverage = paths.coverage.read_text()
            assert f"| qa | 100000 | {qa['produced']} |" in coverage and qa["why"] in coverage
        else:
            assert snapshot(project, paths) == before  # the last good dataset and exports are untouched
        if name == "image beside the docs":
            assert "Running stage 'split'" not in result.stdout  # nothing changed for the examples
            report = json.loads(paths.report("parse").read_text())
            assert report["sources"]["docs"]["skipped_files"] == {"not a document type (.png)": 1}
    finally:
        run(["git", "checkout", "-q", "--", "."], project)
        run(["git", "clean", "-fdq", "examples"], project)
