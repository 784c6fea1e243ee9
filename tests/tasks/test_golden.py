"""The golden set: frozen, read by evaluate alone, never reaching a generator, train or valid."""
import hashlib
import json

import pytest
import yaml

from tasks import evaluate, generate, parse, split
from tasks.core.config import GenerateParams, load_params
from tasks.core.io import InputError, read_json, read_jsonl, write_json
from tasks.evaluation import golden
from tasks.quality.dedup import jaccard, normalize, shingles
from tasks.testing.projects import EXAMPLE, ROOT, example_sources, tmp_paths

GOLDEN = EXAMPLE / "golden.jsonl"
# The bundled golden set was written by hand before any generator work on it (README: "The golden
# set"). A change to it is a decision to make in the open: update this hash in the same commit.
GOLDEN_SHA256 = "8e8764ea689cad0ea0999e8f95ebae7909bdfed84ab577fac3a06dfc4e2c2fab"


def test_the_bundled_golden_set_is_frozen_and_as_big_as_promised():
    assert hashlib.sha256(GOLDEN.read_bytes()).hexdigest() == GOLDEN_SHA256
    rows = read_jsonl(GOLDEN)
    kinds = [r["type"] for r in rows]
    assert kinds.count("text-to-graphql") >= 40 and kinds.count("tool_use") >= 15 and kinds.count("qa") >= 30
    assert any(len([m for m in r["messages"] if m.get("tool_calls")][0]["tool_calls"]) > 1
               for r in rows if r["type"] == "tool_use")  # parallel calls too
    assert all(r.get("facts") for r in rows if r["type"] == "qa")


def test_only_evaluate_reads_the_golden_set():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    readers = [name for name, stage in stages.items()
               if any("sources.eval_set" in (d if isinstance(d, str) else next(iter(d))) for d in stage["deps"])]
    assert readers == ["evaluate"]
    params = [k for stage in stages.values() for k in stage.get("params", [])]
    assert "sources" not in params  # a whole-section param would rerun parse when only the golden set moved
    assert "eval_set" not in parse.PARSERS and "eval_set" not in generate.READERS


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The bundled example with its default params, up to the split (validation passed through)."""
    import shutil

    root = tmp_path_factory.mktemp("golden")
    paths, params = tmp_paths(root), load_params(ROOT / "params.yaml")
    parse.run(params.parse, example_sources(), paths)
    write_json(paths.report("generate"), generate.run(params.generate, paths))  # evaluate reads the product's name there
    paths.validated.parent.mkdir(parents=True)
    shutil.copy(paths.generated, paths.validated)
    split.run(params.split, paths)
    return paths, params


def test_no_golden_request_reaches_a_generator_train_or_valid(bundled):
    paths, params = bundled
    gold = [evaluate.prompt_and_reference(ex)[0][-1]["content"]
            for ex in golden.read(GOLDEN, params.generate, None, (EXAMPLE / "schema.graphql").read_text())]
    made = [m["content"] for ex in read_jsonl(paths.generated) for m in ex["messages"] if m["role"] == "user"]
    for s in ("train", "valid"):
        made += [m["content"] for r in read_jsonl(paths.split_file(s)) for m in r["messages"] if m["role"] == "user"]
    made_sets = [shingles(normalize(t)) for t in made]
    for text in gold:
        assert normalize(text) not in {normalize(t) for t in made}, text
        near = max(jaccard(shingles(normalize(text)), m) for m in made_sets)
        assert near < 0.7, text
    assert evaluate.golden_leaks(evaluate.golden_rows(GOLDEN, params.generate, paths, 100), paths) == \
        {"exact": 0, "near": 0, "ids": []}


def test_a_golden_row_copied_into_train_is_named(bundled, tmp_path):
    """The guard above can fail: a golden request in train is found and named."""
    paths, params = bundled
    rows = evaluate.golden_rows(GOLDEN, params.generate, paths, 100)
    copied = paths.model_copy(update={"dataset": tmp_path})
    for s in ("train", "valid"):
        (tmp_path / f"{s}.jsonl").write_text(paths.split_file(s).read_text())
    with open(tmp_path / "train.jsonl", "a") as f:
        f.write(json.dumps(rows[3]) + "\n")
    assert evaluate.golden_leaks(rows, copied)["ids"] == [rows[3]["id"]]


def test_golden_examples_get_the_prompts_training_uses(bundled):
    paths, params = bundled
    rows = evaluate.golden_rows(GOLDEN, params.generate, paths, 100)
    trained = {r["category"]: r["messages"][0]["content"] for r in read_jsonl(paths.split_file("train"))
               if r["messages"][0]["role"] == "system" and not r.get("meta", {}).get("seed")}
    for row in rows:
        if row["category"] in ("qa", "text-to-graphql"):
            assert row["messages"][0]["content"] == trained[row["category"]]
    assert {r["category"] for r in rows} == {"qa", "text-to-graphql", "tool_use"}
    tool_rows = [r for r in rows if r["category"] == "tool_use"]
    assert all(r["tools"] == read_json(paths.parsed_file("tools")) for r in tool_rows)


@pytest.mark.parametrize("line,message", [
    ('{"type": "qa", "question": "q?", "answer": "a", "facts": "5 GB"}', r"golden.jsonl:2: facts must be a list"),
    ('{"type": "text-to-graphql", "natural_language_query": "x", "graphql_query": "{ videos { id } }"}',
     r"golden.jsonl:2: graphql_query is not valid against the schema"),
    ('{"type": "tool_use", "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": '
     '[{"function": {"name": "rm_rf", "arguments": "{}"}}]}]}', r"golden.jsonl:2: calls 'rm_rf', which sources.tools"),
    ('{"type": "tool_use", "messages": [{"role": "user", "content": "x"}]}', r"golden.jsonl:2: .*assistant turn"),
    ('{"type": "summary", "text": "x"}', r"golden.jsonl:2: unknown type 'summary'"),
    ('{"type": "qa", "question": "q?"', r"golden.jsonl:2: not valid JSON"),
])
def test_a_bad_golden_row_is_an_error_naming_its_line(tmp_path, line, message):
    path = tmp_path / "golden.jsonl"
    path.write_text('{"type": "qa", "question": "ok?", "answer": "Yes."}\n' + line + "\n")
    tools = json.loads((EXAMPLE / "tools.json").read_text())
    with pytest.raises(InputError, match=message):
        golden.read(path, GenerateParams(product="Filebox", reference_date="2026-06-01", quotas={}), tools,
                    (EXAMPLE / "schema.graphql").read_text())


def test_no_eval_set_file_says_what_to_do(tmp_path):
    with pytest.raises(InputError, match=r"not found \(sources.eval_set, or --eval-set\)"):
        golden.read(tmp_path / "nope.jsonl", GenerateParams(product="X", reference_date="2026-06-01", quotas={}),
                    None, None)
