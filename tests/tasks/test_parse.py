import json
import sqlite3

import pytest

from tasks import parse
from tasks.core.config import ParseParams
from tasks.core.io import InputError, read_jsonl
from tasks.testing.projects import EXAMPLE, example_sources, only_sources, tmp_paths

P = ParseParams()


def test_chunks_carry_exact_spans_and_keep_code_blocks_whole():
    text = "# Title\n\nIntro.\n\n## Code\n\n```\n# not a heading\n\nstill code\n```\n\nAfter.\n"
    chunks = parse.chunk_document("a.md", text, max_chars=1000)
    assert [c["heading_path"] for c in chunks] == [["Title"], ["Title", "Code"]]
    for c in chunks:
        assert text[c["start"]:c["end"]] == c["text"]
    assert "# not a heading\n\nstill code" in chunks[1]["text"]


def test_long_sections_are_cut_at_block_boundaries():
    paras = [f"Paragraph {i} " + "word " * 30 for i in range(6)]
    text = "# Long\n\n" + "\n\n".join(paras) + "\n"
    chunks = parse.chunk_document("a.md", text, max_chars=400)
    assert len(chunks) > 1
    assert all(len(c["text"]) <= 400 for c in chunks)
    assert "".join(c["text"] for c in chunks).count("Paragraph") == 6  # nothing lost


def test_parse_writes_every_source_and_reports_counts(tmp_path):
    paths = tmp_paths(tmp_path)
    report = parse.run(P, example_sources(), paths)
    assert {s["status"] for s in report["sources"].values()} == {"parsed"}
    assert report["sources"]["conversations"]["conversations"] == 50
    chunks = read_jsonl(paths.parsed_file("docs"))
    text = (EXAMPLE / "docs" / chunks[0]["file"]).read_text()
    assert text[chunks[0]["start"]:chunks[0]["end"]] == chunks[0]["text"]


def test_null_source_is_skipped_with_reason(tmp_path):
    report = parse.run(P, example_sources(tools=None), tmp_paths(tmp_path))
    assert report["sources"]["tools"] == {"status": "skipped", "reason": "sources.tools is null"}


def test_image_beside_docs_is_skipped_and_counted(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nText.\n")
    (docs / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    report = parse.run(P, only_sources(docs=docs), tmp_paths(tmp_path))
    assert report["sources"]["docs"]["skipped_files"] == {"not a document type (.png)": 1}


@pytest.mark.parametrize("case", ["non_utf8", "empty_docs", "missing", "bad_sdl", "bad_seed_line", "not_sqlite", "bad_tools"])
def test_bad_input_names_the_file_and_writes_nothing(tmp_path, case):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nText.\n")
    sources = {"docs": docs}
    expected = None
    if case == "non_utf8":
        (docs / "b.md").write_bytes("caf\xe9".encode("latin-1"))
        expected = r"b\.md: not UTF-8"
    elif case == "empty_docs":
        (docs / "a.md").unlink()
        expected = "no documents"
    elif case == "missing":
        sources["tools"] = tmp_path / "nope.json"
        expected = r"nope\.json: not found \(sources\.tools"
    elif case == "bad_sdl":
        (tmp_path / "s.graphql").write_text("type Query {\n  files: [File!\n}\n")
        sources["graphql_schema"] = tmp_path / "s.graphql"
        expected = r"s\.graphql:[23]: invalid GraphQL schema"  # the line where the parser noticed
    elif case == "bad_seed_line":
        (tmp_path / "seed.jsonl").write_text('{"type": "qa"}\n{not json\n')
        sources["seed_examples"] = tmp_path / "seed.jsonl"
        expected = r"seed\.jsonl:2: not valid JSON"
    elif case == "not_sqlite":
        (tmp_path / "log.db").write_text("this is not a database, just text\n" * 20)
        sources["conversations"] = tmp_path / "log.db"
        expected = r"log\.db: cannot read the conversation log"
    elif case == "bad_tools":
        (tmp_path / "tools.json").write_text('[{"description": "a tool with no name"}]')
        sources["tools"] = tmp_path / "tools.json"
        expected = "tool #0 is not OpenAI-style"
    paths = tmp_paths(tmp_path)
    with pytest.raises(InputError, match=expected):
        parse.run(P, only_sources(**sources), paths)
    assert not paths.parsed.exists()


def test_unrated_and_rated_conversations_are_read(tmp_path):
    db = tmp_path / "log.db"
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE conversations (id INTEGER PRIMARY KEY, started_at TEXT, rating INTEGER);
        CREATE TABLE messages (conversation_id INTEGER, position INTEGER, role TEXT, content TEXT);
        INSERT INTO conversations VALUES (1, '2026-01-01', 5), (2, '2026-01-02', NULL);
        INSERT INTO messages VALUES (1, 1, 'assistant', 'Hello.'), (1, 0, 'user', 'Hi?');
    """)
    con.commit()
    con.close()
    records, counts = parse.parse_conversations(db)
    assert [r["rating"] for r in records] == [5, None]
    assert records[0]["messages"] == [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]
    assert counts == {"conversations": 2, "messages": 2}


def test_redacted_chunks_say_where_each_placeholder_stands_in_the_file(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    text = "# Support\n\nWrite to ana.lopez@example.org or call +1 415-555-0132 for help.\n"
    (docs / "a.md").write_text(text)
    paths = tmp_paths(tmp_path)
    report = parse.run(P, only_sources(docs=docs), paths)
    [chunk] = read_jsonl(paths.parsed_file("docs"))
    assert report["redacted"] == {"EMAIL": 1, "PHONE": 1}
    assert "ana.lopez" not in chunk["text"] and "[EMAIL]" in chunk["text"]
    assert [text[chunk["start"] + a:chunk["start"] + b] for a, b, _ in chunk["redactions"]] == \
        ["ana.lopez@example.org", "+1 415-555-0132"]


def test_tool_definitions_in_every_common_shape_read_as_openai(tmp_path):
    """OpenAI chat, OpenAI Responses, the legacy `functions` list, Anthropic and MCP definitions,
    bare or under "tools": the same OpenAI-style tool; a name used twice is an error naming it."""
    schema = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
    want = {"type": "function", "function": {"name": "open_file", "description": "Open a file.", "parameters": schema}}
    shapes = {"openai": want,
              "openai-responses": {"type": "function", "name": "open_file", "description": "Open a file.", "parameters": schema},
              "functions": {"name": "open_file", "description": "Open a file.", "parameters": schema},
              "anthropic": {"name": "open_file", "description": "Open a file.", "input_schema": schema},
              "mcp": {"name": "open_file", "description": "Open a file.", "inputSchema": schema}}
    for shape, tool in shapes.items():
        for wrapped in ([tool], {"tools": [tool]}):
            path = tmp_path / "tools.json"
            path.write_text(json.dumps(wrapped))
            tools, info = parse.parse_tools(path)
            assert tools == [want] and info == {"tools": 1, "shapes": {shape: 1}}, shape
    path.write_text(json.dumps([want, shapes["mcp"]]))
    with pytest.raises(InputError, match=r"tools\.json: tool #1: the name 'open_file' is used twice"):
        parse.parse_tools(path)
