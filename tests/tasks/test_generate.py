import datetime as dt

import pytest

from tasks import generate
from tasks import parse as parse_stage
from tasks.core.config import CATEGORIES, GenerateParams, ParseParams
from tasks.core.io import read_jsonl
from tasks.testing.projects import EXAMPLE, example_sources, only_sources, tmp_paths

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox",
                   quotas={"qa": 50, "text-to-graphql": 200, "tool_use": 100, "conversation": 50})

def test_generate_stage_is_deterministic_and_reports_shortfalls(tmp_path):
    sources = example_sources()
    outputs = []
    for name in ("a", "b"):
        paths = tmp_paths(tmp_path / name)
        parse_stage.run(ParseParams(), sources, paths)
        report = generate.run(P, paths)
        outputs.append(paths.generated.read_bytes())
    assert outputs[0] == outputs[1]
    cats = report["categories"]
    assert cats["text-to-graphql"]["produced"] >= 200 and "shortfall" not in cats["text-to-graphql"]
    assert cats["conversation"]["shortfall"] > 0 and "rated below 4" in cats["conversation"]["why"]
    seeds = [ex for ex in read_jsonl(paths.generated) if ex["meta"].get("seed")]
    assert {ex["category"] for ex in seeds} == set(CATEGORIES)
    assert all(ex["meta"]["graphql_valid"] for ex in seeds if ex["category"] == "text-to-graphql")


def test_missing_sources_skip_their_generators(tmp_path):
    paths = tmp_paths(tmp_path)
    parse_stage.run(ParseParams(), only_sources(docs=EXAMPLE / "docs"), paths)
    report = generate.run(P, paths)
    assert report["generators"]["qa"]["status"] == "ran"
    assert report["generators"]["tool_use"] == {"status": "skipped", "reason": "no tools (sources.tools is null)"}
    assert report["categories"]["tool_use"]["why"] == "no tools (sources.tools is null)"


def test_the_product_is_the_docs_title_when_the_param_is_unset():
    from tasks.core.io import InputError
    from tasks.generate import product_name

    chunks = [{"file": "guide/sharing.md", "heading_path": ["Sharing", "Links"]},
              {"file": "README.md", "heading_path": ["**Acme** Drive"]},
              {"file": "guide/search.md", "heading_path": ["Search"]}]
    params = P.model_copy(update={"product": None})
    assert product_name(params, chunks) == ("Acme Drive", "the docs' top-level title")
    assert product_name(P, chunks)[1] == "generate.product"
    with pytest.raises(InputError, match="set generate.product"):
        product_name(params, chunks[:1] + chunks[2:])  # two files, each its own title: no top-level one


def test_an_unset_product_is_named_from_the_docs_in_every_category(tmp_path):
    """generate.product: null -> the docs' README title, in every generator's words and system
    prompts; the bundled product's name appears nowhere."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "README.md").write_text("# Acme Drive\n\nAcme Drive keeps a team's files in one place.\n\n"
                                    "## Sharing files\n\nTo share a file, open it and choose Share. "
                                    "A share link is a read-only address anyone can open.\n")
    paths = tmp_paths(tmp_path / "run")
    parse_stage.run(ParseParams(), only_sources(docs=docs, graphql_schema=EXAMPLE / "schema.graphql",
                                                tools=EXAMPLE / "tools.json"), paths)
    report = generate.run(P.model_copy(update={"product": None}), paths)
    assert (report["product"], report["product_from"]) == ("Acme Drive", "the docs' top-level title")
    examples = read_jsonl(paths.generated)
    assert {ex["category"] for ex in examples} == {"qa", "text-to-graphql", "tool_use"}
    for ex in examples:
        assert "Acme Drive" in ex["messages"][0]["content"], ex["messages"][0]
        assert "Filebox" not in " ".join(m["content"] for m in ex["messages"])
