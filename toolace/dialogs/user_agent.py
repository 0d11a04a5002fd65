"""The user agent: writes each user turn of a planned dialog, in a persona and at a wording level.

It sees what the planned calls can do (described as capabilities, never as function names) and is
told which values to give, which one to leave out (clarify), or to ask something no tool serves.
"""

from __future__ import annotations

from typing import Any

from toolace.apis.links import path_text
from toolace.dialogs.budget import COMPACT, Budget
from toolace.dialogs.plan import Plan, Step
from toolace.dialogs.render import about, transcript
from toolace.dialogs.schemas import message_schema
from toolace.llm.base import ChatResult, LLMClient
from toolace.prompts import load_prompt
from toolace.records import Api

PROMPT = "dialog_user"
# Room for the bounded message even when a weak model writes odd characters (several tokens each).
MAX_TOKENS = 640
SCHEMA = message_schema(600)  # a parallel request gives several things' values at once


def _human(name: str) -> str:
    return name.replace("_", " ").strip()


def capability(api: Api, skip: str | None = None) -> str:
    """What an API does and which values a request for it must give, in plain words."""
    needs = [f"{_human(p)} ({about(api, p)})" for p in api.required if p != skip]
    optional = [p for p in api.properties if p not in api.required and p != skip][:2]
    needs += [f"optionally {_human(p)}" for p in optional]
    return f"- {api.description.strip() or _human(api.name)}" + (f"; give: {'; '.join(needs)}" if needs else "")


def task(step: Step, phase: str = "first") -> str:
    """The task line for the user's turn of ``step`` (``phase`` "supply" answers a clarifying question)."""
    prompt = load_prompt(PROMPT)
    apis = list({c.api.name: c.api for c in step.calls}.values())
    if phase == "supply":
        api = step.calls[0].api
        return prompt.render("supply", missing=_human(step.missing), missing_about=about(api, step.missing))
    if step.kind == "parallel":
        lines = "\n".join(capability(a) for a in apis)
        if len(apis) == 1:
            lines += f"\n(the same thing for {len(step.calls)} different sets of values)"
        return prompt.render("parallel", n=len(step.calls), apis=lines)
    if step.kind == "dependent":
        producer, consumer = step.calls
        # the values each step needs (round 9: without them the user had to invent every value)
        needs = [capability(producer.api), capability(consumer.api, skip=consumer.link.argument)]
        return prompt.render("dependent", first=producer.api.description.strip() or _human(producer.api.name),
                             second=consumer.api.description.strip() or _human(consumer.api.name),
                             field=_human(path_text(consumer.link.field)), apis="\n".join(needs))
    if step.kind == "clarify":
        api = step.calls[0].api
        return prompt.render("clarify", missing=_human(step.missing), missing_about=about(api, step.missing),
                             apis=capability(api, skip=step.missing))
    if step.kind == "non_tool":
        topic = step.topic
        return prompt.render("non_tool", topic=" > ".join(topic.domain) or topic.description or _human(topic.name))
    if step.kind == "irrelevance":
        return prompt.render("irrelevant", topic=capability(step.topic).removeprefix("- "))
    return prompt.render("request", apis="\n".join(capability(a) for a in apis))


def user_messages(plan: Plan, step: Step, messages: list[dict[str, Any]], phase: str,
                  budget: Budget = COMPACT) -> list[dict[str, str]]:
    prompt = load_prompt(PROMPT)
    styles = prompt.lines("styles")
    text = prompt.render("prompt", style=styles[plan.persona % len(styles)],
                         wording=prompt.render(f"wording_{plan.level}"), transcript=transcript(messages, budget),
                         task=task(step, phase))
    return [{"role": "user", "content": text}]


async def user_turn(llm: LLMClient, plan: Plan, step: Step, messages: list[dict[str, Any]], *, phase: str = "first",
                    temperature: float = 0.9, budget: Budget = COMPACT) -> tuple[str, ChatResult]:
    """The next user message of ``step``."""
    result = await llm.chat(user_messages(plan, step, messages, phase, budget), schema=SCHEMA, schema_name="user_turn",
                            temperature=temperature, max_tokens=MAX_TOKENS)
    return result.parsed["message"].strip(), result
