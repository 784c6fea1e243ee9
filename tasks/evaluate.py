"""Compare the base model and the tuned model (base + adapter), per category, on two sets: the
generated test split and the golden set a person wrote by hand (sources.eval_set); and QA four
ways: each model closed-book and with the top evaluate.rag_k doc chunks a BM25 retriever finds.

Reads:  paths.dataset (the test split), sources.eval_set, paths.parsed (schema, tools, doc chunks),
        paths.base_model, paths.adapter, reports/generate.json (the product's name)
Writes: paths.metrics, paths.headline (what `dvc metrics` and `dvc exp show` compare), paths.predictions
Params: evaluate.*, train.base_model, generate.reference_date, sources.eval_set

Per category: mean token loss and perplexity on the reference reply; then greedy generation (no
sampling; to the end token, evaluate.max_new_tokens, or twice the reference's length and 16 more,
at least 64) scored as tasks/evaluation/scores.py says: GraphQL parsed, valid, exact and `correct` (the
arguments and the fields the request names); tool calls exact, order-free; QA key facts, token F1
and ROUGE-L. The generated QA test is a knowledge test: questions about trained facts, in
phrasings no train prompt uses (tasks/split.py).

    python -m tasks.evaluate                      # the stage, as `dvc repro` runs it
    python -m tasks.evaluate --eval-set FILE      # score a hand-written file against the current models
"""
from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from pathlib import Path

from tasks.core.config import EvaluateParams, GenerateParams, TrainParams
from tasks.core.io import InputError, read_json, read_jsonl, write_json, write_jsonl, write_text
from tasks.core.layout import Paths
from tasks.core.records import prompt_and_reference
from tasks.core.stage import stage_main
from tasks.evaluation import golden, retrieval
from tasks.evaluation.scores import fact_scores, graphql_scores, key_facts, rouge_l, token_f1, tool_scores
from tasks.formats import chat_format
from tasks.quality import dedup
from tasks.tuner import batches
from tasks.tuner.training import load_base

MODELS = ("base", "tuned")
MIN_BUDGET = 64  # a reply may run this long whatever its reference's length: a person's request may want more


# --- scoring (pure) ---------------------------------------------------------------------------

def facts_of(row: dict) -> list | None:
    """The facts a QA reply must state: the golden row's own list, else those its reference
    answer states (numbers with units, shortcuts, emphasised names); None when it states none."""
    if row.get("meta", {}).get("facts"):
        return row["meta"]["facts"]
    return key_facts(prompt_and_reference(row)[1].get("content") or "") or None


def score(row: dict, prediction: str, schema, fmt: chat_format.ChatFormat) -> dict:
    """A reply's scores by its row's category (tasks/evaluation/scores.py)."""
    category, (_, reference) = row["category"], prompt_and_reference(row)
    if category == "text-to-graphql":
        named = row["meta"]["fields"] if "fields" in row.get("meta", {}) else None
        return graphql_scores(prediction.strip(), reference["content"], schema, named)
    reply = fmt.parse(prediction)
    if category == "tool_use" and reference.get("tool_calls"):
        return tool_scores(reply.calls, reference["tool_calls"])
    out = {"token_f1": token_f1(reply.text, reference.get("content") or ""),
           "rouge_l": rouge_l(reply.text, reference.get("content") or "")}
    if category == "qa" and (facts := facts_of(row)):
        out |= fact_scores(reply.text, facts)
    return out


def pick_rows(rows: list[dict], per_category: int) -> list[dict]:
    """The first `per_category` rows of each category, in file order."""
    counts: Counter = Counter()
    picked = []
    for row in rows:
        if counts[row["category"]] < per_category:
            counts[row["category"]] += 1
            picked.append(row)
    return picked


