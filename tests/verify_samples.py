"""Small dialogs for the verify tests: one good sample and builders to break it in one place."""

from __future__ import annotations

import copy
from typing import Any

from toolace.verify.config import RuleConfig
from toolace.verify.rules import check_rules, rule_verdict
from toolace.verify.sample import load_sample

WEATHER = {
    "name": "get_weather", "description": "Current weather of a city.",
    "parameters": {"type": "object", "required": ["city"], "properties": {
        "city": {"type": "string", "description": "City name."},
        "unit": {"type": "string", "description": "Unit.", "enum": ["celsius", "fahrenheit"]}}},
    "returns": {"type": "object", "properties": {"temp_c": {"type": "number"}}, "required": ["temp_c"]},
}


def api(properties: dict[str, Any], required: list[str] = (), name: str = "book", **extra: Any) -> dict:
    """An API whose parameters are ``properties`` (descriptions added where missing)."""
    def described(schema):
        if isinstance(schema, dict):
            schema = {k: described(v) if k in ("items", "additionalProperties") else v for k, v in schema.items()}
            if "properties" in schema:
                schema["properties"] = {k: {"description": k, **described(v)} for k, v in schema["properties"].items()}
        return schema
    parameters = described({"type": "object", "properties": properties, "required": list(required), **extra})
    return {"name": name, "description": f"{name} something.", "parameters": parameters}


def good() -> dict:
    """A correct single-call dialog."""
    return {"id": "d1", "kind": "single", "tools": [copy.deepcopy(WEATHER)], "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "call_0", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "tool_call_id": "call_0", "name": "get_weather", "content": {"temp_c": 21}},
        {"role": "assistant", "content": "It is 21 °C in Paris right now."}]}


def call_dialog(tool: dict, arguments: dict, dialog_id: str = "d1") -> dict:
    """A call-only dialog (user, call) to ``tool`` with ``arguments``."""
    return {"id": dialog_id, "tools": [tool], "messages": [
        {"role": "user", "content": "Please do it."},
        {"role": "assistant", "tool_calls": [{"id": "c0", "name": tool["name"], "arguments": arguments}]}]}


def failures(obj: dict, config: RuleConfig | None = None) -> list:
    sample = load_sample(obj)
    return sample.failures + check_rules(sample.dialog, config or RuleConfig())


def verdict(obj: dict, config: RuleConfig | None = None) -> tuple[list, list]:
    """``(failures, warnings)`` of the rule layer on one dialog."""
    sample = load_sample(obj)
    found, warnings = rule_verdict(sample.dialog, config or RuleConfig())
    return sample.failures + found, warnings


def checks(obj: dict, config: RuleConfig | None = None) -> list[str]:
    return [f.check for f in failures(obj, config)]


def only(obj: dict, check: str, config: RuleConfig | None = None):
    """The single failure of a dialog, asserting it is ``check``."""
    found = failures(obj, config)
    assert [f.check for f in found] == [check], [f.to_dict() for f in found]
    return found[0]
