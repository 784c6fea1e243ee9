"""Render examples into the formats other tools read (pure functions), and write every export of
a split (write_texts, then write_hf: the split stage calls them on folders it then swaps into place).

- mlx-lm chat:   {"messages": [...], "tools"?: [...]}  (plus id, category, which mlx-lm ignores)
- OpenAI chat fine-tuning: {"messages": [...], "tools"?: [...]}
- Mistral text:  {"text": "<s>[INST] ... [/INST] ...</s>"}
- typed:         {"type": "qa", "question", "answer"} | {"type": "text-to-graphql", ...} | dialogues
"""
from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

import orjson

from tasks.core.io import Spool, dump_line
from tasks.core.layout import Paths
from tasks.core.records import Example, last_user_text, prompt_and_reference


def to_mlx(ex: Example) -> dict:
    """mlx-lm's chat row (it reads `messages` and `tools`), with the id, category and the
    generator's meta (evaluate scores by them: a QA answer's span, a request's form)."""
    row = {"id": ex["id"], "category": ex["category"], "messages": ex["messages"]}
    if ex.get("tools"):
        row["tools"] = ex["tools"]
    if ex.get("meta"):
        row["meta"] = ex["meta"]
    return row


def to_openai(ex: Example) -> dict:
    row: dict = {"messages": ex["messages"]}
    if ex.get("tools"):
        row["tools"] = ex["tools"]
    return row


def to_typed(ex: Example, split: str) -> dict:
    """The typed line of DESIGN.md.

    >>> ex = {"id": "qa-1", "category": "qa", "messages": [{"role": "user", "content": "Q?"},
    ...       {"role": "assistant", "content": "A."}]}
    >>> to_typed(ex, "train")
    {'type': 'qa', 'question': 'Q?', 'answer': 'A.', 'id': 'qa-1', 'split': 'train', 'category': 'qa'}
    """
    category = ex["category"]
    if category in ("qa", "text-to-graphql"):
        prompt, reply = prompt_and_reference(ex)
        keys = ("question", "answer") if category == "qa" else ("natural_language_query", "graphql_query")
        row = {"type": category, keys[0]: last_user_text(prompt), keys[1]: reply["content"]}
    else:
        row = {"type": category, "messages": ex["messages"]}
        if ex.get("tools"):
            row["tools"] = ex["tools"]
    return {**row, "id": ex["id"], "split": split, "category": category}


def mistral_call_id(example_id: str, call_id: str) -> str:
    """Mistral requires tool-call ids of exactly nine letters or digits.

    >>> a = mistral_call_id("tool_use-1", "call_0")
    >>> len(a) == 9 and a.isalnum(), a == mistral_call_id("tool_use-1", "call_0") != mistral_call_id("tool_use-2", "call_0")
    (True, True)
    """
    return hashlib.sha1(f"{example_id}/{call_id}".encode()).hexdigest()[:9]


def _tool_result(content: str):
    try:
        return json.loads(content)
    except (TypeError, json.JSONDecodeError):
        return content


def to_mistral(ex: Example) -> dict:
    """Mistral's v3 instruct text, as mistral-common renders it (the tests compare the two):
    the system prompt and the tool list go with the last user turn; tool calls and results use
    the [TOOL_CALLS] / [TOOL_RESULTS] control tokens with nine-character call ids.

    >>> to_mistral({"id": "x", "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"},
    ...             {"role": "assistant", "content": "A"}]})["text"]
    '<s>[INST] S\\n\\nQ[/INST] A</s>'
    """
    messages = ex["messages"]
    system = next((m["content"] for m in messages if m["role"] == "system"), None)
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    text = "<s>"
    for i, m in enumerate(messages):
        if m["role"] == "user":
            content = m["content"]
            if i == last_user:
                if ex.get("tools"):
                    text += f"[AVAILABLE_TOOLS] {_mistral_tools(orjson.dumps(ex['tools']))}[/AVAILABLE_TOOLS]"
                if system:
                    content = f"{system}\n\n{content}"
            text += f"[INST] {content}[/INST]"
        elif m["role"] == "assistant" and m.get("tool_calls"):
            calls = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"]),
                      "id": mistral_call_id(ex["id"], c["id"])} for c in m["tool_calls"]]
            text += f"[TOOL_CALLS] {json.dumps(calls, ensure_ascii=False)}</s>"
        elif m["role"] == "assistant":
            text += f" {m['content']}</s>"
        elif m["role"] == "tool":
            result = {"content": _tool_result(m["content"]), "call_id": mistral_call_id(ex["id"], m["tool_call_id"])}
            text += f"[TOOL_RESULTS] {json.dumps(result, ensure_ascii=False)}[/TOOL_RESULTS]"
    return {"text": text}


