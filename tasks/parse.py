"""Parse the sources into normalized records with provenance.

Reads:  sources.* (docs folder, GraphQL schema, tools.json, SQLite conversation log, seed JSONL)
Writes: paths.parsed/, one file per source (names in tasks/core/layout.py)
Params: parse.*

A source set to null is skipped and the report says so; a source that is set but missing or
malformed stops the stage with a message naming the file (and line). PII and secrets in docs,
conversations, seeds and tools are replaced by typed placeholders (tasks/quality/redact.py); doc chunks
keep their character span in the original file, and where each placeholder stands in it, so that
an offset into a chunk's redacted text maps back to the file (redact.source_offset).
"""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Iterator

from tasks.core.config import ParseParams, Sources
from tasks.core.io import InputError, atomic_path, read_json, read_jsonl, write_json, write_jsonl, write_text
from tasks.core.layout import Paths
from tasks.core.stage import stage_main
from tasks.quality.redact import apply_spans, redact_all, redaction_spans

# --- docs -------------------------------------------------------------------------------------

def markdown_sections(text: str) -> Iterator[tuple[list[str], int, int, list[tuple[int, int]]]]:
    """Split markdown into sections at headings, with a real parser (code fences stay intact).

    Yields (heading_path, first_body_line, end_line, blocks) where blocks are the (start, end)
    line ranges of the top-level blocks in the section body.

    >>> [s[0] for s in markdown_sections("# A\\ntext\\n## B\\n```\\n# not a heading\\n```\\n")]
    [['A'], ['A', 'B']]
    """
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    n_lines = len(text.splitlines())
    path: list[str] = []
    current: tuple[list[str], int] = ([], 0)
    blocks: list[tuple[int, int]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            if current[0] or blocks:  # a preamble before the first heading counts only if non-empty
                yield current[0], current[1], tok.map[0], blocks
            level = int(tok.tag[1])
            title = tokens[i + 1].content.strip()
            path = path[: level - 1] + [title]
            current, blocks = (list(path), tok.map[1]), []
        elif tok.level == 0 and tok.map is not None and tok.nesting in (0, 1):
            blocks.append((tok.map[0], tok.map[1]))
    if current[0] or blocks:
        yield current[0], current[1], n_lines, blocks


def chunk_document(rel: str, text: str, max_chars: int) -> list[dict]:
    """Cut one document into chunks: one per section, split further at block boundaries
    when a section is longer than `max_chars`. Each chunk carries file, heading path and
    its character span in the file, so text[start:end] is exactly the chunk."""
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def span(first: int, last: int) -> tuple[int, int]:
        return line_starts[first], line_starts[min(last, len(line_starts) - 1)]

    def size(first: int, last: int) -> int:
        start, end = span(first, last)
        return end - start

    chunks = []
    for heading_path, _, _, blocks in markdown_sections(text):
        groups: list[list[tuple[int, int]]] = []
        for block in blocks:
            if groups and size(groups[-1][0][0], block[1]) <= max_chars:
                groups[-1].append(block)
            else:
                groups.append([block])
        for group in groups:
            start, end = span(group[0][0], group[-1][1])
            raw = text[start:end]
            body = raw.strip()
            if not body:
                continue
            start += len(raw) - len(raw.lstrip())
            chunks.append({
                "id": f"{rel}#{len(chunks)}",
                "file": rel,
                "heading_path": heading_path,
                "start": start,
                "end": start + len(body),
                "text": body,
            })
    return chunks


def parse_docs(root: Path, p: ParseParams) -> tuple[list[dict], dict]:
    """All documents under `root` -> chunks. Files of other types are skipped and counted."""
    if root.is_file():
        files, base = [root], root.parent
    else:
        files, base = sorted(f for f in root.rglob("*") if f.is_file()), root
    chunks, skipped, n_docs = [], {}, 0
    for f in files:
        rel = f.relative_to(base).as_posix()
        if f.suffix.lower() not in p.doc_suffixes:
            reason = f"not a document type ({f.suffix or 'no suffix'})"
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise InputError(
                f"{f}: not UTF-8 text (byte {e.start}); convert it to UTF-8 or move it out of the docs folder"
            ) from None
        n_docs += 1
        chunks.extend(chunk_document(rel, text, p.max_chunk_chars))
    if n_docs == 0:
        raise InputError(
            f"{root}: no documents ({', '.join(p.doc_suffixes)}) found; "
            "point sources.docs at your documentation or set it to null"
        )
    return chunks, {"files": n_docs, "chunks": len(chunks), "skipped_files": skipped}


# --- GraphQL schema -------------------------------------------------------------------------

def graphql_line(error) -> str:
    """":<line>" where a GraphQL error points, counted here: graphql-core 3.2 reports the line
    before when the position is the first column of a line."""
    if error.positions and error.source is not None:
        return f":{error.source.body.count(chr(10), 0, error.positions[0]) + 1}"
    return f":{error.locations[0].line}" if error.locations else ""


def parse_schema(path: Path) -> tuple[str, dict]:
    """SDL or an introspection JSON result -> SDL text, checked by graphql-core."""
    from graphql import GraphQLError, build_client_schema, build_schema, print_schema, validate_schema

    text = path.read_text(encoding="utf-8")
    introspection = text.lstrip().startswith("{")
    try:
        if introspection:
            data = json.loads(text)
            schema = build_client_schema(data.get("data", data))
        else:
            schema = build_schema(text)
        errors = validate_schema(schema)  # what build_schema leaves for a server to find at run time
        if errors:
            raise errors[0]
    except GraphQLError as e:
        raise InputError(f"{path}{graphql_line(e)}: invalid GraphQL schema: {e.message}") from None
    except (json.JSONDecodeError, TypeError, KeyError, AttributeError) as e:
        if not introspection:  # build_schema reports unknown types and bad extensions as TypeError
            raise InputError(f"{path}: invalid GraphQL schema: {' '.join(str(e).split())}") from None
        raise InputError(f"{path}: not a GraphQL introspection result ({e})") from None
    if schema.query_type is None:
        raise InputError(f"{path}: the schema has no Query type")
    n_types = sum(1 for name in schema.type_map if not name.startswith("__"))
    return print_schema(schema), {"types": n_types, "has_mutations": schema.mutation_type is not None}


# --- tools ----------------------------------------------------------------------------------

TOOL_SHAPES = '{"type": "function", "function": {"name", "description", "parameters"}}'


def as_openai_tool(tool) -> tuple[dict | None, str]:
    """One tool definition in any of the common shapes -> (OpenAI chat style, the shape's name), or
    (None, "") when it is none of them. Shapes: OpenAI chat ({"type": "function", "function":
    {...}}), OpenAI Responses ({"type": "function", "name", "parameters"}), the legacy `functions`
    list ({"name", "parameters"}), Anthropic ({"name", "input_schema"}), MCP ({"name", "inputSchema"})."""
    if not isinstance(tool, dict):
        return None, ""
    if isinstance(tool.get("function"), dict):
        fn, shape = tool["function"], "openai"
    else:
        key = next((k for k in ("parameters", "input_schema", "inputSchema") if k in tool), "parameters")
        shape = {"input_schema": "anthropic", "inputSchema": "mcp"}.get(key, "openai-responses" if "type" in tool else "functions")
        fn = {"name": tool.get("name"), "description": tool.get("description", ""), "parameters": tool.get(key, {})}
        fn.update({k: v for k, v in tool.items() if k.startswith("x-")})  # x-result-example / x-result-schema
    if not isinstance(fn.get("name"), str) or not fn["name"] or not isinstance(fn.get("parameters", {}), dict):
        return None, ""
    return {"type": "function", "function": fn}, shape


def parse_tools(path: Path) -> tuple[list[dict], dict]:
    """Tool definitions: a JSON list (or {"tools": [...]} / {"functions": [...]}) of OpenAI-style
    definitions, or of the other shapes `as_openai_tool` reads, each turned into OpenAI's."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("tools", data.get("functions")), list):
        data = data.get("tools", data.get("functions"))
    if not isinstance(data, list):
        raise InputError(f'{path}: expected a JSON list of tool definitions (or {{"tools": [...]}})')
    tools, shapes, names = [], {}, set()
    for i, item in enumerate(data):
        tool, shape = as_openai_tool(item)
        if tool is None:
            raise InputError(f"{path}: tool #{i} is not OpenAI-style ({TOOL_SHAPES}); it needs a name "
                             "and, if it has parameters, a JSON Schema object for them")
        fn = tool["function"]
        if fn["name"] in names:
            raise InputError(f"{path}: tool #{i}: the name {fn['name']!r} is used twice; tool names must be unique")
        names.add(fn["name"])
        try:
            Draft202012Validator.check_schema(fn.get("parameters", {}))
        except SchemaError as e:
            raise InputError(f"{path}: tool {fn['name']!r}: parameters are not a valid JSON schema: {e.message}") from None
        tools.append(tool)
        shapes[shape] = shapes.get(shape, 0) + 1
    return tools, {"tools": len(tools), "shapes": shapes}


# --- conversations --------------------------------------------------------------------------

def parse_conversations(path: Path) -> tuple[list[dict], dict]:
    """The SQLite log -> one record per conversation, with its rating (None if unrated)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            convs = db.execute("SELECT id, started_at, rating FROM conversations ORDER BY id").fetchall()
            msgs = db.execute(
                "SELECT conversation_id, role, content FROM messages ORDER BY conversation_id, position"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        raise InputError(
            f"{path}: cannot read the conversation log ({e}); it must be a SQLite database with "
            "tables conversations(id, started_at, rating) and messages(conversation_id, position, role, content)"
        ) from None
    by_conv: dict[int, list[dict]] = {}
    for conv_id, role, content in msgs:
        by_conv.setdefault(conv_id, []).append({"role": role, "content": content})
    records = [
        {"id": f"conversation/{cid}", "started_at": started, "rating": rating, "messages": by_conv.get(cid, [])}
        for cid, started, rating in convs
    ]
    return records, {"conversations": len(records), "messages": len(msgs)}


# --- seeds ----------------------------------------------------------------------------------

def parse_seeds(path: Path) -> tuple[list[dict], dict]:
    """Hand-written typed examples; each keeps its line number for provenance."""
    rows = read_jsonl(path)
    with open(path, encoding="utf-8") as f:
        line_numbers = [i for i, line in enumerate(f, 1) if line.strip()]
    for lineno, row in zip(line_numbers, rows):
        row["line"] = lineno
    return rows, {"seeds": len(rows)}


PARSERS = {
    "docs": parse_docs,
    "graphql_schema": lambda path, p: parse_schema(path),
    "tools": lambda path, p: parse_tools(path),
    "conversations": lambda path, p: parse_conversations(path),
    "seed_examples": lambda path, p: parse_seeds(path),
}


def redact_chunks(chunks: list[dict], counts: Counter) -> list[dict]:
    """Each chunk's text redacted, with `redactions`: the [start, end, kind] of every placeholder's
    original text, in the chunk's own offsets; the heading path redacted too."""
    out = []
    for chunk in chunks:
        spans = redaction_spans(chunk["text"])
        counts.update(kind for _, _, kind in spans)
        out.append({**chunk, "heading_path": redact_all(chunk["heading_path"], counts),
                    "text": apply_spans(chunk["text"], spans), "redactions": [list(s) for s in spans]})
    return out


def read_sources(p: ParseParams, sources: Sources) -> tuple[dict[str, object], dict]:
    """Each source that is set, parsed; the report says per source what was read or why not."""
    outputs: dict[str, object] = {}
    report: dict = {}
    for name, parser in PARSERS.items():
        path = getattr(sources, name)
        if path is None:
            report[name] = {"status": "skipped", "reason": f"sources.{name} is null"}
            continue
        if not path.exists():
            raise InputError(f"{path}: not found (sources.{name} in params.yaml); fix the path or set it to null")
        outputs[name], counts = parser(path, p)
        report[name] = {"status": "parsed", "path": str(path), **counts}
    return outputs, report


def run(p: ParseParams, sources: Sources, paths: Paths) -> dict:
    outputs, report = read_sources(p, sources)
    # PII and secrets are replaced before anything downstream can see them.
    redacted: Counter = Counter()
    if "docs" in outputs:
        outputs["docs"] = redact_chunks(outputs["docs"], redacted)
    for name in ("conversations", "seed_examples", "tools"):
        if name in outputs:
            outputs[name] = redact_all(outputs[name], redacted)

    with atomic_path(paths.parsed) as tmp:
        tmp.mkdir()
        written = paths.model_copy(update={"parsed": tmp})
        for name, data in outputs.items():
            target = written.parsed_file(name)
            if isinstance(data, str):
                write_text(target, data)
            elif name == "tools":
                write_json(target, data)
            else:
                write_jsonl(target, data)
    return {"sources": report, "redacted": dict(sorted(redacted.items()))}


def main(argv: list[str] | None = None) -> None:
    stage_main("parse", __doc__, argv, lambda params: run(params.parse, params.sources, params.paths))


if __name__ == "__main__":
    main()
