import datetime as dt
import json
import random
import re

from jsonschema import Draft202012Validator

from tasks.core.config import GenerateParams
from tasks.generators import tool_words, tools
from tasks.testing.projects import EXAMPLE
from tasks.validate import roles_ok

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox", quotas={"tool_use": 1})
DEFS = json.loads((EXAMPLE / "tools.json").read_text())


def test_every_shape_and_every_call_validates_against_its_json_schema():
    validators = {t["function"]["name"]: Draft202012Validator(t["function"]["parameters"]) for t in DEFS}
    examples, coverage = tools.dialogues(DEFS, P, random.Random(0), 200)
    assert set(coverage["shapes"]) == set(tools.SHAPES) and len(examples) == 200
    for ex in examples:
        assert roles_ok(ex["messages"])
        calls = [c for m in ex["messages"] for c in m.get("tool_calls") or []]
        assert calls
        for call in calls:
            assert isinstance(call["function"]["arguments"], str)  # JSON text, as OpenAI and mlx-lm expect
            validators[call["function"]["name"]].validate(json.loads(call["function"]["arguments"]))
    requests = [" / ".join(m["content"] for m in ex["messages"] if m["role"] == "user") for ex in examples]
    assert len(set(requests)) == len(requests)


def test_error_recovery_never_acts_on_what_the_user_did_not_name():
    """A 404 (or, when a create finds its target taken, a 409) names the field and suggests a value.
    The assistant calls again on its own only when the fix is certain: the suggestion differs from
    what was asked only by case or a trailing slash, or a 503 is retried unchanged. Any other
    suggestion is offered, not taken: the dialogue ends on the question, or the user says yes and
    only then is it used."""
    examples = [ex for ex in tools.dialogues(DEFS, P, random.Random(1), 160)[0] if ex["meta"]["shape"] == "error_recovery"]
    assert len(examples) >= 35  # every fourth dialogue, less the few that repeat an earlier request
    modes = set()
    for ex in examples:
        msgs = ex["messages"][1:]
        calls = [m["tool_calls"][0] for m in msgs if m.get("tool_calls")]
        first = json.loads(calls[0]["function"]["arguments"])
        err = json.loads(msgs[2]["content"])["error"]
        text = msgs[0]["content"]
        modes.add((ex["meta"]["recovery"], err["status"]))
        if err["status"] == 503:
            assert len(calls) == 2 and calls[1]["function"]["arguments"] == calls[0]["function"]["arguments"]
            assert "busy" in msgs[3]["content"]
            continue
        field, suggestion = err["field"], err["suggestion"]
        folder, _, name = first[field].rpartition("/")
        said = first[field] in text or f"{name} from {folder}" in text or f"{name} in {folder}" in text
        assert first[field] in err["message"] and said  # the call says what the user said
        if ex["meta"]["recovery"] == "certain":
            assert suggestion != first[field] and suggestion.lower().rstrip("/") == first[field].lower().rstrip("/")
            assert json.loads(calls[1]["function"]["arguments"])[field] == suggestion
            continue
        assert ex["meta"]["recovery"] == "ask" and not msgs[3].get("tool_calls")  # asks; calls nothing
        assert suggestion in msgs[3]["content"] and "?" in msgs[3]["content"]
        if len(calls) == 2:  # the user said yes, and only then
            assert msgs[4]["role"] == "user"
            second = json.loads(calls[1]["function"]["arguments"])
            assert second[field] == suggestion and {k: v for k, v in first.items() if k != field} == \
                {k: v for k, v in second.items() if k != field}
        else:
            assert msgs[-1] is msgs[3]
    assert {("ask", 404), ("ask", 409), ("certain", 404), ("transient", 503)} <= modes


def test_a_move_reports_the_destination_plus_the_file_name():
    """/Archive/budget.pdf moved into /Archive/Report is at /Archive/Report/budget.pdf, whatever
    order the arguments come in."""
    fn = next(t["function"] for t in DEFS if t["function"]["name"] == "move_file")
    for args in ({"path": "/Archive/budget.pdf", "destination": "/Archive/Report"},
                 {"destination": "/Archive/Report", "path": "/Archive/budget.pdf"}):
        outcome = tool_words.result(fn, args, random.Random(0), P.reference_date)
        assert outcome["path"] == "/Archive/Report/budget.pdf"
        assert "/Archive/Report/budget.pdf" in tool_words.reply(fn, args, outcome)


def test_the_error_names_a_thing_never_a_date_an_enum_or_a_number():
    fn = EXPORT["function"]
    for seed in range(30):
        args = tools.valid_arguments(fn, random.Random(seed), {fn["name"]: Draft202012Validator(fn["parameters"])}, P.reference_date)
        assert tool_words.error_key(fn, args) in (None, "callback")  # `when`, `format`, `retries` never


