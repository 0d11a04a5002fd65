"""The model layer with a scripted judge: what is asked, what the pre-pass saves, what is written."""

import asyncio
import copy

from toolace.errors import StructuredOutputError
from toolace.jsonl import JsonlWriter, read_jsonl
from toolace.llm.base import Usage
from toolace.llm.fake import ScriptedLLM
from toolace.prompts import load_prompt
from toolace.verify.judge import DialogJudge, judge_prompts
from toolace.verify.run import verify_dialogs
from toolace.verify.sample import load_sample
from verify_samples import WEATHER, call_dialog, good


def by_flag(verdicts=None):
    """A responder answering each sub-judge by its schema's flag (default: all fine)."""
    verdicts = verdicts or {}

    def respond(request):
        flag = [k for k in request.schema["properties"] if k != "reason"][0]
        return {"reason": f"checked {flag}", flag: verdicts.get(flag, False)}
    return respond


def flags(llm):
    return sorted(request.schema_name for request in llm.requests)


async def judge(dialog, llm, concurrency=8):
    return await DialogJudge(llm, concurrency=concurrency).judge(load_sample(dialog).dialog)


async def test_grounded_values_save_the_hallucination_call():
    llm = ScriptedLLM(responder=by_flag())
    result = await judge(good(), llm)
    assert result.failures == []
    assert flags(llm) == ["bad_result", "inconsistent", "repetitive"]
    assert result.counters["judge_calls"] == 3 and result.counters["judge_saved"] == 1
    assert result.counters["saved:hallucinated_value"] == 1
    sent = llm.requests[0]
    assert sent.temperature == 0.0 and sent.schema["properties"]["reason"]["maxLength"] == 200
    prompt = sent.messages[0]["content"]
    assert "[user] What is the weather in Paris?" in prompt
    # the call's id ties its result to it (round 8: judges matched parallel results to calls by order)
    assert '[assistant calls] get_weather call_0 {"city":"Paris"}\n[result of get_weather call_0] {"temp_c":21}' in prompt
    assert result.usage.requests == 3


async def test_an_ungrounded_value_is_asked_about_and_rejected():
    dialog = good()
    dialog["messages"][1]["tool_calls"][0]["arguments"] = {"city": "London", "unit": "celsius"}
    llm = ScriptedLLM(responder=by_flag({"hallucinated": True}))
    result = await judge(dialog, llm)
    [asked] = [r for r in llm.requests if r.schema_name == "hallucinated"]
    listing = load_prompt("judge_hallucination").values(asked.messages[0]["content"])["values"]
    assert 'get_weather: city = "London"' in listing and "celsius" not in listing  # enum members are choices
    [failure] = result.failures
    assert failure.check == "hallucinated_value" and failure.message == "judge: checked hallucinated"
    assert failure.path == "messages[1].tool_calls[0].arguments.city"


async def test_numbers_and_normalised_strings_count_as_grounded():
    tool = {"name": "book", "description": "Book.", "parameters": {"type": "object", "properties": {
        "guests": {"type": "integer", "description": "n"}, "city": {"type": "string", "description": "c"},
        "vip": {"type": "boolean", "description": "v"}}}}
    dialog = call_dialog(tool, {"guests": 4, "city": "new york", "vip": True})
    dialog["messages"][0]["content"] = "Book a table for 4.0 people in New-York!"
    llm = ScriptedLLM(responder=by_flag())
    result = await judge(dialog, llm)
    # call-only sample: nothing to hallucinate, no results, no text: only consistency is asked
    assert flags(llm) == ["inconsistent"] and result.counters["judge_saved"] == 3


async def test_plain_repetition_and_broken_results_need_no_judge():
    dialog = good()
    dialog["messages"][3]["content"] = "It is sunny in Paris today. " * 3
    dialog["messages"][2]["content"] = {"temp": "warm"}
    llm = ScriptedLLM(responder=by_flag())
    result = await judge(dialog, llm)
    checks = sorted(f.check for f in result.failures)
    assert checks == ["bad_tool_response", "repetitive"]
    assert flags(llm) == ["inconsistent"]
    [bad] = [f for f in result.failures if f.check == "bad_tool_response"]
    assert "'temp_c' is a required property" in bad.message and bad.path == "messages[2].content"


