"""Dialog correctness and lenient loading: fields, length, characters, language, completeness."""

import pytest

from toolace.errors import InputError
from toolace.verify.config import RuleConfig
from toolace.verify.rules_dialog import cut_off
from verify_samples import checks, failures, good, only


def with_reply(text: str) -> dict:
    dialog = good()
    dialog["messages"][-1]["content"] = text
    return dialog


def test_blank_texts_and_ids_are_missing_fields():
    dialog = good()
    dialog["messages"][0]["content"] = "  "
    dialog["messages"][2]["name"] = ""
    found = failures(dialog)
    assert ("missing_field", "messages[0].content") in [(f.check, f.path) for f in found]
    assert ("missing_field", "messages[2].name") in [(f.check, f.path) for f in found]


def test_malformed_message_is_reported_and_the_rest_still_checked():
    dialog = good()
    del dialog["messages"][2]["tool_call_id"]
    dialog["messages"][-1]["content"] = "It is 21 and"
    found = failures(dialog)
    assert ("missing_field", "messages[2].tool_call_id") in [(f.check, f.path) for f in found]
    # the result is gone, so the call is unanswered; the reply is still checked
    assert {"unanswered_call", "incomplete_reply"} <= {f.check for f in found}


def test_unknown_role_and_unknown_top_level_field():
    dialog = good()
    dialog["messages"].insert(1, {"role": "function", "content": "x"})
    dialog["extra"] = 1
    found = [f for f in failures(dialog) if f.check == "missing_field"]
    assert [f.path for f in found] == ["messages[1]", "extra"]


def test_reply_too_long_is_configurable():
    dialog = with_reply("Fine weather. " * 30)
    assert failures(dialog) == []
    failure = only(dialog, "reply_too_long", RuleConfig(max_reply_chars=100))
    assert failure.path == "messages[3].content" and "420 characters (limit 100)" in failure.message


@pytest.mark.parametrize("where, text", [
    ("reply", "It is 21 \x07 degrees."), ("reply", "It is 21 \ufffd degrees."),
    ("argument", "Par\x00is"), ("result", "sun\ud800ny"),
])
def test_invalid_characters(where, text):
    dialog = good()
    if where == "reply":
        dialog["messages"][3]["content"] = text
        path = "messages[3].content"
    elif where == "argument":
        dialog["messages"][1]["tool_calls"][0]["arguments"]["city"] = text
        path = "messages[1].tool_calls[0].arguments.city"
    else:
        dialog["messages"][2]["content"] = {"temp_c": 21, "sky": text}
        path = "messages[2].content.sky"
    found = [f for f in failures(dialog) if f.check == "invalid_characters"]
    assert [f.path for f in found] == [path]


def test_tabs_newlines_and_accents_are_fine():
    assert failures(with_reply("Paris:\n\t21 °C, ciel dégagé — très agréable.\r\n")) == []


def test_mixed_language():
    failure = only(with_reply("It is 21 °C in Paris today, 天气很好，适合出门散步。"), "mixed_language")
    assert "mostly latin" in failure.message and "cjk" in failure.message
    assert only(with_reply("It is 21 °C in Paris, сегодня очень хорошая погода."), "mixed_language")


def test_quoted_names_and_a_stray_word_are_not_a_language_switch():
    dialog = good()
    dialog["messages"][0]["content"] = "巴黎 Paris 现在天气怎么样？"
    dialog["messages"][3]["content"] = "巴黎 (Paris) 现在的温度是 21 °C，天气晴朗，适合出门。"
    assert failures(dialog) == []
    assert failures(with_reply("It is 21 °C in Paris, très bien, 好.")) == []


@pytest.mark.parametrize("text, why", [
    ("", "empty reply"), ("   ", "empty reply"), ("It is 21 °C in Paris and the", "mid-sentence on 'the'"),
    ("The forecast (from Météo", "unclosed '('"), ("It is 21 °C,", "ends on ','"),
    ("Here you go:\n```json\n{\"temp\": 21}", "unclosed"), ('He said "sunny', "double quotes"),
    ("The results are:", "ends on ':'"), ("I will check the price and/", "ends on '/'"), ("It costs 3/", "ends on '/'"),
])
def test_incomplete_reply(text, why):
    failure = only(with_reply(text), "incomplete_reply")
    assert why in failure.message


@pytest.mark.parametrize("text", [
    "It is 21 °C in Paris.", "Sunny! 21 °C", "Results:\n1. Paris: 21 °C\n2. Oslo: 9 °C",
    "Here is the JSON:\n```json\n{\"temp\": 21}\n```", "气温 21 度。", "Done :)",
    # review round 6: a reply ending on a link whose path ends in "/" is complete
    "Links: fullfact.org/online/eu-cash-limit/, mimikama.org/bargeldverbot-1000-euro-eu-2027/",
    "See https://example.com/",
])
def test_complete_replies_pass(text):
    assert cut_off(text) is None


def test_terminal_punctuation_only_when_asked():
    assert cut_off("It is 21 degrees in Paris right now") is None
    assert cut_off("It is 21 degrees in Paris right now", require_terminal_punctuation=True)
    assert cut_off("Results:\n- Paris 21", require_terminal_punctuation=True) is None


def test_empty_text_beside_a_call_is_fine():
    dialog = good()
    dialog["messages"][1]["content"] = ""
    assert failures(dialog) == []


def test_rule_config_forbids_unknown_keys_and_names_the_file(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{"max_reply_chars": 10, "max_reply_char": 5}')
    with pytest.raises(InputError, match=r"rules.json: max_reply_char: Extra inputs are not permitted"):
        RuleConfig.load(path)
    path.write_text('{"name_pattern": "("}')
    with pytest.raises(InputError, match="not a regular expression"):
        RuleConfig.load(path)
    path.write_text('{"max_reply_chars": 10}')
    assert RuleConfig.load(path).max_reply_chars == 10


def test_checks_registry_names_every_rule_id():
    from toolace.verify.rules import CHECKS
    assert len(CHECKS) == 23 and all(CHECKS.values())
    assert "system_format_conflict" in CHECKS and "unknown_argument" in CHECKS
    assert set(checks(good())) == set()


def test_a_user_turn_repeating_the_agent_instructions_is_a_prompt_leak():
    # Seen on the embedded 135M model: the user agent wrote its own task line into the message.
    dialog = good()
    dialog["messages"][0]["content"] = "Your task: Ask for something that needs it... the weather in Paris?"
    failure = only(dialog, "prompt_leak")
    assert failure.path == "messages[0].content"
    assert failure.message == 'messages[0].content: repeats the dialog_user prompt: "ask for something that needs"'
    reply = with_reply("Tell the user what the tool results above say: 21 degrees.")
    assert only(reply, "prompt_leak").message.endswith('the dialog_assistant prompt: "tell the user what the"')
    assert "prompt_leak" not in checks(dialog, RuleConfig(prompt_leak_words=0))  # 0 turns the check off
    assert "prompt_leak" not in checks(dialog, RuleConfig(prompt_leak_words=9))  # only 8 words in a row there


@pytest.mark.parametrize("text", [
    "Could you ask for something that is cheaper?",  # four words of an instruction, not five
    "Please check the weather in Paris for me, I need to know before I book my flight tomorrow.",
    "Here is what I found: it is 21 degrees in Paris. Anything else I can help you with?",
    "As a busy professional who wants results, I need the weather in Paris.",  # a style, not an instruction
])
def test_ordinary_speech_is_not_a_prompt_leak(text):
    dialog = good()
    dialog["messages"][0]["content"] = text
    assert "prompt_leak" not in checks(dialog)

