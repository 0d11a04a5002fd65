"""The model layer: four LLM sub-judges, each its own prompt with a one-flag structured verdict.

Only samples that passed the rules get here. A deterministic pre-pass answers what it can (every
argument value found in the conversation, no tool results to judge, plain repetition, a result
breaking its returns schema) and those calls are saved and counted. The sub-judges of one sample
run concurrently; one semaphore shared by every sample bounds the requests in flight.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from toolace.errors import StructuredOutputError
from toolace.llm.base import LLMClient, Usage
from toolace.prompts import load_prompt, prompt_versions
from toolace.records import AssistantMessage, Dialog, Failure, SystemMessage, ToolMessage
from toolace.verify.config import RuleConfig
from toolace.jsonpaths import short
from toolace.verify.prepass import has_assistant_text, repetition, result_schema_failures, ungrounded_values
from toolace.verify.rules_calls import compiled_api


@dataclass(frozen=True)
class SubJudge:
    """One question to the judge: the check id it decides, its prompt, the verdict's flag."""

    check: str
    prompt: str  # prompts/<prompt>.txt
    flag: str  # boolean in the verdict; true means the sample fails

    @property
    def schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "required": ["reason", self.flag],
                "properties": {"reason": {"type": "string", "maxLength": 200}, self.flag: {"type": "boolean"}}}


HALLUCINATION = SubJudge("hallucinated_value", "judge_hallucination", "hallucinated")
CONSISTENCY = SubJudge("inconsistent_reply", "judge_consistency", "inconsistent")
TOOL_RESPONSE = SubJudge("bad_tool_response", "judge_tool_response", "bad_result")
REPETITION = SubJudge("repetitive", "judge_repetition", "repetitive")
SUB_JUDGES = (HALLUCINATION, CONSISTENCY, TOOL_RESPONSE, REPETITION)
MAX_CHARS = 10000  # of the conversation in a judge prompt (about 2,500 tokens)
SPEC_CHARS = 6000  # of one called function's definition (a result is checked against its whole returns schema)

MODEL_CHECKS = {
    "hallucinated_value": "an argument value appears neither in the conversation nor in the system prompt",
    "inconsistent_reply": "the reply does not complete the task or breaks the request's constraints",
    "bad_tool_response": "a simulated result does not fit the API and the call's arguments",
    "repetitive": "repeated or meaningless assistant text",
    "judge_error": "the judge gave no usable verdict (the sample is not kept unjudged)",
}


def judge_prompts() -> dict[str, str]:
    """The judge's prompts, for each verdict's ``meta.verify.prompts``."""
    return prompt_versions(*(judge.prompt for judge in SUB_JUDGES))


@dataclass
class Judgement:
    """What the model layer made of one sample."""

    failures: list[Failure] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    counters: Counter = field(default_factory=Counter)


