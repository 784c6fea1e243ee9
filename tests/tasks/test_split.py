import datetime as dt
import re
import shutil
import sys
from collections import Counter
from types import SimpleNamespace

import pytest

from tasks import generate, parse, split
from tasks.core.config import CATEGORIES, GenerateParams, ParseParams, SplitParams
from tasks.core.io import read_jsonl
from tasks.core.layout import SPLITS
from tasks.formats import export
from tasks.testing.projects import example_sources, tmp_paths
from tasks.tuner import tiny_model

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
    rows = {s: read_jsonl(paths.split_file(s)) for s in SPLITS}
    ids = [r["id"] for s in rows.values() for r in s]
    assert sorted(ids) == sorted(ex["id"] for ex in examples)  # every example in exactly one split
    total = Counter(ex["category"] for ex in examples)
    for cat, n in total.items():
        in_test = sum(1 for r in rows["test"] if r["category"] == cat)
        if cat != "qa":  # QA's test is every held-out phrasing valid does not take (below)
            assert 0 < in_test <= round(n * 0.1), cat  # whole groups, never more than the share
    assert report["splits"] == {s: len(r) for s, r in rows.items()}


def test_same_params_give_identical_files_and_another_seed_differs(split_project, tmp_path):
    paths, _ = split_project
    other = tmp_paths(tmp_path)
    other.validated.parent.mkdir(parents=True)
    shutil.copy(paths.validated, other.validated)
    split.run(SplitParams(seed=3), other)
    for s in SPLITS:
        assert (other.dataset / f"{s}.jsonl").read_bytes() == (paths.split_file(s)).read_bytes()
    for f in sorted(p for p in paths.export.rglob("*") if p.is_file()):  # every export, byte for byte
        assert (other.export / f.relative_to(paths.export)).read_bytes() == f.read_bytes(), f
    split.run(SplitParams(seed=4), other)
    assert (other.split_file("test")).read_bytes() != (paths.split_file("test")).read_bytes()


def test_mlx_lm_loads_the_dataset_with_its_own_loader(split_project, tmp_path):
    from mlx_lm.tuner.datasets import ChatDataset, load_local_dataset
    from mlx_lm.utils import load_tokenizer

    paths, _ = split_project
    texts = [m["content"] for r in read_jsonl(paths.split_file("train")) for m in r["messages"]]
    tiny_model.train_tokenizer(texts, 500, tmp_path)
    tokenizer = load_tokenizer(tmp_path)
    train, valid, test = load_local_dataset(paths.dataset, tokenizer, SimpleNamespace(mask_prompt=True, chat_feature="messages"))  # what mlx-lm getattr()s
    for ds in (train, valid, test):
        assert isinstance(ds, ChatDataset) and len(ds) > 0
        for i in range(len(ds)):
            tokens, offset = ds.process(ds[i])
            assert 0 < offset < len(tokens)  # the prompt is masked, the reply is not


def test_typed_export_has_the_documented_lines(split_project):
    paths, _ = split_project
    lines = read_jsonl(paths.typed_export())
    by_type = {line["type"]: line for line in lines}
    assert set(by_type) == set(CATEGORIES)
    assert {"question", "answer", "id", "split", "category"} <= set(by_type["qa"])
    assert {"natural_language_query", "graphql_query"} <= set(by_type["text-to-graphql"])
    assert {"messages", "tools"} <= set(by_type["tool_use"])
    assert all(line["split"] in SPLITS for line in lines)