OPENAI_MESSAGE_KEYS = {"role", "content", "name", "function_call", "tool_calls", "tool_call_id", "weight"}
OPENAI_ROLES = {"system", "user", "assistant", "tool", "function"}


def openai_errors(row: dict) -> list[str]:
    """The format rules OpenAI publishes for chat fine-tuning data (its cookbook's format checks,
    plus those for tools): what is wrong with `row`, or [] if nothing.

    >>> openai_errors({"messages": [{"role": "user", "content": "hi"}]})
    ['no assistant message']
    """
    errors = []
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return ["missing messages list"]
    extra = set(row) - {"messages", "tools", "parallel_tool_calls"}
    if extra:
        errors.append(f"unrecognized keys {sorted(extra)}")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            errors.append(f"message {i}: missing role")
            continue
        if set(m) - OPENAI_MESSAGE_KEYS:
            errors.append(f"message {i}: unrecognized keys {sorted(set(m) - OPENAI_MESSAGE_KEYS)}")
        if m["role"] not in OPENAI_ROLES:
            errors.append(f"message {i}: unrecognized role {m['role']!r}")
        has_content = isinstance(m.get("content"), str) and m["content"] != ""
        if not has_content and not m.get("tool_calls") and not m.get("function_call"):
            errors.append(f"message {i}: missing content")
        for c in m.get("tool_calls") or []:
            fn = c.get("function") or {}
            if c.get("type") != "function" or not c.get("id") or not fn.get("name") \
                    or not isinstance(fn.get("arguments"), str):
                errors.append(f"message {i}: a tool call needs id, type 'function', function name and arguments as a string")
        if m["role"] == "tool" and not m.get("tool_call_id"):
            errors.append(f"message {i}: a tool message needs tool_call_id")
    if not any(m.get("role") == "assistant" for m in messages if isinstance(m, dict)):
        errors.append("no assistant message")
    for t in row.get("tools") or []:
        if t.get("type") != "function" or not (t.get("function") or {}).get("name"):
            errors.append("a tool must be {\"type\": \"function\", \"function\": {\"name\", ...}}")
    return errors


def dataset_card(counts: dict[str, dict[str, int]]) -> str:
    """README.md for the Hugging Face dataset: what it is and how many examples of each kind."""
    splits = list(counts)
    categories = sorted({c for per in counts.values() for c in per})
    rows = "\n".join(f"| {c} | " + " | ".join(str(counts[s].get(c, 0)) for s in splits) + " |" for c in categories)
    totals = " | ".join(str(sum(counts[s].values())) for s in splits)
    return f"""---
configs:
- config_name: default
  data_files:
{chr(10).join(f"  - split: {s}{chr(10)}    path: {s}.parquet" for s in splits)}
---
# Fine-tuning data

Made by tunesmith from the product's documentation, GraphQL schema, tool
definitions, rated conversation logs and seed examples. Every example is a chat (`messages`, OpenAI
format; tool calls with JSON-string arguments; `tools` as a JSON string, null when a row has none), with its `id` and `category`.

| category | {' | '.join(splits)} |
| --- | {' | '.join('---:' for _ in splits)} |
{rows}
| **total** | {totals} |
"""


