"""Render examples into the formats other tools read. Pure functions; the split stage writes them.

- mlx-lm chat:   {"messages": [...], "tools"?: [...]}  (plus id, category, which mlx-lm ignores)
- OpenAI chat fine-tuning: {"messages": [...], "tools"?: [...]}
- Mistral text:  {"text": "<s>[INST] ... [/INST] ...</s>"}
- typed:         {"type": "qa", "question", "answer"} | {"type": "text-to-graphql", ...} | dialogues
"""
from __future__ import annotations

import json

from tasks.examples import Example, last_user_text, prompt_and_reference

SPLITS = ("train", "valid", "test")


def to_mlx(ex: Example) -> dict:
    row = {"id": ex["id"], "category": ex["category"], "messages": ex["messages"]}
    if ex.get("tools"):
        row["tools"] = ex["tools"]
    return row


def to_openai(ex: Example) -> dict:
    row: dict = {"messages": ex["messages"]}
    if ex.get("tools"):
        row["tools"] = ex["tools"]
    return row


def to_typed(ex: Example, split: str) -> dict:
    """The typed line of DESIGN.md.

    >>> ex = {"id": "qa-1", "category": "qa", "messages": [{"role": "user", "content": "Q?"},
    ...       {"role": "assistant", "content": "A."}]}
    >>> to_typed(ex, "train")
    {'type': 'qa', 'question': 'Q?', 'answer': 'A.', 'id': 'qa-1', 'split': 'train', 'category': 'qa'}
    """
    category = ex["category"]
    if category in ("qa", "text-to-graphql"):
        prompt, reply = prompt_and_reference(ex)
        keys = ("question", "answer") if category == "qa" else ("natural_language_query", "graphql_query")
        row = {"type": category, keys[0]: last_user_text(prompt), keys[1]: reply["content"]}
    else:
        row = {"type": category, "messages": ex["messages"]}
        if ex.get("tools"):
            row["tools"] = ex["tools"]
    return {**row, "id": ex["id"], "split": split, "category": category}


def _call_text(calls: list[dict]) -> str:
    return json.dumps([{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
                       for c in calls])


def to_mistral(ex: Example) -> dict:
    """Mistral instruct text; tools in the v3 control-token form. A system prompt is folded into
    the first user turn, as Mistral's own templates do.

    >>> to_mistral({"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"},
    ...             {"role": "assistant", "content": "A"}]})["text"]
    '<s>[INST] S\\n\\nQ [/INST] A</s>'
    """
    messages = ex["messages"]
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
    text = "<s>"
    if ex.get("tools"):
        text += f"[AVAILABLE_TOOLS] {json.dumps(ex['tools'])}[/AVAILABLE_TOOLS]"
    for m in messages:
        if m["role"] == "user":
            content = f"{system}\n\n{m['content']}" if system else m["content"]
            system = None
            text += f"[INST] {content} [/INST]"
        elif m["role"] == "assistant" and m.get("tool_calls"):
            text += f"[TOOL_CALLS] {_call_text(m['tool_calls'])}</s>"
        elif m["role"] == "assistant":
            text += f" {m['content']}</s>"
        elif m["role"] == "tool":
            text += f"[TOOL_RESULTS] {m['content']}[/TOOL_RESULTS]"
    return {"text": text}


def to_hf_row(ex: Example) -> dict:
    """A row with a fixed Arrow schema: every message has the same keys; tools as a JSON string
    (tool parameter schemas differ from tool to tool, so they have no common Arrow type)."""
    messages = [{
        "role": m["role"],
        "content": m.get("content") or "",
        "tool_calls": [{"id": c["id"], "type": c["type"],
                        "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
                       for c in m.get("tool_calls") or []],
        "tool_call_id": m.get("tool_call_id") or "",
    } for m in ex["messages"]]
    return {"id": ex["id"], "category": ex["category"], "messages": messages,
            "tools": json.dumps(ex["tools"]) if ex.get("tools") else ""}
