"""gen_dialogs as a run: self-consistency, drops with reasons, resume, learner-loss band, stats."""

import asyncio

import orjson
import pytest

from dialog_apis import library
from toolace.dialogs import gen_dialogs, kind_rows
from toolace.testing.instances import instance
from toolace.testing.responders import agent_responder
from toolace.dialogs.generate import make_dialog
from toolace.dialogs.plan import Library
from toolace.dialogs.simulate import Settings
from toolace.jsonl import count_lines, read_jsonl
from toolace.llm.fake import ScriptedLLM
from toolace.jobs import Job
from toolace.runner import stats_path


def is_call_step(request):
    return (request.schema_name == "assistant_turn"
            and request.schema["properties"]["action"]["properties"]["type"]["const"] == "call")


def disagreeing(first_distinct: int, pattern=None):
    """Call-step samples differ (a number in their strings) for the first ``first_distinct`` of them."""
    seen = 0

    def respond(request):
        nonlocal seen
        if not is_call_step(request):
            return agent_responder(request)
        seen += 1
        tag = pattern(seen) if pattern else (f" v{seen}" if seen <= first_distinct else "")
        return instance(request.schema, tag)

    return respond


async def run(tmp_path, responder, count=2, **kw):
    llm = ScriptedLLM(responder=responder)
    out = tmp_path / "dialogs.jsonl"
    stats = await gen_dialogs(llm, library(), count=count, out=out, workers=1,
                              **{"mix": {"single": 1.0}, "consistency": 3, "tool_error_rate": 0.0, **kw})
    rejected = tmp_path / "dialogs.rejected.jsonl"
    return (list(read_jsonl(out)), list(read_jsonl(rejected)) if rejected.exists() else [], stats, llm)


async def test_samples_that_never_agree_drop_the_dialog_as_inconsistent(tmp_path):
    kept, rejected, stats, llm = await run(tmp_path, disagreeing(6))
    assert [r["id"] for r in kept] == ["dlg-0-single-0000001", "dlg-0-single-0000002"]
    assert [(r["id"], r["record"]["kind"], r["reason"]) for r in rejected] == [("dlg-0-single-0000000", "single",
                                                                                "inconsistent")]
    # What was written so far, for inspection: the date, then the user's turn.
    assert [m["role"] for m in rejected[0]["record"]["messages"][:2]] == ["system", "user"]
    assert stats.reasons == {"inconsistent": 1}
    calls = [r for r in llm.requests if is_call_step(r)]
    assert len(calls) == 6 + 2 * 3  # two rounds of 3 for the dropped dialog, one round for each kept
    assert all(r.temperature and r.seed is None for r in calls)


async def test_a_step_is_sampled_again_once_before_it_is_given_up(tmp_path):
    kept, rejected, _, _ = await run(tmp_path, disagreeing(3), count=1)
    assert not rejected and len(kept) == 1
    assert kept[0]["meta"]["consistency"] == {"k": 3, "resampled": 1}
    assert kept[0]["meta"]["thoughts"][0]["agreed"] == "3/6"


async def test_the_majority_decision_is_kept(tmp_path):
    # Samples 1 and 2 agree, sample 3 differs: 2 of 3 is a majority.
    kept, rejected, _, _ = await run(tmp_path, disagreeing(0, pattern=lambda n: " odd" if n % 3 == 0 else ""),
                                     count=1)
    assert not rejected
    call = kept[0]["messages"][2]["tool_calls"][0]
    assert "odd" not in orjson.dumps(call["arguments"]).decode()
    assert kept[0]["meta"]["thoughts"][0]["agreed"] == "2/3"


async def test_unusable_model_output_drops_one_dialog_and_the_run_goes_on(tmp_path):
    failures = 0

    def respond(request):
        nonlocal failures
        if request.schema_name == "tool_result" and failures < 3:
            failures += 1
            return "not json"
        return agent_responder(request)

    kept, rejected, stats, _ = await run(tmp_path, respond, consistency=1)
    assert len(kept) == 2
    assert [(r["reason"], r["record"]["kind"]) for r in rejected] == [("llm_invalid_json", "single")]
    assert rejected[0]["detail"] == "not json"
    assert stats.usage.failures == {"invalid_json": 3}


async def test_an_interrupted_run_resumes_to_exactly_n_without_duplicates(tmp_path):
    out = tmp_path / "dialogs.jsonl"
    llm = ScriptedLLM(responder=agent_responder, record=False)
    task = asyncio.create_task(gen_dialogs(llm, library(), count=60, out=out, workers=6))
    while count_lines(out) < 15:
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    interrupted = count_lines(out)
    assert 15 <= interrupted < 60
    with open(out, "ab") as f:  # a torn last line, as a kill -9 mid-write leaves it
        f.write(b'{"id": "dlg-0-single-99')
    stats = await gen_dialogs(llm, library(), count=60, out=out, workers=6)
    ids = [d["id"] for d in read_jsonl(out)]
    assert len(ids) == 60 == len(set(ids)) and stats.skipped == interrupted
    # From the deterministic stream of each kind: dlg-SEED-KIND-INDEX, the first indices of each kind.
    assert all(i.startswith("dlg-0-") and int(i.rsplit("-", 1)[1]) < 40 for i in ids)


