"""gen-dialogs against the real engine: a few dialogs, each a canonical record; the learner's loss."""

import pytest

from toolace.dialogs import gen_dialogs
from toolace.dialogs.complexity import learner_nll
from toolace.jsonl import read_jsonl
from toolace.llm.openai_client import OpenAIClient
from toolace.records import Api, Dialog, ToolMessage

pytestmark = pytest.mark.engine


def apis():
    def api(name, description, domain, params, required, returns=None):
        return Api(name=name, description=description, domain=domain, returns=returns,
                   parameters={"type": "object", "properties": params, "required": required})
    return [
        api("get_weather", "Current weather in a city.", ["Travel", "Weather"],
            {"city": {"type": "string", "description": "City name"}}, ["city"],
            {"type": "object", "properties": {"temp_c": {"type": "number"}, "sky": {"type": "string"}}}),
        api("find_hotel", "Find hotels in a city for a number of nights.", ["Travel", "Lodging"],
            {"city": {"type": "string"}, "nights": {"type": "integer", "minimum": 1, "maximum": 14}},
            ["city", "nights"],
            {"type": "object", "properties": {"hotel_id": {"type": "string"}, "name": {"type": "string"}}}),
        api("book_hotel", "Book a hotel by its id.", ["Travel", "Lodging"],
            {"hotel_id": {"type": "string"}, "guests": {"type": "integer", "minimum": 1, "maximum": 6}},
            ["hotel_id", "guests"], {"type": "object", "properties": {"confirmation": {"type": "string"}}}),
        api("convert_currency", "Convert an amount between currencies.", ["Finance"],
            {"amount": {"type": "number"}, "to": {"type": "string", "enum": ["EUR", "USD", "JPY"]}},
            ["amount", "to"]),  # no returns: the tool agent falls back to a generic result
    ]


async def test_dialogs_from_the_engine_are_canonical_and_scored_by_a_learner(engine, tmp_path):
    llm = OpenAIClient(engine.base_url, engine.model, timeout=300)
    out = tmp_path / "dialogs.jsonl"
    stats = await gen_dialogs(llm, apis(), count=6, out=out, workers=6, consistency=1,
                              mix={"single": 1, "parallel": 1, "dependent": 1, "clarify": 1, "non_tool": 1})
    dialogs = [Dialog.model_validate(d) for d in read_jsonl(out)]
    assert stats.kept == 6 == len(dialogs) and stats.usage.completion_tokens > 0
    for d in dialogs:
        answered = [m.tool_call_id for m in d.messages if isinstance(m, ToolMessage)]
        assert sorted(answered) == sorted(c.id for c in d.calls())
        assert all(d.tool(c.name) for c in d.calls()) and d.meta["tokens"]["requests"] >= 2
    # vLLM prompt_logprobs: the loss of the assistant turns under the served model.
    nll, usage = await learner_nll(llm, dialogs[0], engine.model)
    assert nll is not None and 0 < nll < 20 and usage.prompt_tokens > 20
