"""The checks a skill's dialogue must pass, and the params a skill is defined by."""
import json

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from tasks.core.config import SkillParams
from tasks.core.io import InputError
from tasks.generators import skills
from tasks.testing.projects import EXAMPLE

TOOLS = json.loads((EXAMPLE / "tools.json").read_text())
FOLDER = [t for t in TOOLS if t["function"]["name"] == "create_folder"]
VALIDATORS = {"create_folder": Draft202012Validator(FOLDER[0]["function"]["parameters"])}


def m(role, content=None, calls=None, call_id=None):
    return {"role": role, "content": content, "tool_calls": calls, "tool_call_id": call_id}


def call(name="create_folder", arguments='{"path": "/Projects/New"}', call_id="call_0"):
    return {"id": call_id, "name": name, "arguments": arguments}


RIGHT = [m("user", "Make /Projects/New."), m("assistant", None, [call()]),
         m("tool", '{"status": "ok"}', call_id="call_0"), m("assistant", "Done: /Projects/New exists.")]


@pytest.mark.parametrize("messages, reason", [
    (RIGHT, None),
    (RIGHT[1:], "does not start with the user"),
    (RIGHT[:3], "does not end with the assistant's reply"),
    (RIGHT[:2] + RIGHT[3:], "a tool call is not answered by a tool result"),
    ([RIGHT[0], m("assistant", None, [call("delete_all")])] + RIGHT[2:], "calls a tool it was not given (delete_all)"),
    ([RIGHT[0], m("assistant", None, [call(arguments='{"path": 3}')])] + RIGHT[2:],
     "arguments do not match create_folder's parameters"),
    ([RIGHT[0], m("assistant", None, [call(arguments="path=/x")])] + RIGHT[2:], "a call's arguments are not JSON"),
    ([RIGHT[0], m("assistant", None, [call(arguments="[1]")])] + RIGHT[2:], "a call's arguments are not a JSON object"),
    (RIGHT[:2] + [m("tool", "{}", call_id="call_9")] + RIGHT[3:], "a tool result answers no open call"),
    (RIGHT[:3] + [m("user", "And?")] + RIGHT[3:], "a tool result is not followed by the assistant"),
    ([RIGHT[0], RIGHT[0], RIGHT[3]], "two user turns in a row"),
    ([RIGHT[0], RIGHT[3], RIGHT[3]], "two assistant turns in a row"),
    ([m("user", " "), RIGHT[3]], "an empty user turn"),
])
def test_each_wrong_dialogue_is_rejected_by_its_reason(messages, reason):
    assert skills.problem({"messages": messages}, FOLDER, VALIDATORS) == reason


def test_a_kept_dialogue_becomes_a_tool_use_example_with_its_skill_and_topic():
    skill = SkillParams(name="folders", description="Folders.", quota=1, tools=["create_folder"])
    ex = skills.to_example({"messages": RIGHT}, skill, FOLDER, "projects", "You are the Filebox assistant.")
    assert ex["category"] == "tool_use" and ex["meta"] == {"teacher": "skill", "skill": "folders", "topic": "projects"}
    assert ex["messages"][2]["tool_calls"][0]["function"] == {"name": "create_folder", "arguments": '{"path": "/Projects/New"}'}
    assert ex["messages"][3] == {"role": "tool", "tool_call_id": "call_0", "content": '{"status": "ok"}'}
    assert ex["tools"] == FOLDER


def test_the_dialogue_schema_is_what_strict_structured_output_takes():
    from tasks.teacher.client import strict_ready

    assert strict_ready(skills.DIALOGUE_SCHEMA)
    Draft202012Validator(skills.DIALOGUE_SCHEMA).validate({"messages": RIGHT})


def test_a_skill_is_defined_once_and_its_mistakes_are_named(tmp_path):
    with pytest.raises(ValidationError, match="a description or a spec file"):
        SkillParams(name="x", quota=1)
    with pytest.raises(ValidationError, match="add up to 5, more than quota 4"):
        SkillParams(name="x", description="X.", quota=4, topics={"a": 3, "b": 2})
    with pytest.raises(ValidationError, match="pattern"):
        SkillParams(name="Has Spaces", description="X.", quota=1)
    unknown = SkillParams(name="x", description="X.", quota=1, tools=["create_folder", "rm_rf"])
    with pytest.raises(InputError, match=r"no tool named rm_rf in sources.tools; the tools there: create_folder, "):
        skills.skill_tools(unknown, TOOLS)
    missing = SkillParams(name="x", spec=tmp_path / "nope.md", quota=1)
    with pytest.raises(InputError, match=r"generate.skills \(x\).spec: cannot read .*nope.md"):
        skills.description(missing)
    (tmp_path / "spec.md").write_text("# Folders\n\nThe user asks for folders.\n")
    assert skills.description(missing.model_copy(update={"spec": tmp_path / "spec.md"})).startswith("# Folders")
    assert skills.topics(SkillParams(name="x", description="X.", quota=5, topics={"a": 2})) == {"a": 2, skills.ANY_TOPIC: 3}


def test_a_tool_schema_jsonschema_cannot_apply_is_a_reason_not_a_crash():
    odd = [{"type": "function", "function": {"name": "create_folder", "parameters": {
        "type": "object", "properties": {"path": {"type": "string", "pattern": "(["}}}}}]
    validators = {"create_folder": Draft202012Validator(odd[0]["function"]["parameters"])}
    assert skills.problem({"messages": RIGHT}, odd, validators) == "create_folder's parameters schema cannot be checked (error)"
