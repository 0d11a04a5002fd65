"""The dialog budget follows the engine's context window: compact on the 4,096-token embedded engine,
roomy on a long-context endpoint, where a strong model needs room (strong-model review rounds 6 and 7:
a 36-month schedule and an hourly day of output were cut to a 10-item page, and judged incomplete)."""

import json

import pytest
from test_endpoints import cli, obeying, write_library

from toolace.config import EngineConfig
from toolace.dialogs.budget import COMPACT, ROOMY, budget_for
from toolace.dialogs.schemas import result_schema
from toolace.engine import open_llm
from toolace.llm.openai_client import OpenAIClient
from toolace.records import Api
from toolace.testing.fake_server import FakeOpenAIServer


def test_auto_is_compact_below_a_long_context_and_roomy_from_there_or_when_unknown():
    assert budget_for("auto", 4096) is COMPACT and budget_for("auto", 32768) is ROOMY
    assert budget_for("auto", None) is ROOMY  # a hosted API does not say; its models have long contexts
    assert budget_for("compact", 131072) is COMPACT and budget_for("roomy", 4096) is ROOMY
    with pytest.raises(ValueError, match="unknown budget 'huge'"):
        budget_for("huge", None)


async def test_the_client_asks_the_server_for_its_context_window_once():
    for reported in (4096, None):
        with FakeOpenAIServer(max_model_len=reported) as server:
            with open_llm(EngineConfig(base_url=server.base_url, model="fake-model")) as llm:
                assert await llm.context() == reported and await llm.context() == reported
            assert len(server.headers) == 1  # one /models request, whatever the answer
    assert await OpenAIClient("http://127.0.0.1:9/v1", "m", context_window=4096).context() == 4096  # no request
    assert await OpenAIClient("http://127.0.0.1:9/v1", "m", timeout=2, transport_attempts=1).context() is None


def test_a_roomy_result_has_room_for_a_whole_schedule():
    loan = Api(name="get_loan_quote", description="A loan quote with its repayment schedule.",
               parameters={"type": "object", "properties": {"term_months": {"type": "integer"}}},
               returns={"type": "object", "properties": {"schedule": {"type": "array", "items": {
                   "type": "object", "properties": {"due_date": {"type": "string"}, "amount": {"type": "number"}}}}}})
    assert result_schema(loan, budget=COMPACT)["properties"]["schedule"]["maxItems"] == COMPACT.result_items == 8
    assert result_schema(loan, budget=ROOMY)["properties"]["schedule"]["maxItems"] == ROOMY.result_items >= 36


@pytest.mark.parametrize("reported, flags, expected", [
    (4096, [], COMPACT), (32768, [], ROOMY), (None, [], ROOMY), (32768, ["--budget", "compact"], COMPACT)])
def test_gen_dialogs_sizes_its_requests_by_the_budget(tmp_path, reported, flags, expected):
    apis = write_library(tmp_path)
    with FakeOpenAIServer(responder=obeying(), max_model_len=reported) as server:
        out = cli("gen-dialogs", "--apis", str(apis), "--out", str(tmp_path / "d.jsonl"), "--count", "3",
                  "--mix", "single=1", "--base-url", server.base_url, "--model", "fake-model", *flags)
        sent = list(server.requests)
    assert out.returncode == 0, out.stderr[-2000:]
    by_name = {}
    for body in sent:
        name = body.get("response_format", {}).get("json_schema", {}).get("name")
        by_name.setdefault(name, set()).add(body.get("max_tokens"))
    assert by_name["tool_result"] == {expected.tool_tokens}
    assert by_name["assistant_turn"] == {expected.call_tokens, expected.text_tokens}
    stats = json.loads((tmp_path / "d.stats.json").read_text())
    assert stats["budget"] == expected.name
