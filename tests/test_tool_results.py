"""Tool results carry what the API promises (issue 11): a "full" scripted model, which fills every
field a schema allows, must never produce a hollow result — anything hollow was forced by toolace."""

import asyncio
from collections import Counter

import orjson
import pytest
from dialog_apis import nested_library

from toolace.apis.evolve import load_examples
from toolace.apis.links import handles
from toolace.apis.spec import api_to_spec, chained_spec_schema
from toolace.apis.writer import synthesis_messages
from toolace.dialogs.tool_agent import CallPlan, SimulatedTools
from toolace.llm.openai_client import OpenAIClient

from toolace.dialogs import gen_dialogs
from toolace.testing.responders import full_responder
from toolace.dialogs.schemas import result_schema
from toolace.jsonl import read_jsonl
from toolace.llm.fake import ScriptedLLM
from toolace.records import Dialog, ToolMessage

APIS = {a.name: a for a in nested_library()}


def hollow(value, schema, path="$"):
    """Where ``value`` is hollow against the documented ``schema``: a documented field missing, a
    record with no fields, an empty list."""
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict) or not value:
            return [f"{path}: empty record"]
        found = []
        for name, sub in (schema.get("properties") or {}).items():
            found += [f"{path}.{name}: missing"] if name not in value else hollow(value[name], sub, f"{path}.{name}")
        return found
    if kind == "array":
        if not isinstance(value, list) or not value:
            return [f"{path}: empty list"]
        return [p for i, item in enumerate(value) for p in hollow(item, schema.get("items") or {}, f"{path}[{i}]")]
    return []


def run(tmp_path, **kw):
    llm = ScriptedLLM(responder=full_responder, record=False)
    out = tmp_path / "dialogs.jsonl"
    asyncio.run(gen_dialogs(llm, nested_library(), count=kw.pop("count", 40), out=out, workers=8, consistency=1,
                            mix={"single": 0.4, "parallel": 0.2, "dependent": 0.2, "multi_turn": 0.2},
                            tool_error_rate=0.0, **kw))
    return [Dialog.model_validate(d) for d in read_jsonl(out)]


def results(dialog):
    calls = {c.id: c for c in dialog.calls()}
    for m in dialog.messages:
        if isinstance(m, ToolMessage):
            yield calls[m.tool_call_id], m.content


def test_no_tool_result_is_hollow_with_a_thorough_model(tmp_path):
    dialogs = run(tmp_path, empty_result_rate=0.0)
    seen = Counter()
    for dialog in dialogs:
        for call, content in results(dialog):
            assert hollow(content, APIS[call.name].returns) == [], (dialog.id, call.name, content)
            seen[call.name] += 1
    assert seen["search_trains"] and seen["book_connection"]
    assert any(d.kind == "dependent" for d in dialogs)


def test_open_records_get_a_few_plain_keys_and_lists_of_records_their_fields(tmp_path):
    content = next(c for d in run(tmp_path, count=10, empty_result_rate=0.0) for call, c in results(d)
                   if call.name == "search_trains")
    assert 1 <= len(content["fares"]) <= 4 and all(isinstance(v, (str, int, float, bool))
                                                   for v in content["fares"].values())
    assert all(isinstance(op, dict) and op for op in content["operators"])
    connection = content["connections"][0]
    assert set(connection) == {"connection_id", "stops", "price"} and set(connection["price"]) == {"amount", "currency"}


def test_a_result_list_holds_a_page_of_records():
    """Seen in the review: a week of daily figures cut to 3 items by the arguments' list bound."""
    from toolace.dialogs.budget import COMPACT
    schema = result_schema(APIS["search_trains"], arguments={})
    assert schema["properties"]["connections"]["maxItems"] == COMPACT.result_items >= 7
    assert schema["properties"]["connections"]["minItems"] == 1


def test_a_result_field_named_like_an_argument_repeats_its_value(tmp_path):
    pairs = [(call.arguments["origin"], content["origin"]) for d in run(tmp_path, count=10, empty_result_rate=0.0)
             for call, content in results(d) if call.name == "search_trains"]
    assert pairs and all(asked == returned for asked, returned in pairs)
    schema = result_schema(APIS["search_trains"], arguments={"origin": "8011160", "date": "2026-06-14"})
    assert schema["properties"]["origin"] == {"const": "8011160"}


