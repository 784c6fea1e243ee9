"""Compare the base model and the tuned model (base + adapter) on the test split, per category.

Reads:  paths.dataset (the test split), paths.base_model, paths.adapter, paths.parsed (the schema)
Writes: paths.metrics (what `dvc metrics show` reads), paths.predictions
Params: evaluate.*, train.base_model

Per category: mean token loss and perplexity on the reference reply; then greedy generation (no
sampling; to the end token, evaluate.max_new_tokens or twice the reference's length) scored by
what the category asks for: GraphQL parse rate, schema validity and exact match (compared as parsed, printed ASTs); token F1 (SQuAD's, with its
answer normalisation) and ROUGE-L for QA and conversations; tool-name and argument match for tool use.
"""
from __future__ import annotations

import json
import math
import re
import string
from collections import Counter

from tasks import batches, chat_format
from tasks.config import EvaluateParams, TrainParams
from tasks.examples import prompt_and_reference
from tasks.io import read_jsonl, write_json, write_jsonl
from tasks.layout import Paths
from tasks.stage import stage_main
from tasks.training import load_base

_ARTICLES = re.compile(r"\b(a|an|the)\b")


# --- scoring (pure) ---------------------------------------------------------------------------

def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces.

    >>> normalize_answer("The  Trash, kept 30 days!")
    'trash kept 30 days'
    """
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD's token F1: the harmonic mean of token precision and recall after normalize_answer.

    >>> token_f1("The files!", "files"), token_f1("files kept", "files"), token_f1("a", "b"), token_f1("x y", "y x")
    (1.0, 0.666..., 0.0, 1.0)
    """
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure: the longest common subsequence of tokens, against both lengths.

    >>> rouge_l("a b c", "a b c"), rouge_l("a b c", "x y z"), rouge_l("a b c d", "a c")  # LCS "a c": P 2/4, R 2/2
    (1.0, 0.0, 0.666...)
    """
    a, b = prediction.lower().split(), reference.lower().split()
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def canonical_graphql(query: str, values: bool = True) -> str:
    """A query printed with its selections, arguments and input-object fields in sorted order, so
    that two queries asking for the same thing compare equal however they are written. With
    `values=False` every string, number and alias is blanked: what is left is the query's shape.

    >>> canonical_graphql("{ files(first: 2, filter: {b: 1, a: 2}) { size id } }") == \\
    ...     canonical_graphql("query { files(filter: {a: 2, b: 1}, first: 2) { id size } }")
    True
    >>> canonical_graphql('{ a: file(id: "f_1") { id } }', values=False) == \\
    ...     canonical_graphql('{ b: file(id: "f_2") { id } }', values=False)
    True
    """
    from graphql import parse, print_ast

    def key(node) -> tuple:
        alias = getattr(getattr(node, "alias", None), "value", None)
        name = getattr(getattr(node, "name", None), "value", None)
        condition = getattr(getattr(getattr(node, "type_condition", None), "name", None), "value", None)
        return (node.kind, alias or name or "", name or "", condition or "")

    def sort(node) -> None:
        if node is None:
            return
        if not values:
            if node.kind in ("string_value", "int_value", "float_value"):
                node.value = "0" if node.kind != "string_value" else ""
            if getattr(node, "alias", None) is not None:
                node.alias = None
        for attr in ("arguments", "fields"):
            items = getattr(node, attr, None)
            if isinstance(items, tuple) and items and hasattr(items[0], "name") and hasattr(items[0], "value"):
                setattr(node, attr, tuple(sorted(items, key=lambda n: n.name.value)))
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            selection_set.selections = tuple(sorted(selection_set.selections, key=key))
        for attr in node.keys:
            value = getattr(node, attr, None)
            for child in value if isinstance(value, (tuple, list)) else (value,):
                if hasattr(child, "kind") and hasattr(child, "keys"):
                    sort(child)

    doc = parse(query)
    sort(doc)
    return print_ast(doc)


def graphql_scores(prediction: str, reference: str, schema) -> dict:
    """parsed / valid against the schema / exact match after canonical ordering / the same but
    for literal values and aliases (a miss there is the model's, a miss only in exact_match is a
    value it failed to copy from the request)."""
    from graphql import GraphQLError, parse, validate

    try:
        doc = parse(prediction)
    except GraphQLError:
        return {"parsed": 0.0, "valid": 0.0, "exact_match": 0.0, "shape_match": 0.0}
    valid = schema is not None and not validate(schema, doc)
    same = canonical_graphql(prediction) == canonical_graphql(reference)
    shape = canonical_graphql(prediction, values=False) == canonical_graphql(reference, values=False)
    return {"parsed": 1.0, "valid": float(valid), "exact_match": float(same), "shape_match": float(shape)}


def tool_scores(reply: chat_format.Reply, reference_calls: list[dict]) -> dict:
    """Tool names and whole calls (name and parsed arguments, in any order) against the reference;
    `unparsed` is 1 when the reply held a call that could not be read (then nothing else matches).

    >>> ref = [{"function": {"name": "mv", "arguments": '{"to": "/a"}'}}]
    >>> tool_scores(chat_format.Reply("", [{"name": "mv", "arguments": {"to": "/a"}}]), ref)
    {'tool_name_match': 1.0, 'tool_call_exact': 1.0, 'unparsed': 0.0}
    >>> tool_scores(chat_format.Reply("", None), ref)["unparsed"]
    1.0
    """
    ref = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])} for c in reference_calls]
    got = reply.calls or []
    names = sorted(str(c["name"]) for c in got) == sorted(c["name"] for c in ref)
    key = lambda c: json.dumps(c, sort_keys=True)  # noqa: E731 - order of parallel calls does not matter
    return {"tool_name_match": float(names), "tool_call_exact": float(sorted(map(key, got)) == sorted(map(key, ref))),
            "unparsed": float(reply.calls is None)}


def score(category: str, prediction: str, reference: dict, schema, fmt: chat_format.ChatFormat) -> dict:
    if category == "text-to-graphql":
        return graphql_scores(prediction.strip(), reference["content"], schema)
    reply = fmt.parse(prediction)
    if category == "tool_use" and reference.get("tool_calls"):
        return tool_scores(reply, reference["tool_calls"])
    return {"token_f1": token_f1(reply.text, reference.get("content") or ""),
            "rouge_l": rouge_l(reply.text, reference.get("content") or "")}


# --- model side -------------------------------------------------------------------------------

def chat_tokens(tokenizer, fmt: chat_format.ChatFormat, messages: list[dict], tools, prompt: bool) -> list[int]:
    """Token ids of messages as the model's template renders them through its chat format."""
    messages, tools = fmt.prepare(messages, tools)
    return tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=prompt, return_dict=False)


