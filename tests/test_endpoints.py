"""Endpoints as users have them: API keys, extra request fields, reasoning models, servers without json_schema.

Every test drives the real client over a real socket (``FakeOpenAIServer``) and asserts what was sent,
what came out and what was refused and why.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import threading
import time

import orjson
import pytest
from rich.console import Console

from dialog_apis import library
from pipeline_fakes import PipelineResponder
from toolace.config import EngineConfig, load_config
from toolace.dialogs import gen_dialogs
from toolace.testing.instances import instance
from toolace.engine import open_llm
from toolace.errors import AuthError, EngineError, InputError, RequestRefused, StructuredOutputError
from toolace.jsonl import read_jsonl
from toolace.llm.openai_client import SCHEMA_PROMPT, OpenAIClient
from toolace.runner import stats_path, summary_table
from toolace.testing.fake_server import Action, FakeOpenAIServer, reply, requested_schema, status

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temp": {"type": "integer"}},
          "required": ["city", "temp"], "additionalProperties": False}
ASK = [{"role": "user", "content": "weather?"}]
KEY = "sk-test-0123456789"


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch):
    monkeypatch.delenv("TOOLACE_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def client(server, **kw):
    return OpenAIClient(server.base_url, "fake-model", backoff_initial=0.01, backoff_max=0.02, **kw)


def obeying(think: str = "", refuse_json_schema: bool = False):
    """A fake model that follows the schema it is given (on the wire or in the prompt), maybe thinking first."""

    def respond(body):
        mode, schema = requested_schema(body)
        if mode == "json_schema" and refuse_json_schema:  # a hosted API's strict mode refusing the schema
            return Action("status", status=400)
        content = instance(schema, " x") if schema else "A plain reply."
        text = content if isinstance(content, str) else json.dumps(content)
        return reply(f"<think>{think}</think>\n{text}" if think else text)

    return respond


def cli(*args, env=None, timeout=120):
    full_env = {k: v for k, v in os.environ.items() if k not in ("TOOLACE_API_KEY", "OPENAI_API_KEY",
                                                                 "TOOLACE_BASE_URL")}
    return subprocess.run([sys.executable, "-m", "toolace", *args], capture_output=True, text=True,
                          timeout=timeout, env={**full_env, "COLUMNS": "200", **(env or {})})


def render(table) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def write_library(tmp_path):
    path = tmp_path / "apis.jsonl"
    path.write_bytes(b"".join(orjson.dumps(api.model_dump(mode="json", exclude_none=True)) + b"\n"
                              for api in library()))
    return path


# 1. API keys ----------------------------------------------------------------------------------------

async def test_key_is_sent_from_the_option_else_toolace_api_key_else_openai_api_key(monkeypatch):
    with FakeOpenAIServer(api_key=KEY) as server:
        assert (await client(server, api_key=KEY).chat(ASK)).text == '{"ok": true}'
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        await client(server).chat(ASK)
        monkeypatch.setenv("TOOLACE_API_KEY", "sk-wrong")  # TOOLACE_API_KEY comes before OPENAI_API_KEY
        with pytest.raises(AuthError, match="refused the API key from TOOLACE_API_KEY"):
            await client(server).chat(ASK)
    assert [h["authorization"] for h in server.headers] == [f"Bearer {KEY}", f"Bearer {KEY}", "Bearer sk-wrong"]


async def test_without_a_key_401_raises_one_line_at_once_without_retries():
    with FakeOpenAIServer(api_key=KEY) as server:
        llm = client(server, transport_attempts=4)
        with pytest.raises(AuthError) as info:
            await llm.chat(ASK, schema=SCHEMA)
        assert len(server.headers) == 1  # no retry, no re-ask
    message = str(info.value)
    assert "\n" not in message and server.base_url in message
    assert "needs an API key and none was set (HTTP 401)" in message
    assert "set --api-key or TOOLACE_API_KEY (or OPENAI_API_KEY)" in message
    assert llm.usage.failures == {"http_401": 1} and llm.usage.retries == 0


async def test_403_stops_like_401():
    with FakeOpenAIServer(responder=lambda body: status(403)) as server:
        with pytest.raises(AuthError, match=r"refused the API key from --api-key \(HTTP 403\)"):
            await client(server, api_key="sk-other").chat(ASK)
        assert len(server.requests) == 1


def test_model_listing_uses_the_key(monkeypatch):
    with FakeOpenAIServer(api_key=KEY, model="served-m") as server:
        with pytest.raises(AuthError, match="needs an API key"):
            with open_llm(EngineConfig(base_url=server.base_url)):
                pass
        monkeypatch.setenv("TOOLACE_API_KEY", KEY)
        with open_llm(EngineConfig(base_url=server.base_url)) as llm:
            assert llm.model == "served-m"
            assert asyncio.run(llm.chat(ASK)).text == '{"ok": true}'


async def test_a_run_stops_at_the_first_401_instead_of_failing_job_after_job(tmp_path):
    with FakeOpenAIServer(api_key=KEY) as server:
        llm = client(server)
        started = time.monotonic()
        with pytest.raises(AuthError):
            await gen_dialogs(llm, library(), count=50, out=tmp_path / "dialogs.jsonl", workers=4)
        assert time.monotonic() - started < 5
        # one /models request (the context window), the chat requests already in flight, nothing after
        assert len(server.headers) <= 5
    for name in ("dialogs.jsonl", "dialogs.rejected.jsonl"):  # nothing counted against the dialogs themselves
        assert not (tmp_path / name).exists() or not (tmp_path / name).read_bytes()


def test_cli_without_key_prints_one_line_and_with_key_never_saves_it(tmp_path):
    apis = write_library(tmp_path)
    with FakeOpenAIServer(api_key=KEY, responder=PipelineResponder()) as server:
        refused = cli("gen-dialogs", "--apis", str(apis), "--out", str(tmp_path / "a.jsonl"), "--count", "3",
                      "--base-url", server.base_url, "--model", "fake-model", "--workers", "8")
        refused_requests = len(server.headers)
        made = cli("run", "toolace.toml", "--out", str(tmp_path / "run"), "--base-url", server.base_url,
                   "--model", "fake-model", "--set", "apis.count=3", "--set", "dialogs.count=3",
                   "--set", "export.formats=['openai']", env={"OPENAI_API_KEY": KEY})
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {server.base_url} needs an API key and none was set (HTTP 401): set --api-key or "
                      "TOOLACE_API_KEY (or OPENAI_API_KEY) to a key this endpoint accepts"]
    assert refused_requests <= 8  # the requests already in flight, no retry of any
    assert made.returncode == 0, made.stderr[-2000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert "api_key" not in config["engine"]
    everything = b"".join(p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file())
    assert KEY.encode() not in everything and KEY not in made.stderr + made.stdout


# 2. extra_body --------------------------------------------------------------------------------------

async def test_extra_body_is_merged_into_every_request():
    extra = {"chat_template_kwargs": {"enable_thinking": False}, "top_k": 20, "repetition_penalty": 1.05}
    with FakeOpenAIServer() as server:
        llm = client(server, extra_body=extra)
        server.enqueue(reply('{"city": 1}'), reply({"city": "Oslo", "temp": 3}))
        await llm.chat(ASK, schema=SCHEMA, temperature=0.3, max_tokens=40)
        with pytest.raises(EngineError, match="no prompt_logprobs"):  # the fake is no vLLM; the request is what counts
            await llm.prompt_logprobs(ASK)
    for body in server.requests:
        assert {k: body[k] for k in extra} == extra
    first, reask, logprobs = server.requests
    assert (first["temperature"], first["max_tokens"], first["response_format"]["type"]) == (0.3, 40, "json_schema")
    assert reask["messages"][-1]["content"].startswith("Your reply was unusable")
    assert logprobs["prompt_logprobs"] == 0  # toolace's own extra field beside the user's


@pytest.mark.parametrize("text, message", [
    ('{"temperature": 0.1}', "--extra-body: 'temperature' cannot be set here: toolace sets it per step"),
    ('{"response_format": {}}', "--extra-body: 'response_format' cannot be set here: use --structured"),
    ("{top_k: 1}", "--extra-body: not valid JSON"),
    ("[1]", "--extra-body: must be a JSON object"),
])
def test_extra_body_option_is_checked_before_anything_starts(text, message):
    out = cli("doctor", "--base-url", "http://127.0.0.1:9/v1", "--extra-body", text)
    assert out.returncode == 2 and f"error: {message}" in out.stderr, out.stderr


def test_extra_body_and_structured_from_the_run_config_and_the_cli(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[engine]\nstructured = "prompt"\nextra_body = {top_k = 20, chat_template_kwargs = '
                    '{enable_thinking = false}}\n')
    config = load_config(path)
    assert config.engine.extra_body == {"top_k": 20, "chat_template_kwargs": {"enable_thinking": False}}
    assert config.model_dump()["engine"]["structured"] == "prompt"  # what config.json shows
    overridden = load_config(path, ['engine.extra_body={"min_p": 0.05}'])
    assert overridden.engine.extra_body == {"min_p": 0.05}
    with pytest.raises(InputError, match="engine.extra_body: 'model' cannot be set here: use --model"):
        load_config(path, ['engine.extra_body={"model": "x"}'])
    with pytest.raises(InputError, match="engine.structured: Input should be 'json_schema', 'json_object' or 'prompt'"):
        load_config(path, ["engine.structured=xml"])
    with pytest.raises(InputError, match="engine.api_key: keys stay out of run configs"):
        load_config(path, ["engine.api_key=sk-1"])


def test_gen_dialogs_cli_sends_extra_body_and_run_saves_it_in_the_resolved_config(tmp_path):
    apis = write_library(tmp_path)
    with FakeOpenAIServer(responder=obeying()) as server:
        out = cli("gen-dialogs", "--apis", str(apis), "--out", str(tmp_path / "d.jsonl"), "--count", "2",
                  "--base-url", server.base_url, "--model", "fake-model", "--extra-body", '{"top_k": 7}')
        sent = len(server.requests)
        assert out.returncode == 0, out.stderr[-2000:]
        assert sent >= 4 and all(body["top_k"] == 7 for body in server.requests)
    with FakeOpenAIServer(responder=PipelineResponder()) as server:
        ran = cli("run", "toolace.toml", "--out", str(tmp_path / "run"), "--base-url", server.base_url,
                  "--model", "fake-model", "--extra-body", '{"min_p": 0.1}', "--set", "apis.count=2",
                  "--set", "dialogs.count=2", "--set", "export.formats=['openai']")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert server.requests and all(body["min_p"] == 0.1 for body in server.requests)
    engine = json.loads((tmp_path / "run" / "config.json").read_text())["engine"]
    assert engine["extra_body"] == {"min_p": 0.1} and engine["structured"] == "json_schema"


# 3. Reasoning models --------------------------------------------------------------------------------

async def test_inline_think_is_kept_out_of_parsing_and_counted():
    thinking = 'The user wants JSON like {"city": "wrong"}. ' * 10
    with FakeOpenAIServer() as server:
        server.enqueue(reply(f'<think>{thinking}</think>\n\n{{"city": "Oslo", "temp": 3}}'))
        result = await client(server).chat(ASK, schema=SCHEMA)
    assert result.parsed == {"city": "Oslo", "temp": 3} and result.attempts == 1
    assert result.text == '{"city": "Oslo", "temp": 3}' and "<think>" not in result.text
    assert result.reasoning == thinking.strip()
    usage = result.usage
    assert 0 < usage.reasoning_tokens < usage.completion_tokens
    assert usage.reasoning_tokens > 0.8 * usage.completion_tokens  # most of what was generated was thinking


async def test_reasoning_content_and_template_opened_think_are_kept_apart():
    with FakeOpenAIServer() as server:
        server.enqueue(reply({"city": "Rome", "temp": 30}, reasoning="Rome is warm."),
                       reply('Rome, I think.</think>{"city": "Rome", "temp": 31}'))
        llm = client(server)
        apart = await llm.chat(ASK, schema=SCHEMA)
        opened = await llm.chat(ASK, schema=SCHEMA)
    assert (apart.parsed, apart.reasoning) == ({"city": "Rome", "temp": 30}, "Rome is warm.")
    assert apart.usage.reasoning_tokens > 0  # the server counted the thinking among the completion tokens
    assert (opened.parsed, opened.reasoning) == ({"city": "Rome", "temp": 31}, "Rome, I think.")


async def test_a_reply_cut_off_while_thinking_is_asked_again_without_the_thinking():
    with FakeOpenAIServer() as server:
        server.enqueue(reply("<think>Hmm, let me consider every city on earth", "length"),
                       reply({"city": "Bern", "temp": 9}))
        result = await client(server).chat(ASK, schema=SCHEMA)
        reask = server.requests[1]["messages"]
    assert result.parsed == {"city": "Bern", "temp": 9} and result.attempts == 2
    assert reask[-2] == {"role": "assistant", "content": ""}  # the thinking is not sent back as the reply
    assert "cut off at the token limit" in reask[-1]["content"]


async def test_dialogs_from_a_thinking_model_carry_no_thinking(tmp_path):
    out = tmp_path / "dialogs.jsonl"
    with FakeOpenAIServer(responder=obeying(think="I should pick the right tool. " * 5)) as server:
        stats = await gen_dialogs(client(server), library(), count=4, out=out, workers=4)
    assert stats.kept == 4
    assert b"think" not in out.read_bytes()
    saved = orjson.loads(stats_path(out).read_bytes())["usage"]
    assert 0 < saved["reasoning_tokens"] < saved["completion_tokens"]
    assert f"{saved['reasoning_tokens']:,} of them reasoning" in render(summary_table("gen-dialogs", stats))


# 4. Structured-output modes -------------------------------------------------------------------------

async def test_json_object_and_prompt_modes_put_the_schema_in_the_prompt():
    with FakeOpenAIServer() as server:
        server.enqueue(reply({"city": "Oslo", "temp": 3}), reply('Sure:\n```json\n{"city": "Lima", "temp": 18}\n```'))
        as_object = await client(server, structured="json_object").chat(ASK, schema=SCHEMA)
        prompted = await client(server, structured="prompt").chat(ASK, schema=SCHEMA)
    assert as_object.parsed == {"city": "Oslo", "temp": 3}
    assert prompted.parsed == {"city": "Lima", "temp": 18} and prompted.attempts == 1
    first, second = server.requests
    assert first["response_format"] == {"type": "json_object"} and "response_format" not in second
    for body in (first, second):
        assert body["messages"][0]["content"].startswith("weather?\n\n" + SCHEMA_PROMPT)
        assert requested_schema(body)[1] == SCHEMA
    assert ASK == [{"role": "user", "content": "weather?"}]  # the caller's messages are left alone


async def test_prompt_mode_validates_locally_and_reasks_with_the_error_on_a_new_message_list():
    with FakeOpenAIServer() as server:
        server.enqueue(reply({"city": "Oslo", "temp": "cold"}), reply({"city": "Oslo"}),
                       reply({"city": "Oslo", "temp": 3}))
        result = await client(server, structured="json_object").chat(ASK, schema=SCHEMA)
    assert result.parsed == {"city": "Oslo", "temp": 3} and result.attempts == 3
    second, third = server.requests[1]["messages"], server.requests[2]["messages"]
    assert "breaks the schema at temp: 'cold' is not of type 'integer'" in second[-1]["content"]
    assert "'temp' is a required property" in third[-1]["content"] and len(third) == len(second) == 3
    assert SCHEMA_PROMPT in third[-1]["content"]  # the schema goes with every attempt


async def test_bounded_attempts_raise_one_error_with_the_last_text():
    with FakeOpenAIServer(responder=lambda body: reply("I cannot do JSON, sorry.")) as server:
        with pytest.raises(StructuredOutputError) as info:
            await client(server, structured="prompt").chat(ASK, schema=SCHEMA)
        assert len(server.requests) == 3
    assert info.value.attempts == 3 and info.value.last_text == "I cannot do JSON, sorry."


async def test_server_refusing_json_schema_makes_dialogs_in_json_object_mode(tmp_path):
    with FakeOpenAIServer(responder=obeying(refuse_json_schema=True)) as server:
        with pytest.raises(RequestRefused):
            await client(server).chat(ASK, schema=SCHEMA)
        out = tmp_path / "dialogs.jsonl"
        stats = await gen_dialogs(client(server, structured="json_object"), library(), count=6, out=out, workers=4)
        bodies = server.requests[1:]
    assert stats.kept == 6 and stats.usage.failures == {}
    dialogs = list(read_jsonl(out))
    assert len(dialogs) == 6 and all(d["messages"] for d in dialogs)
    assert {d["tools"][0]["name"] for d in dialogs} <= {api.name for api in library()}
    assert all(body["response_format"] == {"type": "json_object"} for body in bodies)


# 5. Concurrency and timeouts for slow engines -------------------------------------------------------

async def test_requests_past_max_in_flight_wait_off_the_timeout_clock():
    lock, running, peak = threading.Lock(), [0], [0]

    def slow(body):  # each request takes 0.3 s on the "engine"
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.3)
        with lock:
            running[0] -= 1
        return reply("done")

    with FakeOpenAIServer(responder=slow) as server:
        llm = client(server, max_in_flight=2, timeout=0.6)
        results = await asyncio.gather(*[llm.chat(ASK) for _ in range(8)])  # 1.2 s in all, 0.3 s each
    assert [r.text for r in results] == ["done"] * 8
    assert peak[0] == 2 and llm.usage.failures == {} and llm.usage.retries == 0


def test_embedded_cpu_engine_gets_a_longer_timeout_and_a_cap_remote_ones_neither():
    config = EngineConfig()
    assert (config.resolved_timeout(True), config.resolved_in_flight(True)) == (900.0, 32)
    assert (config.resolved_timeout(False), config.resolved_in_flight(False)) == (300.0, None)
    given = EngineConfig(timeout=50, max_in_flight=4)
    assert (given.resolved_timeout(True), given.resolved_in_flight(False)) == (50, 4)
    with FakeOpenAIServer() as server:
        with open_llm(EngineConfig(base_url=server.base_url, structured="prompt")) as llm:
            assert llm.endpoints[0].client.timeout == 300.0 and llm.structured == "prompt"
