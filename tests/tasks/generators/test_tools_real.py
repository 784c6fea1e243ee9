"""Tool dialogues from 1,853 real function definitions (the Berkeley Function Calling Leaderboard's,
read out of the bfcl-eval wheel at test time: tests/real_inputs.py): parse accepts them, every
call the generator writes validates against its tool's schema, and none crashes it."""
import json
import random

from jsonschema import Draft202012Validator
from test_tools import P

from tasks.generators import tools
from tasks.parse import parse_tools
from tasks.testing.real_inputs import bfcl_tools

TOOLS = bfcl_tools()


def test_the_real_tool_specs_pass_parse(tmp_path):
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(TOOLS))
    parsed, info = parse_tools(path)
    assert info["tools"] == len(TOOLS) >= 1800


def test_every_call_drafted_from_real_specs_validates():
    validators = {t["function"]["name"]: Draft202012Validator(t["function"]["parameters"]) for t in TOOLS}
    undraftable, calls = {}, 0
    for start in range(0, len(TOOLS), 8):
        group = TOOLS[start:start + 8]
        examples, coverage = tools.dialogues(group, P, random.Random(start), 12)
        undraftable.update(coverage["undraftable"])
        for ex in examples:
            for m in ex["messages"]:
                for c in m.get("tool_calls") or []:
                    validators[c["function"]["name"]].validate(json.loads(c["function"]["arguments"]))
                    calls += 1
    assert calls > 2000
    assert len(undraftable) <= len(TOOLS) // 100, undraftable  # at most 1%, each named with its reason