def reference_losses(model, tokenizer, rows: list[dict], fmt: chat_format.ChatFormat,
                     batch_size: int = 8) -> list[tuple[float, int]]:
    """Each row's summed loss and token count over its first assistant reply, given everything
    before it; the rows run in batches, as training runs them (tasks/batches.py)."""
    encoded = []
    for row in rows:
        prompt, reference = prompt_and_reference(row)
        context = chat_tokens(tokenizer, fmt, prompt, row.get("tools"), prompt=True)
        full = chat_tokens(tokenizer, fmt, prompt + [reference], row.get("tools"), prompt=False)
        head = len(chat_tokens(tokenizer, fmt, prompt[:1], row.get("tools"), prompt=False))
        encoded.append(batches.Encoded(full, [(len(context), len(full))], head))
    return batches.row_losses(model, encoded, batch_size, pad_multiple=8)


def reply_budget(tokenizer, fmt: chat_format.ChatFormat, row: dict, max_new_tokens: int) -> int:
    """How many tokens a reply may run to: twice the reference's length and 16 more, at most
    evaluate.max_new_tokens. A reply longer than that cannot match the reference exactly and its
    token precision against it is under one half already, so a rambling model stops there."""
    _, reference = prompt_and_reference(row)
    return min(max_new_tokens, 2 * len(tokenizer.encode(fmt.render_reply(reference))) + 16)


def generate_replies(model, tokenizer, rows: list[dict], max_new_tokens: int, fmt: chat_format.ChatFormat,
                     bar) -> list[str]:
    """Greedy decoding of each row's first assistant reply, many rows at once (mlx-lm's
    BatchGenerator: the same tokens as one row at a time, a test checks it), to the end
    token or reply_budget tokens; special tokens are kept (the tiny model's tool calls are some).
    `bar`: the stage's progress bar, advanced a reply at a time, or a description for one of its own."""
    from mlx_lm.generate import BatchGenerator
    from tqdm import tqdm

    prompts = [chat_tokens(tokenizer, fmt, prompt_and_reference(r)[0], r.get("tools"), prompt=True) for r in rows]
    generator = BatchGenerator(model, stop_tokens=[[t] for t in tokenizer.eos_token_ids],
                               completion_batch_size=32, prefill_batch_size=8)
    uids = generator.insert(prompts, [reply_budget(tokenizer, fmt, r, max_new_tokens) for r in rows])
    out: dict[int, list[int]] = {uid: [] for uid in uids}
    own = isinstance(bar, str)
    if own:
        bar = tqdm(total=len(prompts), desc=bar, unit="example", mininterval=2.0)
    try:
        while responses := generator.next_generated():
            for r in responses:
                if r.finish_reason != "stop":
                    out[r.uid].append(r.token)
                if r.finish_reason is not None:
                    bar.update()
    finally:
        if own:
            bar.close()
    generator.close()
    return [tokenizer.decode(out[uid], skip_special_tokens=False) for uid in uids]


def pick_rows(rows: list[dict], per_category: int) -> list[dict]:
    """The first `per_category` test rows of each category, in file order."""
    counts: Counter = Counter()
    picked = []
    for row in rows:
        if counts[row["category"]] < per_category:
            counts[row["category"]] += 1
            picked.append(row)
    return picked


