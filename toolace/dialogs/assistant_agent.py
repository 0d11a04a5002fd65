"""The assistant agent: a structured thought, then one action, kept only when samples agree.

Its reply schema is built from the planned calls (names as constants, arguments following each
API's parameter schema), so decoding guarantees names and types. A call step is sampled ``k``
times; the calls a strict majority agree on (after normalising values) are kept, else the step is
sampled once more, else the dialog is dropped as ``inconsistent``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from toolace.apis.links import path_text
from toolace.dialogs.budget import COMPACT, Budget
from toolace.dialogs.plan import Call, Step
from toolace.dialogs.render import about, transcript
from toolace.dialogs.schemas import assistant_schema
from toolace.errors import StructuredOutputError
from toolace.llm.base import LLMClient, Usage
from toolace.prompts import load_prompt

PROMPT = "dialog_assistant"


# What each field of the reply holds, in the words of the prompt's reply shape (``reply_shape``).
FIELD_TEXT = {
    "intent": "what the user wants, in one sentence",
    "tools": "the names of the tools you call",
    "argument": "an argument's name",
    "calls": 'the calls, each {"name": ..., "arguments": {...}}',
    "message": "your message to the user",
}


def reply_shape(schema: dict[str, Any]) -> str:
    """The reply schema as the JSON template the prompt shows, so the words and the schema cannot
    disagree: constants and enums as their values, every other field as what it holds."""
    def shape(key: str, sub: dict[str, Any]) -> str:
        if "const" in sub:
            return orjson.dumps(sub["const"]).decode()
        if key in FIELD_TEXT:  # a length cap is said, or a normal answer is refused for it unseen
            cap = f", at most {sub['maxLength']} characters" if "maxLength" in sub else ""
            return f"<{FIELD_TEXT[key]}{cap}>"
        if "enum" in sub:
            return "<one of " + ", ".join(orjson.dumps(v).decode() for v in sub["enum"]) + ">"
        if sub.get("type") == "array":
            return f"[{shape(key, sub['items'])}, ...]"
        props = sub.get("properties") or {}
        return "{" + ", ".join(f'"{name}": {shape(name, p)}' for name, p in props.items()) + "}"
    return shape("", schema)


def text_step(action: str, step: Step, budget: Budget = COMPACT) -> tuple[str, dict[str, Any]]:
    """The task line and reply schema of a text step: ``ask``, ``answer``, ``irrelevant`` or ``summarize``."""
    prompt = load_prompt(PROMPT)
    if action == "ask":
        api = step.calls[0].api
        task = prompt.render("ask", missing=step.missing.replace("_", " "), missing_about=about(api, step.missing))
    else:
        task = prompt.render(action)
    schema = assistant_schema(action if action in ("ask", "summarize") else "answer", budget=budget)
    return f"{task}\n{prompt.render('format', shape=reply_shape(schema))}", schema


def call_step(planned: list[Call], fixed: dict[str, Any] | None = None,
              budget: Budget = COMPACT) -> tuple[str, dict[str, Any]]:
    """The task line and reply schema of a turn calling ``planned`` (``fixed`` values pinned: dependent)."""
    prompt = load_prompt(PROMPT)
    names = ", ".join(dict.fromkeys(c.api.name for c in planned))
    if fixed:
        link = planned[0].link
        task = prompt.render("dependent", names=names, argument=link.argument, field=path_text(link.field))
    elif len(planned) > 1:
        task = prompt.render("parallel", n=len(planned), names=names)
    else:
        task = prompt.render("call", names=names)
    schema = assistant_schema("call", [(c.api, fixed) for c in planned], budget=budget)
    return f"{task}\n{prompt.render('format', shape=reply_shape(schema))}", schema


class Inconsistent(Exception):
    """The samples of a step did not agree on its calls."""


@dataclass
class Decision:
    """The reply a step keeps, read: its thought, its action, the message or the calls."""

    reply: dict[str, Any]
    samples: int = 1
    agreed: int = 1

    @property
    def thought(self) -> dict[str, Any]:
        return self.reply["thought"]

    @property
    def message(self) -> str:
        """The text of a text step (ask, answer, irrelevant, summarize)."""
        return self.reply["action"]["message"].strip()

    @property
    def calls(self) -> list[dict[str, Any]]:
        """The calls of a call step, each ``{"name", "arguments"}``."""
        return self.reply["action"]["calls"]

    def repeats_a_call(self) -> bool:
        """Two calls of the turn have the same name and (normalised) arguments."""
        keys = {decision_key({"action": {"type": "call", "calls": [call]}}) for call in self.calls}
        return len(keys) < len(self.calls)


def _normal(value: Any) -> Any:
    """A comparable form of an argument value: case, spacing and int/float spelling do not matter."""
    if isinstance(value, str):
        return " ".join(value.casefold().split())
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 6)
    if isinstance(value, dict):
        return tuple(sorted((k, _normal(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_normal(v) for v in value)
    return value


def decision_key(reply: dict[str, Any]) -> tuple:
    """What samples must agree on: the action, and for calls every name and normalised argument."""
    action = reply["action"]
    if action["type"] != "call":
        return (action["type"],)
    return ("call", tuple(sorted((c["name"], _normal(c["arguments"])) for c in action["calls"])))


def majority(replies: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, int]:
    """The first reply of the decision a strict majority shares, and how many share it."""
    counts = Counter(decision_key(r) for r in replies)
    key, n = counts.most_common(1)[0]
    if n * 2 <= len(replies):
        return None, n
    return next(r for r in replies if decision_key(r) == key), n


def assistant_messages(tools: str, messages: list[dict[str, Any]], task: str,
                       budget: Budget = COMPACT) -> list[dict[str, str]]:
    text = load_prompt(PROMPT).render("prompt", tools=tools, transcript=transcript(messages, budget), task=task)
    return [{"role": "user", "content": text}]


async def _sample(llm: LLMClient, asked: list[dict], schema: dict, n: int, temperature: float, max_tokens: int,
                  usage: Usage) -> list[dict[str, Any]]:
    """``n`` replies to the same request, their usage added to ``usage`` (a failure carries its own)."""
    def ask():
        return llm.chat(asked, schema=schema, schema_name="assistant_turn", temperature=temperature,
                        max_tokens=max_tokens)

    # No per-request seeds: vLLM's CPU build crashes its engine on seeded sampling under load
    # ("CPU Generator does not use offset"); samples differ by temperature alone.
    if n == 1:
        result = await ask()  # a StructuredOutputError carries its own usage to the caller
        usage.add(result.usage)
        return [result.parsed]
    outcomes = await asyncio.gather(*(ask() for _ in range(n)), return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    for outcome in outcomes:
        if not isinstance(outcome, BaseException):
            usage.add(outcome.usage)
    if failed:
        first = failed[0]
        if isinstance(first, StructuredOutputError):
            first.usage = sum((f.usage for f in failed if isinstance(f, StructuredOutputError)), Usage())
        raise first
    return [o.parsed for o in outcomes]


async def decide(llm: LLMClient, tools: str, messages: list[dict[str, Any]], task: str, schema: dict[str, Any],
                 *, usage: Usage, consistency: int = 1, temperature: float = 0.7, budget: Budget = COMPACT) -> Decision:
    """One assistant step (``tools`` as ``render.tools_text``); call steps are sampled ``consistency``
    times and must agree. ``usage`` pays for every sample; ``budget`` gives the reply tokens."""
    asked = assistant_messages(tools, messages, task, budget)
    calls = schema["properties"]["action"]["properties"]["type"]["const"] == "call"
    max_tokens = budget.call_tokens if calls else budget.text_tokens
    n = consistency if calls else 1
    for round_ in range(2 if n > 1 else 1):
        replies = await _sample(llm, asked, schema, n, temperature, max_tokens, usage)
        reply, agreed = majority(replies)
        if reply is not None:
            return Decision(reply, n * (round_ + 1), agreed)
    raise Inconsistent(f"{n} samples twice without a majority on the calls")