def summarize(per_example: list[dict]) -> dict:
    """Mean of each score per category (over the rows that have it: `n_<score>` says how many when
    fewer than all), plus loss and perplexity from summed token losses where they were computed."""
    out: dict = {}
    for cat in sorted({e["category"] for e in per_example}):
        items = [e for e in per_example if e["category"] == cat]
        metrics: dict = {"n": len(items)}
        if all("loss_sum" in e for e in items):
            loss = sum(e["loss_sum"] for e in items) / max(1, sum(e["loss_tokens"] for e in items))
            metrics |= {"loss": round(loss, 4), "perplexity": round(math.exp(min(loss, 50)), 3)}
        for key in dict.fromkeys(k for e in items for k in e["scores"]):
            values = [e["scores"][key] for e in items if key in e["scores"]]
            metrics[key] = round(sum(values) / len(values), 4)
            if len(values) < len(items):
                metrics[f"n_{key}"] = len(values)
        out[cat] = metrics
    return out


LOWER_IS_BETTER = ("loss", "perplexity")


def diagnostic(key: str) -> bool:
    """Reported beside the scores, not scores the tuned model must beat."""
    return key in ("n", "unparsed") or key.startswith("n_")


def not_better(metrics: dict) -> list[str]:
    """Every category.metric on which the tuned model does not beat the base model.

    >>> not_better({"base": {"qa": {"n": 2, "loss": 3.0, "token_f1": 0.1}},
    ...             "tuned": {"qa": {"n": 2, "loss": 1.0, "token_f1": 0.1}}})
    ['qa.token_f1']
    """
    worse = []
    for cat, tuned in metrics["tuned"].items():
        for key, value in tuned.items():
            base = metrics["base"][cat].get(key)
            if base is not None and not diagnostic(key) and not (value < base if key in LOWER_IS_BETTER else value > base):
                worse.append(f"{cat}.{key}")
    return worse


HEADLINE = {"text-to-graphql": ("valid", "correct", "exact_match"), "tool_use": ("tool_call_exact",),
            "qa": ("key_facts", "token_f1"), "conversation": ("token_f1",)}  # per category, besides the loss
GOLDEN_HEADLINE = {"text-to-graphql": ("correct",), "tool_use": ("tool_call_exact",), "qa": ("key_facts",),
                   "conversation": ("token_f1",)}  # fewer: `dvc exp show` makes a column of each


def headline_rows(metrics: dict, shown: dict = HEADLINE) -> dict:
    """The tuned model's loss and main scores per category, each score with its gain over the base.

    >>> headline_rows({"base": {"qa": {"loss": 3.0, "token_f1": 0.1}}, "tuned": {"qa": {"loss": 2.5, "token_f1": 0.3}}})
    {'qa': {'loss': 2.5, 'token_f1': 0.3, 'token_f1_gain': 0.2}}
    """
    out = {}
    for cat, tuned in metrics["tuned"].items():
        row = {"loss": tuned["loss"]} if "loss" in tuned else {}
        for key in shown.get(cat, ()):
            if key in tuned:
                row[key] = tuned[key]
                row[f"{key}_gain"] = round(tuned[key] - metrics["base"][cat][key], 4)
        out[cat] = row
    return out


def headline(metrics: dict) -> dict:
    """The few figures runs are compared by (`dvc exp show`, `dvc metrics diff`): per category on
    the generated test and on the golden set, and QA's key-fact accuracy four ways.

    >>> m = {"base": {"qa": {"loss": 3.0, "key_facts": 0.1}}, "tuned": {"qa": {"loss": 2.5, "key_facts": 0.3}}}
    >>> g = {"base": {"qa": {"key_facts": 0.1}}, "tuned": {"qa": {"key_facts": 0.2}}}
    >>> headline({**m, "golden": g, "qa_four_way": {"golden": {"tuned+rag": {"key_facts": 0.5, "token_f1": 0.2}}}})
    {'test': {'qa': {'loss': 2.5, 'key_facts': 0.3, 'key_facts_gain': 0.2}}, 'golden': {'qa': {'key_facts': 0.2, 'key_facts_gain': 0.1}}, 'qa_key_facts': {'golden': {'tuned+rag': 0.5}}}
    """
    out = {"test": headline_rows(metrics)}
    if metrics.get("golden"):
        out["golden"] = headline_rows(metrics["golden"], GOLDEN_HEADLINE)
    four = {name: {way: row["key_facts"] for way, row in ways.items() if isinstance(row, dict) and "key_facts" in row}
            for name, ways in (metrics.get("qa_four_way") or {}).items()}
    if any(four.values()):
        out["qa_key_facts"] = {name: ways for name, ways in four.items() if ways}
    return out


