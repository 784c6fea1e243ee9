"""Reading a tool's JSON Schema: the one helper that both the tool-use generator and the chat
formats (which print a tool's parameters for the model) need."""
from __future__ import annotations


def resolve(schema, root: dict) -> dict:
    """A schema with its local $ref followed (and true/false schemas as {} / {"not": {}})."""
    if schema is True or schema is None:
        return {}
    if schema is False:
        return {"not": {}}
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        ref, seen = schema["$ref"], seen + 1
        if not ref.startswith("#/"):
            break
        target = root
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        schema = {**{k: v for k, v in schema.items() if k != "$ref"}, **target}
    return schema
