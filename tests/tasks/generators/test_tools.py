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
    coverage: dict = {}
    examples = list(tools.dialogues(DEFS, P, random.Random(0), 200, coverage))
    assert set(coverage) == set(tools.SHAPES)
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
    examples = [ex for ex in tools.dialogues(DEFS, P, random.Random(1), 40) if ex["meta"]["shape"] == "error_recovery"]
    for ex in examples:
        calls = [m["tool_calls"][0] for m in ex["messages"] if m.get("tool_calls")]
        results = [json.loads(m["content"]) for m in ex["messages"] if m["role"] == "tool"]
        assert "error" in results[0] and "error" not in results[1]
        assert calls[0]["function"]["name"] == calls[1]["function"]["name"]
        assert calls[0]["function"]["arguments"] != calls[1]["function"]["arguments"]


def test_multi_turn_has_two_user_turns_each_answered_by_a_call():
    examples = [ex for ex in tools.dialogues(DEFS, P, random.Random(2), 40) if ex["meta"]["shape"] == "multi_turn"]
    for ex in examples:
        roles = [m["role"] for m in ex["messages"]]
        assert roles.count("user") == 2 and roles.count("tool") == 2
