"""Dialog dialects of the field: each row quoted in issue 12, and the kind it stands for.

"Kept" means nothing was dropped: a row that cannot be read whole is refused with a reason.
"""

import json
from collections import Counter

import pytest

from toolace.formats import hermes, hermes_import, openai_import, sharegpt_import, toolace_rows, xlam
from toolace.formats.imports import import_dialogs
from toolace.formats.toolace_rows import system_text
from toolace.formats.turns import RowProblem
from toolace.jsonl import read_jsonl
from toolace.records import Api, Dialog
from verify_samples import verdict

HERMES_NO_NEWLINES = json.loads(r'''{"messages":[{"role":"user","content":"Time in Oslo?"},{"role":"assistant","content":"<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>"},{"role":"user","content":"<tool_response>{\"time\": \"10:00\"}</tool_response>"},{"role":"assistant","content":"It is 10:00 in Oslo."}]}''')
LEGACY_OPENAI = json.loads(r'''{"messages":[{"role":"user","content":"EUR to USD rate?"},{"role":"assistant","content":null,"function_call":{"name":"get_exchange_rate","arguments":"{\"base\": \"EUR\", \"quote\": \"USD\"}"}}],"functions":[{"name":"get_exchange_rate","description":"Exchange rate between two currencies.","parameters":{"type":"object","properties":{"base":{"type":"string","description":"Base currency."},"quote":{"type":"string","description":"Quote currency."}},"required":["base","quote"]}}]}''')
HERMES_PYTHON_DICT = json.loads(r'''{"messages":[{"role":"user","content":"Price of ACME?"},{"role":"assistant","content":"<tool_call>\n{'arguments': {'symbol': 'ACME', 'after_hours': True}, 'name': 'get_stock_price'}\n</tool_call>"},{"role":"user","content":"<tool_response>\n{\"price\": 12.5}\n</tool_response>"},{"role":"assistant","content":"ACME is at 12.5."}]}''')
XLAM_STRING_ARGUMENTS = json.loads(r'''{"id":1,"query":"Weather in Lyon for 3 days?","tools":"[{\"name\": \"fetch_weather\", \"description\": \"Weather for a city.\", \"parameters\": {\"city\": {\"description\": \"City name.\", \"type\": \"str\"}, \"days\": {\"description\": \"How many days.\", \"type\": \"int, optional\"}}}]","answers":"[{\"name\": \"fetch_weather\", \"arguments\": \"{\\\"city\\\": \\\"Lyon\\\", \\\"days\\\": 3}\"}]"}''')

STOCK_TOOL = {"type": "function", "function": {"name": "get_stock_price", "description": "Get the current stock price.",
              "parameters": {"type": "object", "properties": {
                  "symbol": {"type": "string", "description": "Ticker symbol."},
                  "after_hours": {"type": "boolean", "description": "Include after-hours trading."}},
                  "required": ["symbol"]}}}
# Worded as Hermes-2-Pro's system prompt: the tools as a Python list inside <tools>, not Qwen's template.
HERMES_2_PRO_SYSTEM = (
    "You are a function calling AI model. You are provided with function signatures within <tools> </tools> "
    "XML tags. You may call one or more functions to assist with the user query. Don't make assumptions about "
    "what values to plug into functions. Here are the available tools: <tools> " + repr([STOCK_TOOL]) +
    " </tools> Use the following pydantic model json schema for each tool call you will make: {\"properties\": "
    "{\"arguments\": {\"title\": \"Arguments\", \"type\": \"object\"}, \"name\": {\"title\": \"Name\", \"type\": "
    "\"string\"}}, \"required\": [\"arguments\", \"name\"], \"title\": \"FunctionCall\", \"type\": \"object\"} "
    "For each function call return a json object with function name and arguments within <tool_call></tool_call> "
    "XML tags as follows:\n<tool_call>\n{\"arguments\": <args-dict>, \"name\": <function-name>}\n</tool_call>")


def test_hermes_response_without_newlines_is_read():
    dialog = hermes_import.import_row(HERMES_NO_NEWLINES, "-")
    tool = dialog.messages[2]
    assert tool.role == "tool" and tool.content == {"time": "10:00"} and tool.tool_call_id == "call_0"
    failures, _ = verdict({**dialog.to_dict(), "tools": [{"name": "get_time", "description": "Time in a city.",
                          "parameters": {"type": "object", "properties": {"city": {"type": "string",
                                                                                     "description": "City."}}}}]})
    assert failures == []  # no unanswered_call


