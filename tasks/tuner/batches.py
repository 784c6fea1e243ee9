"""Training rows as token ids, and batches that cost as little as the maths allows.

Three things make a pass over the data cheaper than mlx-lm's own batches, with the same loss (a
test checks it against mlx-lm's default_loss on the same rows):

- Every assistant reply of a row is a target (`encode`): a tool-use dialogue with three replies is
  one row, not three rows that repeat its beginning (mlx-lm's mask_prompt trains only a row's last
  message). A template that does not render a dialogue as the concatenation of its turns gets one
  row per reply instead, as before.
- A batch's shared beginning is computed once (`Batch.prefix`): rows that start with the same
  tokens (the system prompt, the tool specs: most of a tool-use row) run those tokens through the
  model once per batch instead of once per row; the rest of each row attends to their keys and
  values. Batches group rows by their first message, so they share it.

`python -m bench.train --only tokens` counts what each of the first two saves on your train split.
- The output layer runs only where there is a target (`Batch.index`): SmolLM2's 49,152-word output
  layer is a fifth of its weights, and most positions of a masked row predict nothing.

Heavy imports (mlx) stay inside the functions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Encoded:
    """One training row: its token ids, the [start, end) token spans that are targets, and how
    many leading tokens are its first message (the key batches group rows by)."""
    tokens: list[int]
    spans: list[tuple[int, int]]
    head: int


def encode(row: dict, tokenizer, mask_prompt: bool, max_seq_length: int) -> tuple[list[Encoded], int]:
    """A chat row (messages, optional tools) as token ids and target spans, and how many tokens the
    max_seq_length cut dropped. With mask_prompt, the targets are each assistant reply (its text
    and the template's end-of-turn tokens); without, every token after the first."""
    messages, tools = row["messages"], row.get("tools")

    def ids(msgs: list[dict], prompt: bool = False) -> list[int]:
        return list(tokenizer.apply_chat_template(msgs, tools=tools, add_generation_prompt=prompt,
                                                  return_dict=False))

    full = ids(messages)
    head = len(ids(messages[:1])) if messages[0]["role"] == "system" else 0
    if not mask_prompt:
        return _cut([Encoded(full, [(1, len(full))], head)], max_seq_length)
    turns = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    spans, pieces = [], []
    for i in turns:
        upto = ids(messages[: i + 1])
        spans.append((len(ids(messages[:i], prompt=True)), len(upto)))
        pieces.append(Encoded(upto, [spans[-1]], head))
    if all(full[:end] == piece.tokens for (_, end), piece in zip(spans, pieces)):
        return _cut([Encoded(full, spans, head)], max_seq_length)
    return _cut(pieces, max_seq_length)  # the template re-renders earlier turns: one row per reply


def _cut(rows: list[Encoded], max_seq_length: int) -> tuple[list[Encoded], int]:
    """Rows cut to max_seq_length tokens, spans clipped (a row left with no target is dropped),
    and the number of tokens cut off."""
    out, dropped = [], 0
    for row in rows:
        dropped += max(0, len(row.tokens) - max_seq_length)
        spans = [(s, min(e, max_seq_length)) for s, e in row.spans if s < max_seq_length]
        if spans:
            out.append(Encoded(row.tokens[:max_seq_length], spans, min(row.head, max_seq_length)))
    return out, dropped


def common_prefix(rows: list[Encoded]) -> int:
    """How many leading tokens every row shares, stopping before the first target of any row
    (a target's input must stay in the part each row computes itself).

    >>> common_prefix([Encoded([1, 2, 3, 4], [(3, 4)], 0), Encoded([1, 2, 5, 6], [(2, 4)], 0)])
    1
    """
    limit = min(min(len(r.tokens) for r in rows), min(r.spans[0][0] for r in rows) - 1)
    n = 0
    while n < limit and all(r.tokens[n] == rows[0].tokens[n] for r in rows):
        n += 1
    return n


@dataclass
class Batch:
    """The arrays one step reads: the shared prefix (1, P), each row's remaining inputs (B, S)
    right-padded, and the flat positions in (B * S) that have a target, with the target ids and a
    weight (0 for the padding that rounds the count up)."""
    prefix: object
    inputs: object
    index: object
    targets: object
    weights: object

    def arrays(self) -> tuple:
        return self.prefix, self.inputs, self.index, self.targets, self.weights


def make_batch(rows: list[Encoded], pad_multiple: int, share_prefix: bool = True) -> Batch:
    """The arrays of one batch of encoded rows (see Batch)."""
    import mlx.core as mx

    p = common_prefix(rows) if share_prefix else 0
    width = max(len(r.tokens) for r in rows) - 1 - p
    width = pad_multiple * -(-width // pad_multiple)
    inputs = np.zeros((len(rows), width), np.int32)
    targets = np.zeros((len(rows), width), np.int32)
    mask = np.zeros((len(rows), width), bool)
    for b, row in enumerate(rows):
        rest = row.tokens[p:]
        inputs[b, : len(rest) - 1] = rest[:-1]
        targets[b, : len(rest) - 1] = rest[1:]
        for start, end in row.spans:  # input position j predicts token j + 1
            mask[b, start - 1 - p: end - 1 - p] = True
    index = np.flatnonzero(mask.reshape(-1))
    pad = -len(index) % pad_multiple
    weights = np.concatenate([np.ones(len(index)), np.zeros(pad)]).astype(np.float32)
    index = np.concatenate([index, np.zeros(pad, index.dtype)]).astype(np.int32)
    return Batch(mx.array(np.array(rows[0].tokens[:p], np.int32)[None]), mx.array(inputs), mx.array(index),
                 mx.array(targets.reshape(-1)[index]), mx.array(weights))


def group_batches(rows: list[Encoded], batch_size: int) -> list[list[int]]:
    """Row indices in batches: rows with the same first message together, by length within it (less
    padding); each group's last batch may be smaller, so no row is left out.

    >>> rows = [Encoded([1, 9, 9], [(2, 3)], 1), Encoded([2, 9], [(1, 2)], 1), Encoded([1, 9], [(1, 2)], 1)]
    >>> group_batches(rows, 2)
    [[2, 0], [1]]
    """
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(row.tokens[: row.head]), []).append(i)
    out = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda i: (len(rows[i].tokens), i))
        out += [members[i: i + batch_size] for i in range(0, len(members), batch_size)]
    return out


