"""Random GraphQL schemas for property tests of the NL -> GraphQL generator: every construct the
spec allows, mixed at random, so that a class of schema no fixture thought of is met here first.

`schema(seed)` returns SDL: custom scalars; enums (values deprecated now and then); interfaces,
some implementing others; object types implementing them (with the interfaces' fields, sometimes
narrowed to an implementing type); unions; input objects, some `@oneOf`, some recursive, with
required fields and defaults; fields with arguments (required ones too) on any type, not only the
roots; non-null lists of non-null items; deprecated fields; descriptions with quotes and non-ASCII
text; names that are GraphQL keywords ("type", "query", "on", "fragment", "true"); custom root
type names; mutations and subscriptions. Not every draw is a schema graphql-core accepts (the
caller asks it, and skips those); every one it accepts must give valid queries."""
from __future__ import annotations

import random

SCALARS = ["Int", "Float", "String", "Boolean", "ID"]
NAMES = ["id", "name", "type", "query", "on", "fragment", "true", "input", "size", "createdAt", "owner", "items",
         "node", "edges", "first", "after", "limit", "offset", "orderBy", "where", "filter", "kind", "status",
         "url", "count", "total", "value", "label", "parent", "children", "tags", "email", "updatedAt", "_private"]
DESCRIPTIONS = ['Plain words.', 'With "quotes" and \\\\ a backslash.', "Ünïcödé — déjà vu.", "Get a thing by its id.",
                "Returns every item", "Lookup a given record by the owner and name.", "Files in the library"]


class Draw:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.enums: dict[str, list[str]] = {}
        self.interfaces: dict[str, dict[str, str]] = {}
        self.objects: dict[str, dict[str, str]] = {}
        self.unions: dict[str, list[str]] = {}
        self.inputs: dict[str, dict[str, str]] = {}
        self.scalars: list[str] = []

    def field_names(self, k: int) -> list[str]:
        return self.rng.sample(NAMES, k=min(k, len(NAMES)))

    def wrap(self, t: str, nullable_only: bool = False) -> str:
        r = self.rng.random()
        if nullable_only:
            return f"[{t}]" if r < 0.2 else t
        if r < 0.15:
            return f"[{t}!]!"
        if r < 0.3:
            return f"[{t}]"
        if r < 0.5:
            return f"{t}!"
        return t

    def input_type(self, nullable_only: bool = False) -> str:
        pool = SCALARS + self.scalars + list(self.enums) + list(self.inputs)
        return self.wrap(self.rng.choice(pool), nullable_only)

    def output_type(self) -> str:
        pool = SCALARS + self.scalars + list(self.enums) + list(self.objects) + list(self.interfaces) + list(self.unions)
        return self.wrap(self.rng.choice(pool))

    def args(self) -> str:
        if self.rng.random() < 0.5:
            return ""
        parts = []
        for name in self.field_names(self.rng.randint(1, 3)):
            t = self.input_type()
            default = " = 10" if t == "Int" and self.rng.random() < 0.3 else ""
            parts.append(f"{name}: {t}{default}")
        return "(" + ", ".join(parts) + ")"

    def describe(self) -> str:
        return f'"""{self.rng.choice(DESCRIPTIONS)}"""\n  ' if self.rng.random() < 0.3 else ""

    def deprecated(self) -> str:
        return ' @deprecated(reason: "old")' if self.rng.random() < 0.1 else ""