def to_hf_row(ex: Example) -> dict:
    """A row with a fixed Arrow schema: every message has the same keys; tools as a JSON string
    (tool parameter schemas differ from tool to tool, so they have no common Arrow type), null for
    a row without tools (TRL's SFTTrainer json.loads a string `tools` and passes it to the chat
    template: the dataset is read as written)."""
    messages = [{
        "role": m["role"],
        "content": m.get("content") or "",
        "tool_calls": [{"id": c["id"], "type": c["type"],
                        "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
                       for c in m.get("tool_calls") or []],
        "tool_call_id": m.get("tool_call_id") or "",
    } for m in ex["messages"]]
    return {"id": ex["id"], "category": ex["category"], "messages": messages,
            "tools": _tools_json(orjson.dumps(ex["tools"])) if ex.get("tools") else None}


@lru_cache(maxsize=256)
def _tools_json(tools: bytes) -> str:
    """json.dumps() of a tool list (given as orjson bytes): rows share a few tool lists, and the json
    module's rendering, which the exports keep, is the slow part of writing them."""
    return json.dumps(orjson.loads(tools))


@lru_cache(maxsize=256)
def _mistral_tools(tools: bytes) -> str:
    return json.dumps([{"type": "function", "function": {k: t["function"][k] for k in ("name", "description", "parameters")
                                                         if k in t["function"]}} for t in orjson.loads(tools)],
                      ensure_ascii=False)


def hf_arrays(examples: list[Example]) -> dict:
    """to_hf_row() of each example, as one pyarrow Array per column of the types
    datasets.Dataset.from_list() infers from those rows (a batch with no tool call, or no tools,
    gets a null type inside: see joined()). Built column by column, without the rows: pyarrow's
    inference over a million nested dicts took most of the export's time."""
    import pyarrow as pa

    ids, categories, tools, n_messages = [], [], [], []
    roles, contents, call_ids, n_calls = [], [], [], []
    calls = []
    for ex in examples:
        ids.append(ex["id"])
        categories.append(ex["category"])
        tools.append(_tools_json(orjson.dumps(ex["tools"])) if ex.get("tools") else None)
        n_messages.append(len(ex["messages"]))
        for m in ex["messages"]:
            roles.append(m["role"])
            contents.append(m.get("content") or "")
            call_ids.append(m.get("tool_call_id") or "")
            made = m.get("tool_calls") or []
            n_calls.append(len(made))
            calls += made
    string = pa.string()
    if calls:
        function = pa.StructArray.from_arrays([pa.array([c["function"]["name"] for c in calls], string),
                                               pa.array([c["function"]["arguments"] for c in calls], string)],
                                              names=["name", "arguments"])
        call_items = pa.StructArray.from_arrays([pa.array([c["id"] for c in calls], string),
                                                 pa.array([c["type"] for c in calls], string), function],
                                                names=["id", "type", "function"])
    else:
        call_items = pa.nulls(0)
    items = pa.StructArray.from_arrays([pa.array(roles, string), pa.array(contents, string),
                                        pa.ListArray.from_arrays(_offsets(n_calls), call_items),
                                        pa.array(call_ids, string)],
                                       names=["role", "content", "tool_calls", "tool_call_id"])
    return {"id": pa.array(ids), "category": pa.array(categories),
            "messages": pa.ListArray.from_arrays(_offsets(n_messages), items),
            "tools": pa.array(tools, string) if any(t is not None for t in tools) else pa.nulls(len(tools))}


def _offsets(sizes: list[int]):
    import numpy as np
    import pyarrow as pa

    return pa.array(np.r_[0, np.cumsum(sizes, dtype=np.int64)].astype(np.int32))


def joined(batches: list[dict]) -> dict:
    """hf_arrays() of consecutive batches as columns of one table, each a ChunkedArray of the
    batches' arrays (no copy), the types those of the batches that saw tool calls and tools (what
    inference over the whole list makes): so that Dataset.from_dict() builds what
    Dataset.from_list() would have built from every row at once, without a million rows of nested
    Python dicts in memory. A split of one chunk gives the bytes that list would; of several, the
    same rows and schema, with each 1,000-row record batch's buffers laid out as its chunk's were
    (tests/tasks/test_same_outputs.py)."""
    import pyarrow as pa

    out = {}
    for column in batches[0]:
        arrays = [b[column] for b in batches]
        widest = next((a.type for a in arrays if _known(a.type)), arrays[0].type)
        out[column] = pa.chunked_array([a if a.type == widest else a.cast(widest) for a in arrays], type=widest)
    return out


def _known(kind) -> bool:
    """Whether an Arrow type has no null type inside it (what inference gives a column of Nones or of
    empty lists)."""
    import pyarrow as pa

    if pa.types.is_null(kind):
        return False
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _known(kind.value_type)
    if pa.types.is_struct(kind):
        return all(_known(kind.field(i).type) for i in range(kind.num_fields))
    return True


def hf_blob(columns: dict) -> bytes:
    """hf_arrays() as one Arrow IPC stream: what a worker hands back and the stage keeps on disk
    (a Spool) until every chunk of a split is rendered."""
    import pyarrow as pa

    batch = pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as stream:
        stream.write_batch(batch)
    return sink.getvalue().to_pybytes()


def hf_columns(blob: bytes) -> dict:
    """hf_blob()'s columns again."""
    import pyarrow as pa

    batch = pa.ipc.open_stream(blob).read_next_batch()
    return {name: batch.column(i) for i, name in enumerate(batch.schema.names)}


def write_hf(blobs: dict[str, Iterable[bytes]], counts: dict, target) -> None:
    """A DatasetDict as save_to_disk saves one, plus one parquet file per split, and the card; from
    each split's chunks (hf_blob()s, read when that split's turn comes), one split at a time, so that
    one split's columns are in memory, not all three."""
    import datasets

    folder = target / "dataset_dict"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": list(blobs)}), encoding="utf-8")  # as DatasetDict writes it
    for s, chunks in blobs.items():
        with streamed_fingerprints():
            dataset = datasets.Dataset.from_dict(joined([hf_columns(b) for b in chunks]))
        dataset.save_to_disk(str(folder / s))
        dataset.to_parquet(str(target / f"{s}.parquet"))
        del dataset
    (target / "README.md").write_text(dataset_card({s: counts[s] for s in blobs}))


class _HashWriter:
    """A file that feeds what is written to it to a hash, and keeps none of it."""

    def __init__(self, digest) -> None:
        self.digest = digest

    def write(self, data) -> int:
        self.digest.update(data)
        return len(data)


def streamed_fingerprint(dataset) -> str:
    """datasets.fingerprint.generate_fingerprint(dataset), the same digits, computed the same way
    (xxh64 of each attribute's pickle, by datasets' own Pickler) except that each pickle is fed to
    the hash as it is written: the library pickles the whole table into memory first, which at a
    million rows was 1.7 GB on top of the table's own 1.3 GB (the split stage's peak). The test
    compares the two on tables with several chunks."""
    import os

    import xxhash
    from datasets.utils._dill import dump

    total = xxhash.xxh64()

    def update(value) -> None:  # Hasher.update()
        digest = xxhash.xxh64()
        dump(value, _HashWriter(digest))
        total.update(f"=={type(value)}==".encode("utf8"))
        total.update(digest.hexdigest().encode("utf-8"))

    state = dataset.__dict__
    for key in sorted(state):
        if key != "_fingerprint":
            update(key)
            update(state[key])
    for cache_file in dataset.cache_files:
        update(os.path.getmtime(cache_file["filename"]))
    return total.hexdigest()


@contextlib.contextmanager
def streamed_fingerprints() -> Iterator[None]:
    """Datasets made in the block get their fingerprints from streamed_fingerprint(). datasets
    computes a fingerprint inside Dataset() from the half-built object, and takes no hasher, so
    its module's function is swapped for ours while the block runs (one thread makes datasets here)."""
    from datasets import arrow_dataset

    library = arrow_dataset.generate_fingerprint
    arrow_dataset.generate_fingerprint = streamed_fingerprint
    try:
        yield
    finally:
        arrow_dataset.generate_fingerprint = library


class BadExample(ValueError):
    """An example an export cannot hold; the message names it."""


@dataclass
class Rendered:
    """A chunk of a split's examples in every export's form, ready to be written."""
    mlx: bytes
    openai: bytes
    mistral: bytes
    typed: bytes
    hf: bytes  # hf_blob()
    n: int


def render(split: str, examples: list[Example]) -> Rendered:
    """A chunk of a split, rendered for every export. An example that breaks OpenAI's format raises
    BadExample."""
    mlx, openai, mistral, typed = [], [], [], []
    for ex in examples:
        row = to_openai(ex)
        if errors := openai_errors(row):
            raise BadExample(f"example {ex['id']} ({split}) breaks OpenAI's chat fine-tuning format: {errors}")
        mlx.append(dump_line(to_mlx(ex)))
        openai.append(dump_line(row))
        mistral.append(dump_line(to_mistral(ex)))
        typed.append(dump_line(to_typed(ex, split)))
    return Rendered(*(b"".join(line + b"\n" for line in lines) for lines in (mlx, openai, mistral, typed)),
                    hf=hf_blob(hf_arrays(examples)) if examples else b"", n=len(examples))


def write_texts(splits: dict[str, Iterable[Rendered]], paths: Paths, kept: Spool) -> dict[str, list[int]]:
    """Every text file of a split from its rendered chunks, in order: mlx-lm's split files in
    paths.dataset; the OpenAI, Mistral and typed exports in paths.export (the caller writes into
    folders it swaps in when all is written). Each chunk's Hugging Face columns go to `kept`, for
    write_hf(); returned: split -> where its chunks are in `kept`."""
    typed_path = paths.typed_export()
    typed_path.parent.mkdir(parents=True, exist_ok=True)
    hf: dict[str, list[int]] = {}
    with open(typed_path, "wb") as typed:
        for s, parts in splits.items():
            files = [paths.split_file(s), paths.openai_file(s), paths.mistral_file(s)]
            for f in files:
                f.parent.mkdir(parents=True, exist_ok=True)
            with open(files[0], "wb") as mlx, open(files[1], "wb") as openai, open(files[2], "wb") as mistral:
                for part in parts:
                    mlx.write(part.mlx)
                    openai.write(part.openai)
                    mistral.write(part.mistral)
                    typed.write(part.typed)
                    if part.n:
                        hf.setdefault(s, []).append(len(kept))
                        kept.append(part.hf)
    return hf