def test_requests_put_values_where_the_description_names_them():
    """'Move a file to another folder' -> 'Move /a.pdf to /Music' (or 'the file /a.pdf ... the
    folder /Music'), never the form 'path /a.pdf, destination /Music'."""
    examples, _ = tools.dialogues(DEFS, P, random.Random(4), 120)
    asks = {}
    for ex in examples:
        for m in ex["messages"]:
            for c in m.get("tool_calls") or []:
                asks.setdefault(c["function"]["name"], []).append((json.loads(c["function"]["arguments"]), ex))
    for args, ex in asks["move_file"]:
        text = " ".join(m["content"] for m in ex["messages"] if m["role"] == "user")
        assert f"to {args['destination']}" in text or f"to the folder {args['destination']}" in text
        assert "destination " not in text and "path /" not in text
    for args, ex in asks["tag_file"]:
        text = " ".join(m["content"] for m in ex["messages"] if m["role"] == "user")
        assert re.search(rf"tag {args['tag']} (?:to|and )|and {args['tag']} to", text) and "tag " + args["tag"] + "," not in text
    for args, ex in asks["search_files"]:
        text = " ".join(m["content"] for m in ex["messages"] if m["role"] == "user")
        if "limit" in args:
            assert f"at most {args['limit']} result" in text


def test_the_reply_reports_the_result_not_the_call():
    """Every final reply carries something only the tool's result held: the new path, the new id
    and link, the number of tags or items, the usage figures."""
    examples, _ = tools.dialogues(DEFS, P, random.Random(5), 120)
    for ex in examples:
        msgs = ex["messages"]
        for i, m in enumerate(msgs):
            if m["role"] != "tool" or "error" in m["content"]:
                continue
            outcome = json.loads(m["content"])
            reply = next(r["content"] for r in msgs[i:] if r["role"] == "assistant" and not r.get("tool_calls"))
            facts = [str(v) for k, v in outcome.items() if k not in ("status", "items", "tags") and not isinstance(v, (list, dict))]
            facts += [f"{len(v)} tag" for k, v in outcome.items() if k == "tags"] + [str(x) for x in outcome.get("items", [])]
            facts += ["found nothing"] if outcome.get("items") == [] else []
            assert facts and any(f in reply for f in facts), (outcome, reply)


def test_multi_turn_has_two_user_turns_each_answered_by_a_call():
    examples = [ex for ex in tools.dialogues(DEFS, P, random.Random(2), 40)[0] if ex["meta"]["shape"] == "multi_turn"]
    assert len(examples) == 10
    for ex in examples:
        roles = [m["role"] for m in ex["messages"]]
        assert roles.count("user") == 2 and roles.count("tool") == 2
        assert all(" || " not in m["content"] for m in ex["messages"] if m["role"] == "user")


def test_a_single_tool_still_makes_two_turns_of_multi_turn():
    examples, _ = tools.dialogues(DEFS[:1], P, random.Random(3), 8)
    multi = [ex for ex in examples if ex["meta"]["shape"] == "multi_turn"]
    assert multi and all([m["role"] for m in ex["messages"]].count("user") == 2 for ex in multi)


EXPORT = {"type": "function", "function": {
    "name": "schedule_export", "description": "Export files on a date, to a folder or a bucket.",
    "parameters": {
        "type": "object",
        "properties": {
            "paths": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5},
            "format": {"type": "string", "enum": ["pdf", "csv", "zip"]},
            "when": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "notify": {"type": "string", "format": "email"},
            "callback": {"type": "string", "format": "uri"},
            "options": {"type": "object", "required": ["level"], "properties": {
                "compress": {"type": "boolean"}, "level": {"type": "integer", "minimum": 1, "maximum": 9}}},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "target": {"oneOf": [{"type": "string", "pattern": "^/"}, {"$ref": "#/$defs/bucket"}]},
            "labels": {"type": "array", "items": {"$ref": "#/$defs/label"}, "uniqueItems": True},
            "retries": {"type": ["integer", "null"], "multipleOf": 2, "maximum": 10},
            "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
        },
        "required": ["paths", "format", "when", "options", "target"],
        "$defs": {"bucket": {"type": "object", "required": ["bucket", "region"], "properties": {
                      "bucket": {"type": "string"}, "region": {"enum": ["eu", "us"]}}},
                  "label": {"type": "string", "minLength": 3, "maxLength": 12}},
    }}}


