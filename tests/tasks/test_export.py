"""The Hugging Face export's columns, built column by column for speed, against the row-by-row reference."""
import pyarrow as pa
import pytest

from tasks.formats import export
from tasks.testing.synthetic import synthetic_examples

EXAMPLES = synthetic_examples(400)


@pytest.mark.parametrize("rows", [EXAMPLES, [e for e in EXAMPLES if e["category"] == "qa"], EXAMPLES[2:3], EXAMPLES[:1]],
                         ids=["mixed", "no tool calls or tools", "one tool-use row", "one row"])
def test_columns_equal_what_pyarrow_infers_from_the_rows(rows):
    """hf_arrays() must give what datasets.Dataset.from_list() would build from to_hf_row()s: the
    same values and the same types, null types included where a batch has no tool call."""
    reference = [export.to_hf_row(ex) for ex in rows]
    columns = export.hf_arrays(rows)
    for name in ("id", "category", "messages", "tools"):
        inferred = pa.array([row[name] for row in reference])
        assert columns[name].type == inferred.type, name
        assert columns[name].equals(inferred), name


def test_chunks_make_the_files_and_fingerprint_one_table_would(tmp_path):
    """write_hf() builds each split from its chunks' blobs without copying them into one table, and
    fingerprints it without pickling the table into memory: the saved files must be those of the
    table as one chunk per column, which is what Dataset.from_list() of every row builds, and the
    fingerprint the one datasets computes itself."""
    import datasets
    from datasets.fingerprint import generate_fingerprint

    qa = [e for e in EXAMPLES if e["category"] == "qa"]
    chunks = [qa[:60], EXAMPLES[:300], qa[60:67], EXAMPLES[300:333]]  # chunks without tools or tool calls (null types) among others
    rows = [ex for chunk in chunks for ex in chunk]
    blobs = [export.hf_blob(export.hf_arrays(chunk)) for chunk in chunks]
    export.write_hf({"train": blobs}, {"train": {}}, tmp_path / "chunked")
    whole = datasets.Dataset.from_list([export.to_hf_row(ex) for ex in rows])
    whole.save_to_disk(str(tmp_path / "whole"))
    whole.to_parquet(str(tmp_path / "whole.parquet"))
    for mine, theirs in (("dataset_dict/train/data-00000-of-00001.arrow", "whole/data-00000-of-00001.arrow"),
                         ("train.parquet", "whole.parquet")):
        assert (tmp_path / "chunked" / mine).read_bytes() == (tmp_path / theirs).read_bytes(), mine

    columns = export.joined([export.hf_columns(b) for b in blobs])
    with export.streamed_fingerprints():
        dataset = datasets.Dataset.from_dict(columns)
    assert dataset.data.column("messages").num_chunks == len(chunks)
    assert dataset._fingerprint == datasets.Dataset.from_dict(columns)._fingerprint  # as the library makes it
    assert export.streamed_fingerprint(dataset) == generate_fingerprint(dataset)