# --- model side -------------------------------------------------------------------------------

def chat_tokens(tokenizer, fmt: chat_format.ChatFormat, messages: list[dict], tools, prompt: bool) -> list[int]:
    """Token ids of messages as the model's template renders them through its chat format."""
    messages, tools = fmt.prepare(messages, tools)
    return tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=prompt, return_dict=False)


def reference_losses(model, tokenizer, rows: list[dict], fmt: chat_format.ChatFormat,
                     batch_size: int = 8) -> list[tuple[float, int]]:
    """Each row's summed loss and token count over its first assistant reply, given everything
    before it; the rows run in batches, as training runs them (tasks/tuner/batches.py)."""
    encoded = []
    for row in rows:
        prompt, reference = prompt_and_reference(row)
        context = chat_tokens(tokenizer, fmt, prompt, row.get("tools"), prompt=True)
        full = chat_tokens(tokenizer, fmt, prompt + [reference], row.get("tools"), prompt=False)
        head = len(chat_tokens(tokenizer, fmt, prompt[:1], row.get("tools"), prompt=False))
        encoded.append(batches.Encoded(full, [(len(context), len(full))], head))
    return batches.row_losses(model, encoded, batch_size, pad_multiple=8)


def reply_budget(tokenizer, fmt: chat_format.ChatFormat, row: dict, max_new_tokens: int) -> int:
    """How many tokens a reply may run to: twice the reference's length and 16 more (at least
    MIN_BUDGET), at most evaluate.max_new_tokens. A reply much longer than its reference cannot
    match it, so a rambling model stops there; a short reference does not cut a fuller answer."""
    _, reference = prompt_and_reference(row)
    return min(max_new_tokens, max(MIN_BUDGET, 2 * len(tokenizer.encode(fmt.render_reply(reference))) + 16))


def shared_prefixes(rows: list[dict], prompts: list[list[int]]) -> list[int]:
    """For each row, how many of its first prompt tokens it shares with every other row that has
    the same system message and tools (0: none): a tool list is hundreds of tokens, computed once
    for all its rows instead of once per row. At least one token of each prompt is left over.

    >>> shared_prefixes([{"messages": [{"role": "system", "content": "s"}]}] * 2 + [{"messages": []}],
    ...                 [[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]])
    [2, 2, 0]
    """
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        head = row["messages"][0] if row["messages"] else {}
        if head.get("role") == "system":
            groups.setdefault(json.dumps([head.get("content"), row.get("tools")], sort_keys=True), []).append(i)
    out = [0] * len(rows)
    for members in groups.values():
        if len(members) < 2:
            continue
        first, n = prompts[members[0]], min(len(prompts[i]) for i in members) - 1
        for i in members[1:]:
            n = next((j for j in range(n) if prompts[i][j] != first[j]), n)
        for i in members:
            out[i] = n
    return out


def prefix_caches(model, prompts: list[list[int]], shared: list[int]) -> list[list | None]:
    """Each row's KV cache of its shared prefix (None when it shares none), computed once per
    distinct prefix; the rows' caches hold the same arrays, which mlx never changes in place."""
    import mlx.core as mx
    from mlx_lm.models.cache import KVCache, make_prompt_cache

    computed: dict[tuple, list] = {}
    out: list[list | None] = []
    for prompt, n in zip(prompts, shared):
        if n == 0:
            out.append(None)
            continue
        key = tuple(prompt[:n])
        if key not in computed:
            cache = make_prompt_cache(model)
            model(mx.array(prompt[:n])[None], cache=cache)
            mx.eval([a for c in cache for a in (c.keys, c.values)])
            computed[key] = [(c.keys[..., :c.offset, :], c.values[..., :c.offset, :], c.offset) for c in cache]
        caches = []
        for keys, values, offset in computed[key]:
            c = KVCache()
            c.state = (keys, values, offset)
            caches.append(c)
        out.append(caches)
    return out