def test_every_json_schema_construct_is_drafted_and_validated():
    """Arrays, nested objects, enums, bounds, formats, oneOf with a $ref, type lists: every call
    validates; an optional argument with a pattern the drafter cannot meet is left out."""
    validator = Draft202012Validator(EXPORT["function"]["parameters"])
    examples, coverage = tools.dialogues([EXPORT] + DEFS[:2], P, random.Random(4), 80)
    assert len(examples) == 80 and coverage["undraftable"] == {}
    calls = [json.loads(c["function"]["arguments"]) for ex in examples for m in ex["messages"]
             for c in m.get("tool_calls") or [] if c["function"]["name"] == "schedule_export"]
    assert len(calls) >= 20
    for args in calls:
        validator.validate(args)
        assert "code" not in args
    assert any(isinstance(a["target"], dict) for a in calls)
    assert any(len(a["paths"]) > 1 for a in calls)
    requests = " ".join(m["content"] for ex in examples for m in ex["messages"] if m["role"] == "user")
    assert "[" not in requests and "{" not in requests  # lists and objects are said in words


def test_a_tool_no_draw_can_satisfy_is_named_not_fatal():
    stuck = {"type": "function", "function": {"name": "lookup_code", "parameters": {
        "type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"}},
        "required": ["code"]}}}
    examples, coverage = tools.dialogues([stuck] + DEFS[:2], P, random.Random(5), 20)
    assert len(examples) == 20 and "lookup_code" in coverage["undraftable"]
    assert "lookup_code" not in json.dumps([m.get("tool_calls") for ex in examples for m in ex["messages"]])


def test_a_second_request_joins_the_first_in_lower_case_but_i_stays():
    examples, _ = tools.dialogues(DEFS, P, random.Random(0), 200)
    firsts = [ex["messages"][1]["content"] for ex in examples if ex["meta"]["shape"] == "parallel"]
    assert any("Also, I'd" in t for t in firsts) and any("Also, please" in t or "Also, can" in t for t in firsts)
    assert not any("Also, i'd" in t or "Also, Please" in t or "Also, Can" in t for t in firsts)


def test_unusual_but_valid_specs_are_phrased_without_a_crash():
    """No description, no parameters, a boolean subschema (`true`), a property named "" or "_", a
    null-typed one, a 500-character description: every one makes dialogues whose calls validate."""
    odd = [{"name": "ping"},
           {"name": "weird", "description": "Does a thing.",
            "parameters": {"type": "object", "properties": {"x": True, "y": {}}, "required": ["x", "y"]}},
           {"name": "x", "description": "A" * 500,
            "parameters": {"type": "object", "properties": {"a b": {"type": "string"}, "": {"type": "string"}},
                           "required": ["", "a b"]}},
           {"name": "nums", "description": "Add numbers.",
            "parameters": {"type": "object", "properties": {"values": {"type": "array", "items": {"type": "number"}},
                                                            "n": {"type": "null"}}}},
           {"name": "a.b.c", "description": "The. Thing",
            "parameters": {"type": "object", "properties": {"_": {"type": "string", "description": "the"}},
                           "required": ["_"]}}]
    for fn in odd:
        examples, coverage = tools.dialogues([{"type": "function", "function": fn}], P, random.Random(0), 8)
        assert len(examples) == 8 and coverage["undraftable"] == {}, fn["name"]
        validator = Draft202012Validator(fn.get("parameters", {}))
        for ex in examples:
            assert all(m["content"] or m.get("tool_calls") for m in ex["messages"])
            for call in [c for m in ex["messages"] for c in m.get("tool_calls") or []]:
                validator.validate(json.loads(call["function"]["arguments"]))


def test_one_sentence_asks_for_two_calls_and_amounts_are_said_as_people_say_them():
    """"create a new folder /A and /B" is two calls of one tool; a file is never moved to two
    places; "a week" is 7 days and "2 weeks" 14; a size bound is said in KB/MB/GB."""
    examples, _ = tools.dialogues(DEFS, P, random.Random(6), 200)
    doubled = 0
    for ex in examples:
        text = ex["messages"][1]["content"]
        calls = [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in ex["messages"][2].get("tool_calls") or []]
        if len(calls) == 2 and calls[0][0] == calls[1][0]:
            (name, a), (_, b) = calls
            changed = [k for k in a if a[k] != b.get(k)]
            assert len(changed) == 1 and f"{a[changed[0]]} and {b[changed[0]]}" in text, (text, calls)
            assert not (name == "move_file" and changed == ["destination"])
            doubled += 1
        for name, args in calls[:1]:
            if "expires_in_days" in args and "expires in a week" in text:
                assert args["expires_in_days"] == 7
            if "min_size_bytes" in args and re.search(r"bigger than \d+ [KMG]B\b", text):
                n, unit = re.search(r"bigger than (\d+) ([KMG]B)\b", text).groups()
                assert args["min_size_bytes"] == int(n) << {"KB": 10, "MB": 20, "GB": 30}[unit]
    assert doubled >= 10