@pytest.mark.parametrize("response", ["<tool_response>{\"a\": 1}</tool_response>",
                                      "  <tool_response>\n\n  {\"a\": 1}  \n</tool_response>\n",
                                      "<tool_response>\t{\"a\": 1}\n</tool_response>"])
def test_any_whitespace_inside_and_around_the_tags(response):
    row = {"messages": [{"role": "user", "content": "Go."},
                        {"role": "assistant", "content": " <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> "},
                        {"role": "user", "content": response}, {"role": "assistant", "content": "Done."}]}
    dialog = hermes_import.import_row(row, "-")
    assert dialog.messages[1].tool_calls[0].name == "f" and dialog.messages[2].content == {"a": 1}


def test_hermes_python_dict_calls_are_read():
    dialog = hermes_import.import_row(HERMES_PYTHON_DICT, "-")
    call = dialog.messages[1].tool_calls[0]
    assert (call.name, call.arguments) == ("get_stock_price", {"symbol": "ACME", "after_hours": True})
    assert dialog.messages[2].content == {"price": 12.5}


def test_hermes_2_pro_system_prompt_tools_are_found_and_its_text_kept():
    row = {"messages": [{"role": "system", "content": HERMES_2_PRO_SYSTEM}, *HERMES_PYTHON_DICT["messages"]]}
    dialog = hermes_import.import_row(row, "-")
    assert [api.name for api in dialog.tools] == ["get_stock_price"]
    assert dialog.tools[0].properties["after_hours"]["type"] == "boolean"
    assert dialog.messages[0].content == HERMES_2_PRO_SYSTEM  # not Qwen's template: nothing of it dropped
    failures, warnings = verdict(dialog.to_dict())
    assert failures == [] and warnings == []


def test_qwen_tool_turns_without_tags_are_results():
    row = {"messages": [{"role": "user", "content": "Go."},
                        {"role": "assistant", "content": "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>"},
                        {"role": "tool", "content": "{\"ok\": true}"}, {"role": "assistant", "content": "Done."}]}
    assert hermes_import.import_row(row, "-").messages[2].content == {"ok": True}


@pytest.mark.parametrize("assistant, user, reason", [
    ("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> and then I will summarise", None, "text_after_calls"),
    ("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>", "Here: <tool_response>{}</tool_response>",
     "text_beside_results"),
    ("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>", "<tool_response>{}</tool_response> thanks",
     "text_beside_results"),
    ("<tool_call>{'name': 'f', 'arguments': {oops}}</tool_call>", None, "bad_json"),
])
def test_hermes_rows_not_read_whole_are_refused(assistant, user, reason):
    messages = [{"role": "user", "content": "Go."}, {"role": "assistant", "content": assistant}]
    if user:
        messages.append({"role": "user", "content": user})
    with pytest.raises(RowProblem) as caught:
        hermes_import.import_row({"messages": messages}, "-")
    assert caught.value.reason == reason


def test_legacy_openai_call_only_row():
    dialog = openai_import.import_row(LEGACY_OPENAI, "-")
    assert [api.name for api in dialog.tools] == ["get_exchange_rate"]
    call = dialog.messages[1].tool_calls[0]
    assert (call.name, call.arguments) == ("get_exchange_rate", {"base": "EUR", "quote": "USD"})
    assert verdict(dialog.to_dict()) == ([], [])


def test_legacy_openai_full_row_with_function_results():
    row = {**LEGACY_OPENAI, "messages": LEGACY_OPENAI["messages"] + [
        {"role": "function", "name": "get_exchange_rate", "content": "{\"rate\": 1.08}"},
        {"role": "assistant", "content": "1 EUR is 1.08 USD."}]}
    dialog = openai_import.import_row(row, "-")
    assert dialog.messages[2].role == "tool" and dialog.messages[2].content == {"rate": 1.08}
    assert dialog.messages[2].tool_call_id == dialog.messages[1].tool_calls[0].id
    assert verdict(dialog.to_dict()) == ([], [])


def test_openai_fields_that_cannot_be_carried_refuse_the_row():
    row = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello.", "weight": 0}]}
    with pytest.raises(RowProblem) as caught:
        openai_import.import_row(row, "-")
    assert caught.value.reason == "unread_field" and "weight" in caught.value.detail
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]},
                          {"role": "assistant", "content": "Hello.", "refusal": None}]}
    assert openai_import.import_row(parts, "-").messages[0].content == "Hi there"