_GRAPHQL_START = re.compile(r'\s*(?:[{#"]|(?:query|mutation|subscription|fragment|schema|extend|scalar|type|'
                            r'interface|union|enum|input|directive)\b)')


def not_a_graphql_document(text: str) -> bool:
    """Whether a reply's beginning already rules out a GraphQL document: its first word is prose,
    so graphql-core's parser fails at the first token whatever follows (the reply scores 0 on
    every GraphQL metric); decoding it further would only cost time.

    >>> [not_a_graphql_document(t) for t in ("Here is the query", "query {", "{ files", "  mutation", "`", "qu")]
    [True, False, False, False, True, False]
    """
    stripped = text.lstrip()
    word = re.match(r"[A-Za-z_]*", stripped).group()
    if stripped and len(word) == len(stripped):  # a word still being written: "qu" may become "query"
        return False
    return bool(stripped) and not _GRAPHQL_START.match(stripped)


def generate_replies(model, tokenizer, rows: list[dict], max_new_tokens: int, fmt: chat_format.ChatFormat,
                     bar) -> list[str]:
    """Greedy decoding of each row's first assistant reply, many rows at once (mlx-lm's
    BatchGenerator: the same tokens as one row at a time, a test checks it), to the end
    token or reply_budget tokens; special tokens are kept (the tiny model's tool calls are some).
    A system message (and tool list) many rows share is computed once (shared_prefixes).
    `bar`: the stage's progress bar, advanced a reply at a time, or a description for one of its own."""
    from mlx_lm.generate import BatchGenerator
    from tqdm import tqdm

    prompts = [chat_tokens(tokenizer, fmt, prompt_and_reference(r)[0], r.get("tools"), prompt=True) for r in rows]
    budgets = [reply_budget(tokenizer, fmt, r, max_new_tokens) for r in rows]
    shared = shared_prefixes(rows, prompts)
    caches = prefix_caches(model, prompts, shared)
    generator = BatchGenerator(model, stop_tokens=[[t] for t in tokenizer.eos_token_ids],
                               completion_batch_size=32, prefill_batch_size=8)
    # Prompts are prefilled 8 at a time, each padded to the longest of its 8: asked by shared
    # prefix and then shortest first, a short request never waits padded to a tool list's length.
    order = sorted(range(len(rows)), key=lambda i: (shared[i], len(prompts[i]) - shared[i]))
    uids = [0] * len(rows)
    for with_cache in (False, True):  # mlx-lm takes caches for all of an insert or none
        part = [i for i in order if (caches[i] is not None) == with_cache]
        if part:
            asked = generator.insert([prompts[i][shared[i]:] for i in part], [budgets[i] for i in part],
                                     caches=[caches[i] for i in part] if with_cache else None)
            for i, uid in zip(part, asked):
                uids[i] = uid
    out: dict[int, list[int]] = {uid: [] for uid in uids}
    graphql = {uids[i] for i, r in enumerate(rows) if r["category"] == "text-to-graphql"}
    own = isinstance(bar, str)
    if own:
        bar = tqdm(total=len(prompts), desc=bar, unit="example", mininterval=2.0)
    try:
        while responses := generator.next_generated():
            for r in responses:
                if r.finish_reason != "stop":
                    out[r.uid].append(r.token)
                if r.finish_reason is None and r.uid in graphql and len(out[r.uid]) in (4, 8) \
                        and not_a_graphql_document(tokenizer.decode(out[r.uid], skip_special_tokens=False)):
                    generator.remove([r.uid])  # its scores are fixed: nothing it adds can parse
                    graphql.discard(r.uid)
                    bar.update()
                elif r.finish_reason is not None:
                    bar.update()
    finally:
        if own:
            bar.close()
    generator.close()
    return [tokenizer.decode(out[uid], skip_special_tokens=False) for uid in uids]


