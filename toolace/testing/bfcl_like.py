"""BFCL-style canonical dialogs for export tests and benchmarks: deterministic, no data download.

Modelled on the Berkeley Function Calling Leaderboard's ground truth as toolace imports it: dotted
function names (``math.factorial``), integer and string enums, defaults, nested objects and arrays,
and the categories simple, multiple, parallel, parallel_multiple and irrelevance. Like BFCL's
ground truth, most dialogs end at the calls; a share carries results and an answer.
"""

from __future__ import annotations

import random
from typing import Any

from toolace.records import Dialog

MODULES = ["math", "geometry", "finance", "spotify", "weather", "hotel_booking", "stock_market", "physics",
           "chemistry", "sports.nba", "restaurant", "flight", "calendar", "translate", "music.theory"]
VERBS = ["calculate", "get", "find", "search", "book", "convert", "predict", "list", "play", "estimate"]
OBJECTS = ["factorial", "area", "loan_payment", "track", "forecast", "room", "price", "velocity", "mass",
           "score", "table", "ticket", "event", "text", "chord"]
CATEGORIES = ["simple", "multiple", "parallel", "parallel_multiple", "irrelevance"]
KIND = {"simple": "single", "multiple": "single", "parallel": "parallel", "parallel_multiple": "parallel",
        "irrelevance": "irrelevance"}
CITIES = ["Boston", "Paris", "San Francisco, CA", "Zürich", "New York, NY"]


def _parameter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    kind = rng.choice(["string", "integer", "number", "boolean", "int_enum", "str_enum", "array", "object"]
                      if depth == 0 else ["string", "integer", "number", "boolean"])
    description = f"The {rng.choice(OBJECTS).replace('_', ' ')} to use."
    if kind == "int_enum":
        return {"type": "integer", "enum": sorted(rng.sample([1, 2, 3, 5, 7, 10, 30, 365], 3)),
                "description": description}
    if kind == "str_enum":
        return {"type": "string", "enum": rng.sample(["celsius", "fahrenheit", "kelvin", "USD", "EUR"], 2),
                "description": description}
    if kind == "array":
        return {"type": "array", "items": {"type": rng.choice(["string", "integer"])}, "description": description}
    if kind == "object":
        inner = {f"field_{i}": _parameter(rng, depth + 1) for i in range(rng.randint(1, 2))}
        return {"type": "object", "properties": inner, "required": list(inner)[:1], "description": description}
    return {"type": kind, "description": description}


def make_tool(rng: random.Random) -> dict[str, Any]:
    names = rng.sample(["number", "city", "unit", "amount", "year", "rate", "name", "limit", "precision"],
                       rng.randint(1, 4))
    properties = {n: _parameter(rng) for n in names}
    for n, schema in properties.items():
        if n != names[0] and rng.random() < 0.3 and schema["type"] in ("integer", "string", "boolean"):
            schema["default"] = (schema["enum"][0] if "enum" in schema else
                                 {"integer": 10, "string": "default", "boolean": False}[schema["type"]])
    return {"name": f"{rng.choice(MODULES)}.{rng.choice(VERBS)}_{rng.choice(OBJECTS)}",
            "description": f"{rng.choice(VERBS).title()} the {rng.choice(OBJECTS).replace('_', ' ')}.",
            "parameters": {"type": "object", "properties": properties, "required": names[:rng.randint(1, len(names))]}}


def _value(schema: dict[str, Any], rng: random.Random) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema["type"]
    if kind == "string":
        return rng.choice(CITIES + ["x^2 + 3x", "it's \"quoted\"", "Beyoncé"])
    if kind == "integer":
        return rng.randint(0, 5000)
    if kind == "number":
        return rng.choice([0.05, 3.5, 1e-3, 100.0, 2.718])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [_value(schema["items"], rng) for _ in range(rng.randint(1, 3))]
    return {k: _value(s, rng) for k, s in schema["properties"].items() if k in schema["required"] or rng.random() < 0.5}


def _arguments(tool: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    params = tool["parameters"]
    return {k: _value(s, rng) for k, s in params["properties"].items() if k in params["required"] or rng.random() < 0.4}


def make_dialog(index: int, seed: int = 0) -> Dialog:
    """One BFCL-style dialog; the category cycles so every one is present."""
    rng = random.Random(f"bfcl:{seed}:{index}")
    category = CATEGORIES[index % len(CATEGORIES)]
    tools = [make_tool(rng) for _ in range(1 if category in ("simple", "parallel") else rng.randint(2, 4))]
    tools = list({t["name"]: t for t in tools}.values())
    messages: list[dict[str, Any]] = [{"role": "user", "content": f"Question {index}: please {rng.choice(VERBS)} "
                                                                   f"the {rng.choice(OBJECTS).replace('_', ' ')}."}]
    if category == "irrelevance":
        messages.append({"role": "assistant", "content": "None of the given functions can answer this question."})
    else:
        if category == "parallel":
            chosen = [tools[0]] * rng.randint(2, 4)
        elif category == "parallel_multiple":
            chosen = [rng.choice(tools) for _ in range(rng.randint(2, 4))]
        else:
            chosen = [rng.choice(tools)]
        calls = [{"id": f"call_{i}", "name": t["name"], "arguments": _arguments(t, rng)} for i, t in enumerate(chosen)]
        messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        if rng.random() < 0.3:  # executed: results and an answer
            for call in calls:
                messages.append({"role": "tool", "tool_call_id": call["id"], "name": call["name"],
                                 "content": {"result": rng.randint(1, 10**6), "unit": rng.choice(["m", "USD", "s"])}})
            messages.append({"role": "assistant", "content": "Here are the results you asked for."})
    return Dialog.model_validate({"id": f"bfcl-{seed}-{category}-{index}", "kind": KIND[category], "tools": tools,
                                  "messages": messages, "meta": {"bfcl_category": category}})


def make_dialogs(count: int, seed: int = 0) -> list[Dialog]:
    return [make_dialog(i, seed) for i in range(count)]