def test_xlam_arguments_held_as_json_text():
    dialog = xlam.import_row(XLAM_STRING_ARGUMENTS, "-")
    call = dialog.messages[1].tool_calls[0]
    assert call.arguments == {"city": "Lyon", "days": 3}
    assert dialog.tools[0].required == ["city"]
    assert verdict(dialog.to_dict()) == ([], [])


def test_sharegpt_calls_as_python_literals_with_json_text_arguments():
    row = {"conversations": [
        {"from": "human", "value": "Weather in Lyon?"},
        {"from": "function_call", "value": "{'name': 'fetch_weather', 'arguments': '{\"city\": \"Lyon\"}'}"},
        {"from": "observation", "value": "{\"temp\": 9}"}, {"from": "gpt", "value": "It is 9 degrees."}],
        "tools": json.dumps([{"name": "fetch_weather", "description": "Weather.", "parameters": {
            "type": "object", "properties": {"city": {"type": "string", "description": "City."}}}}])}
    dialog = sharegpt_import.import_row(row, "-")
    assert dialog.messages[1].tool_calls[0].arguments == {"city": "Lyon"}


def _toolace_row(reply: str) -> dict:
    api = Api(name="Doc Search API", description="Search the docs.", parameters={"type": "object", "properties": {
        "q": {"type": "string", "description": "Query."}}, "required": ["q"]})
    return {"system": system_text([api]), "conversations": [
        {"from": "user", "value": "Find the rate limits."}, {"from": "assistant", "value": reply}]}


def test_toolace_text_that_only_looks_like_a_call_list_stays_text():
    note = "[Note: the rate limits are listed on the reference page (Doc Search API) of the docs.]"
    dialog = toolace_rows.import_row(_toolace_row(note), "-")
    assert dialog.messages[1].content == note and not dialog.messages[1].tool_calls
    calls = toolace_rows.import_row(_toolace_row('[Doc Search API(q="rate limits")]'), "-")
    assert calls.messages[1].tool_calls[0].arguments == {"q": "rate limits"}
    with pytest.raises(RowProblem) as caught:  # names a tool, then breaks: a broken call, not text
        toolace_rows.import_row(_toolace_row('[Doc Search API(q="rate limits)]'), "-")
    assert caught.value.reason == "unparsable_call"


async def test_import_dialogs_counts_what_it_refuses(tmp_path):
    source = tmp_path / "rows.jsonl"
    bad = {"messages": [{"role": "user", "content": "Go."}, {"role": "assistant", "content":
                        "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> then more"}]}
    source.write_text("\n".join(json.dumps(r) for r in [HERMES_NO_NEWLINES, HERMES_PYTHON_DICT, bad]) + "\n")
    stats = await import_dialogs(source, "hermes", tmp_path / "d.jsonl")
    assert stats.kept == 2 and dict(stats.reasons) == {"text_after_calls": 1}
    assert stats.counters["calls read"] == 2 and len(list(read_jsonl(tmp_path / "d.jsonl"))) == 2
    [rejected] = list(read_jsonl(tmp_path / "d.rejected.jsonl"))
    assert rejected["id"] == f"{source}:3" and rejected["reason"] == "text_after_calls"


def test_toolace_tool_turn_with_another_key_is_refused_not_emptied():
    row = _toolace_row('[Doc Search API(q="limits")]')
    row["conversations"].append({"from": "tool", "value": json.dumps([{"name": "Doc Search API", "result": "60/min"}])})
    with pytest.raises(RowProblem) as caught:
        toolace_rows.import_row(row, "-")
    assert caught.value.reason == "unread_field"
    row["conversations"][-1]["value"] = json.dumps([{"name": "Doc Search API", "results": "60/min"}])
    assert toolace_rows.import_row(row, "-").messages[2].content == "60/min"


def test_qwen_template_without_tools_reads_back_as_no_system_text():
    dialog = Dialog.model_validate({"id": "x", "tools": [], "messages": [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]})
    [row] = hermes.export_rows(dialog, Counter())
    back = hermes_import.import_row(row, "-")
    assert back.tools == [] and [m.role for m in back.messages] == ["user", "assistant"]
