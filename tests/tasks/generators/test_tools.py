import datetime as dt
import json
import random

from jsonschema import Draft202012Validator

from conftest import EXAMPLE
from tasks.config import GenerateParams
from tasks.generators import tools
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


def test_error_recovery_retries_with_a_corrected_argument():
    examples = [ex for ex in tools.dialogues(DEFS, P, random.Random(1), 40)[0] if ex["meta"]["shape"] == "error_recovery"]
    assert len(examples) == 10  # every fourth dialogue
    for ex in examples:
        calls = [m["tool_calls"][0] for m in ex["messages"] if m.get("tool_calls")]
        results = [json.loads(m["content"]) for m in ex["messages"] if m["role"] == "tool"]
        assert "error" in results[0] and "error" not in results[1]
        assert calls[0]["function"]["name"] == calls[1]["function"]["name"]
        assert calls[0]["function"]["arguments"] != calls[1]["function"]["arguments"]


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
