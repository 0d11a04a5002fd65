"""A small domain tree and a scripted model that writes varied API specs, for the API tests."""

from __future__ import annotations

import itertools
import re

from toolace.llm.fake import Request
from toolace.prompts import load_prompt
from toolace.tree import tree_from_dict

DOMAINS = {
    "travel": ["book hotel", "search flights", "rent car", "check visa rules"],
    "finance": ["convert currency", "get stock quote", "pay invoice"],
    "health": ["find doctor", "log symptoms", "book vaccination"],
    "music": ["search tracks", "create playlist"],
}


def small_tree():
    nodes = [{"id": "root", "name": "All", "description": "everything", "parent": None}]
    for domain, functions in DOMAINS.items():
        nodes.append({"id": domain, "name": domain.title(), "description": f"{domain} services", "parent": "root"})
        half = (len(functions) + 1) // 2
        for part, group in (("a", functions[:half]), ("b", functions[half:])):
            if not group:
                continue
            nodes.append({"id": f"{domain}.{part}", "name": f"{domain.title()} {part}", "description": "",
                          "parent": domain})
            for function in group:
                nodes.append({"id": f"{domain}.{part}.{function.replace(' ', '_')}", "name": function,
                              "description": f"Lets a user {function}.", "parent": f"{domain}.{part}"})
    return tree_from_dict({"format": "toolace-tree", "version": 1, "name": "small", "nodes": nodes})


def job_of(messages: list[dict]) -> tuple[str, str]:
    """(functionality, operation) of an API writer request: the values its task was rendered from (read
    back through the template, so rewording the prompt changes nothing here); the functionality is the
    last name of the subtree's first line (``- Travel > Flights > search flights: ...``)."""
    task = next(m["content"] for m in messages if m.get("role", "user") == "user")
    values = load_prompt("api_synth_task").values(task)
    first = values["subtree"].splitlines()[0].removeprefix("- ")
    return first.split(": ", 1)[0].split(" > ")[-1], values["operation"].replace(" ", "_")


class SpecWriter:
    """Writes a different, valid spec for each request, following the requested operation.

    ``duplicate_every``: every n-th reply repeats an earlier API (same name) and the one after it is
    a renamed near-copy; ``invalid_every``: every n-th reply has a default outside its enum.
    """

    def __init__(self, duplicate_every: int = 0, invalid_every: int = 0):
        self.counter = itertools.count()
        self.duplicate_every, self.invalid_every = duplicate_every, invalid_every
        self.last: dict | None = None

    def __call__(self, request: Request) -> dict:
        spec = self.write(request.messages)
        first = (request.schema or {}).get("properties", {}).get("parameters", {}).get("prefixItems")
        if first:  # a family (chain) job: its first parameter is pinned by the schema, as decoding would
            pinned = first[0]["properties"]
            spec = {**spec, "parameters": [{"name": pinned["name"]["const"], "type": pinned["type"]["const"],
                                            "description": "Id from the earlier API", "required": True},
                                           *spec["parameters"]]}
        return spec

    def write(self, messages: list[dict]) -> dict:
        n = next(self.counter)
        if self.duplicate_every and self.last and n % self.duplicate_every == 0:
            return self.last
        if self.duplicate_every and self.last and n % self.duplicate_every == 1:
            return {**self.last, "name": self.last["name"] + "_v2"}
        function, operation = job_of(messages)
        function = re.sub(r"[^a-z0-9]+", "_", function.lower()).strip("_")[:30] or "tool"
        word = f"w{n}"
        spec = {
            "name": f"{function}_{word}",
            "description": f"Lets a user {function.replace('_', ' ')} with option {word} ({operation}).",
            "parameters": [
                {"name": "query", "type": "string", "description": f"What to {function} for {word}", "required": True},
                {"name": f"limit_{n % 7}", "type": "integer", "description": "How many results", "required": False},
            ],
            "returns": [{"name": "result", "type": "string", "description": f"Outcome of {word}", "required": True},
                        {"name": f"{function[:20]}_id", "type": "string", "description": "Id of what was made",
                         "required": True}],
        }
        params = spec["parameters"]
        if operation in ("add_parameters", "add_functionality"):
            params.append({"name": f"mode_{n % 5}", "type": "boolean", "description": "Extra mode", "required": False})
        if operation == "add_constraints":
            params[1].update(minimum=1, maximum=50, default="10")
            params.append({"name": "sort", "type": "string", "description": "Sort order", "required": False,
                           "enum": ["asc", "desc"], "default": "asc"})
        if operation == "mutate_type":
            params[0] = {**params[0], "type": "array", "items": {"type": "string"}}
        if operation == "add_nesting":
            params.append({"name": "filters", "type": "array", "description": "Filters to apply", "required": False,
                           "items": {"type": "object", "properties": [
                               {"name": "field", "type": "string", "description": "Field name", "required": True},
                               {"name": "values", "type": "array", "description": "Accepted values",
                                "items": {"type": "string"}}]}})
        if operation == "update_returns":
            spec["returns"].append({"name": "items", "type": "array", "description": "Result items", "required": False,
                                    "items": {"type": "object", "properties": [
                                        {"name": "item_id", "type": "string", "description": "Item id"}]}})
        if self.invalid_every and n % self.invalid_every == 0:
            params.append({"name": "unit", "type": "string", "description": "Unit", "required": False,
                           "enum": ["km", "mi"], "default": "yards"})
        self.last = spec
        return spec
