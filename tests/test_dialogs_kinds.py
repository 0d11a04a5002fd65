"""gen_dialogs with a scripted LLM: the mix holds over 1,000 dialogs and each kind has its shape."""

from collections import Counter

import pytest
from dialog_apis import library

from toolace.dialogs import gen_dialogs
from toolace.dialogs.budget import ROOMY
from toolace.testing.responders import agent_responder, numbered_responder
from toolace.dialogs.plan import parse_mix
from toolace.jsonl import read_jsonl
from toolace.llm.fake import ScriptedLLM
from toolace.prompts import load_prompt
from toolace.records import AssistantMessage, Dialog, SystemMessage, ToolMessage, UserMessage


async def generate(tmp_path, kind_mix, count=20, **kw):
    llm = ScriptedLLM(responder=kw.pop("responder", None) or numbered_responder())
    out = tmp_path / "dialogs.jsonl"
    stats = await gen_dialogs(llm, library(), count=count, out=out, workers=kw.pop("workers", 8), mix=kind_mix,
                              **{"consistency": 1, "tool_error_rate": 0.0, **kw})
    return [Dialog.model_validate(d) for d in read_jsonl(out)], stats, llm


def check_calls_answered(dialog: Dialog) -> None:
    """Every call is answered by exactly one tool message, right after the turn that made it."""
    messages = dialog.messages
    for i, m in enumerate(messages):
        if isinstance(m, AssistantMessage) and m.tool_calls:
            answers = messages[i + 1:i + 1 + len(m.tool_calls)]
            assert [a.tool_call_id for a in answers if isinstance(a, ToolMessage)] == [c.id for c in m.tool_calls]
            assert [a.name for a in answers] == [c.name for c in m.tool_calls]
    answered = Counter(m.tool_call_id for m in messages if isinstance(m, ToolMessage))
    assert all(answered[c.id] == 1 for c in dialog.calls()) and sum(answered.values()) == len(dialog.calls())
    # The dialog opens with the date it happens on (relative dates resolve to it), then the user speaks.
    assert isinstance(messages[0], SystemMessage) and messages[0].content.startswith("Today is ")
    assert isinstance(messages[1], UserMessage) and isinstance(messages[-1], AssistantMessage)
    assert messages[-1].content and not messages[-1].tool_calls


def rendered(prompt, section, text):
    """Whether ``text`` is a rendering of the section (whatever its wording)."""
    try:
        return prompt.values(text, section) is not None
    except ValueError:
        return False


def roles(dialog):
    """The roles after the opening system message (the date)."""
    assert dialog.messages[0].role == "system"
    return ["call" if getattr(m, "tool_calls", None) else m.role for m in dialog.messages[1:]]


async def test_a_thousand_dialogs_follow_the_mix(tmp_path):
    llm = ScriptedLLM(responder=agent_responder, record=False)
    out = tmp_path / "dialogs.jsonl"
    stats = await gen_dialogs(llm, library(), count=1000, out=out, workers=32)
    dialogs = list(read_jsonl(out))
    assert stats.kept == 1000 == len(dialogs) == len({d["id"] for d in dialogs})
    counts = Counter(d["kind"] for d in dialogs)
    for kind, share in parse_mix(None).items():
        assert abs(counts[kind] / 1000 - share) <= 0.03, (kind, counts[kind], share)
        assert abs(counts[kind] - 1000 * share) < 1  # quotas by largest remainder: the mix to the dialog
    for d in map(Dialog.model_validate, dialogs[:200]):
        check_calls_answered(d)


async def test_a_small_run_has_every_kind_even_when_some_kinds_are_slow(tmp_path):
    """20 dialogs, 32 workers, every request takes a while: kinds that need more requests (multi-turn,
    dependent) finish last, yet every kind of the mix is made, each exactly to its quota."""
    llm = ScriptedLLM(responder=agent_responder, record=False, delay=0.005)
    out = tmp_path / "dialogs.jsonl"
    stats = await gen_dialogs(llm, library(), count=20, out=out, workers=32)
    counts = Counter(d["kind"] for d in read_jsonl(out))
    assert stats.kept == 20 == sum(counts.values())
    assert set(counts) == set(parse_mix(None)), counts  # irrelevance (1.5% of the mix) included
    assert counts == {"single": 6, "parallel": 4, "dependent": 3, "non_tool": 2, "irrelevance": 1, "clarify": 2,
                      "multi_turn": 2}