class BatchSet:
    """A split's encoded rows in fixed batches. `stream` goes through them epoch after epoch, each
    epoch in an order drawn from (seed, epoch), from a position that a checkpoint can hold: a
    resumed run sees the very batches an uninterrupted one would have.

    With several ranks (tasks/tuner/ranks.py) every rank walks the same batches in the same order
    and computes rows rank, rank + ranks, ... of each; `norm` makes the ranks' averaged training
    loss the mean over the whole batch (see `loss`)."""

    def __init__(self, rows: list[Encoded], batch_size: int, pad_multiple: int, seed: int, share_prefix: bool,
                 rank: int = 0, ranks: int = 1):
        self.rows, self.pad_multiple, self.seed, self.share_prefix = rows, pad_multiple, seed, share_prefix
        self.rank, self.ranks = rank, ranks
        self.batches = group_batches(rows, batch_size)
        self.position = 0  # batches handed out so far, across epochs

    def __len__(self) -> int:
        return len(self.rows)

    def batch(self, number: int, whole: bool) -> tuple:
        """This rank's share of batch `number`, and the loss's denominator: the whole batch's
        target count / ranks (`whole`, training: the ranks' average is the batch's mean) or this
        share's own count (validation: mlx-lm's evaluate weighs each rank's mean by its count)."""
        import mlx.core as mx

        members = self.batches[number]
        mine = [self.rows[i] for i in members[self.rank::self.ranks]]
        batch = make_batch(mine or [self.rows[members[0]]], self.pad_multiple, self.share_prefix)
        if not mine:  # fewer rows than ranks: a row that weighs nothing, so this rank still takes part
            batch.weights = mx.zeros_like(batch.weights)
        count = sum(targets(self.rows[i]) for i in members) / self.ranks if whole else sum(map(targets, mine))
        return (*batch.arrays(), mx.array(max(count, 1), mx.float32))

    def order(self, epoch: int) -> list[int]:
        return list(np.random.default_rng([self.seed, epoch]).permutation(len(self.batches)))

    def stream(self):
        while True:
            epoch, within = divmod(self.position, len(self.batches))
            self.position += 1
            yield self.batch(self.order(epoch)[within], whole=True)

    def once(self):
        """Every batch once, in one fixed order that mixes the groups (validation reads the first
        train.val_batches of them)."""
        for number in self.order(0):
            yield self.batch(number, whole=False)


