"""Every prompt agrees with the schema its reply is decoded under (issue 11: the strong-model run found
instructions naming fields the schema lacked, and the reverse).

For every prompt/schema pair: the field names a prompt mentions (quoted identifiers, not values) are
exactly the keys of the reply schema; examples in a prompt validate against its schema; the counts an
instruction asks for fit the schema's bounds.
"""

import re
import sys
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from toolace.apis.evolve import MUTATIONS, load_examples
from toolace.apis.links import handles
from toolace.apis.spec import MAX_FIELDS, MAX_PARAMETERS, SPEC_SCHEMA, api_to_spec, chained_spec_schema
from toolace.apis.writer import mutation_instructions, synthesis_messages
from toolace.dialogs import assistant_agent, user_agent
from toolace.dialogs.plan import Call, Link, Plan, Step
from toolace.dialogs.schemas import error_schema, result_schema
from toolace.dialogs.tool_agent import CallPlan, tool_messages
from toolace.grow_tree import DOCS_SCHEMA, _children_schema
from toolace.prompts import load_prompt
from toolace.records import Api
from toolace.verify.judge import SUB_JUDGES

sys.path.insert(0, str(Path(__file__).parent))
from dialog_apis import library  # noqa: E402

APIS = {a.name: a for a in library()}


def mentioned(text: str) -> set[str]:
    """Field names a prompt mentions: quoted identifiers that are not values (not after ``: `` and
    not in an ``<one of ...>`` list of allowed values)."""
    text = re.sub(r"<one of [^>]*>", "", text)
    return {m.group(1) for m in re.finditer(r'(?<!: )"([a-z][a-z_]*)"', text)}


