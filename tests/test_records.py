import pytest
from pydantic import ValidationError

from toolace.records import Api, AssistantMessage, Dialog, Verdict

WEATHER = {
    "name": "get_weather", "description": "Current weather for a city.", "domain": ["Travel", "Weather"],
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City."}},
                   "required": ["city"]},
    "returns": {"type": "object", "properties": {"temp_c": {"type": "number"}}},
}

DIALOG = {
    "id": "d1", "kind": "single", "tools": [WEATHER],
    "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "call_0", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "tool_call_id": "call_0", "name": "get_weather", "content": {"temp_c": 21}},
        {"role": "assistant", "content": "It is 21 °C in Paris."},
    ],
}


def test_canonical_dialog_round_trips_exactly():
    dialog = Dialog.model_validate(DIALOG)
    assert dialog.to_dict() == {**DIALOG, "tools": [{**WEATHER, "meta": {}}], "meta": {}}
    assert [c.arguments for c in dialog.calls()] == [{"city": "Paris"}]
    assert dialog.tool("get_weather").required == ["city"]


@pytest.mark.parametrize("parameters, problem", [
    ({"type": "dict", "properties": {}}, "not a valid JSON Schema"),
    ({"type": "array", "items": {}}, "must have type 'object'"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}, "unknown properties: b"),
    ({"type": "object", "properties": {"a": {"type": "strin"}}}, "properties/a/type"),
])
def test_api_rejects_bad_parameter_schemas(parameters, problem):
    with pytest.raises(ValidationError, match=problem):
        Api.model_validate({**WEATHER, "parameters": parameters})


def test_api_lenient_context_keeps_broken_schema_for_the_checker():
    api = Api.model_validate({**WEATHER, "parameters": {"type": "dict"}}, context={"lenient_schema": True})
    assert api.parameters == {"type": "dict"}


def test_api_rejects_empty_name_and_unknown_fields():
    with pytest.raises(ValidationError, match="name must not be empty"):
        Api.model_validate({**WEATHER, "name": "  "})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Api.model_validate({**WEATHER, "provenance": {}})
    assert Api.model_validate({**WEATHER, "meta": {"parent": "x"}}).meta == {"parent": "x"}


def test_parameter_named_type_survives():
    params = {"type": "object", "properties": {"type": {"type": "string", "description": "Kind."},
                                               "required": {"type": "boolean", "description": "Flag."}},
              "required": ["type"]}
    api = Api.model_validate({**WEATHER, "parameters": params})
    assert set(api.properties) == {"type", "required"}


def test_dialog_rejects_duplicate_call_ids_and_unknown_answers():
    dup = {**DIALOG, "messages": DIALOG["messages"][:2] + [DIALOG["messages"][1]]}
    with pytest.raises(ValidationError, match="duplicate tool_call id 'call_0'"):
        Dialog.model_validate(dup)
    orphan = {**DIALOG, "messages": [DIALOG["messages"][0], DIALOG["messages"][2]]}
    with pytest.raises(ValidationError, match="answers unknown call id 'call_0'"):
        Dialog.model_validate(orphan)


def test_dialog_rejects_bad_roles_and_string_arguments():
    with pytest.raises(ValidationError):
        Dialog.model_validate({**DIALOG, "messages": [{"role": "robot", "content": "hi"}]})
    bad = {"role": "assistant", "tool_calls": [{"id": "c", "name": "f", "arguments": '{"a": 1}'}]}
    with pytest.raises(ValidationError):
        AssistantMessage.model_validate(bad)
    with pytest.raises(ValidationError, match="needs content or tool_calls"):
        AssistantMessage.model_validate({"role": "assistant", "content": None})


def test_verdict_shape():
    v = Verdict.model_validate({"passed": False, "layer": "rules",
                                "failures": [{"check": "missing_required", "message": "city missing", "path": "$.city"}]})
    assert v.to_dict()["failures"][0] == {"check": "missing_required", "message": "city missing", "path": "$.city"}
    with pytest.raises(ValidationError):
        Verdict.model_validate({"passed": True, "layer": "vibes"})
