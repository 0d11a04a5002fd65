"""Evolution (ToolACE): synthesis prompts built from a subtree, one example API and a mutation.

The example buffer starts from a small built-in set of good APIs and takes in every accepted API,
so later generations drift away from the seeds. Each prompt names one mutation operation and says
exactly what to do, so the diversity indicators are applied on purpose and recorded.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from string import Template
from typing import Any

import orjson

from toolace.apis.spec import api_to_spec
from toolace.llm.base import Messages
from toolace.prompts import PROMPTS_DIR, load_prompt

MUTATIONS = ("add_parameters", "add_functionality", "add_constraints", "mutate_type", "add_nesting",
             "update_returns")
CHAIN = "chain"  # not drawn like a mutation: a family job writes the next API of an earlier one

LEVEL_TEXT = {
    "single": "one functionality: write a simple, focused API for it",
    "siblings": "related functionalities: write one richer API that serves them together",
    "cross": "functionalities from different domains: write one API that combines them in a plausible way",
    "family": "the functionalities of the example's family: write the next API of that family",
}


@lru_cache(maxsize=1)
def mutation_instructions() -> dict[str, str]:
    """``prompts/api_mutations.txt`` as {operation: instruction}."""
    text = load_prompt("api_mutations").text
    instructions = dict(line.split(": ", 1) for line in text.splitlines() if line.strip())
    if set(instructions) != {*MUTATIONS, CHAIN}:
        raise ValueError(f"prompts/api_mutations.txt must define exactly {', '.join(MUTATIONS)}, {CHAIN}")
    return instructions


@lru_cache(maxsize=1)
def prompt_hash() -> str:
    """One version for the three templates a synthesis prompt is made of."""
    parts = "".join(load_prompt(name).hash for name in ("api_synth", "api_synth_task", "api_mutations"))
    return hashlib.sha256(parts.encode()).hexdigest()[:12]


def load_examples() -> list[dict[str, Any]]:
    """The built-in seed APIs (``prompts/api_examples.json``), canonical records."""
    return orjson.loads((PROMPTS_DIR / "api_examples.json").read_bytes())


class ExampleBuffer:
    """Seed examples (always kept) plus a ring of the most recent accepted APIs.

    Examples are held as the compact spec JSON the prompt shows, made once when they enter.
    """

    def __init__(self, seeds: list[dict[str, Any]], capacity: int = 256):
        self.seeds = [self._entry(api) for api in seeds]
        self.recent: list[tuple[str, str]] = []
        self.capacity = capacity
        self._added = 0

    @staticmethod
    def _entry(api: dict[str, Any]) -> tuple[str, str]:
        return api["name"], orjson.dumps(api_to_spec(api)).decode()

    def add(self, api: dict[str, Any]) -> None:
        entry = self._entry(api)
        if len(self.recent) < self.capacity:
            self.recent.append(entry)
        else:
            self.recent[self._added % self.capacity] = entry
        self._added += 1

    def sample(self, rng: random.Random) -> tuple[str, str]:
        """(name, spec JSON) of one example, uniformly over seeds and recent APIs."""
        index = rng.randrange(len(self.seeds) + len(self.recent))
        return self.seeds[index] if index < len(self.seeds) else self.recent[index - len(self.seeds)]

    def __len__(self) -> int:
        return len(self.seeds) + len(self.recent)


def synthesis_messages(subtree_text: str, level: str, example_json: str, operation: str,
                       field: str | None = None) -> Messages:
    """The chat messages for one API: static instructions first (prefix-cached), then the job.

    ``field`` is the example's result field a ``chain`` API takes as its first parameter.
    """
    instruction = Template(mutation_instructions()[operation]).substitute(field=field or "")
    task = load_prompt("api_synth_task").render(
        level_text=LEVEL_TEXT[level], subtree=subtree_text, example=example_json,
        operation=operation.replace("_", " "), instruction=instruction)
    return [{"role": "system", "content": load_prompt("api_synth").text}, {"role": "user", "content": task}]
