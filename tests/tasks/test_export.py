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