def test_hugging_face_exports_reload_with_datasets_and_carry_a_card(split_project):
    import datasets

    paths, _ = split_project
    want = {s: len(read_jsonl(paths.split_file(s))) for s in SPLITS}
    dd = datasets.load_from_disk(str(paths.hf_dir() / "dataset_dict"))
    assert {s: len(dd[s]) for s in dd} == want
    files = {s: str(paths.hf_dir() / f"{s}.parquet") for s in SPLITS}
    parquet = datasets.load_dataset("parquet", data_files=files)
    assert {s: len(parquet[s]) for s in parquet} == want
    assert parquet["train"][0]["messages"][0]["role"] in ("system", "user")
    card = (paths.hf_dir() / "README.md").read_text()
    qa_train = sum(1 for r in read_jsonl(paths.split_file("train")) if r["category"] == "qa")
    assert f"| qa | {qa_train} |" in card


def test_openai_export_follows_the_published_format_rules(split_project):
    paths, _ = split_project
    for s in SPLITS:
        for row in read_jsonl(paths.openai_file(s)):
            assert export.openai_errors(row) == [], row


@pytest.mark.parametrize("row, error", [
    ({"messages": [{"role": "user", "content": "hi"}]}, "no assistant message"),
    ({"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "x"}]}, "unrecognized role"),
    ({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]}, "missing content"),
    ({"messages": [{"role": "user", "content": "a", "extra": 1}, {"role": "assistant", "content": "x"}]}, "unrecognized keys"),
    ({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]}]}, "arguments as a string"),
])
def test_the_openai_checker_catches_each_rule(row, error):
    assert any(error in e for e in export.openai_errors(row))


def test_mistral_export_is_what_mistral_common_renders(split_project):
    """mistral-common, Mistral's own library, renders each example with its v3 instruct tokenizer."""
    from mistral_common.protocol.instruct.request import ChatCompletionRequest
    from mistral_common.protocol.instruct.validator import ValidationMode
    from mistral_common.tokens.tokenizers.base import SpecialTokenPolicy
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    tok = MistralTokenizer.from_file(str(MistralTokenizer._data_path() / "mistral_instruct_tokenizer_240323.model.v3"),
                                     mode=ValidationMode.finetuning)

    def rendered(ex):
        messages = []
        for m in ex["messages"]:
            m = dict(m)
            if m.get("tool_calls"):
                m["tool_calls"] = [{**c, "id": export.mistral_call_id(ex["id"], c["id"])} for c in m["tool_calls"]]
                m["content"] = None
            if m["role"] == "tool":
                m["tool_call_id"] = export.mistral_call_id(ex["id"], m["tool_call_id"])
            messages.append(m)
        tokens = tok.encode_chat_completion(ChatCompletionRequest.from_openai(messages, tools=ex.get("tools"))).tokens
        pieces = tok.instruct_tokenizer.tokenizer.decode(tokens, special_token_policy=SpecialTokenPolicy.KEEP)
        return pieces.replace("\u2581", " ").replace("<0x0A>", "\n")

    paths, _ = split_project
    for s in SPLITS:
        examples = {r["id"]: r for r in read_jsonl(paths.split_file(s))}
        texts = [r["text"] for r in read_jsonl(paths.mistral_file(s))]
        assert len(texts) == len(examples)
        for ex, text in zip(examples.values(), texts):
            assert text == rendered(ex)


def test_qa_tests_trained_facts_in_phrasings_training_never_saw(split_project):
    """The knowledge test: every doc section and every fact is trained on; valid and test hold
    only questions in a held-out form, each about a fact train teaches in another form."""
    from tasks.generators.qa import held_out_form

    paths, _ = split_project
    rows = {s: [r for r in read_jsonl(paths.split_file(s)) if r["category"] == "qa"] for s in SPLITS}
    trained_facts = {r["meta"]["fact"] for r in rows["train"] if "fact" in r["meta"]}
    assert rows["test"] and rows["valid"]
    for r in rows["valid"] + rows["test"]:
        assert r["meta"]["knowledge_test"] and held_out_form(r["messages"][-2]["content"])
        assert r["meta"]["fact"] in trained_facts
    assert not any(held_out_form(r["messages"][-2]["content"]) for r in rows["train"])
    train_ids = {r["id"] for r in rows["train"]}
    sections = {ex["source"] for ex in read_jsonl(paths.validated) if ex["source"].startswith("docs:")}
    trained = {ex["source"] for ex in read_jsonl(paths.validated) if ex["id"] in train_ids}
    assert len(sections) > 5 and sections <= trained