async def test_learner_loss_is_recorded_and_the_band_keeps_or_drops(tmp_path):
    lib = Library(library())
    llm = ScriptedLLM(responder=agent_responder)
    llm.token_logprob = lambda token: -2.0
    settings = Settings(consistency=1, tool_error_rate=0.0)
    kept = await make_dialog(llm, lib, Job("dlg-0-single-0000001", ("single", 1)), mix={"single": 1.0}, turns=(2, 3), seed=0,
                             settings=settings, complexity_model="learner-8b", complexity_band=(1.0, 3.0))
    complexity = kept.kept["meta"]["complexity"]
    assert complexity["learner_nll"] == 2.0 and complexity["learner_model"] == "learner-8b"
    scored = [r for r in llm.requests if r.schema_name == "prompt_logprobs"][-1].messages
    assert [m["role"] for m in scored] == ["system", "user", "assistant", "tool", "assistant"]
    assert scored[2]["content"].startswith('[{"name":')  # calls are scored as the JSON the learner emits
    dropped = await make_dialog(llm, lib, Job("dlg-0-single-0000001", ("single", 1)), mix={"single": 1.0}, turns=(2, 3), seed=0,
                                settings=settings, complexity_model="learner-8b", complexity_band=(2.5, 4.0))
    assert dropped.kept is None and dropped.reason == "complexity_band"
    assert dropped.rejected.record["meta"]["complexity"]["learner_nll"] == 2.0


async def test_stats_file_and_table_rows_per_kind(tmp_path):
    _, _, stats, _ = await run(tmp_path, disagreeing(6), count=3)
    saved = orjson.loads(stats_path(tmp_path / "dialogs.jsonl").read_bytes())
    assert saved["kept"] == 3 and saved["reasons"] == {"inconsistent": 1}
    assert saved["kinds"]["single"]["made"] == 3 and saved["kinds"]["single"]["dropped"] == {"inconsistent": 1}
    assert saved["kinds"]["single"]["mean_turns"] == 1.0 and saved["kinds"]["single"]["tokens"] > 0
    assert saved["mix"] == {"single": 1.0} and saved["unavailable_kinds"] == []
    assert saved["quotas"] == {"single": 3} and saved["given_up"] == {}
    rows = dict(kind_rows(saved["kinds"], saved["quotas"], {"single": 2}))
    assert rows["  single"].startswith("made 3 of 3, dropped 1 (inconsistent 1), mean turns 1.0, tokens ")
    assert rows["  single"].endswith(", given up: 2 moved to other kinds")


async def test_a_parallel_turn_that_repeats_a_call_is_dropped(tmp_path):
    def respond(request):
        reply = agent_responder(request)
        calls = reply["action"]["calls"] if is_call_step(request) else None
        if calls and len({c["name"] for c in calls}) == 1:
            reply["action"]["calls"] = [calls[0]] * len(calls)  # same name, same arguments
        return reply

    kept, rejected, _, _ = await run(tmp_path, respond, count=4, mix={"parallel": 1.0}, consistency=1)
    assert rejected and {r["reason"] for r in rejected} == {"duplicate_calls"}
    assert all(r["failures"][0]["message"].endswith("twice") for r in rejected)  # asked once more before giving up
    for dialog in kept:
        calls = dialog["messages"][2]["tool_calls"]
        assert len({c["name"] for c in calls}) == len(calls)  # only mixed-API turns got through


def first_user_turn(rewrite):
    """A responder whose first user turn is ``rewrite(message)``; every other reply is a valid instance."""
    done = False

    def respond(request):
        nonlocal done
        reply = agent_responder(request)
        if request.schema_name == "user_turn" and not done:
            done = True
            reply["message"] = rewrite(reply["message"])
        return reply
    return respond


async def test_a_turn_that_leaks_the_prompt_drops_the_dialog_at_once(tmp_path):
    respond = first_user_turn(lambda message: "Your task: Ask for something that needs it. " + message)
    kept, rejected, stats, llm = await run(tmp_path, respond, consistency=1)
    assert len(kept) == 2 and stats.reasons == {"prompt_leak": 1}
    assert rejected[0]["reason"] == "prompt_leak"
    assert rejected[0]["failures"] == [{"check": "prompt_leak", "message": 'the user agent repeated the dialog_user '
                                                                      'prompt: "ask for something that needs"'}]
    # Dropped before the turn was written: only the date is there.
    assert [m["role"] for m in rejected[0]["record"]["messages"]] == ["system"]
    assert not any("Your task" in m["content"] for d in kept for m in d["messages"] if m["role"] == "user")


def test_a_complexity_model_needs_a_backend_that_declares_prompt_logprobs(tmp_path):
    """Capabilities are declared on the client (LLMClient.supports_prompt_logprobs) and checked before
    the run starts, not discovered at the first request."""
    from toolace.llm.fake import ScriptedLLM

    class NoLogprobs(ScriptedLLM):
        supports_prompt_logprobs = False

    from dialog_apis import library
    from toolace.dialogs import gen_dialogs
    from toolace.errors import InputError
    llm = NoLogprobs()
    with pytest.raises(InputError, match="needs prompt log-probabilities, which NoLogprobs cannot give"):
        asyncio.run(gen_dialogs(llm, library(), count=2, out=tmp_path / "d.jsonl", complexity_model="learner"))
    assert llm.requests == [] and not (tmp_path / "d.jsonl").exists()


def test_a_turn_copying_the_transcript_drops_the_dialog(tmp_path):
    """Seen with the 135M model: the user turn was "System: Today is Sunday, April 11, 2027." copied
    from the transcript it reads."""
    respond = first_user_turn(lambda message: "System: Today is Sunday, April 11, 2027.")
    kept, rejected, stats, _ = asyncio.run(run(tmp_path, respond, consistency=1))
    assert len(kept) == 2 and stats.reasons == {"prompt_leak": 1}
    assert rejected[0]["failures"][0]["message"].startswith("the user agent wrote a transcript label")
    assert not any(m["content"].startswith("System:") for d in kept for m in d["messages"] if m["role"] == "user")
