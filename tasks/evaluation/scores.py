"""How a reply is scored against its reference: pure functions, one per kind of answer.

- QA and conversations: SQuAD's token F1 and ROUGE-L (how much of the reference's wording the
  reply shares), and key-fact accuracy (whether the reply states each fact the answer must carry:
  a number with its unit, a name, a shortcut), which is what a person asking cares about.
- NL -> GraphQL: parsed, valid against the schema, `exact_match` (the same query up to the order
  of fields and arguments) and `correct`: the same operation, the same root fields with the same
  argument values once the schema has coerced them (defaults applied, dates compared by their day),
  and every field the request names selected. A request that names no fields accepts any
  selection, so `correct` is the score for a request typed the way a person types it.
- Tool use: tool names, and whole calls (name and parsed arguments), order-free for parallel calls.
"""
from __future__ import annotations

import json
import re
import string
from collections import Counter
from typing import Any

_ARTICLES = re.compile(r"\b(a|an|the)\b")


# --- QA ---------------------------------------------------------------------------------------

def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces.

    >>> normalize_answer("The  Trash, kept 30 days!")
    'trash kept 30 days'
    """
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD's token F1: the harmonic mean of token precision and recall after normalize_answer.

    >>> token_f1("The files!", "files"), token_f1("files kept", "files"), token_f1("a", "b"), token_f1("x y", "y x")
    (1.0, 0.666..., 0.0, 1.0)
    """
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure: the longest common subsequence of tokens, against both lengths.

    >>> rouge_l("a b c", "a b c"), rouge_l("a b c", "x y z"), rouge_l("a b c d", "a c")  # LCS "a c": P 2/4, R 2/2
    (1.0, 0.0, 0.666...)
    """
    a, b = prediction.lower().split(), reference.lower().split()
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


Fact = str | list[str]  # a fact, or its accepted forms ("1 year", "one year")


def fact_words(text: str) -> list[str]:
    """The words a fact is looked for among: lower case; a number parted from the unit written
    against it ("5GB" -> "5 gb"); punctuation, hyphens and "+" are spaces, except a decimal point
    or thousands separator between digits, so "5.5" stays one word.

    >>> fact_words("Ctrl+Shift+N, or 5GB (5.5 GB); read-only 10,000")
    ['ctrl', 'shift', 'n', 'or', '5', 'gb', '5.5', 'gb', 'read', 'only', '10,000']
    """
    text = re.sub(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", " ", text.lower())
    text = re.sub(r"(?<=\d)[.,](?=\d)", lambda m: "\0" if m.group() == "." else "\1", text)
    words = re.sub(r"[^\w\0\1]+|_", " ", text).split()
    return [w.replace("\0", ".").replace("\1", ",") for w in words]


def has_fact(reply: str, fact: Fact) -> bool:
    """Whether the reply states the fact (any of its forms) as whole words, in order.

    >>> has_fact("You get 5GB.", "5 GB"), has_fact("You get 5 GB.", "5 GB"), has_fact("You get 15 GB.", "5 GB")
    (True, True, False)
    >>> has_fact("kept for one year", ["1 year", "one year"]), has_fact("press ctrl + k", "Ctrl+K")
    (True, True)
    """
    words = fact_words(reply)
    for form in [fact] if isinstance(fact, str) else fact:
        want = fact_words(form)
        if want and any(words[i:i + len(want)] == want for i in range(len(words) - len(want) + 1)):
            return True
    return False


def fact_scores(reply: str, facts: list[Fact]) -> dict:
    """`key_facts`: 1 when the reply states every fact, `facts_found`: the share it states.

    >>> fact_scores("The Free plan has 5 GB and two devices.", ["5 GB", ["two", "2"]])
    {'key_facts': 1.0, 'facts_found': 1.0}
    >>> fact_scores("The Free plan has 1 GB and two devices.", ["5 GB", ["two", "2"]])
    {'key_facts': 0.0, 'facts_found': 0.5}
    """
    found = [has_fact(reply, f) for f in facts]
    return {"key_facts": float(all(found)), "facts_found": sum(found) / len(found)}


_UNIT_FACT = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:[KMGT]i?B|bytes?|%|(?:second|minute|hour|day|week|month|year|member|"
                        r"device|file|link|result|time|version|item|character|request)s?)\b", re.I)
_SHORTCUT = re.compile(r"\b(?:Ctrl|Cmd|Alt|Shift|Option|Meta)(?:\s?\+\s?[\w]+)+")
_NAMED = re.compile(r"\*\*([^*\n]{2,40})\*\*|`([^`\n]{2,40})`")


def key_facts(answer: str) -> list[str]:
    """The facts a reference answer states that a reply must carry: numbers with their unit,
    shortcuts, and the names it emphasises (bold or code), each once. A generated QA answer has no
    hand-written fact list; these are what a person checks first.

    >>> key_facts("Open the file's **History** panel; versions are kept 30 days (press Ctrl+H, 10GB max).")
    ['30 days', '10GB', 'Ctrl+H', 'History']
    """
    found = [m.group() for m in _UNIT_FACT.finditer(answer)] + [m.group() for m in _SHORTCUT.finditer(answer)]
    found += [a or b for a, b in _NAMED.findall(answer)]
    out: list[str] = []
    for f in found:
        if fact_words(f) and fact_words(f) not in [fact_words(o) for o in out]:
            out.append(f)
    return out


# --- GraphQL ----------------------------------------------------------------------------------

def canonical_graphql(query: str, values: bool = True) -> str:
    """A query printed with its selections, arguments and input-object fields in sorted order, so
    that two queries asking for the same thing compare equal however they are written. With
    `values=False` every string, number and alias is blanked: what is left is the query's shape.

    >>> canonical_graphql("{ files(first: 2, filter: {b: 1, a: 2}) { size id } }") == \\
    ...     canonical_graphql("query { files(filter: {a: 2, b: 1}, first: 2) { id size } }")
    True
    >>> canonical_graphql('{ a: file(id: "f_1") { id } }', values=False) == \\
    ...     canonical_graphql('{ b: file(id: "f_2") { id } }', values=False)
    True
    """
    from graphql import parse, print_ast

    def key(node) -> tuple:
        alias = getattr(getattr(node, "alias", None), "value", None)
        name = getattr(getattr(node, "name", None), "value", None)
        condition = getattr(getattr(getattr(node, "type_condition", None), "name", None), "value", None)
        return (node.kind, alias or name or "", name or "", condition or "")

    def sort(node) -> None:
        if node is None:
            return
        if not values:
            if node.kind in ("string_value", "int_value", "float_value"):
                node.value = "0" if node.kind != "string_value" else ""
            if getattr(node, "alias", None) is not None:
                node.alias = None
        for attr in ("arguments", "fields"):
            items = getattr(node, attr, None)
            if isinstance(items, tuple) and items and hasattr(items[0], "name") and hasattr(items[0], "value"):
                setattr(node, attr, tuple(sorted(items, key=lambda n: n.name.value)))
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            selection_set.selections = tuple(sorted(selection_set.selections, key=key))
        for attr in node.keys:
            value = getattr(node, attr, None)
            for child in value if isinstance(value, (tuple, list)) else (value,):
                if hasattr(child, "kind") and hasattr(child, "keys"):
                    sort(child)

    doc = parse(query)
    sort(doc)
    return print_ast(doc)


_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


def _by_day(value: Any) -> Any:
    """Values as compared: an ISO date or date-time becomes its day; ints and floats one number.

    >>> _by_day({"after": "2026-05-01T00:00:00Z", "n": 3, "x": [2.0]}) == {"after": "2026-05-01", "n": 3.0, "x": [2.0]}
    True
    """
    if isinstance(value, dict):
        return {k: _by_day(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_by_day(v) for v in value]
    if isinstance(value, str) and (m := _ISO_DAY.match(value)):
        return m.group(1)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _operation(schema, doc):
    """(the operation's root type, its root field nodes, fragments by name) of a one-operation document."""
    from graphql.language import FragmentDefinitionNode, OperationDefinitionNode

    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    op = ops[0]
    root = {"query": schema.query_type, "mutation": schema.mutation_type,
            "subscription": schema.subscription_type}[op.operation.value]
    return op.operation.value, root, _fields(op.selection_set, fragments), fragments


def _fields(selection_set, fragments) -> list:
    """The field nodes of a selection set, through inline fragments and fragment spreads."""
    out = []
    for sel in selection_set.selections if selection_set else ():
        if sel.kind == "field":
            out.append(sel)
        elif sel.kind == "inline_fragment":
            out += _fields(sel.selection_set, fragments)
        elif sel.kind == "fragment_spread" and sel.name.value in fragments:
            out += _fields(fragments[sel.name.value].selection_set, fragments)
    return out


def _arguments(field_def, node, variables: dict) -> dict:
    """A field's argument values as the schema coerces them: given ones read with their types
    (input-object defaults filled in), the rest at their defaults."""
    from graphql import Undefined, value_from_ast

    given = {a.name.value: a.value for a in node.arguments}
    out = {}
    for name, arg in field_def.args.items():
        if name in given:
            value = value_from_ast(given[name], arg.type, variables)
            out[name] = "<invalid>" if value is Undefined else value
        elif arg.default_value is not Undefined:
            out[name] = arg.default_value
    return _by_day(out)


def _paths(node, fragments, prefix: str = "") -> set[str]:
    """Every field selected under `node`, as dotted paths from it ("edges.node.size")."""
    out = set()
    for child in _fields(node.selection_set, fragments):
        path = f"{prefix}{child.name.value}"
        out.add(path)
        out |= _paths(child, fragments, path + ".")
    return out


def query_summary(query: str, schema, variables: dict | None = None) -> tuple[str, list[tuple[str, str]], set[str]]:
    """(operation, sorted (root field, its coerced arguments as JSON) pairs, selected paths "root.a.b").
    The query must be valid against the schema."""
    from graphql import parse

    doc = parse(query)
    operation, root, fields, fragments = _operation(schema, doc)
    roots, paths = [], set()
    for node in fields:
        name = node.name.value
        field_def = root.fields.get(name)
        args = _arguments(field_def, node, variables or {}) if field_def is not None else {}
        roots.append((name, json.dumps(args, sort_keys=True, default=str)))
        paths |= {f"{name}.{p}" for p in _paths(node, fragments)}
    return operation, sorted(roots), paths


def named_fields_selected(paths: set[str], named: list[str]) -> bool:
    """Every named field is selected: a name matches a path that is it or ends with it.

    >>> named_fields_selected({"files.edges.node.size", "files.edges.node.id"}, ["size"])
    True
    >>> named_fields_selected({"file.folder", "file.folder.path"}, ["folder.path", "size"])
    False
    """
    return all(any(p == f or p.endswith("." + f) for p in paths) for f in named)


IMPLIED = ("id", "__typename")  # fields a generated query selects that its request does not name


def graphql_scores(prediction: str, reference: str, schema, named: list[str] | None = None) -> dict:
    """parsed / valid against the schema / exact match after canonical ordering / the same but for
    literal values and aliases (`shape_match`) / `correct` (see the module's doc). `named`: the
    fields the request names (when None, the reference's every selected field but IMPLIED ones:
    a request our generators drafted lists the fields it wants, and its query adds the ids).

    >>> from graphql import build_schema
    >>> s = build_schema("type Query { files(kind: String, first: Int = 20): [F] } type F { id: ID size: Int name: String }")
    >>> graphql_scores("{ files(kind: \\"pdf\\", first: 20) { name } }", '{ files(kind: "pdf") { id } }', s, [])
    {'parsed': 1.0, 'valid': 1.0, 'exact_match': 0.0, 'shape_match': 0.0, 'correct': 1.0}
    >>> graphql_scores('{ files(kind: "png") { id } }', '{ files(kind: "pdf") { id } }', s, [])["correct"]
    0.0
    """
    from graphql import GraphQLError, parse, validate

    try:
        doc = parse(prediction)
    except GraphQLError:
        return {"parsed": 0.0, "valid": 0.0, "exact_match": 0.0, "shape_match": 0.0, "correct": 0.0}
    valid = schema is not None and not validate(schema, doc)
    same = canonical_graphql(prediction) == canonical_graphql(reference)
    shape = canonical_graphql(prediction, values=False) == canonical_graphql(reference, values=False)
    correct = False
    if valid:
        op, roots, paths = query_summary(prediction, schema)
        ref_op, ref_roots, ref_paths = query_summary(reference, schema)
        wanted = sorted(p for p in ref_paths if p.rsplit(".", 1)[-1] not in IMPLIED) if named is None else named
        correct = op == ref_op and roots == ref_roots and named_fields_selected(paths, wanted)
    return {"parsed": 1.0, "valid": float(valid), "exact_match": float(same), "shape_match": float(shape),
            "correct": float(correct)}


# --- tool calls -------------------------------------------------------------------------------

def tool_scores(calls: list[dict] | None, reference_calls: list[dict]) -> dict:
    """Tool names and whole calls (name and parsed arguments, in any order) against the reference;
    `calls` are the reply's ({"name", "arguments"}), None when it held a call that could not be
    read (`unparsed` is then 1 and nothing else matches).

    >>> ref = [{"function": {"name": "mv", "arguments": '{"to": "/a"}'}}, {"function": {"name": "ls", "arguments": "{}"}}]
    >>> tool_scores([{"name": "ls", "arguments": {}}, {"name": "mv", "arguments": {"to": "/a"}}], ref)
    {'tool_name_match': 1.0, 'tool_call_exact': 1.0, 'unparsed': 0.0}
    >>> tool_scores([{"name": "mv", "arguments": {"to": "/b"}}, {"name": "ls", "arguments": {}}], ref)["tool_call_exact"]
    0.0
    >>> tool_scores(None, ref)["unparsed"]
    1.0
    """
    ref = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])} for c in reference_calls]
    got = calls or []
    names = sorted(str(c["name"]) for c in got) == sorted(c["name"] for c in ref)
    key = lambda c: json.dumps(c, sort_keys=True)  # noqa: E731 - order of parallel calls does not matter
    return {"tool_name_match": float(names), "tool_call_exact": float(sorted(map(key, got)) == sorted(map(key, ref))),
            "unparsed": float(calls is None)}
