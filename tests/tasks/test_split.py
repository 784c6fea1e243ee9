import datetime as dt
import json
import shutil
from collections import Counter

import pytest

from conftest import example_sources, tmp_paths
from tasks import export, generate, parse, split, tiny_model
from tasks.config import GenerateParams, ParseParams, SplitParams
from tasks.io import read_jsonl
from tasks.train import DataConfig

GEN = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox",
                     quotas={"qa": 40, "text-to-graphql": 80, "tool_use": 40, "conversation": 20})


@pytest.fixture(scope="module")
def split_project(tmp_path_factory):
    """The example's examples, generated and (as validation would) passed on, then split."""
    root = tmp_path_factory.mktemp("split")
    paths = tmp_paths(root)
    parse.run(ParseParams(), example_sources(), paths)
    generate.run(GEN, paths)
    paths.validated.parent.mkdir(parents=True)
    shutil.copy(paths.generated, paths.validated)
    report = split.run(SplitParams(seed=3), paths)
    return paths, report


def test_split_is_stratified_and_complete(split_project):
    paths, report = split_project
    examples = read_jsonl(paths.validated)
    rows = {s: read_jsonl(paths.dataset / f"{s}.jsonl") for s in export.SPLITS}
    ids = [r["id"] for s in rows.values() for r in s]
    assert sorted(ids) == sorted(ex["id"] for ex in examples)  # every example in exactly one split
    total = Counter(ex["category"] for ex in examples)
    for cat, n in total.items():
        in_test = sum(1 for r in rows["test"] if r["category"] == cat)
        assert 0 < in_test <= round(n * 0.1), cat  # whole groups, never more than the share
    assert report["splits"] == {s: len(r) for s, r in rows.items()}


def test_same_params_give_identical_files_and_another_seed_differs(split_project, tmp_path):
    paths, _ = split_project
    other = tmp_paths(tmp_path)
    other.validated.parent.mkdir(parents=True)
    shutil.copy(paths.validated, other.validated)
    split.run(SplitParams(seed=3), other)
    for s in export.SPLITS:
        assert (other.dataset / f"{s}.jsonl").read_bytes() == (paths.dataset / f"{s}.jsonl").read_bytes()
    assert (other.export / "training_data.jsonl").read_bytes() == (paths.export / "training_data.jsonl").read_bytes()
    split.run(SplitParams(seed=4), other)
    assert (other.dataset / "test.jsonl").read_bytes() != (paths.dataset / "test.jsonl").read_bytes()


def test_mlx_lm_loads_the_dataset_with_its_own_loader(split_project, tmp_path):
    from mlx_lm.tuner.datasets import ChatDataset, load_local_dataset
    from mlx_lm.utils import load_tokenizer

    paths, _ = split_project
    texts = [m["content"] for r in read_jsonl(paths.dataset / "train.jsonl") for m in r["messages"]]
    tiny_model.train_tokenizer(texts, 500, tmp_path)
    tokenizer = load_tokenizer(tmp_path)
    train, valid, test = load_local_dataset(paths.dataset, tokenizer, DataConfig(mask_prompt=True))
    for ds in (train, valid, test):
        assert isinstance(ds, ChatDataset) and len(ds) > 0
        for i in range(len(ds)):
            tokens, offset = ds.process(ds[i])
            assert 0 < offset < len(tokens)  # the prompt is masked, the reply is not


def test_typed_export_has_the_documented_lines(split_project):
    paths, _ = split_project
    lines = read_jsonl(paths.export / "training_data.jsonl")
    by_type = {line["type"]: line for line in lines}
    assert set(by_type) == {"qa", "text-to-graphql", "tool_use", "conversation"}
    assert {"question", "answer", "id", "split", "category"} <= set(by_type["qa"])
    assert {"natural_language_query", "graphql_query"} <= set(by_type["text-to-graphql"])
    assert {"messages", "tools"} <= set(by_type["tool_use"])
    assert all(line["split"] in export.SPLITS for line in lines)


def test_other_exports_load(split_project):
    import datasets

    paths, _ = split_project
    dd = datasets.load_from_disk(str(paths.export / "hf"))
    assert {s: len(dd[s]) for s in dd} == {s: len(read_jsonl(paths.dataset / f"{s}.jsonl")) for s in export.SPLITS}
    mistral = read_jsonl(paths.export / "mistral" / "train.jsonl")
    assert all(r["text"].startswith("<s>") and "[/INST]" in r["text"] for r in mistral)
    openai = read_jsonl(paths.export / "openai" / "train.jsonl")
    for row in openai:
        assert row["messages"][-1]["role"] == "assistant"
        for m in row["messages"]:
            for c in m.get("tool_calls") or []:
                json.loads(c["function"]["arguments"])


def test_a_doc_section_stays_in_one_split(split_project):
    paths, _ = split_project
    where = {}
    for s in export.SPLITS:
        for row in read_jsonl(paths.dataset / f"{s}.jsonl"):
            where[row["id"]] = s
    by_section: dict = {}
    for ex in read_jsonl(paths.validated):
        if ex["category"] == "qa":
            by_section.setdefault(ex["source"], set()).add(where[ex["id"]])
    assert len(by_section) > 5
    assert all(len(splits) == 1 for splits in by_section.values())


def test_no_prompt_leaks_between_train_and_held_out_on_the_bundled_example(tmp_path):
    """Exact and near-duplicate prompts, checked pair by pair (not by LSH) on the default params."""
    from conftest import ROOT
    from tasks import validate
    from tasks.config import load_params
    from tasks.dedup import jaccard, prompt_text, shingles

    params = load_params(ROOT / "params.yaml")
    paths = tmp_paths(tmp_path)
    parse.run(params.parse, example_sources(), paths)
    generate.run(params.generate, paths)
    validate.run(params.validate_, params.generate.quotas, paths)
    split.run(params.split, paths)
    rows = {s: read_jsonl(paths.dataset / f"{s}.jsonl") for s in export.SPLITS}

    def prompt(row):
        return prompt_text({"messages": row["messages"]})

    train = [shingles(prompt(r)) for r in rows["train"]]
    train_exact = {prompt(r) for r in rows["train"]}
    for r in rows["valid"] + rows["test"]:
        assert prompt(r) not in train_exact
        mine = shingles(prompt(r))
        worst = max(jaccard(mine, t) for t in train)
        assert worst < params.split.near_dup_threshold, (prompt(r), worst)