async def test_single(tmp_path):
    dialogs, _, llm = await generate(tmp_path, {"single": 1.0})
    for d in dialogs:
        assert d.kind == "single" and roles(d) == ["user", "call", "tool", "assistant"]
        assert len(d.calls()) == 1 and d.meta["turns"] == 1
        call = d.calls()[0]
        assert d.tool(call.name) is not None and set(d.tool(call.name).required) <= set(call.arguments)
        check_calls_answered(d)
    # The assistant was shown the tool list and constrained to the planned call.
    asked = [r for r in llm.requests if r.schema_name == "assistant_turn"][0]
    shown = load_prompt("dialog_assistant").values(asked.messages[0]["content"])["tools"]
    assert shown.startswith("- ")  # the tool list (render.tools_text)
    assert asked.max_tokens == ROOMY.call_tokens  # the scripted model names no context window: roomy


async def test_parallel_calls_share_one_assistant_turn(tmp_path):
    dialogs, _, llm = await generate(tmp_path, {"parallel": 1.0})
    for d in dialogs:
        n = len(d.calls())
        assert n in (2, 3) and roles(d) == ["user", "call"] + ["tool"] * n + ["assistant"]
        check_calls_answered(d)
    # Each parallel call's result is written seeing the results of the calls before it in the turn
    # (review round 10: two calls on "my current device" came back from two different devices).
    tool = load_prompt("dialog_tool")
    histories = [tool.values(r.messages[0]["content"])["history"] for r in llm.requests
                 if r.schema_name == "tool_result"]
    assert any("Result of " in h for h in histories)
    for history in histories:
        shown = [line for line in history.splitlines() if line.startswith("Result of ")]
        calls = next((line for line in history.splitlines() if line.startswith("Assistant calls: ")), "")
        assert len(shown) < calls.count("[call_")  # the earlier siblings' results, never its own


async def test_dependent_call_takes_a_value_from_the_earlier_result(tmp_path):
    dialogs, _, llm = await generate(tmp_path, {"dependent": 1.0})
    # The user is told the values both steps need, never the one the first step finds (review round 9:
    # without them the user had to invent every value).
    user = load_prompt("dialog_user")
    asked = [user.values(user.values(r.messages[0]["content"])["task"], "dependent")
             for r in llm.requests if r.schema_name == "user_turn"]
    assert asked
    for values in asked:
        needs = values["apis"].splitlines()
        assert len(needs) == 2 and all(line.startswith("- ") for line in needs)
        assert values["field"] not in needs[1].partition("; give: ")[2], values
    for d in dialogs:
        assert roles(d) == ["user", "call", "tool", "call", "tool", "assistant"]
        first, second = d.calls()
        result = d.messages[3].content
        (dep,) = d.meta["dependencies"]
        assert (dep["from_call"], dep["call"]) == (first.id, second.id)
        value = second.arguments[dep["argument"]]
        assert value == result[dep["field"]]
        assert value not in d.messages[1].content  # it came from the result, not from the user
        assert d.meta["complexity"]["dependency_depth"] == 2
        check_calls_answered(d)


async def test_clarify_asks_before_the_call(tmp_path):
    dialogs, _, llm = await generate(tmp_path, {"clarify": 1.0})
    for d in dialogs:
        assert roles(d) == ["user", "assistant", "user", "call", "tool", "assistant"]
        missing = d.meta["plan"][0]["missing"]
        assert missing in d.calls()[0].arguments and d.meta["turns"] == 2
        check_calls_answered(d)
    # The user agent was told to leave the value out, then to supply it.
    user = load_prompt("dialog_user")
    tasks = [user.values(r.messages[0]["content"])["task"] for r in llm.requests if r.schema_name == "user_turn"]
    assert any(rendered(user, "clarify", t) for t in tasks) and any(rendered(user, "supply", t) for t in tasks)