def load_schema(paths: Paths):
    """The project's GraphQL schema, or None when it has none (every query then scores invalid)."""
    from graphql import build_schema

    schema_file = paths.parsed_file("graphql_schema")
    return build_schema(schema_file.read_text()) if schema_file.exists() else None


def parsed(paths: Paths, source: str, read):
    """A parsed source, or None when the project has none."""
    return read(paths.parsed_file(source)) if paths.parsed_file(source).exists() else None


def holds_answer(row: dict, chunks: list[dict]) -> bool:
    """Whether retrieved chunks hold a QA row's answer (retrieval.hit): by the span a generated
    answer was copied from, or by a golden row's files and facts."""
    meta = row.get("meta", {})
    files = meta.get("files") or ([meta["file"]] if meta.get("file") else None)
    return retrieval.hit(chunks, files, meta.get("span"), facts_of(row) if meta.get("golden") else None)


def with_retrieval(rows: list[dict], index: retrieval.Index, k: int) -> tuple[list[dict], list[bool]]:
    """Each QA row asked again with the top-k chunks in its prompt, and whether those chunks hold
    its answer (recall@k: see retrieval.hit)."""
    questions = [prompt_and_reference(r)[0][-1]["content"] for r in rows]
    found = index.retrieve(questions, k)
    asked, hits = [], []
    for row, chunks in zip(rows, found):
        prompt, reference = prompt_and_reference(row)
        hits.append(holds_answer(row, chunks))
        asked.append({**row, "id": f"{row['id']}+rag", "messages": retrieval.with_context(prompt, chunks) + [reference],
                      "meta": {**row.get("meta", {}), "retrieved": [c["id"] for c in chunks]}})
    return asked, hits


def four_way(results: dict[str, list[dict]], sets: dict[str, tuple[list[int], list[int], list[bool]]], k: int) -> dict:
    """Per QA set: key facts, token F1 and ROUGE-L for base and tuned, closed-book and with the
    retrieved chunks, and the retriever's recall@k. `sets`: name -> (positions of the closed-book
    rows, positions of the same rows asked with retrieval, hits)."""
    out = {}
    for name, (closed, rag, hits) in sets.items():
        if not closed:
            continue
        row: dict = {"n": len(closed), "k": k, "recall_at_k": round(sum(hits) / len(hits), 4) if hits else None}
        for model in MODELS:
            for way, positions in (("", closed), ("+rag", rag)):
                if positions:
                    row[model + way] = summarize([{**results[model][i], "category": "qa"} for i in positions])["qa"]
        out[name] = row
    return out


def evaluate_all(rows: list[dict], p: EvaluateParams, train: TrainParams, paths: Paths,
                 fmt: chat_format.ChatFormat, with_loss: int) -> dict[str, list[dict]]:
    """Each model's reply to every row, scored; the reference loss of the first `with_loss` rows
    (the test split's: a loss on a hand-written reference or a retrieval-augmented prompt would
    cost as much as its reply and say less)."""
    from tqdm import tqdm

    schema = load_schema(paths)
    models = {"base": lambda: load_base(train, paths), "tuned": lambda: load_base(train, paths, str(paths.adapter))}
    results: dict[str, list[dict]] = {}
    with tqdm(total=len(rows) * len(models), desc="evaluate", unit="reply", mininterval=2.0) as bar:  # the whole stage
        for name, loader in models.items():
            model, tokenizer = loader()
            bar.set_postfix_str(name, refresh=False)
            texts = generate_replies(model, tokenizer, rows, p.max_new_tokens, fmt, bar)
            losses = reference_losses(model, tokenizer, rows[:with_loss], fmt)
            results[name] = []
            for i, (row, text) in enumerate(zip(rows, texts)):
                item = {"category": row["category"], "output": text, "scores": score(row, text, schema, fmt)}
                if i < with_loss:
                    item["loss_sum"], item["loss_tokens"] = losses[i]
                results[name].append(item)
    return results


