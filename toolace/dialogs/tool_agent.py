"""The tool side of a dialog: the ``ToolEnvironment`` seam and the LLM-played tool agent behind it.

A dialog's calls go to a ``ToolEnvironment``: given the API, the arguments, the dialog so far and
what the plan fixed for this call (an error code, a pinned field, an empty result), it returns the
result. ``SimulatedTools`` is today's one implementation: nothing is executed, the LLM writes a
plausible result under constrained decoding, seeing the earlier calls and results of the same dialog
so that ids, names and places stay consistent. A stateful simulated world (or real execution) can
replace it without touching the planner or the other agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from toolace.dialogs.budget import COMPACT, Budget
from toolace.dialogs.render import call_history, fields_text
from toolace.dialogs.schemas import error_schema, result_schema
from toolace.llm.base import LLMClient, Usage
from toolace.prompts import load_prompt
from toolace.records import Api

PROMPT = "dialog_tool"


@dataclass(frozen=True)
class CallPlan:
    """What the dialog's plan fixes about one call's result before it is written."""

    error: str | None = None  # the call fails with this error code (``tool_error_rate``)
    pinned: dict[str, dict[str, Any]] | None = None  # result fields required with these schemas (dependent)
    empty: bool = False  # nothing matches: the result's top-level lists are empty (``empty_result_rate``)


@dataclass
class ToolResult:
    content: Any
    usage: Usage


class ToolEnvironment(Protocol):
    """Where the calls of a dialog go: one call in, its result out."""

    async def call(self, api: Api, arguments: dict[str, Any], *, history: list[dict[str, Any]],
                   plan: CallPlan) -> ToolResult:
        """The result of calling ``api`` with ``arguments`` after the dialog ``history`` (canonical
        messages, earlier calls and results included)."""
        ...


def tool_messages(api: Api, arguments: dict[str, Any], schema: dict[str, Any], history: list[dict[str, Any]],
                  plan: CallPlan, budget: Budget = COMPACT) -> list[dict]:
    prompt = load_prompt(PROMPT)
    task = (prompt.render("error", code=plan.error) if plan.error else
            prompt.render("empty") if plan.empty else prompt.render("result"))
    documented = api.returns if api.returns and not plan.error else schema  # with the fields' descriptions
    text = prompt.render("prompt", name=api.name, description=api.description, fields=fields_text(documented),
                         history=call_history(history, budget), arguments=orjson.dumps(arguments).decode(), task=task)
    return [{"role": "user", "content": text}]


class SimulatedTools:
    """A ``ToolEnvironment`` played by the LLM: results follow the API's ``returns`` at every depth."""

    def __init__(self, llm: LLMClient, *, temperature: float = 0.7, budget: Budget = COMPACT):
        self.llm, self.temperature, self.budget = llm, temperature, budget

    async def call(self, api: Api, arguments: dict[str, Any], *, history: list[dict[str, Any]],
                   plan: CallPlan) -> ToolResult:
        schema = (error_schema(plan.error) if plan.error else
                  result_schema(api, plan.pinned, arguments=arguments, empty=plan.empty, budget=self.budget))
        result = await self.llm.chat(tool_messages(api, arguments, schema, history, plan, self.budget), schema=schema,
                                     schema_name="tool_result", temperature=self.temperature,
                                     max_tokens=self.budget.tool_tokens)
        return ToolResult(result.parsed, result.usage)