class DialogJudge:
    """Runs the sub-judges of a sample; ``concurrency`` bounds the judge calls of all samples."""

    def __init__(self, llm: LLMClient, *, concurrency: int, config: RuleConfig | None = None,
                 max_tokens: int = 160, max_chars: int = MAX_CHARS):
        self.llm = llm
        self.semaphore = asyncio.Semaphore(concurrency)
        self.config = config or RuleConfig()
        self.max_tokens = max_tokens
        self.max_chars = max_chars

    async def judge(self, dialog: Dialog) -> Judgement:
        result = Judgement()
        decisions = await asyncio.gather(self._hallucination(dialog), self._consistency(dialog),
                                         self._tool_response(dialog), self._repetition(dialog))
        for judge, (failures, usage, asked) in zip(SUB_JUDGES, decisions):
            result.failures += failures
            result.usage.add(usage)
            result.counters["judge_calls" if asked else "judge_saved"] += 1
            result.counters[f"{'asked' if asked else 'saved'}:{judge.check}"] += 1
        return result

    async def _hallucination(self, dialog: Dialog):
        values = ungrounded_values(dialog)
        if not values:
            return [], Usage(), False
        listing = "\n".join(f"- {name}: {path.split('.arguments', 1)[-1].lstrip('.') or path} = {short(value, 120)}"
                            for path, name, value in values[:12])
        return await self._ask(HALLUCINATION, dialog, tools=self._tools(dialog), values=listing, path=values[0][0])

    async def _consistency(self, dialog: Dialog):
        return await self._ask(CONSISTENCY, dialog, tools=self._tools(dialog))

    async def _tool_response(self, dialog: Dialog):
        if not any(isinstance(m, ToolMessage) for m in dialog.messages):
            return [], Usage(), False
        broken = result_schema_failures(dialog, lambda api: compiled_api(api, self.config).returns_validator)
        if broken:
            return broken, Usage(), False
        return await self._ask(TOOL_RESPONSE, dialog, tools=self._tools(dialog, returns=True))

    async def _repetition(self, dialog: Dialog):
        if not has_assistant_text(dialog):
            return [], Usage(), False
        plain = repetition(dialog)
        if plain:
            return [Failure(check="repetitive", message=plain)], Usage(), False
        return await self._ask(REPETITION, dialog, tools=self._tools(dialog))

    async def _ask(self, judge: SubJudge, dialog: Dialog, *, path: str | None = None, **values: str):
        prompt = load_prompt(judge.prompt)
        text = prompt.render(conversation=render_conversation(dialog, self.max_chars), **values)
        async with self.semaphore:
            try:
                reply = await self.llm.chat([{"role": "user", "content": text}], schema=judge.schema,
                                            schema_name=judge.flag, temperature=0.0, max_tokens=self.max_tokens)
            except StructuredOutputError as e:
                return [Failure(check="judge_error", message=f"{judge.check}: {e}")], e.usage or Usage(), True
        verdict = reply.parsed
        if verdict[judge.flag]:
            reason = verdict["reason"].strip() or "(no reason given)"
            return [Failure(check=judge.check, message=f"judge: {reason}", path=path)], reply.usage, True
        return [], reply.usage, True

    def _tools(self, dialog: Dialog, *, returns: bool = False) -> str:
        """Every tool the dialog offered (an irrelevance verdict needs the ones not called too): the
        called ones in full, the others by name and description."""
        called = {call.name for call in dialog.calls()}
        lines = []
        for api in dialog.tools:
            if api.name in called:
                spec = {"name": api.name, "description": api.description, "parameters": api.parameters}
                if returns and api.returns is not None:
                    spec["returns"] = api.returns
                lines.append("[called] " + _cut(orjson.dumps(spec).decode(), SPEC_CHARS))
            else:
                lines.append(f"- {api.name}: {_cut(api.description, 200)}")
        return "\n".join(lines) or "(no functions offered)"


def render_conversation(dialog: Dialog, max_chars: int = MAX_CHARS) -> str:
    """The dialog as compact tagged lines, whole when it fits in ``max_chars`` (a judge checks claims
    against the results, so they are not cut needlessly); else each message is cut to its share."""
    whole = _render(dialog, max_chars)
    if len(whole) <= max_chars:
        return whole
    return _cut(_render(dialog, max(300, max_chars // max(1, len(dialog.messages)))), max_chars)


def _render(dialog: Dialog, per_message: int) -> str:
    lines = []
    for message in dialog.messages:
        if isinstance(message, SystemMessage):
            lines.append(f"[system] {_cut(message.content, per_message)}")
        elif isinstance(message, ToolMessage):
            content = message.content if isinstance(message.content, str) else orjson.dumps(message.content).decode()
            lines.append(f"[result of {message.name} {message.tool_call_id}] {_cut(content, per_message)}")
        elif isinstance(message, AssistantMessage):
            if message.content and message.content.strip():
                lines.append(f"[assistant] {_cut(message.content, per_message)}")
            for call in message.tool_calls:
                arguments = _cut(orjson.dumps(call.arguments).decode(), per_message)
                lines.append(f"[assistant calls] {call.name} {call.id} {arguments}")  # the id ties its result
        else:
            lines.append(f"[{message.role}] {_cut(message.content, per_message)}")
    return "\n".join(lines)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 15] + " ...[cut]"