async def test_judge_error_keeps_the_sample_out_with_a_reason():
    def fail(request):
        if request.schema_name == "repetitive":
            raise StructuredOutputError("no valid structured reply after 3 attempts: x", attempts=3,
                                        last_text="{", usage=Usage(requests=3), reason="invalid_json")
        return by_flag()(request)
    result = await judge(good(), ScriptedLLM(responder=fail))
    assert [f.check for f in result.failures] == ["judge_error"]


async def test_sub_judges_run_concurrently_and_workers_bound_the_total():
    llm = ScriptedLLM(responder=by_flag(), delay=0.02)  # every reply takes a moment
    await DialogJudge(llm, concurrency=8).judge(load_sample(good()).dialog)
    assert llm.peak_in_flight == 3  # the three asked sub-judges of one sample at once
    llm = ScriptedLLM(responder=by_flag(), delay=0.02)
    shared = DialogJudge(llm, concurrency=2)
    await asyncio.gather(*(shared.judge(load_sample(good()).dialog) for _ in range(5)))
    assert len(llm.requests) == 15 and llm.peak_in_flight == 2


async def test_verify_writes_model_verdicts_and_provenance(tmp_path):
    bad = good()
    bad["id"] = "d2"
    bad["messages"][3]["content"] = "It is 30 °C in Paris."
    broken = copy.deepcopy(good())
    broken["id"] = "d3"
    broken["messages"][1]["tool_calls"][0]["arguments"] = {"city": 5}
    src = tmp_path / "dialogs.jsonl"
    with JsonlWriter(src) as writer:
        for dialog in (good(), bad, broken):
            writer.write(dialog)

    def respond(request):
        inconsistent = "30 °C" in request.messages[0]["content"]
        return by_flag({"inconsistent": inconsistent})(request)
    llm = ScriptedLLM(responder=respond)
    stats = await verify_dialogs([src], out=tmp_path / "verified.jsonl", llm=llm, workers=4)
    [kept] = list(read_jsonl(tmp_path / "verified.jsonl"))
    rejected = {r["id"]: r for r in read_jsonl(tmp_path / "verified.rejected.jsonl")}
    assert kept["id"] == "d1" and kept["verdict"] == {"passed": True, "layer": "model", "failures": []}
    assert kept["meta"]["verify"] == {"judge_model": "scripted", "prompts": judge_prompts()}
    assert rejected["d2"]["reason"] == rejected["d2"]["record"]["verdict"]["layer"] == "model"
    assert rejected["d2"]["failures"] == [{"check": "inconsistent_reply", "message": "judge: checked inconsistent"}]
    assert rejected["d3"]["reason"] == "rules" and "meta" not in rejected["d3"]["record"]
    assert len(llm.requests) == 6  # the rule-rejected sample never reaches the judge
    assert stats.counters["judge_calls"] == 6 and stats.counters["judge_saved"] == 2
    assert stats.reasons == {"model": 1, "rules": 1}
    figures = (tmp_path / "verified.stats.json").read_text()
    assert '"judge_calls_saved": 2' in figures and '"wrong_type": 1' in figures


def test_every_judge_sees_every_offered_tool_the_called_ones_in_full():
    extra = copy.deepcopy(WEATHER)
    extra["name"], extra["description"] = "get_news", "Latest news headlines for a topic."
    dialog = good()
    dialog["tools"].append(extra)
    llm = ScriptedLLM(responder=by_flag())
    asyncio.run(judge(dialog, llm))
    asked = {r.schema_name: r.messages[0]["content"] for r in llm.requests}
    assert set(asked) >= {"inconsistent", "bad_result"}
    for prompt in asked.values():
        assert '[called] {"name":"get_weather"' in prompt  # schema and all
        assert "- get_news: Latest news headlines for a topic." in prompt and '"name":"get_news"' not in prompt
    assert '"returns"' in asked["bad_result"] and '"returns"' not in asked["inconsistent"]


def test_an_irrelevance_dialog_is_judged_with_the_tools_it_was_offered():
    dialog = good()
    dialog["kind"] = "irrelevance"
    dialog["messages"] = [{"role": "user", "content": "Can you book me a table for two tonight?"},
                          {"role": "assistant", "content": "I can't book restaurants; I can tell you the weather."}]
    llm = ScriptedLLM(responder=by_flag())
    asyncio.run(judge(dialog, llm))
    prompt = next(r.messages[0]["content"] for r in llm.requests if r.schema_name == "inconsistent")
    assert "- get_weather: " in prompt and "(none called)" not in prompt
    assert "no offered function can do what the user wants" in prompt
