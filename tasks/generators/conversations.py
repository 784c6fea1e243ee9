"""Chat examples from the stored conversation log, keeping those users rated highly."""
from __future__ import annotations

from tasks.core.config import GenerateParams
from tasks.core.records import Example, make_example

CATEGORY = "conversation"


def system_prompt(product: str) -> str:
    return f"You are the {product} assistant. Help the user with {product}."


def clean(messages: list[dict]) -> tuple[list[dict], str | None]:
    """Trim whitespace, drop empty turns, end on an assistant turn. Returns (messages, why unusable).

    >>> clean([{"role": "user", "content": " hi "}, {"role": "assistant", "content": "hello"},
    ...        {"role": "user", "content": "bye"}])
    ([{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}], None)
    """
    out = [{"role": m["role"], "content": m["content"].strip()} for m in messages if m["content"].strip()]
    while out and out[-1]["role"] != "assistant":
        out.pop()
    if not any(m["role"] == "user" for m in out):
        return [], "no user turn answered by the assistant"
    return out, None


def from_log(conversations: list[dict], p: GenerateParams, quota: int) -> tuple[list[Example], dict]:
    """Conversations rated >= min_rating -> examples. Returns the examples and {"dropped": {reason: count}}."""
    examples, dropped = [], {}

    def drop(reason: str) -> None:
        dropped[reason] = dropped.get(reason, 0) + 1

    for conv in conversations:
        if conv["rating"] is None:
            drop("unrated")
            continue
        if conv["rating"] < p.min_rating:
            drop(f"rated below {p.min_rating}")
            continue
        messages, why = clean(conv["messages"])
        if why:
            drop(why)
            continue
        if len(examples) >= quota:
            drop("over quota")
            continue
        system = {"role": "system", "content": system_prompt(p.product)}
        examples.append(make_example(CATEGORY, [system] + messages, source=f"log:{conv['id']}",
                                     meta={"rating": conv["rating"]}))
    return examples, {"dropped": dropped}
