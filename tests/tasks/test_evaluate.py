import json

import pytest
from graphql import build_schema

from tasks import evaluate
from tasks.core.records import tool_call
from tasks.evaluation import scores
from tasks.formats import chat_format
from tasks.testing.projects import EXAMPLE

SCHEMA = build_schema((EXAMPLE / "schema.graphql").read_text())
REF = 'query { files(filter: { kind: VIDEO }, first: 10) { edges { node { id name } } } }'


def test_graphql_scores_compare_parsed_queries_not_whitespace():
    same = "query {\n  files(filter: {kind: VIDEO}, first: 10) {\n edges { node { id name } } } }"
    assert scores.graphql_scores(same, REF, SCHEMA) == {"parsed": 1.0, "valid": 1.0, "exact_match": 1.0,
                                                        "shape_match": 1.0, "correct": 1.0}


def test_a_wrong_argument_value_is_valid_but_not_a_match():
    wrong = REF.replace("first: 10", "first: 20")
    # the right shape with a wrong value: a copying miss, told apart by shape_match
    assert scores.graphql_scores(wrong, REF, SCHEMA) == {"parsed": 1.0, "valid": 1.0, "exact_match": 0.0,
                                                         "shape_match": 1.0, "correct": 0.0}


def test_unparseable_and_invalid_queries():
    assert scores.graphql_scores("query { files(", REF, SCHEMA)["parsed"] == 0.0
    assert scores.graphql_scores("query { nope }", REF, SCHEMA) == {"parsed": 1.0, "valid": 0.0, "exact_match": 0.0,
                                                                    "shape_match": 0.0, "correct": 0.0}


FORMATS = [chat_format.TinyFormat(), chat_format.TaggedToolsFormat()]


def tool_row(calls: list[dict]) -> dict:
    """A test row whose reference reply makes these calls."""
    return {"id": "t", "category": "tool_use", "messages": [{"role": "user", "content": "do it"},
                                                            {"role": "assistant", "content": "", "tool_calls": calls}]}


def written(fmt, calls) -> str:
    """What a model using `fmt` writes for these calls (the reference renderer of the format)."""
    return fmt.render_reply({"content": "", "tool_calls": calls}) + (fmt.stop or "")


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_tool_calls_match_on_names_and_parsed_arguments(fmt):
    ref = [tool_call("c0", "tag_file", {"path": "/a.pdf", "tag": "work"})]
    reordered = written(fmt, [tool_call("c0", "tag_file", {"tag": "work", "path": "/a.pdf"})])
    assert evaluate.score(tool_row(ref), reordered, None, fmt) == \
        {"tool_name_match": 1.0, "tool_call_exact": 1.0, "unparsed": 0.0}
    wrong_value = reordered.replace("work", "home")
    assert evaluate.score(tool_row(ref), wrong_value, None, fmt) == \
        {"tool_name_match": 1.0, "tool_call_exact": 0.0, "unparsed": 0.0}
    assert evaluate.score(tool_row(ref), "I moved it.", None, fmt) == \
        {"tool_name_match": 0.0, "tool_call_exact": 0.0, "unparsed": 0.0}
    cut_short = reordered[: reordered.index("work")]
    assert evaluate.score(tool_row(ref), cut_short, None, fmt)["unparsed"] == 1.0  # counted, not hidden


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_parallel_calls_match_in_any_order(fmt):
    ref = [tool_call("c0", "a", {"x": 1}), tool_call("c1", "b", {})]
    text = written(fmt, [tool_call("c1", "b", {}), tool_call("c0", "a", {"x": 1})])
    assert evaluate.score(tool_row(ref), text, None, fmt)["tool_call_exact"] == 1.0


def test_summary_turns_token_losses_into_perplexity():
    per_example = [{"category": "qa", "loss_sum": 2.0, "loss_tokens": 2, "scores": {"token_f1": 0.5}},
                   {"category": "qa", "loss_sum": 0.0, "loss_tokens": 2, "scores": {"token_f1": 1.0}}]
    out = evaluate.summarize(per_example)
    assert out == {"qa": {"n": 2, "loss": 0.5, "perplexity": round(2.718281828 ** 0.5, 3), "token_f1": 0.75}}
    json.dumps(out)


@pytest.mark.parametrize("prediction", [
    'query { files(first: 10, filter: { kind: VIDEO }) { edges { node { name id } } } }',
    'query { files(filter: {kind: VIDEO}, first: 10) {\n  edges {\n    node { name\n id } } } }',
])
def test_field_and_argument_order_do_not_matter(prediction):
    """Regression: a model that writes the same query in another order must get credit."""
    assert scores.graphql_scores(prediction, REF, SCHEMA)["exact_match"] == 1.0


@pytest.mark.parametrize("prediction", [
    REF.replace("VIDEO", "IMAGE"),                 # a wrong enum value
    REF.replace("name", "size"),                   # a wrong field
    REF.replace("files(", "videos: files("),       # an alias the request did not ask for
    REF.replace("{ id name }", "{ id }"),          # a missing field
])
def test_any_real_difference_is_not_a_match(prediction):
    assert scores.graphql_scores(prediction, REF, SCHEMA)["exact_match"] == 0.0