def test_empty_results_are_planned_and_recorded(tmp_path):
    dialogs = run(tmp_path, count=20, empty_result_rate=1.0)
    empty = [(d, call, content) for d in dialogs for call, content in results(d)
             if call.id in d.meta.get("empty_results", [])]
    assert empty
    # only a search may match nothing: station_info's facilities (a list, not a search) are never emptied
    assert {call.name for _, call, _ in empty} == {"search_trains"}
    for dialog, call, content in empty:
        lists = [k for k, s in APIS[call.name].returns["properties"].items() if s.get("type") == "array"]
        assert lists and all(content[k] == [] for k in lists)
    # A producer of a dependent call is never emptied: the next call needs its value.
    for dialog in dialogs:
        producers = {dep["from_call"] for dep in dialog.meta.get("dependencies", [])}
        assert not producers & set(dialog.meta.get("empty_results", []))


@pytest.mark.engine
async def test_the_engine_fills_structured_results_and_pins_a_family_parameter(engine):
    """vLLM's grammar backend takes the result schemas (open records, lists of records, empty lists)
    and a family job's spec schema, and the 135M model's replies follow them."""
    llm = OpenAIClient(engine.base_url, engine.model, timeout=300)
    tools = SimulatedTools(llm, temperature=0.0)
    api, arguments = APIS["search_trains"], {"origin": "8011160", "date": "2026-06-14"}
    full = await tools.call(api, arguments, history=[], plan=CallPlan())
    assert hollow(full.content, api.returns) == [] and full.content["origin"] == "8011160"
    empty = await tools.call(api, arguments, history=[], plan=CallPlan(empty=True))
    assert empty.content["connections"] == [] and empty.content["operators"] == []
    producer = next(a for a in load_examples() if handles(a))
    field, kind = handles(producer)[0]
    messages = synthesis_messages("- Travel > Flights", "family", orjson.dumps(api_to_spec(producer)).decode(),
                                  "chain", field)
    spec = await llm.chat(messages, schema=chained_spec_schema(field, kind), schema_name="api_spec",
                          temperature=0.0, max_tokens=1600)
    first = spec.parsed["parameters"][0]
    assert (first["name"], first["type"], first["required"]) == (field, kind, True)


def test_a_dependent_dialog_passes_on_the_id_of_the_top_search_result(tmp_path):
    """search -> id -> details through a list item: the producer's result carries the id in every item
    (pinned to the consumer's parameter schema), and the consumer's call takes the top item's."""
    from test_links import search_and_details

    from toolace.records import Api
    apis = []
    for spec in search_and_details():
        for schema in [*spec["parameters"]["properties"].values(), *spec["returns"]["properties"].values()]:
            schema["description"] = "x"
        spec["parameters"]["required"] = list(spec["parameters"]["properties"])
        apis.append(Api.model_validate({**spec, "description": "Fact checks."}))
    pinned = result_schema(apis[0], {"fact_checks[].fact_check_id": {"type": "string", "pattern": "^fc-[0-9]{3}$"}})
    items = pinned["properties"]["fact_checks"]["items"]
    assert items["properties"]["fact_check_id"] == {"type": "string", "pattern": "^fc-[0-9]{3}$"}
    assert "fact_check_id" in items["required"] and "fact_checks" in pinned["required"]
    llm = ScriptedLLM(responder=full_responder, record=False)
    out = tmp_path / "dialogs.jsonl"
    asyncio.run(gen_dialogs(llm, apis, count=4, out=out, workers=4, consistency=1, mix={"dependent": 1.0},
                            tool_error_rate=0.0))
    dialogs = [Dialog.model_validate(d) for d in read_jsonl(out)]
    assert len(dialogs) == 4
    for dialog in dialogs:
        (dependency,) = dialog.meta["dependencies"]
        assert dependency["field"] == "fact_checks[].fact_check_id"
        produced = {call.id: content for call, content in results(dialog)}
        top = produced[dependency["from_call"]]["fact_checks"][0]["fact_check_id"]
        consumer = next(c for c in dialog.calls() if c.id == dependency["call"])
        assert consumer.name == "get_fact_check" and consumer.arguments["fact_check_id"] == top