def prediction_rows(rows: list[dict], sets: list[str], results: dict[str, list[dict]], fmt: chat_format.ChatFormat):
    """One line per prompt asked: which set it belongs to, the prompt, the reference, each model's
    reply and scores (and, for a retrieval-augmented prompt, the chunks it was given)."""
    for i, (row, which) in enumerate(zip(rows, sets)):
        prompt, reference = prompt_and_reference(row)
        extra = {"retrieved": row["meta"]["retrieved"]} if "retrieved" in row.get("meta", {}) else {}
        yield {"id": row["id"], "set": which, "category": row["category"], "prompt": prompt[-1].get("content"),
               "reference": fmt.render_reply(reference), **extra,
               **{name: results[name][i]["output"] for name in results},
               **{f"{name}_scores": results[name][i]["scores"] for name in results}}


def product_of(paths: Paths) -> str:
    """The product's name as generate resolved it (generate.product, or the docs' title)."""
    try:
        return read_json(paths.report("generate"))["product"]
    except FileNotFoundError:
        raise InputError(f"{paths.report('generate')}: missing; run `dvc repro` (generate names the product)") from None


def score_sets(test: list[dict], gold: list[dict], p: EvaluateParams, train: TrainParams, paths: Paths) -> tuple[dict, list]:
    """Every metric of both models on the test rows and the golden rows, QA four ways, and the
    prediction lines."""
    fmt = chat_format.for_model(train.base_model)
    chunks = parsed(paths, "docs", read_jsonl) or []
    index = retrieval.build_index(chunks)
    qa_sets = {"knowledge": [r for r in test if r["category"] == "qa"], "golden": [r for r in gold if r["category"] == "qa"]}
    asked = {name: with_retrieval(rs, index, p.rag_k) if chunks else ([], []) for name, rs in qa_sets.items()}
    rows = test + gold + asked["knowledge"][0] + asked["golden"][0]
    which = ["test"] * len(test) + ["golden"] * len(gold) + ["knowledge+rag"] * len(asked["knowledge"][0]) \
        + ["golden+rag"] * len(asked["golden"][0])
    results = evaluate_all(rows, p, train, paths, fmt, with_loss=len(test))  # the golden set is scored by replies alone
    at = lambda name, cond: [i for i, w in enumerate(which) if w == name and cond(rows[i])]  # noqa: E731
    is_qa = lambda r: r["category"] == "qa"  # noqa: E731
    sets = {"knowledge": (at("test", is_qa), at("knowledge+rag", is_qa), asked["knowledge"][1]),
            "golden": (at("golden", is_qa), at("golden+rag", is_qa), asked["golden"][1])}

    def per_set(name: str) -> dict:
        return {m: summarize([results[m][i] for i, w in enumerate(which) if w == name]) for m in MODELS}

    metrics = per_set("test")
    metrics["golden"] = per_set("golden") if gold else None
    metrics["qa_four_way"] = four_way(results, sets, p.rag_k)
    return metrics, list(prediction_rows(rows, which, results, fmt))


def golden_rows(eval_set: Path | None, generate: GenerateParams, paths: Paths, per_category: int) -> list[dict]:
    if eval_set is None:
        return []
    p = generate.model_copy(update={"product": product_of(paths)})
    return pick_rows(golden.read(eval_set, p, parsed(paths, "tools", read_json),
                                 parsed(paths, "graphql_schema", lambda f: f.read_text())), per_category)


