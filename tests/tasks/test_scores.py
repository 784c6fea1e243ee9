"""The scorers a user's figures rest on: each shown passing the answers a person would accept and
failing the ones a person would not."""
import pytest
from graphql import build_schema

from tasks.evaluation.scores import fact_scores, graphql_scores, has_fact, key_facts, token_f1, tool_scores
from tasks.testing.projects import EXAMPLE

SCHEMA = build_schema((EXAMPLE / "schema.graphql").read_text())
PDFS = '{ files(filter: {nameContains: ".pdf", sizeGt: 20971520}) { edges { node { id name size } } } }'


def test_other_fields_with_the_right_arguments_are_correct_but_not_exact():
    reply = 'query { files(filter: {sizeGt: 20971520, nameContains: ".pdf"}) { edges { node { name path } } } }'
    s = graphql_scores(reply, PDFS, SCHEMA, named=[])
    assert s["correct"] == 1.0 and s["exact_match"] == 0.0


def test_an_argument_left_at_its_default_counts_as_given():
    """first: 20 is files' default, direction DESC is FileSort's: saying them or not is the same request."""
    ref = '{ files(sort: {field: SIZE}) { edges { node { id } } } }'
    said = '{ files(sort: {field: SIZE, direction: DESC}, first: 20) { edges { node { id } } } }'
    assert graphql_scores(said, ref, SCHEMA, named=[])["correct"] == 1.0
    other = '{ files(sort: {field: SIZE, direction: ASC}) { edges { node { id } } } }'
    assert graphql_scores(other, ref, SCHEMA, named=[])["correct"] == 0.0


def test_dates_are_compared_by_their_day():
    ref = '{ files(filter: {modifiedAfter: "2026-06-01T00:00:00Z"}) { totalCount } }'
    assert graphql_scores('{ files(filter: {modifiedAfter: "2026-06-01"}) { totalCount } }', ref, SCHEMA, [])["correct"] == 1.0
    assert graphql_scores('{ files(filter: {modifiedAfter: "2026-05-01"}) { totalCount } }', ref, SCHEMA, [])["correct"] == 0.0


@pytest.mark.parametrize("wrong", [
    '{ files(filter: {nameContains: ".pdf", sizeGt: 2097152}) { edges { node { id } } } }',   # 2 MB, not 20
    '{ files(filter: {nameContains: ".pdf"}) { edges { node { id } } } }',                    # the size dropped
    '{ files(filter: {kind: DOCUMENT, sizeGt: 20971520}) { edges { node { id } } } }',        # another condition
    '{ search(text: "pdf") { ... on File { id } } }',                                           # another root field
    'mutation { trashFile(id: "f_1") { id } }',                                                 # another operation
    '{ documents(sizeGt: 20971520) { id } }',                                                   # an invented root field
])
def test_a_wrong_query_is_not_correct(wrong):
    assert graphql_scores(wrong, PDFS, SCHEMA, named=[])["correct"] == 0.0


def test_a_field_the_request_names_must_be_selected():
    ref = '{ file(id: "f_812") { id name folder { path } } }'
    assert graphql_scores('{ file(id: "f_812") { folder { name } } }', ref, SCHEMA, ["folder"])["correct"] == 1.0
    assert graphql_scores('{ file(id: "f_812") { id name } }', ref, SCHEMA, ["folder"])["correct"] == 0.0
    # a generated request lists its fields: with no list given, the reference's every field but its ids is named
    assert graphql_scores('{ file(id: "f_812") { id name folder { name } } }', ref, SCHEMA)["correct"] == 0.0
    assert graphql_scores('{ file(id: "f_812") { name folder { path } } }', ref, SCHEMA)["correct"] == 1.0


def test_two_mutations_in_one_request_are_compared_as_a_set():
    ref = 'mutation { a: tagFile(id: "f_300", tag: "tax") { id } b: tagFile(id: "f_301", tag: "tax") { id } }'
    swapped = 'mutation { x: tagFile(id: "f_301", tag: "tax") { id name } y: tagFile(id: "f_300", tag: "tax") { id } }'
    assert graphql_scores(swapped, ref, SCHEMA, [])["correct"] == 1.0
    one = 'mutation { tagFile(id: "f_300", tag: "tax") { id } }'
    assert graphql_scores(one, ref, SCHEMA, [])["correct"] == 0.0


@pytest.mark.parametrize("reply,carries", [
    ("The Free plan gives you 5GB.", True),
    ("The Free plan gives you 5 GB.", True),
    ("5 gb of quota", True),
    ("The Free plan gives you 15 GB.", False),   # a wrong number, though "5 GB" is inside "15 GB" as text
    ("The Free plan gives you 5.5 GB.", False),
    ("The Free plan gives you 1 GB.", False),
    ("The Free plan offers 100% of the storage.", False),
])
def test_a_fact_is_carried_as_whole_words(reply, carries):
    assert has_fact(reply, "5 GB") is carries


def test_key_facts_need_every_fact_and_accept_listed_forms():
    facts = ["History", "Restore"]
    assert fact_scores("Open the file's History panel, pick a version and choose Restore.", facts)["key_facts"] == 1.0
    assert fact_scores("Open Settings and choose Version.", facts) == {"key_facts": 0.0, "facts_found": 0.0}
    assert fact_scores("It is kept for one year.", [["1 year", "one year"]])["key_facts"] == 1.0
    assert fact_scores("It is kept for one month.", [["1 year", "one year"]])["key_facts"] == 0.0
    assert has_fact("press Ctrl + Shift + N", "Ctrl+Shift+N") and not has_fact("press Ctrl+N", "Ctrl+Shift+N")


def test_key_facts_of_a_generated_answer_are_its_numbers_shortcuts_and_names():
    answer = "Deleted files go to the trash and stay there for 30 days. Press **Ctrl+T** or use the `Tag` button."
    assert key_facts(answer) == ["30 days", "Ctrl+T", "Tag"]
    assert key_facts("Filebox keeps your files organised.") == []


def test_token_f1_rewards_a_wrong_answer_in_the_right_style_where_key_facts_do_not():
    """Why key facts: the tuned model's real answer to "How do I restore a version?" shares half
    the reference's words and none of its facts."""
    wrong, right = "Open Settings and choose Version.", "Open the History panel and choose Restore."
    assert token_f1(wrong, right) > 0.5 and token_f1(right, right) == 1.0
    assert fact_scores(wrong, ["History", "Restore"])["key_facts"] == 0.0


def test_tool_calls_fail_a_wrong_call():
    ref = [{"function": {"name": "tag_file", "arguments": '{"path": "/a.pdf", "tag": "tax"}'}}]
    assert tool_scores([{"name": "sticking_tag_file", "arguments": {"path": "/a.pdf", "tag": "tax"}}], ref) == \
        {"tool_name_match": 0.0, "tool_call_exact": 0.0, "unparsed": 0.0}
    assert tool_scores([{"name": "tag_file", "arguments": {"path": "/b.pdf", "tag": "tax"}}], ref)["tool_call_exact"] == 0.0