@pytest.mark.parametrize("kind", ["non_tool", "irrelevance"])
async def test_non_tool_and_irrelevance_make_no_call(tmp_path, kind):
    dialogs, _, _ = await generate(tmp_path, {"non_tool": 0, "irrelevance": 0, kind: 1.0})  # none split off
    for d in dialogs:
        assert d.kind == kind and roles(d) == ["user", "assistant"] and not d.calls()
        if kind == "irrelevance":
            assert d.tool(d.meta["hidden_api"]) is None and len(d.tools) >= 2


async def test_multi_turn_chains_kinds_over_the_asked_turns(tmp_path):
    dialogs, _, _ = await generate(tmp_path, {"multi_turn": 1.0}, count=30, turns=(2, 4))
    chained = Counter()
    for d in dialogs:
        users = sum(1 for m in d.messages if isinstance(m, UserMessage))
        steps = d.meta["plan"]
        assert 2 <= len(steps) <= 4 and d.meta["turns"] == users
        assert users == len(steps) + sum(1 for s in steps if s["kind"] == "clarify")
        assert steps[0]["kind"] != "non_tool"  # a multi-turn dialog starts with a tool request
        chained.update(s["kind"] for s in steps)
        check_calls_answered(d)
    assert len(chained) >= 4


async def test_tool_errors_are_error_objects_the_assistant_then_handles(tmp_path):
    dialogs, _, llm = await generate(tmp_path, {"single": 1.0}, tool_error_rate=1.0)
    for d in dialogs:
        error = d.messages[3].content["error"]
        assert error["code"] in {"NOT_FOUND", "RATE_LIMITED", "TIMEOUT", "PERMISSION_DENIED", "UNAVAILABLE"}
        assert d.meta["tool_errors"] == 1 and d.messages[4].content
    assistant = load_prompt("dialog_assistant")
    summaries = [r.messages[0]["content"] for r in llm.requests if r.schema_name == "assistant_turn"
                 and assistant.values(r.messages[0]["content"])["task"].startswith(assistant.render("summarize"))]
    assert summaries and all('"error"' in s for s in summaries)


async def test_records_carry_provenance_thoughts_and_complexity(tmp_path):
    dialogs, stats, llm = await generate(tmp_path, {"parallel": 1.0}, count=5)
    for d in dialogs:
        meta = d.meta
        assert meta["prompts"] == {n: load_prompt(n).hash for n in ("dialog_user", "dialog_assistant", "dialog_tool")}
        assert meta["model"] == "scripted" and meta["seed"] == 0 and meta["index"] >= 0
        thought_at = {t["message"] for t in meta["thoughts"]}
        assert all(d.messages[i].role == "assistant" for i in thought_at)
        assert all("thought" not in str(m.content) for m in d.messages if m.role == "assistant")
        c = meta["complexity"]
        assert c["candidates"] == len(d.tools) and c["calls"] == len(d.calls()) and 0 <= c["score"] <= 1
        assert meta["tokens"]["requests"] >= 4 and meta["tokens"]["completion"] > 0
    # Every request is counted: the kept dialogs' and those of surplus dialogs dropped at the quota.
    kept_requests = sum(d.meta["tokens"]["requests"] for d in dialogs)
    assert stats.usage.requests == len(llm.requests) >= kept_requests


async def test_every_dialog_happens_on_a_day_its_agents_know(tmp_path):
    """Seen in the strong-model review: "this Saturday" had to become a full date-time with no date
    given anywhere. A dialog opens with its date; the user, assistant and tool agents read it."""
    import datetime

    dialogs, _, llm = await generate(tmp_path, {"single": 1.0, "multi_turn": 1.0}, count=6)
    for d in dialogs:
        day = datetime.date.fromisoformat(d.meta["today"])
        assert d.messages[0].content == f"Today is {day:%A}, {day:%B} {day.day}, {day.year}."
        assert datetime.date(2025, 1, 1) <= day <= datetime.date(2027, 12, 31)
    assert len({d.meta["today"] for d in dialogs}) > 1  # drawn per dialog
    for name in ("user_turn", "assistant_turn", "tool_result"):
        asked = [r for r in llm.requests if r.schema_name == name]
        assert asked and all("System: Today is " in r.messages[0]["content"] for r in asked), name
