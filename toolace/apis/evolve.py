"""Evolution (ToolACE): the mutation operations and the buffer of example APIs a prompt shows.

The example buffer starts from a small built-in set of good APIs and takes in every accepted API,
so later generations drift away from the seeds. Each prompt names one mutation operation and says
exactly what to do (``writer.synthesis_messages``), so the diversity indicators are applied on
purpose and recorded.
"""

from __future__ import annotations

import random
from typing import Any

import orjson

from toolace.apis.spec import api_to_spec
from toolace.prompts import PROMPTS_DIR

MUTATIONS = ("add_parameters", "add_functionality", "add_constraints", "mutate_type", "add_nesting",
             "update_returns")
CHAIN = "chain"  # not drawn like a mutation: a family job writes the next API of an earlier one


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

