"""TaggedToolsFormat as a Jinja template (chat_format.training_template): what Hugging Face
trainers and mlx_lm.server render through it is, character for character, what TaggedToolsFormat
renders for MLX training, on real tool specs this project did not write (BFCL's 1,853, read from
the bfcl-eval wheel: tests/real_inputs.py) and on schemas with $refs, unions and bounds."""
import json

import pytest

from tasks.core.config import load_params
from tasks.formats import chat_format
from tasks.testing.projects import ROOT
from tasks.testing.real_inputs import bfcl_tools
from tasks.tuner import smollm2


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2.converted(load_params(ROOT / "params.yaml").paths.under(ROOT).model_cache))


def conversation(tools: list[dict]) -> list[dict]:
    name = tools[0]["function"]["name"]
    return [{"role": "system", "content": "You are the assistant."}, {"role": "user", "content": "Do it, then say so."},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "c0", "type": "function", "function": {"name": name, "arguments": json.dumps({"x": 1})}}]},
            {"role": "tool", "tool_call_id": "c0", "content": "{\"ok\": true}"},
            {"role": "assistant", "content": "Done."}]


def both(tokenizer, messages, tools) -> tuple[str, str]:
    fmt = chat_format.TaggedToolsFormat()
    mine = tokenizer.apply_chat_template(*fmt.prepare(messages, tools), tokenize=False)
    theirs = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False,
                                           chat_template=chat_format.training_template(fmt, tokenizer))
    return mine, theirs


def test_the_template_renders_bfcl_tools_as_training_does(tokenizer):
    tools = bfcl_tools()
    assert len(tools) > 1000
    for i in range(0, len(tools), 7):
        group = tools[i:i + 7]
        mine, theirs = both(tokenizer, conversation(group), group)
        assert theirs == mine, group[0]["function"]["name"]


def test_refs_unions_bounds_and_no_system_message(tokenizer):
    tool = {"type": "function", "function": {"name": "book", "description": "Book a room.", "parameters": {
        "type": "object", "required": ["when"], "$defs": {"slot": {"enum": ["am", "pm"]}},
        "properties": {"when": {"type": "string", "format": "date"}, "slot": {"$ref": "#/$defs/slot"},
                       "n": {"type": "integer", "minimum": 1, "maximum": 9}, "tags": {"type": "array", "items": {"type": "string"}},
                       "pay": {"oneOf": [{"type": "number", "minimum": 0}, {"const": "free"}]},
                       "who": {"type": "object", "properties": {"name": {"type": "string"}}}}}}}
    messages = conversation([tool])[1:]  # no system message: one is added for the tools
    mine, theirs = both(tokenizer, messages, [tool])
    assert theirs == mine
    assert "book(when: string (date), slot?: am|pm, n?: integer 1..9, tags?: array of string, " \
           "pay?: number >= 0 | \"free\", who?: {name?: string}): Book a room." in theirs
    plain = [{"role": "user", "content": "hi"}]
    assert both(tokenizer, plain, None)[1] == tokenizer.apply_chat_template(plain, tokenize=False)  # no tools: the base's own