def test_nested_input_objects_and_inline_fragments_are_canonical():
    a = 'query { search(text: "x") { __typename ... on Tag { name color } ... on File { size } } }'
    b = 'query { search(text: "x") { ... on File { size } __typename ... on Tag { color name } } }'
    assert scores.canonical_graphql(a) == scores.canonical_graphql(b)
    assert "color" in scores.canonical_graphql(a) and "size" in scores.canonical_graphql(a)  # bodies kept, sorted
    other_body = a.replace("... on Tag { name color }", "... on Tag { name }")
    assert scores.canonical_graphql(other_body) != scores.canonical_graphql(a)
    other_type = a.replace("... on File {", "... on Folder {")
    assert scores.canonical_graphql(other_type) != scores.canonical_graphql(a)
    c = 'query { files(filter: { kind: VIDEO, sizeGt: 5 }, sort: { direction: DESC, field: SIZE }) { edges { node { id } } } }'
    d = 'query { files(sort: { field: SIZE, direction: DESC }, filter: { sizeGt: 5, kind: VIDEO }) { edges { node { id } } } }'
    assert scores.canonical_graphql(c) == scores.canonical_graphql(d)


def test_rouge_l_and_token_f1_on_known_pairs():
    assert scores.rouge_l("a b c d", "a b c d") == 1.0
    assert scores.rouge_l("d c b a", "a b c d") == 0.25  # one token in order
    assert scores.token_f1("d c b a", "a b c d") == 1.0  # bag of words


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A small tiny model (random weights, a BPE tokenizer) loaded as mlx-lm loads any model."""
    from mlx_lm import load

    from tasks.core.config import TinyModelParams
    from tasks.tuner import tiny_model

    path = tmp_path_factory.mktemp("tiny")
    texts = QUESTIONS + ["Files are kept in folders, and folders can be shared."] * 4
    tiny_model.build(texts, texts, TinyModelParams(vocab_size=300, hidden_size=32, num_layers=2, num_heads=2,
                                                   intermediate_size=64, pretrain_iters=0), 2, 0, path, 512)
    return load(str(path))


QUESTIONS = ["Where is the trash?", "How do I share a folder with a team of five people?", "Tags?"]


def qa_rows(system: str | None = None) -> list[dict]:
    head = [{"role": "system", "content": system}] if system else []
    return [{"category": "qa", "messages": head + [{"role": "user", "content": q},
                                                   {"role": "assistant", "content": "Folders can be shared. " * 3}]}
            for q in QUESTIONS]


def test_batched_generation_gives_the_tokens_of_one_row_at_a_time(tiny):
    """evaluate decodes many rows at once (mlx-lm's BatchGenerator, prompts of different lengths,
    a shared system prompt computed once); greedy decoding must give each row what decoding it
    alone gives."""
    import mlx.core as mx
    from mlx_lm.generate import generate_step

    from tasks.core.records import prompt_and_reference

    model, tokenizer = tiny
    fmt = chat_format.TinyFormat()
    rows = qa_rows() + qa_rows(system="You answer questions about folders.")  # the last three share a prefix
    shared = evaluate.shared_prefixes(rows, [evaluate.chat_tokens(tokenizer, fmt, r["messages"][:-1], None, True)
                                             for r in rows])
    assert shared[:3] == [0, 0, 0] and shared[3] > 0 and len(set(shared[3:])) == 1
    batched = evaluate.generate_replies(model, tokenizer, rows, 24, fmt, "test")
    for row, text in zip(rows, batched):
        prompt = evaluate.chat_tokens(tokenizer, fmt, prompt_and_reference(row)[0], None, prompt=True)
        alone = []
        for token, _ in generate_step(mx.array(prompt), model, max_tokens=evaluate.reply_budget(tokenizer, fmt, row, 24)):
            if token in tokenizer.eos_token_ids:
                break
            alone.append(token)
        assert text == tokenizer.decode(alone, skip_special_tokens=False)
    assert any(batched)


def test_batched_reference_losses_equal_each_row_run_alone(tiny):
    """evaluate computes the reference replies' losses in batches (a shared system prompt once);
    each row's summed loss and token count must be what running that row alone gives."""
    import mlx.core as mx
    import mlx.nn as nn

    from tasks.core.records import prompt_and_reference

    model, tokenizer = tiny
    fmt = chat_format.TinyFormat()
    rows = qa_rows() + qa_rows(system="You answer questions about folders.")
    batched = evaluate.reference_losses(model, tokenizer, rows, fmt, batch_size=2)
    for row, (loss_sum, n) in zip(rows, batched):
        prompt, reference = prompt_and_reference(row)
        context = evaluate.chat_tokens(tokenizer, fmt, prompt, None, prompt=True)
        full = mx.array(evaluate.chat_tokens(tokenizer, fmt, prompt + [reference], None, prompt=False))[None]
        alone = nn.losses.cross_entropy(model(full[:, :-1]), full[:, 1:])[0, len(context) - 1:]
        assert n == alone.shape[0] > 0
        assert loss_sum == pytest.approx(alone.sum().item(), rel=1e-4)