def summarize(per_example: list[dict]) -> dict:
    """Mean of each score per category, plus loss and perplexity from summed token losses."""
    out: dict = {}
    for cat in sorted({e["category"] for e in per_example}):
        items = [e for e in per_example if e["category"] == cat]
        loss = sum(e["loss_sum"] for e in items) / max(1, sum(e["loss_tokens"] for e in items))
        metrics = {"n": len(items), "loss": round(loss, 4), "perplexity": round(math.exp(min(loss, 50)), 3)}
        for key in items[0]["scores"]:
            metrics[key] = round(sum(e["scores"][key] for e in items) / len(items), 4)
        out[cat] = metrics
    return out


LOWER_IS_BETTER = ("loss", "perplexity")
DIAGNOSTICS = ("n", "unparsed")  # reported beside the scores, not scores the tuned model must beat


def not_better(metrics: dict) -> list[str]:
    """Every category.metric on which the tuned model does not beat the base model.

    >>> not_better({"base": {"qa": {"n": 2, "loss": 3.0, "token_f1": 0.1}},
    ...             "tuned": {"qa": {"n": 2, "loss": 1.0, "token_f1": 0.1}}})
    ['qa.token_f1']
    """
    worse = []
    for cat, tuned in metrics["tuned"].items():
        for key, value in tuned.items():
            base = metrics["base"][cat][key]
            if key not in DIAGNOSTICS and not (value < base if key in LOWER_IS_BETTER else value > base):
                worse.append(f"{cat}.{key}")
    return worse


def load_schema(paths: Paths):
    """The project's GraphQL schema, or None when it has none (every query then scores invalid)."""
    from graphql import build_schema

    schema_file = paths.parsed_file("graphql_schema")
    return build_schema(schema_file.read_text()) if schema_file.exists() else None


def evaluate_model(model, tokenizer, rows: list[dict], schema, p: EvaluateParams, name: str,
                   fmt: chat_format.ChatFormat, bar) -> list[dict]:
    """Loss on each reference reply, then a greedy reply scored by its category."""
    bar.set_postfix_str(name, refresh=False)
    texts = generate_replies(model, tokenizer, rows, p.max_new_tokens, fmt, bar)
    losses = reference_losses(model, tokenizer, rows, fmt)
    results = []
    for row, text, (loss_sum, n_tokens) in zip(rows, texts, losses):
        _, reference = prompt_and_reference(row)
        results.append({"category": row["category"], "loss_sum": loss_sum, "loss_tokens": n_tokens,
                        "output": text, "scores": score(row["category"], text, reference, schema, fmt)})
    return results


def prediction_rows(rows: list[dict], results: dict[str, list[dict]], fmt: chat_format.ChatFormat):
    """One line per test example: the prompt, the reference, each model's reply and scores."""
    for i, row in enumerate(rows):
        prompt, reference = prompt_and_reference(row)
        yield {"id": row["id"], "category": row["category"], "prompt": prompt[-1].get("content"),
               "reference": fmt.render_reply(reference),
               **{name: results[name][i]["output"] for name in results},
               **{f"{name}_scores": results[name][i]["scores"] for name in results}}


HEADLINE = {"text-to-graphql": ("valid", "exact_match"), "tool_use": ("tool_call_exact",), "qa": ("token_f1",),
            "conversation": ("token_f1",)}  # per category, besides the loss


def headline(metrics: dict) -> dict:
    """The tuned model's few figures per category that runs are compared by (`dvc exp show`, `dvc
    metrics diff`): its loss, its main scores, and each score's gain over the base model.

    >>> headline({"base": {"qa": {"loss": 3.0, "token_f1": 0.1}}, "tuned": {"qa": {"loss": 2.5, "token_f1": 0.3}}})
    {'qa': {'loss': 2.5, 'token_f1': 0.3, 'token_f1_gain': 0.2}}
    """
    out = {}
    for cat, tuned in metrics["tuned"].items():
        row = {"loss": tuned["loss"]}
        for key in HEADLINE.get(cat, ()):
            if key in tuned:
                row[key] = tuned[key]
                row[f"{key}_gain"] = round(tuned[key] - metrics["base"][cat][key], 4)
        out[cat] = row
    return out


def run(p: EvaluateParams, train: TrainParams, paths: Paths) -> dict:
    rows = pick_rows(read_jsonl(paths.split_file("test")), p.max_examples_per_category)
    schema = load_schema(paths)
    fmt = chat_format.for_model(train.base_model)
    models = {"base": lambda: load_base(train, paths), "tuned": lambda: load_base(train, paths, str(paths.adapter))}
    from tqdm import tqdm

    with tqdm(total=len(rows) * len(models), desc="evaluate", unit="reply", mininterval=2.0) as bar:  # the whole stage
        results = {name: evaluate_model(*loader(), rows, schema, p, name, fmt, bar) for name, loader in models.items()}
    metrics = {name: summarize(results[name]) for name in results}
    write_json(paths.metrics, metrics)
    write_json(paths.headline, headline(metrics))
    write_jsonl(paths.predictions, prediction_rows(rows, results, fmt))
    return {"n_examples": len(rows), "metrics": metrics, "tuned_not_better": not_better(metrics)}


def main(argv: list[str] | None = None) -> None:
    stage_main("evaluate", __doc__, argv, lambda params: run(params.evaluate, params.train, params.paths))


if __name__ == "__main__":
    main()