def golden_leaks(gold: list[dict], paths: Paths) -> dict:
    """Golden prompts that train or valid also holds, exactly or nearly (word 3-gram Jaccard
    at least 0.7): there should be none, since no stage but this one reads the golden set; one
    that is there (a golden row copied into the seeds, say) is named, and its figure flattered."""
    seen = read_jsonl(paths.split_file("train")) + read_jsonl(paths.split_file("valid"))
    leaks = dedup.cross_leaks(seen, gold, 0.7, 128)
    if leaks["exact"] or leaks["near"]:
        print(f"tunesmith evaluate: warning: {len(leaks['exact'])} golden prompt(s) are in train or valid and "
              f"{len(leaks['near'])} nearly so: {(leaks['exact'] + leaks['near'])[:3]}", file=sys.stderr)
    return {"exact": len(leaks["exact"]), "near": len(leaks["near"]),
            "ids": sorted({g for g, _ in leaks["exact"] + leaks["near"]})}


def run(p: EvaluateParams, train: TrainParams, generate: GenerateParams, eval_set: Path | None, paths: Paths) -> dict:
    test = pick_rows(read_jsonl(paths.split_file("test")), p.max_examples_per_category)
    gold = golden_rows(eval_set, generate, paths, p.max_examples_per_category)
    leaks = golden_leaks(gold, paths) if gold else None
    metrics, predictions = score_sets(test, gold, p, train, paths)
    write_json(paths.metrics, metrics)
    write_json(paths.headline, headline(metrics))
    write_jsonl(paths.predictions, predictions)
    write_card(p, train, generate, eval_set, paths, metrics)
    return {"n_examples": len(test), "n_golden": len(gold), "eval_set": None if eval_set is None else str(eval_set),
            "golden_in_train": leaks, "metrics": metrics, "tuned_not_better": not_better(metrics),
            "golden_tuned_not_better": not_better(metrics["golden"]) if gold else None}


def write_card(p: EvaluateParams, train: TrainParams, generate: GenerateParams, eval_set: Path | None, paths: Paths,
               metrics: dict) -> None:
    """The model card beside the adapter (tasks/reports/model_card.py), now that the figures exist."""
    from tasks.generators import system_prompts
    from tasks.reports import model_card

    product = product_of(paths)
    reports = {name: read_json(paths.report(name)) for name in ("parse", "split", "train")}
    write_text(paths.model_card(), model_card.render(train, p, paths, eval_set, product, reports, metrics,
                                                     system_prompts(product, generate.reference_date)))


def eval_file(p: EvaluateParams, train: TrainParams, generate: GenerateParams, path: Path, paths: Paths) -> None:
    """--eval-set FILE: score a hand-written file (the golden set's format) against the current
    base and tuned models, print the table and write it beside the reports; no DVC out changes."""
    from tasks.reports import summary

    if not paths.adapter_weights().exists():
        raise InputError(f"{paths.adapter}: no tuned model yet; run `dvc repro` (or `make run`) first")
    gold = golden_rows(path, generate, paths, p.max_examples_per_category)
    metrics, predictions = score_sets([], gold, p, train, paths)
    out = paths.eval_report(Path(path).stem)
    write_json(out, {"eval_set": str(path), "metrics": metrics["golden"], "qa_four_way": metrics["qa_four_way"],
                     "predictions": predictions})
    print(summary.set_table(metrics["golden"], metrics["qa_four_way"], title=f"{path} ({len(gold)} examples)"))
    print(f"\nevery reply and score: {out}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    stage_main("evaluate", __doc__, argv,
               lambda ps: run(ps.evaluate, ps.train, ps.generate, ps.sources.eval_set, ps.paths),
               options={"--eval-set": ("FILE", "score this hand-written file (the golden set's format) against "
                                                "the current models, print the table, and write it to "
                                                "reports/eval-<name>.json; the stage's outputs are not touched",
                                       lambda ps, f: eval_file(ps.evaluate, ps.train, ps.generate, Path(f), ps.paths))})


if __name__ == "__main__":
    main()
