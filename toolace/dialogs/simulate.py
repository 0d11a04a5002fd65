"""One dialog as one job: user, assistant and tool agents advance it turn by turn along its plan.

Each step waits for one request at a time (a few for self-consistency samples and parallel
results), so ``--workers`` dialogs in flight keep about that many requests on the engine.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from toolace.apis.links import value_at
from toolace.dialogs import assistant_agent, tool_agent, user_agent
from toolace.dialogs.budget import COMPACT, Budget
from toolace.dialogs.leak import LEAK_WORDS, leaked
from toolace.dialogs.plan import Plan, Step
from toolace.dialogs.render import tools_text
from toolace.dialogs.schemas import error_codes, is_search
from toolace.llm.base import ChatResult, LLMClient, Usage


@dataclass(frozen=True)
class Settings:
    """Run-wide knobs of the simulation."""

    consistency: int = 3
    tool_error_rate: float = 0.1
    empty_result_rate: float = 0.05  # calls whose result lists are empty on purpose (a search with no hits)
    temperature: float = 0.7
    user_temperature: float = 0.9
    prompt_leak_words: int = LEAK_WORDS  # a text repeating this many instruction words in a row is dropped
    budget: Budget = COMPACT  # how much each part of a dialog may hold (``budget_for`` the engine's context)


def today_text(iso_day: str) -> str:
    """The dialog's system message: the date, as a deployed assistant's system prompt gives it."""
    day = date.fromisoformat(iso_day)
    return f"Today is {day:%A}, {day:%B} {day.day}, {day.year}."


# The labels of the transcript the agents read (render.transcript), at the start of a line.
TRANSCRIPT_LABEL = re.compile(r"(?m)^(System|User|Assistant|Assistant calls|Result of \w+( \[\w+\])?):")


class Dropped(Exception):
    """The dialog cannot be finished well; ``reason`` is its stable name in the rejected file."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass
