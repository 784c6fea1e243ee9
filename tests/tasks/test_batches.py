"""Training batches (tasks/tuner/batches.py): the same loss as mlx-lm's own masking, for less work."""
import json

import pytest

from tasks.core.config import TinyModelParams
from tasks.formats.chat_format import TinyFormat
from tasks.tuner import batches
from tasks.tuner.training import as_chat

SYSTEM = {"role": "system", "content": "You are the Filebox assistant. Use the tools when asked."}
TOOLS = [{"type": "function", "function": {"name": "move_file", "description": "Move a file.",
                                           "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}]


def call(path: str) -> dict:
    return {"id": "c0", "type": "function", "function": {"name": "move_file", "arguments": json.dumps({"path": path})}}


ROWS = [
    {"messages": [SYSTEM, {"role": "user", "content": "Move the report to the archive."},
                  {"role": "assistant", "content": "", "tool_calls": [call("/archive/report.pdf")]},
                  {"role": "tool", "tool_call_id": "c0", "content": '{"ok": true}'},
                  {"role": "assistant", "content": "Moved it to the archive."}], "tools": TOOLS},
    {"messages": [SYSTEM, {"role": "user", "content": "Put notes.txt in /docs please"},
                  {"role": "assistant", "content": "", "tool_calls": [call("/docs/notes.txt")]}], "tools": TOOLS},
    {"messages": [SYSTEM, {"role": "user", "content": "How long is trash kept?"},
                  {"role": "assistant", "content": "Thirty days, then it is deleted for good."}], "tools": TOOLS},
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from mlx_lm import load

    from tasks.tuner import tiny_model

    out = tmp_path_factory.mktemp("tiny")
    texts = [m["content"] for r in ROWS for m in r["messages"]] + [json.dumps(TOOLS)]
    tiny_model.build(texts, texts, TinyModelParams(vocab_size=300, hidden_size=32, num_layers=2, num_heads=2,
                                                   intermediate_size=64, pretrain_iters=0), 2, 0, out, 512)
    return load(str(out))


def chat_rows() -> list[dict]:
    return [as_chat(r, TinyFormat()) for r in ROWS]


def test_each_assistant_reply_is_a_target_of_one_row(tiny):
    _, tokenizer = tiny
    encoded, cut = batches.encode(chat_rows()[0], tokenizer, mask_prompt=True, max_seq_length=512)
    assert cut == 0 and len(encoded) == 1  # the whole dialogue, once
    texts = [tokenizer.decode(encoded[0].tokens[s:e]) for s, e in encoded[0].spans]
    assert len(texts) == 2
    assert texts[0].startswith("<|call|>") and "/archive/report.pdf" in texts[0]
    assert texts[1].startswith("Moved it to the archive.")
    assert not any("Move the report" in t for t in texts)  # the prompt is not a target


def test_the_loss_equals_mlx_lm_masking_one_row_per_reply(tiny):
    """mlx-lm's default_loss over one row per assistant reply (each masked up to that reply)
    against one batch of whole dialogues, with and without the shared prefix: the same sum."""
    import mlx.core as mx
    from mlx_lm.tuner.trainer import default_loss

    model, tokenizer = tiny
    rows = chat_rows()
    reference = 0.0
    for row in rows:
        msgs = row["messages"]
        for i in (i for i, m in enumerate(msgs) if m["role"] == "assistant"):
            def ids(m, prompt=False):
                return tokenizer.apply_chat_template(m, tools=row.get("tools"), add_generation_prompt=prompt,
                                                     return_dict=False)
            tokens, offset = ids(msgs[: i + 1]), len(ids(msgs[:i], True))
            mean, n = default_loss(model, mx.array([tokens]), mx.array([[offset, len(tokens)]]))
            reference += mean.item() * n.item()
    encoded = [e for row in rows for e in batches.encode(row, tokenizer, True, 512)[0]]
    for share in (True, False):
        batch = batches.make_batch(encoded, pad_multiple=8, share_prefix=share)
        assert (batch.prefix.shape[1] > 0) == share
        mean, n = batches.loss(model, *batch.arrays())
        assert mean.item() * n.item() == pytest.approx(reference, rel=1e-4)


def test_a_template_that_rewrites_earlier_turns_gets_one_row_per_reply():
    class Forgetful:  # renders only the last assistant reply in full, as reasoning templates do
        def apply_chat_template(self, messages, tools=None, add_generation_prompt=False, return_dict=False):
            last = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=-1)
            text = "".join(f"<{m['role']}>" + (m["content"] if m["role"] != "assistant" or i == last else "…")
                           for i, m in enumerate(messages))
            return [ord(c) for c in text + ("<assistant>" if add_generation_prompt else "")]

    row = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                        {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}
    encoded, _ = batches.encode(row, Forgetful(), mask_prompt=True, max_seq_length=512)
    assert [chr(e.tokens[e.spans[0][0]]) for e in encoded] == ["b", "d"]


def test_a_row_past_max_seq_length_is_cut_and_counted(tiny):
    _, tokenizer = tiny
    row = chat_rows()[0]
    whole, _ = batches.encode(row, tokenizer, True, 512)
    limit = whole[0].spans[1][0] + 2  # inside the second reply
    cut_rows, cut = batches.encode(row, tokenizer, True, limit)
    assert cut == len(whole[0].tokens) - limit
    assert cut_rows[0].spans == [whole[0].spans[0], (whole[0].spans[1][0], limit)]


def test_a_resumed_stream_hands_out_the_batches_an_uninterrupted_one_would():
    rows = [batches.Encoded([1, 2, 3 + i], [(2, 3)], 1) for i in range(10)]
    first = batches.BatchSet(rows, 3, 8, seed=0, share_prefix=True)
    whole = [b[1].tolist() for _, b in zip(range(9), first.stream())]
    resumed = batches.BatchSet(rows, 3, 8, seed=0, share_prefix=True)
    resumed.position = 5
    assert [b[1].tolist() for _, b in zip(range(4), resumed.stream())] == whole[5:]
    assert sorted(map(str, whole[:4])) == sorted(map(str, [first.batch(i, whole=True)[1].tolist() for i in range(4)]))


@pytest.mark.parametrize("ranks", [2, 3, 4])
def test_ranks_shares_of_a_batch_average_to_the_whole_batch(tiny, ranks):
    """What data-parallel training (tasks/tuner/ranks.py) relies on, computed here in one process:
    each rank's share of every batch, its loss over the whole batch's count / ranks, averaged as
    mlx's average_gradients averages, gives the one-process loss and gradient; every row is in
    exactly one share; a rank with no row (4 ranks, 3 rows) weighs nothing; validation shares
    weighed by their counts give the one-process mean."""
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten, tree_map

    model, tokenizer = tiny
    encoded = [e for row in chat_rows() for e in batches.encode(row, tokenizer, True, 512)[0]]
    one = batches.BatchSet(encoded, 3, 8, seed=0, share_prefix=True)
    shares = [batches.BatchSet(encoded, 3, 8, seed=0, share_prefix=True, rank=r, ranks=ranks) for r in range(ranks)]
    grad = nn.value_and_grad(model, batches.loss)
    (whole, n), whole_grad = grad(model, *one.batch(0, whole=True))
    results = [grad(model, *s.batch(0, whole=True)) for s in shares]
    assert sum(r[0][1].item() for r in results) == n.item()  # every target in one share
    assert sum(r[0][0].item() for r in results) / ranks == pytest.approx(whole.item(), rel=1e-5)
    averaged = tree_map(lambda *g: sum(g) / ranks, *[r[1] for r in results])
    for (name, a), (_, b) in zip(tree_flatten(averaged), tree_flatten(whole_grad)):
        assert mx.allclose(a, b, rtol=1e-4, atol=1e-6).item(), name
    if ranks > 3:
        assert results[3][0][1].item() == 0 and results[3][0][0].item() == 0
    val = [batches.loss(model, *s.batch(0, whole=False)) for s in shares]
    mean = sum(v.item() * c.item() for v, c in val) / sum(c.item() for _, c in val)
    assert mean == pytest.approx(batches.loss(model, *one.batch(0, whole=False))[0].item(), rel=1e-5)
