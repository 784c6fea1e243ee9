"""validate + split at 10,000 synthetic examples write what they wrote before they were rewritten
for a million (issue 24): every output, byte for byte.

The digests below are the first 16 hex digits of each file's sha256 as 95bf186 wrote them (the
stages that held every example as a dict, classic MinHash, one write per export), with the default
params and requirements.lock's libraries. A change that alters any output, even in order or in a
Hugging Face file's metadata, fails here: say why in the commit and re-pin, or fix the change.
The stages hand their chunks to worker processes (tasks/core/workers.py) only for an input of
several chunks; here they are made to, and a second run in chunks of 1,000 rows checks that the
workers' results are put back in order: the same bytes, but for the Hugging Face files of a split
of several chunks, which hold the same rows and schema, laid out chunk by chunk.
"""
import hashlib

import pyarrow as pa
import pyarrow.parquet as pq

from tasks import split, validate
from tasks.core import workers
from tasks.core.config import CATEGORIES, load_params
from tasks.core.io import write_json, write_jsonl
from tasks.testing.projects import ROOT
from tasks.testing.synthetic import iter_synthetic_examples

BEFORE = {
    "data/dataset/test.jsonl": "936c382001a6b379",
    "data/dataset/train.jsonl": "397ba644a519c80b",
    "data/dataset/valid.jsonl": "ee056defc7c8c9fd",
    "data/export/hf/README.md": "32442895ffadbfd0",
    "data/export/hf/dataset_dict/dataset_dict.json": "efd3e742a1b27726",
    "data/export/hf/dataset_dict/test/data-00000-of-00001.arrow": "b5b44d8cbd59c50e",
    "data/export/hf/dataset_dict/test/dataset_info.json": "516506742aa63298",
    "data/export/hf/dataset_dict/test/state.json": "31f5f433f04b7923",
    "data/export/hf/dataset_dict/train/data-00000-of-00001.arrow": "1522d7fc361ba912",
    "data/export/hf/dataset_dict/train/dataset_info.json": "516506742aa63298",
    "data/export/hf/dataset_dict/train/state.json": "b916e4991262ee70",
    "data/export/hf/dataset_dict/valid/data-00000-of-00001.arrow": "cce24fc7861c01f9",
    "data/export/hf/dataset_dict/valid/dataset_info.json": "516506742aa63298",
    "data/export/hf/dataset_dict/valid/state.json": "31b6579ff24074e9",
    "data/export/hf/test.parquet": "d435c7f7f1d6a95a",
    "data/export/hf/train.parquet": "d3c9a8cc80bc1c32",
    "data/export/hf/valid.parquet": "bbad0398132c6751",
    "data/export/mistral/test.jsonl": "ae478bb42e15e3f3",
    "data/export/mistral/train.jsonl": "c9edb1a048474f84",
    "data/export/mistral/valid.jsonl": "79fbdd7cd6f68fb5",
    "data/export/openai/test.jsonl": "a6f9ed59f095edfe",
    "data/export/openai/train.jsonl": "3c232c0fbadb9e7e",
    "data/export/openai/valid.jsonl": "76bf5bf9a3710925",
    "data/export/training_data.jsonl": "a1be071eddd4f10b",
    "data/generated/examples.jsonl": "89123ceb4c725eef",
    "data/validated/examples.jsonl": "f80e3e6f8cefddf8",
    "data/validated/rejected.jsonl": "4a9ca4bd46f05c81",
    "reports/coverage.md": "829df7d73da8c569",
    "reports/validation.html": "cae9797ae269bf91",
    "split_report.json": "c37d6eb81e827791",
    "validate_report.json": "de98b62dc445c76a",
}


def run_stages(folder) -> dict[str, str]:
    """validate + split on 10,000 synthetic examples in `folder`: every file's digest."""
    params = load_params(ROOT / "params.yaml")
    paths = params.paths.under(folder)
    write_jsonl(paths.generated, iter_synthetic_examples(10_000))
    report = validate.run(params.validate_, {c: 2500 for c in CATEGORIES}, paths)
    write_json(folder / "validate_report.json", report)
    report = split.run(params.split, paths)
    assert report["n_in"] == 9800
    write_json(folder / "split_report.json", report)
    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()[:16]
            for f in sorted(folder.rglob("*")) if f.is_file()}


def test_ten_thousand_examples_give_the_same_bytes_as_before(tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "WORTH_A_POOL", 0)  # workers, as for a big input (on a machine with 2 cores or more)
    now = run_stages(tmp_path / "one chunk")
    assert len(BEFORE) == 31
    assert {k: v for k, v in now.items() if BEFORE.get(k) != v} == {}
    assert set(now) == set(BEFORE)

    monkeypatch.setattr(validate, "CHUNK", 1000)
    monkeypatch.setattr(split, "CHUNK", 1000)
    chunked = run_stages(tmp_path / "ten chunks")
    train = ["data/export/hf/dataset_dict/train/data-00000-of-00001.arrow", "data/export/hf/train.parquet"]
    assert {k for k, v in chunked.items() if now[k] != v} == set(train)  # valid and test are one chunk of 1,000 or less
    arrow = [pa.ipc.open_stream((tmp_path / run / train[0]).read_bytes()).read_all() for run in ("one chunk", "ten chunks")]
    parquet = [pq.read_table(tmp_path / run / train[1]) for run in ("one chunk", "ten chunks")]
    for one, ten in (arrow, parquet):
        assert one.equals(ten, check_metadata=True)