class Simulation:
    """The state of one dialog while it is being written."""

    llm: LLMClient
    plan: Plan
    rng: random.Random
    settings: Settings = field(default_factory=Settings)
    messages: list[dict[str, Any]] = field(default_factory=list)
    thoughts: list[dict[str, Any]] = field(default_factory=list)
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    tool_errors: int = 0
    resampled: int = 0
    calls_made: int = 0
    tools_text: str = ""
    empty_results: list[str] = field(default_factory=list)  # ids of calls planned to match nothing
    environment: tool_agent.ToolEnvironment | None = None  # default: the LLM-played tool agent

    def __post_init__(self) -> None:
        self.tools_text = tools_text(self.plan.tools)  # the same in every assistant prompt of the dialog
        if self.environment is None:
            self.environment = tool_agent.SimulatedTools(self.llm, temperature=self.settings.temperature,
                                                         budget=self.settings.budget)

    def _spent(self, result: ChatResult) -> None:
        self.usage.add(result.usage)

    async def run(self) -> list[dict[str, Any]]:
        """Play every step of the plan; returns the canonical messages."""
        if self.plan.today and not self.messages:
            self.messages.append({"role": "system", "content": today_text(self.plan.today)})
        for step in self.plan.steps:
            await self._user(step)
            if step.kind in ("non_tool", "irrelevance"):
                await self._say("answer" if step.kind == "non_tool" else "irrelevant", step)
                continue
            if step.kind == "clarify":
                await self._say("ask", step)
                await self._user(step, phase="supply")
            if step.kind == "dependent":
                results = await self._call(step, [0])
                link = step.calls[1].link
                produced = results[0][1]
                await self._call(step, [1], fixed={link.argument: value_at(produced, link.field)},
                                 source=(results[0][0], link.field))
            else:
                await self._call(step, list(range(len(step.calls))))
            await self._say("summarize", step)
        return self.messages

    async def _user(self, step: Step, phase: str = "first") -> None:
        text, result = await user_agent.user_turn(self.llm, self.plan, step, self.messages, phase=phase,
                                                  temperature=self.settings.user_temperature,
                                                  budget=self.settings.budget)
        self._spent(result)
        if not text:
            raise Dropped("empty_message", "the user agent wrote an empty message")
        self._check_leak(text, "user")
        self.messages.append({"role": "user", "content": text})

    def _check_leak(self, text: str, role: str) -> None:
        found = leaked(text, self.settings.prompt_leak_words)
        if found:
            raise Dropped("prompt_leak", f"the {role} agent repeated the {found[0]} prompt: \"{found[1]}\"")
        if self.settings.prompt_leak_words and TRANSCRIPT_LABEL.search(text):
            # A weak model copies its transcript ("System: Today is ...") as the turn.
            raise Dropped("prompt_leak", f"the {role} agent wrote a transcript label: {text[:60]!r}")

    async def _decide(self, task: str, schema: dict[str, Any]) -> assistant_agent.Decision:
        try:
            decision = await assistant_agent.decide(
                self.llm, self.tools_text, self.messages, task, schema, usage=self.usage,
                consistency=self.settings.consistency, temperature=self.settings.temperature,
                budget=self.settings.budget)
        except assistant_agent.Inconsistent as e:
            raise Dropped("inconsistent", str(e)) from None
        self.resampled += decision.samples > self.settings.consistency
        self.thoughts.append({"message": len(self.messages), **decision.thought,
                              **({"agreed": f"{decision.agreed}/{decision.samples}"} if decision.samples > 1 else {})})
        return decision

    async def _say(self, action: str, step: Step) -> None:
        task, schema = assistant_agent.text_step(action, step, self.settings.budget)
        text = (await self._decide(task, schema)).message
        if not text:
            raise Dropped("empty_message", f"the assistant wrote an empty {action} message")
        self._check_leak(text, "assistant")
        self.messages.append({"role": "assistant", "content": text})

    async def _call(self, step: Step, indices: list[int], fixed: dict[str, Any] | None = None,
                    source: tuple[str, str] | None = None) -> list[tuple[str, Any]]:
        """One assistant turn calling ``step.calls[indices]``, then one tool message per call."""
        planned = [step.calls[i] for i in indices]
        task, schema = assistant_agent.call_step(planned, fixed, self.settings.budget)
        for _ in range(2):  # a turn repeating a call is asked once more, then given up
            decision = await self._decide(task, schema)
            if not decision.repeats_a_call():
                break
            self.thoughts.pop()
        else:
            raise Dropped("duplicate_calls", "two calls of one turn have the same name and arguments, twice")
        calls = []
        for made in decision.calls:
            calls.append({"id": f"call_{self.calls_made}", "name": made["name"], "arguments": made["arguments"]})
            self.calls_made += 1
        self.messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        if source:
            self.dependencies += [{"call": c["id"], "argument": a, "from_call": source[0], "field": source[1]}
                                  for c in calls for a in fixed]
        producer = step.kind == "dependent" and indices == [0]
        results = []
        for call, plan in zip(calls, planned):  # one after another: each result sees its siblings' (review
            # round 10: two parallel calls on "my current device" came back from two different devices)
            result = await self._execute(call, plan, producer, step)
            self.messages.append({"role": "tool", "tool_call_id": call["id"], "name": call["name"], "content": result})
            results.append((call["id"], result))
        return results

    async def _execute(self, call: dict[str, Any], planned, producer: bool, step: Step) -> Any:
        # A producer never fails nor comes back empty: the dependent call after it needs its value.
        error, empty, pinned = None, False, None
        if producer:
            link = step.calls[1].link
            pinned = {link.field: step.calls[1].api.properties[link.argument]}
        elif self.rng.random() < self.settings.tool_error_rate:
            error = self.rng.choice(error_codes(planned.api, consumer=planned.link is not None))
            self.tool_errors += 1
        elif is_search(planned.api) and self.rng.random() < self.settings.empty_result_rate:
            empty = True
            self.empty_results.append(call["id"])
        result = await self.environment.call(planned.api, call["arguments"], history=self.messages,
                                             plan=tool_agent.CallPlan(error=error, pinned=pinned, empty=empty))
        self.usage.add(result.usage)
        return result.content
