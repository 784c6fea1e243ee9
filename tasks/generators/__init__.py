"""Example generators. Each is a function of its parsed source, the params, a seeded rng and a quota
that returns (examples, coverage) and changes none of its inputs but the rng's state."""
from __future__ import annotations

import datetime as dt

MODES = ("assistant", "docs", "graphql")  # the ways the tuned model is talked to (tasks/use/chat.py)


def system_prompts(product: str, today: dt.date) -> dict[str, str]:
    """The system prompt of each way the tuned model is talked to, as the generators write them
    into training rows: "assistant" (tool use), "docs" (QA), "graphql" (NL -> GraphQL)."""
    from tasks.generators import graphql, qa, tools

    prompts = {"assistant": tools.system_prompt(product), "docs": qa.system_prompt(product),
               "graphql": graphql.system_prompt(product, today)}
    return {mode: prompts[mode] for mode in MODES}
