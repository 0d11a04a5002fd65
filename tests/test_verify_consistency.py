"""Sample consistency: role order, results matched to calls, and the system prompt's format."""

from toolace.verify.config import RuleConfig
from verify_samples import WEATHER, call_dialog, checks, failures, good, only

TOOLACE_SYSTEM = ("You are an expert in composing functions. ...\nHere is a list of functions in JSON format that "
                  'you can invoke:\n[{"name": "get_weather", "description": "...", "parameters": {}}]. \n'
                  "Should you decide to return the function call(s). \nPut it in the format of "
                  "[func1(params_name=params_value, params_name2=params_value2...), func2(params)]\n\n"
                  "NO other text MUST be included. \n")


def messages(dialog):
    return dialog["messages"]


def test_role_order():
    opens_with_assistant = good()
    messages(opens_with_assistant).insert(0, {"role": "assistant", "content": "Hello!"})
    assert "role_order" in checks(opens_with_assistant)
    two_users = good()
    messages(two_users).insert(1, {"role": "user", "content": "Quickly please."})
    assert only(two_users, "role_order").path == "messages[1]"
    ends_on_user = good()
    messages(ends_on_user).append({"role": "user", "content": "Thanks!"})
    assert "ends on a user turn" in only(ends_on_user, "role_order").message
    ends_on_tool = good()
    messages(ends_on_tool).pop()
    assert "ends on a tool result" in only(ends_on_tool, "role_order").message
    two_replies = good()
    messages(two_replies).append({"role": "assistant", "content": "Anything else?"})
    assert only(two_replies, "role_order").path == "messages[4]"


def test_multi_turn_and_dependent_calls_are_in_order():
    dialog = good()
    messages(dialog).extend([
        {"role": "user", "content": "And in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "name": "get_weather",
                                                               "arguments": {"city": "Oslo"}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": {"temp_c": 9}},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_2", "name": "get_weather",
                                                               "arguments": {"city": "Oslo", "unit": "fahrenheit"}}]},
        {"role": "tool", "tool_call_id": "call_2", "name": "get_weather", "content": {"temp_c": 9}},
        {"role": "assistant", "content": "Oslo has 9 °C (48 °F)."}])
    assert failures(dialog) == []


def test_unanswered_call():
    dialog = good()
    del messages(dialog)[2]
    failure = only(dialog, "unanswered_call")
    assert failure.path == "messages[1].tool_calls[0]" and "'call_0'" in failure.message


def test_parallel_call_with_one_result_missing():
    dialog = good()
    messages(dialog)[1]["tool_calls"].append({"id": "call_1", "name": "get_weather", "arguments": {"city": "Oslo"}})
    failure = only(dialog, "unanswered_call")
    assert failure.path == "messages[1].tool_calls[1]"
    messages(dialog).insert(3, {"role": "tool", "tool_call_id": "call_1", "name": "get_weather",
                                "content": {"temp_c": 9}})
    assert failures(dialog) == []


def test_trailing_call_only_samples():
    sample = call_dialog(WEATHER, {"city": "Paris"})
    assert failures(sample) == []
    assert only(sample, "unanswered_call", RuleConfig(allow_trailing_calls=False))
    partly = call_dialog(WEATHER, {"city": "Paris"})
    messages(partly)[1]["tool_calls"].append({"id": "c1", "name": "get_weather", "arguments": {"city": "Oslo"}})
    messages(partly).append({"role": "tool", "tool_call_id": "c0", "name": "get_weather", "content": {"temp_c": 1}})
    assert "unanswered_call" in checks(partly)


def test_duplicate_call_ids():
    dialog = good()
    messages(dialog)[1]["tool_calls"].append({"id": "call_0", "name": "get_weather", "arguments": {"city": "Oslo"}})
    assert "used twice" in only(dialog, "unanswered_call").message


def test_orphan_results():
    unknown = good()
    messages(unknown)[2]["tool_call_id"] = "call_9"
    assert sorted(checks(unknown)) == ["orphan_result", "unanswered_call"]
    twice = good()
    messages(twice).insert(3, dict(messages(twice)[2]))
    assert "a second result" in only(twice, "orphan_result").message
    late = good()
    messages(late).insert(2, {"role": "user", "content": "Hurry."})
    found = failures(late)
    assert sorted(f.check for f in found) == ["orphan_result", "unanswered_call"]


def test_result_name_mismatch():
    dialog = good()
    messages(dialog)[2]["name"] = "get_forecast"
    failure = only(dialog, "result_name_mismatch")
    assert failure.path == "messages[2].name" and "'get_forecast'" in failure.message


def test_system_prompt_must_come_first():
    dialog = good()
    messages(dialog).insert(2, {"role": "system", "content": "Be brief."})
    assert "system_format_conflict" in checks(dialog)
    first = good()
    messages(first).insert(0, {"role": "system", "content": "Be brief."})
    assert failures(first) == []


def test_toolace_system_prompt_wants_only_the_call():
    dialog = good()
    messages(dialog).insert(0, {"role": "system", "content": TOOLACE_SYSTEM})
    assert failures(dialog) == []
    messages(dialog)[2]["content"] = "Let me check that for you."
    failure = only(dialog, "system_format_conflict")
    assert failure.path == "messages[2].content" and "allows only the call" in failure.message


def test_call_written_as_text():
    dialog = good()
    messages(dialog)[3]["content"] = '[get_weather(city="Paris")]'
    assert "written as text" in only(dialog, "system_format_conflict").message
    tagged = good()
    messages(tagged)[3]["content"] = '<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call>'
    assert "system_format_conflict" in checks(tagged)


def test_system_prompt_offering_functions_missing_from_the_tools():
    dialog = good()
    messages(dialog).insert(0, {"role": "system", "content": TOOLACE_SYSTEM.replace("get_weather", "get_news")})
    assert "get_news" in only(dialog, "system_format_conflict").message