@pytest.mark.slow
def test_no_prompt_leaks_between_train_and_held_out_on_the_bundled_example(tmp_path):
    """Exact and near-duplicate prompts, checked pair by pair (not by LSH) on the default params."""
    from tasks import validate
    from tasks.core.config import load_params
    from tasks.testing.projects import ROOT

    params = load_params(ROOT / "params.yaml")
    paths = tmp_paths(tmp_path)  # the default params on the bundled example, as `make run` has them
    parse.run(params.parse, example_sources(), paths)
    generate.run(params.generate, paths)
    validate.run(params.validate_, params.generate.quotas, paths)
    split.run(params.split, paths)
    rows = {s: read_jsonl(paths.split_file(s)) for s in SPLITS}

    def trigrams(row) -> set:
        """Word 3-grams of everything the user said, lower-cased: written here, apart from tasks.quality.dedup,
        so that a bug in dedup's normalisation cannot hide a leak it caused."""
        words = re.findall(r"\w+", " ".join(m["content"] for m in row["messages"] if m["role"] == "user").lower())
        return {tuple(words[i:i + 3]) for i in range(max(1, len(words) - 2))}

    def exact(row) -> str:
        return " ".join(re.findall(r"\w+", " ".join(m["content"] for m in row["messages"] if m["role"] == "user").lower()))

    held_out = rows["valid"] + rows["test"]
    assert len(held_out) > 50
    train_exact = {exact(r) for r in rows["train"]}
    assert not [exact(r) for r in held_out if exact(r) in train_exact]
    train = [trigrams(r) for r in rows["train"]]
    worst = 0.0
    for r in held_out:  # every held-out prompt against every train prompt: no LSH, no sampling
        mine = trigrams(r)
        worst = max(worst, max(len(mine & t) / len(mine | t) for t in train))
    assert worst < params.split.near_dup_threshold, worst


@pytest.mark.slow
def test_an_interrupted_split_leaves_the_last_set_whole(split_project, tmp_path):
    """Killed while it writes a new set, split leaves every file of the old set as it was: never a
    new train.jsonl beside an old test.jsonl."""
    import hashlib
    import os
    import signal
    import subprocess
    import time

    import yaml

    from tasks.testing.projects import ROOT, project_env

    paths, _ = split_project
    project = tmp_path / "project"
    mine = tmp_paths(project)
    mine.validated.parent.mkdir(parents=True)
    shutil.copy(paths.validated, mine.validated)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    command = [sys.executable, "-m", "tasks.split"]
    subprocess.run(command, cwd=project, env={**project_env(), "PYTHONPATH": str(ROOT)}, check=True,
                   capture_output=True)

    def snapshot() -> dict:
        return {str(f.relative_to(project)): hashlib.sha1(f.read_bytes()).hexdigest()
                for folder in (mine.dataset, mine.export) for f in sorted(folder.rglob("*")) if f.is_file()}

    before = snapshot()
    params["split"]["seed"] = 99
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    proc = subprocess.Popen(command, cwd=project, env={**project_env(), "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    staged = []
    while not staged and proc.poll() is None and time.monotonic() < deadline:
        staged = [f for d in mine.dataset.parent.glob(f".{mine.dataset.name}.*") for f in d.rglob("*.jsonl")]
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert staged and proc.returncode == -signal.SIGKILL, "split finished before it could be interrupted"
    assert snapshot() == before

    subprocess.run(command, cwd=project, env={**project_env(), "PYTHONPATH": str(ROOT)}, check=True,
                   capture_output=True)
    after = snapshot()
    assert set(after) == set(before) and after != before  # the new set, whole
