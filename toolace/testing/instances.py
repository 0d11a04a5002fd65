"""Schema-valid example values for a JSON Schema: the brain of the fake engine used in fault tests.

A fake OpenAI server that answers every structured request with a valid instance of the requested
schema lets the whole pipeline run (and be broken on purpose) without a model. Supports the parts
of JSON Schema that toolace's own schemas use: types, enum/const, anyOf/oneOf, $ref into $defs,
properties/required, items, length/size/numeric bounds and common formats.
"""

from __future__ import annotations

import random
from typing import Any

WORDS = ["alpha", "berlin", "paris", "quick", "report", "blue", "sensor", "order", "music", "river",
         "tokyo", "daily", "summary", "green", "account", "weather"]
FORMATS = {"date": "2024-05-17", "date-time": "2024-05-17T10:30:00Z", "time": "10:30:00",
           "email": "ana@example.com", "uri": "https://example.com/a", "uuid": "123e4567-e89b-12d3-a456-426614174000",
           "ipv4": "192.0.2.1", "hostname": "example.com"}


def example_for(schema: Any, rng: random.Random | None = None, root: dict | None = None, depth: int = 0) -> Any:
    """A value valid against ``schema`` (best effort for ``pattern``), varied by ``rng``."""
    rng = rng or random.Random(0)
    root = root if root is not None else schema
    if schema is True or not isinstance(schema, dict) or not schema:
        return rng.choice(WORDS)
    if "$ref" in schema:
        ref = schema["$ref"]
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        return example_for(target, rng, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return example_for(rng.choice(schema[key]), rng, root, depth + 1)
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(part)
        return example_for(merged, rng, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = rng.choice([k for k in kind if k != "null"] or ["null"])
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        out = {}
        for name, sub in props.items():
            if name in required or (depth < 3 and rng.random() < 0.5):
                out[name] = example_for(sub, rng, root, depth + 1)
        return out
    if kind == "array":
        low = schema.get("minItems", 1 if depth < 3 else 0)
        high = max(low, min(schema.get("maxItems", low + 2), low + 2))
        return [example_for(schema.get("items", {}), rng, root, depth + 1) for _ in range(rng.randint(low, high))]
    if kind == "string":
        if schema.get("format") in FORMATS:
            return FORMATS[schema["format"]]
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        low, high = schema.get("minLength", 0), schema.get("maxLength", 60)
        text = text[:high]
        return text + "x" * max(0, low - len(text))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in schema else 0)
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 101) - 1 if "exclusiveMaximum" in schema else low + 100)
        value = rng.randint(int(low), int(max(low, high)))
        return value if kind == "integer" else float(value) + (0.5 if value + 0.5 <= high else 0.0)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return rng.choice(WORDS)
