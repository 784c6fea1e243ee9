"""The golden set: examples a person wrote by hand, which evaluate scores apart from the test split.

A typed JSONL file (`sources.eval_set`), the seed examples' format, with what scoring needs:

    {"type": "qa", "question": "...", "answer": "...", "facts": ["5 GB", ["two", "2"]], "source": ["plans.md"]}
    {"type": "text-to-graphql", "natural_language_query": "...", "graphql_query": "...", "fields": ["size"]}
    {"type": "tool_use", "messages": [{"role": "user", ...}, {"role": "assistant", "tool_calls": [...]}]}
    {"type": "conversation", "messages": [...]}

`facts`: what a right answer must state (each a string, or a list of its accepted forms), checked
as whole words; `source`: the doc file(s) holding them, for retrieval recall (optional). `fields`:
the fields the request names, which a reply must select (dotted suffixes such as "folder.path";
none: any selection will do). Only evaluate reads this file: no generator, no split, no training
sees it, so its figures say how the model serves words it was never shown.
"""
from __future__ import annotations

import json
from pathlib import Path

from tasks.core.config import GenerateParams
from tasks.core.io import InputError, read_jsonl
from tasks.core.records import Example
from tasks.generators import seeds


def _facts_ok(facts) -> bool:
    return isinstance(facts, list) and all(
        isinstance(f, str) and f.strip() or isinstance(f, list) and f and all(isinstance(a, str) and a.strip() for a in f)
        for f in facts)


def _json_object(text) -> bool:
    try:
        return isinstance(text, str) and isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False


def check_row(row: dict, where: str, tool_names: set[str] | None, schema) -> None:
    """A golden row's own fields, beyond what a seed needs; a problem is an InputError at `where`."""
    kind = row.get("type")
    if kind == "qa":
        if "facts" in row and not _facts_ok(row["facts"]):
            raise InputError(f"{where}: facts must be a list of strings (or of lists of accepted forms)")
        source = row.get("source")
        if source is not None and not (isinstance(source, str) or isinstance(source, list)
                                       and all(isinstance(s, str) for s in source)):
            raise InputError(f"{where}: source must be a doc file's path, or a list of them")
    elif kind == "text-to-graphql":
        fields = row.get("fields", [])
        if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
            raise InputError(f"{where}: fields must be a list of field names, e.g. [\"size\", \"folder.path\"]")
        if schema is None:
            raise InputError(f"{where}: a text-to-graphql example needs sources.graphql_schema")
        if "graphql_query" in row and not seeds.graphql_verdict(str(row["graphql_query"]), schema):
            raise InputError(f"{where}: graphql_query is not valid against the schema; fix the reference")
    elif kind in ("tool_use", "conversation") and "messages" in row:
        messages = row["messages"]
        if not isinstance(messages, list) or not all(isinstance(m, dict) and "role" in m for m in messages) \
                or not any(m["role"] == "assistant" for m in messages):
            raise InputError(f"{where}: messages must be a list of {{role, content}} with an assistant turn to score")
        for m in messages:
            for call in m.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                name = function.get("name") if isinstance(function, dict) else None
                if tool_names is not None and name not in tool_names:
                    raise InputError(f"{where}: calls {name!r}, which sources.tools does not define")
                if not _json_object(function.get("arguments")):
                    raise InputError(f"{where}: the arguments of {name!r} must be a JSON object written as a string")


def read(path: Path, p: GenerateParams, tools: list[dict] | None, sdl: str | None) -> list[Example]:
    """The golden set as examples with the system prompts training used (p.product resolved), each
    carrying in `meta` what its scorer needs: `facts`, `files`, `fields`."""
    from graphql import build_schema

    if not Path(path).is_file():
        raise InputError(f"{path}: not found (sources.eval_set, or --eval-set); fix the path or set it to null")
    rows = read_jsonl(path)
    with open(path, encoding="utf-8") as f:
        lines = [i for i, line in enumerate(f, 1) if line.strip()]
    schema = build_schema(sdl) if sdl else None
    names = {t["function"]["name"] for t in tools} if tools else None
    out = []
    for lineno, row in zip(lines, rows):
        row["line"] = lineno
        check_row(row, f"{path}:{lineno}", names, schema)
        (ex,) = seeds.from_seeds([row], p, str(path), tools, sdl)  # the type and the fields a seed needs
        meta = {"golden": True, "line": lineno}
        if row["type"] == "qa":
            source = row.get("source")
            meta |= {"facts": row.get("facts"), "files": [source] if isinstance(source, str) else source}
        if row["type"] == "text-to-graphql":
            meta["fields"] = row.get("fields", [])
        out.append({**ex, "meta": {**ex["meta"], **meta}})
    if not out:
        raise InputError(f"{path}: no examples in it")
    return out