def keys(schema, skip=("arguments",)) -> set[str]:
    """Every property name of a schema at every depth (not inside call arguments: those are the API's)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            found.add(name)
            if name not in skip:
                found |= keys(sub, skip)
        for key in ("items", "anyOf", "prefixItems"):
            value = schema.get(key)
            for sub in value if isinstance(value, list) else [value]:
                found |= keys(sub, skip)
    return found


def test_api_design_prompt_names_exactly_the_spec_fields():
    text = load_prompt("api_synth").text + "\n" + load_prompt("api_mutations").text
    assert mentioned(text) - {"field"} == keys(SPEC_SCHEMA)  # "$field" of the chain instruction
    assert "items_type" not in text


def test_api_design_counts_fit_the_schema_bounds():
    text = load_prompt("api_synth").text
    assert f'"parameters": the inputs, 1 to {MAX_PARAMETERS}.' in text
    assert f'"returns": the fields of the result, 1 to {MAX_FIELDS},' in text
    assert f"records with 1 to {MAX_FIELDS} fields" in text and f"its 1 to {MAX_FIELDS} fields" in text
    # length caps are stated where the field is named (an unstated cap refused a strong model's answers)
    description = SPEC_SCHEMA["properties"]["description"]["maxLength"]
    assert f"when to use it, at most {description} characters." in text
    inner = SPEC_SCHEMA["properties"]["parameters"]["items"]["anyOf"][0]["properties"]["description"]["maxLength"]
    assert f'"description" (at most {inner} characters)' in text
    enum = SPEC_SCHEMA["properties"]["parameters"]["items"]["anyOf"][0]["properties"]["enum"]
    assert f'"enum" ({enum["minItems"]} to {enum["maxItems"]} allowed values' in text
    low, high = map(int, re.search(r"(\d+) to (\d+) parameters", mutation_instructions()["add_parameters"]).groups())
    assert 1 <= low <= high <= MAX_PARAMETERS
    for operation in MUTATIONS:  # no instruction measures the new API against the example's size
        assert "than the example" not in mutation_instructions()[operation]


def test_every_example_shown_validates_against_the_reply_schema():
    validator = Draft202012Validator(SPEC_SCHEMA)
    for api in load_examples():
        spec = api_to_spec(api)
        assert not list(validator.iter_errors(spec)), api["name"]
        assert len(spec["parameters"]) < MAX_PARAMETERS  # room for "more parameters"
        # The prompt that shows it renders and names the operation.
        messages = synthesis_messages("- Travel > Flights", "single", orjson.dumps(spec).decode(), "add_parameters")
        assert orjson.dumps(spec).decode() in messages[1]["content"]


def test_a_family_job_pins_a_field_the_example_returns():
    producers = [api for api in load_examples() if handles(api)]
    assert producers, "the seed examples should show an API returning an id"
    api = producers[0]
    field, kind = handles(api)[0]
    schema = chained_spec_schema(field, kind)
    messages = synthesis_messages("- x", "family", orjson.dumps(api_to_spec(api)).decode(), "chain", field)
    assert f'result field "{field}" as its required input "{field}"' in messages[1]["content"]
    good = {"name": "cancel_thing", "description": "Cancel a thing that was made earlier.",
            "parameters": [{"name": field, "type": kind, "description": "The id", "required": True}],
            "returns": [{"name": "cancelled", "type": "boolean", "description": "Whether it was cancelled",
                         "required": True}]}
    validator = Draft202012Validator(schema)
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "parameters": [{**good["parameters"][0], "name": "other"}]})
    assert not validator.is_valid({**good, "parameters": [{**good["parameters"][0], "required": False}]})


def _steps():
    weather, forecast, user, orders = (APIS[n] for n in ("get_weather", "get_forecast", "find_user", "list_orders"))
    yield "call", assistant_agent.call_step([Call(weather)])
    yield "parallel", assistant_agent.call_step([Call(weather), Call(forecast)])
    yield "dependent", assistant_agent.call_step([Call(orders, Link(0, "user_id", "user_id"))], {"user_id": "u1"})
    step = Step("clarify", [Call(weather)], missing="city")
    for action in ("ask", "answer", "irrelevant", "summarize"):
        yield action, assistant_agent.text_step(action, step)
    yield "no arguments", assistant_agent.call_step([Call(APIS["random_joke"])])


@pytest.mark.parametrize("name, step", list(_steps()), ids=lambda v: v if isinstance(v, str) else "")
def test_assistant_prompt_names_exactly_the_fields_of_its_step(name, step):
    task, schema = step
    messages = assistant_agent.assistant_messages("(tools)", [], task)
    text = messages[0]["content"]
    assert mentioned(text) == keys(schema), name
    for sources in [schema["properties"]["thought"]["properties"].get("sources")]:
        if sources:  # the allowed sources are listed as the schema's own enum
            allowed = sources["items"]["properties"]["source"]["enum"]
            assert "<one of " + ", ".join(f'"{v}"' for v in allowed) + ">" in text
    for field in ("intent", "message"):  # every length cap of a written field is stated beside it
        sub = schema["properties"]["thought"]["properties"].get(field) or schema["properties"]["action"][
            "properties"].get(field)
        if sub:
            assert f"at most {sub['maxLength']} characters>" in text, (name, field)


def test_user_prompt_names_exactly_the_message_field():
    plan = Plan("single", [Step("single", [Call(APIS["get_weather"])])], [APIS["get_weather"]], "low", 0)
    for phase in ("first",):
        text = user_agent.user_messages(plan, plan.steps[0], [], phase)[0]["content"]
        assert mentioned(text) == keys(user_agent.SCHEMA) == {"message"}


def nested_api() -> Api:
    return Api(name="search_trains", description="Train connections between two stations.",
               parameters={"type": "object", "properties": {
                   "origin": {"type": "string", "description": "Station code"},
                   "date": {"type": "string", "format": "date", "description": "Travel date"}},
                   "required": ["origin", "date"]},
               returns={"type": "object", "properties": {
                   "origin": {"type": "string", "description": "Station code"},
                   "connections": {"type": "array", "description": "Connections", "items": {
                       "type": "object", "properties": {
                           "train": {"type": "string", "description": "Train number"},
                           "stops": {"type": "array", "items": {"type": "string"}, "description": "Stops"}}}},
                   "fares": {"type": "object", "description": "Fares by class"}}})


def test_tool_prompt_lists_every_field_the_result_schema_asks_for():
    api = nested_api()
    for plan in (CallPlan(), CallPlan(empty=True), CallPlan(error="NOT_FOUND")):
        schema = error_schema(plan.error) if plan.error else result_schema(api, arguments={"origin": "BER"},
                                                                           empty=plan.empty)
        text = tool_messages(api, {"origin": "BER", "date": "2026-06-14"}, schema, [], plan)[0]["content"]
        for name in keys(schema):
            assert f"- {name} (" in text, (plan, name)


@pytest.mark.parametrize("judge", SUB_JUDGES, ids=lambda j: j.check)
def test_judge_prompts_name_exactly_their_verdict_fields(judge):
    assert mentioned(load_prompt(judge.prompt).text) == keys(judge.schema) == {"reason", judge.flag}


def test_tree_prompts_name_exactly_their_reply_fields():
    assert mentioned(load_prompt("tree_expand").text) == keys(_children_schema(4))
    assert mentioned(load_prompt("tree_from_docs").text) == keys(DOCS_SCHEMA)


def test_the_error_prompt_states_the_message_cap():
    """Review round 10: an unstated 160-character cap refused a realistic error message."""
    from toolace.dialogs.schemas import error_schema
    cap = error_schema("TIMEOUT")["properties"]["error"]["properties"]["message"]["maxLength"]
    assert f"at most {cap} characters" in load_prompt("dialog_tool").render("error", code="TIMEOUT")
