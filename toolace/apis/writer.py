"""The API writer: the prompt for one new API and the reading of its reply, side by side.

The prompt is built from a subtree (adaptation), one example API and a mutation (evolution), static
instructions first so the engine's prefix cache serves them; the reply is a spec under the spec
schema (``spec.SPEC_SCHEMA``, or a family job's ``chained_spec_schema``), converted to a canonical
API with the problems and counters the conversion found.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolace.apis.evolve import CHAIN, MUTATIONS
from toolace.apis.spec import spec_to_api
from toolace.llm.base import ChatResult, LLMClient, Messages
from toolace.prompts import load_prompt, prompt_versions
from toolace.records import Failure

PROMPTS = ("api_synth", "api_synth_task", "api_mutations")  # system, task, one section per operation
MAX_TOKENS = 1600

LEVEL_TEXT = {
    "single": "one functionality: write a simple, focused API for it",
    "siblings": "related functionalities: write one richer API that serves them together",
    "cross": "functionalities from different domains: write one API for a real task where they meet (when they"
             " do not meet naturally, serve the one that fits best and borrow an idea from the others)",
    "family": "the functionalities of the example's family: write the next API of that family",
}


def mutation_instructions() -> dict[str, str]:
    """``prompts/api_mutations.txt`` as {operation: instruction}, one ``## operation`` section each."""
    sections = load_prompt("api_mutations").sections
    if set(sections) != {*MUTATIONS, CHAIN}:
        raise ValueError(f"prompts/api_mutations.txt must define exactly {', '.join(MUTATIONS)}, {CHAIN}")
    return {name: template.template for name, template in sections.items()}


def synthesis_messages(subtree_text: str, level: str, example_json: str, operation: str,
                       field: str | None = None) -> Messages:
    """The chat messages for one API: static instructions first (prefix-cached), then the job.

    ``field`` is the example's result field a ``chain`` API takes as its first parameter.
    """
    mutation_instructions()  # a mutations file out of step with MUTATIONS fails here, not mid-run
    instruction = load_prompt("api_mutations").render(operation, field=field or "")
    task = load_prompt("api_synth_task").render(
        level_text=LEVEL_TEXT[level], subtree=subtree_text, example=example_json,
        operation=operation.replace("_", " "), instruction=instruction)
    return [{"role": "system", "content": load_prompt("api_synth").render()}, {"role": "user", "content": task}]


async def write_api(llm: LLMClient, messages: Messages, schema: dict[str, Any], *, temperature: float, seed: int,
                    max_tokens: int = MAX_TOKENS) -> tuple[dict[str, Any], list[Failure], Counter, ChatResult]:
    """Ask for one spec and convert it: the canonical API (the caller adds its domain and provenance),
    the problems and counters of the conversion (``spec_to_api``), and the request's result."""
    result = await llm.chat(messages, schema=schema, schema_name="api_spec", temperature=temperature,
                            max_tokens=max_tokens, seed=seed)
    api, failures, counters = spec_to_api(result.parsed)
    return api, failures, counters, result


def versions() -> dict[str, str]:
    """The writer's prompts, for each API's ``meta.prompts``."""
    return prompt_versions(*PROMPTS)