def targets(row: Encoded) -> int:
    """How many tokens of the row are targets."""
    return sum(end - start for start, end in row.spans)


def iterate(dataset: BatchSet, loop: bool = False, **_) -> object:
    """What mlx-lm's train() and evaluate() call as iterate_batches: the training stream when they
    loop, the validation batches in a fixed order when they do not."""
    return dataset.stream() if loop else dataset.once()


def _body_and_head(model):
    """The model without its output layer, and the output layer, for the models whose forward pass
    is exactly head(body(x)) (mlx-lm's llama family, SmolLM2 and the tiny model included); None
    for any other, which then computes every position's logits and picks the targets' out."""
    if type(model).__module__.rsplit(".", 1)[-1] != "llama":
        return None
    head = model.model.embed_tokens.as_linear if model.args.tie_word_embeddings else model.lm_head
    return model.model, head


def target_losses(model, prefix, inputs, index, targets):
    """The cross-entropy of each target (flat, in `index` order)."""
    import mlx.core as mx
    import mlx.nn as nn
    from mlx_lm.models.cache import ConcatenateKVCache

    split = _body_and_head(model)
    cache = None
    if prefix.shape[1]:
        cache = [ConcatenateKVCache() for _ in model.layers]
        (split[0] if split else model)(prefix, cache=cache)
        for c in cache:  # every row attends to the one prefix
            c.keys = mx.broadcast_to(c.keys, (inputs.shape[0], *c.keys.shape[1:]))
            c.values = mx.broadcast_to(c.values, (inputs.shape[0], *c.values.shape[1:]))
    if split:
        hidden = split[0](inputs, cache=cache)
        logits = split[1](hidden.reshape(-1, hidden.shape[-1])[index])
    else:
        logits = model(inputs, cache=cache)
        logits = logits.reshape(-1, logits.shape[-1])[index]
    return nn.losses.cross_entropy(logits, targets).astype(mx.float32)


def loss(model, prefix, inputs, index, targets, weights, norm=None):
    """The targets' summed cross-entropy / norm (by default their count: the mean), and their count;
    mlx-lm's train() and evaluate() call it as loss(model, *batch). BatchSet says what norm is."""
    n = weights.sum()
    return (target_losses(model, prefix, inputs, index, targets) * weights).sum() / (n if norm is None else norm), n


def row_losses(model, rows: list[Encoded], batch_size: int, pad_multiple: int) -> list[tuple[float, int]]:
    """Each row's summed target loss and number of targets, the rows computed in batches as training
    computes them (evaluate's loss on the reference replies)."""
    out: list[tuple[float, int]] = [(0.0, 0)] * len(rows)
    for members in group_batches(rows, batch_size):
        batch = make_batch([rows[i] for i in members], pad_multiple, can_share_prefix(model))
        losses = np.array(target_losses(model, *batch.arrays()[:4]))
        width = batch.inputs.shape[1]
        owner = np.array(batch.index) // width  # which row of the batch each target belongs to
        real = np.array(batch.weights) > 0
        for b, i in enumerate(members):
            mine = real & (owner == b)
            out[i] = (float(losses[mine].sum()), int(mine.sum()))
    return out


def can_share_prefix(model) -> bool:
    """Whether every layer keeps a plain key/value cache (models with sliding windows or
    state-space layers compute every row whole)."""
    from mlx_lm.models.cache import KVCache

    return not hasattr(model, "make_cache") or all(type(c) is KVCache for c in model.make_cache())
