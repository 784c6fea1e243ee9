"""Hand-written seed examples, in the typed format of training_data.jsonl, passed through."""
from __future__ import annotations

from tasks.core.config import CATEGORIES, GenerateParams
from tasks.core.io import InputError
from tasks.core.records import Example, chat, make_example
from tasks.generators import graphql, qa, tools

REQUIRED = {
    "qa": ("question", "answer"),
    "text-to-graphql": ("natural_language_query", "graphql_query"),
    "tool_use": ("messages",),
    "conversation": ("messages",),
}


def graphql_verdict(query: str, schema) -> bool:
    """Whether a seed's query parses and is valid against the project's schema (False without one)."""
    from graphql import GraphQLError, parse, validate

    try:
        return schema is not None and not validate(schema, parse(query))
    except GraphQLError:
        return False


def from_seeds(rows: list[dict], p: GenerateParams, path: str, project_tools: list[dict] | None,
               sdl: str | None) -> list[Example]:
    """Each typed seed row -> an example of its own category, with the same system prompt as
    generated examples of that category. A tool-use seed without its own `tools` gets the
    project's; a text-to-graphql seed carries its GraphQL verdict, as generated ones do. A row of
    unknown type or missing a field is an error."""
    from graphql import build_schema

    schema = build_schema(sdl) if sdl else None
    out = []
    for row in rows:
        where = f"{path}:{row.get('line', '?')}"
        kind = row.get("type")
        if kind not in CATEGORIES:
            raise InputError(f"{where}: unknown type {kind!r}; expected one of {', '.join(CATEGORIES)}")
        missing = [k for k in REQUIRED[kind] if k not in row]
        if missing:
            raise InputError(f"{where}: a {kind} seed needs {', '.join(missing)}")
        if kind == "qa":
            messages = chat(qa.system_prompt(p.product), row["question"], row["answer"])
        elif kind == "text-to-graphql":
            messages = chat(graphql.system_prompt(p.product, p.reference_date), row["natural_language_query"], row["graphql_query"])
        else:
            messages = list(row["messages"])
            if messages and messages[0]["role"] != "system" and kind == "tool_use":
                messages = [{"role": "system", "content": tools.system_prompt(p.product)}] + messages
        row_tools = row.get("tools") or (project_tools if kind == "tool_use" else None)
        meta: dict = {"seed": True}
        if kind == "text-to-graphql":
            meta["graphql_valid"] = graphql_verdict(row["graphql_query"], schema)
        out.append(make_example(kind, messages, source=f"seed:{where}", tools=row_tools, meta=meta))
    return out
