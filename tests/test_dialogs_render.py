"""The text agents read (toolace.dialogs.render): tool lists, descriptions and the transcript."""

from toolace.dialogs.render import _clip, transcript
from toolace.dialogs.simulate import TRANSCRIPT_LABEL


def test_a_long_description_is_cut_at_a_word_boundary():
    assert _clip("Return a step-by-step explanation of the claim", 30) == "Return a step-by-step…"
    assert _clip("short", 30) == "short"
    assert _clip("x" * 50, 10) == "x" * 9 + "…"  # no space: cut where the limit falls


def test_the_transcript_ties_each_result_to_its_call():
    """Review round 6: two parallel results of one tool were told apart only by their order."""
    calls = [{"id": "call_0", "name": "get_quote", "arguments": {"amount": 1}},
             {"id": "call_1", "name": "get_quote", "arguments": {"amount": 2}}]
    messages = [{"role": "user", "content": "Two quotes, please."},
                {"role": "assistant", "content": None, "tool_calls": calls},
                {"role": "tool", "tool_call_id": "call_1", "name": "get_quote", "content": {"rate": 9.5}},
                {"role": "tool", "tool_call_id": "call_0", "name": "get_quote", "content": {"rate": 7.1}}]
    lines = transcript(messages).splitlines()
    assert lines[1:] == ["Assistant calls: [call_0] get_quote(amount=1); [call_1] get_quote(amount=2)",
                         'Result of get_quote [call_1]: {"rate":9.5}', 'Result of get_quote [call_0]: {"rate":7.1}']
    assert all(TRANSCRIPT_LABEL.search(line) for line in lines)  # a turn copying any of them is still caught


def test_the_tool_list_says_what_the_call_schema_will_enforce():
    """Review round 7: the assistant had to guess an id pattern and a date format the call's schema enforced."""
    from toolace.dialogs.render import api_text
    from toolace.records import Api
    api = Api(name="get_solar", description="Solar output.", parameters={"type": "object", "properties": {
        "installation_id": {"type": "string", "pattern": "^SOL-[0-9]{5}$", "description": "Installation id."},
        "date": {"type": "string", "format": "date", "description": "Day."},
        "resolution": {"type": "string", "enum": ["hourly", "daily"], "default": "daily"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50}, "offset": {"type": "integer", "minimum": 0}},
        "required": ["installation_id", "date"]})
    assert api_text(api).splitlines()[1:] == [
        "    installation_id (string, pattern ^SOL-[0-9]{5}$, required): Installation id.",
        "    date (string, format date, required): Day.",
        '    resolution ("hourly" | "daily", default "daily")',
        "    limit (integer, 1 to 50)",
        "    offset (integer, at least 0)",
    ]