def schema(seed: int) -> str:
    d = Draw(seed)
    rng = d.rng
    d.scalars = rng.sample(["DateTime", "JSON", "URL", "BigInt"], k=rng.randint(0, 3))
    for i in range(rng.randint(0, 3)):
        d.enums[f"Enum{i}"] = rng.sample(["A", "B", "C", "DRAFT", "LIVE", "ON", "OFF"], k=rng.randint(1, 4))
    for i in range(rng.randint(0, 3)):
        fields = {n: d.wrap(rng.choice(SCALARS + list(d.enums))) for n in d.field_names(rng.randint(1, 3))}
        d.interfaces[f"Iface{i}"] = fields
    inherits = {name: rng.sample(list(d.interfaces)[:i], k=min(i, rng.randint(0, 1)))
                for i, name in enumerate(d.interfaces)}
    for name, parents in inherits.items():  # an interface that implements another has its fields
        for parent in parents:
            d.interfaces[name] = {**d.interfaces[parent], **d.interfaces[name]}
    implements = {}
    for i in range(rng.randint(1, 6)):
        name = f"Obj{i}"
        ifaces = rng.sample(list(d.interfaces), k=min(len(d.interfaces), rng.randint(0, 2)))
        ifaces = sorted(set(ifaces) | {p for f in ifaces for p in inherits.get(f, [])})
        fields = {}
        for f in ifaces:
            fields.update(d.interfaces[f])
        d.objects[name] = {**{n: "" for n in d.field_names(rng.randint(1, 4)) if n not in fields}, **fields}
        implements[name] = ifaces
    for i in range(rng.randint(0, 2)):
        d.unions[f"Union{i}"] = rng.sample(list(d.objects), k=rng.randint(1, len(d.objects)))
    for i in range(rng.randint(0, 3)):
        one_of = rng.random() < 0.3
        name = f"Input{i}"
        d.inputs[name] = {}
        fields = {n: d.input_type(nullable_only=one_of) for n in d.field_names(rng.randint(1, 4))}
        if not one_of and rng.random() < 0.3:
            fields["next"] = name  # recursive, nullable
        d.inputs[name] = {"@oneOf": "" if one_of else None, **fields}
    out = []
    for s in d.scalars:
        out.append(f"scalar {s}")
    for name, values in d.enums.items():
        vals = "\n  ".join(v + (d.deprecated() if i else "") for i, v in enumerate(values))
        out.append(f"enum {name} {{\n  {vals}\n}}")
    for name, fields in d.interfaces.items():
        imp = f" implements {' & '.join(inherits[name])}" if inherits[name] else ""
        body = "\n  ".join(f"{n}: {t}" for n, t in fields.items())
        out.append(f"interface {name}{imp} {{\n  {body}\n}}")
    for name, fields in d.objects.items():  # object field types drawn now, when every type exists
        imp = f" implements {' & '.join(implements[name])}" if implements[name] else ""
        body = []
        for n, t in fields.items():
            if t:
                body.append(f"{n}: {t}")  # an interface's field, same type
            else:
                body.append(f"{d.describe()}{n}{d.args()}: {d.output_type()}{d.deprecated()}")
        out.append(f"type {name}{imp} {{\n  " + "\n  ".join(body) + "\n}")
    for name, members in d.unions.items():
        out.append(f"union {name} = {' | '.join(members)}")
    for name, fields in d.inputs.items():
        one_of = fields.pop("@oneOf") is not None
        body = "\n  ".join(f"{n}: {t}" for n, t in fields.items())
        out.append(f"input {name}{' @oneOf' if one_of else ''} {{\n  {body}\n}}")
    roots = {"query": rng.choice(["Query", "QueryRoot"]), "mutation": "Mutation", "subscription": "Subscription"}
    for op in ("query", "mutation", "subscription"):
        if op != "query" and rng.random() < 0.5:
            roots.pop(op)
            continue
        body = "\n  ".join(f"{d.describe()}{n}{d.args()}: {d.output_type()}{d.deprecated()}"
                           for n in d.field_names(rng.randint(1, 6)))
        out.append(f"type {roots[op]} {{\n  {body}\n}}")
    out.append("schema {\n  " + "\n  ".join(f"{op}: {t}" for op, t in roots.items()) + "\n}")
    if any("@oneOf" in part for part in out):
        out.insert(0, "directive @oneOf on INPUT_OBJECT")
    return "\n\n".join(out) + "\n"
