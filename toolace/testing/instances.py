"""Schema-valid values for a JSON Schema: the brain of every fake engine in tests and benchmarks.

One generator, three modes: by default the small deterministic instance a scripted model answers
with (required fields only, one item per list, the first choice of every enum and ``anyOf``);
``full=True`` fills every field the schema allows, two items per list and extra keys where an object
allows them (what a thorough strong model would write: anything hollow in its output was forced by
the schema); ``rng=`` varies every choice (optional fields, lengths, numbers, enum members). Supports
the parts of JSON Schema that toolace's own schemas and real tool definitions use: types (and type
lists), enum/const, anyOf/oneOf/allOf, $ref into $defs, properties/required/additionalProperties,
items/prefixItems, length, size and numeric bounds, the formats toolace decodes and its patterns.
"""

from __future__ import annotations

import random
from typing import Any

from toolace.dialogs.schemas import _FORMAT_PATTERNS

WORDS = ["alpha", "berlin", "paris", "quick", "report", "blue", "sensor", "order", "music", "river",
         "tokyo", "daily", "summary", "green", "account", "weather"]
FORMATS = {"date": "2024-05-17", "date-time": "2024-05-17T09:30:00Z", "time": "09:30",
           "email": "ana@example.com", "uri": "https://example.com/a", "uuid": "123e4567-e89b-12d3-a456-426614174000",
           "ipv4": "192.0.2.1", "hostname": "example.com"}
_PATTERN_SAMPLES = {pattern: FORMATS[name] for name, pattern in _FORMAT_PATTERNS.items()}
_TEXT = "please check this for me with the usual details thanks"


def instance(schema: Any, tag: str = "", *, full: bool = False, rng: random.Random | None = None) -> Any:
    """A value valid against ``schema`` (best effort for an unknown ``pattern``); ``tag`` ends every free
    string of the deterministic modes (a test can tell replies apart by it)."""
    return _Maker(schema, full, rng).make(schema, tag, 0)


class _Maker:
    def __init__(self, root: Any, full: bool, rng: random.Random | None):
        self.root, self.full, self.rng = root, full, rng

    def choose(self, options: list[Any]) -> Any:
        return self.rng.choice(options) if self.rng else options[0]

    def make(self, schema: Any, tag: str, depth: int) -> Any:
        if schema is None:  # no schema: nothing to fill
            return None
        if schema is True or not isinstance(schema, dict) or not schema:
            return self.text({}, tag)
        if "$ref" in schema:
            target: Any = self.root
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return self.make(target, tag, depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.choose(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.make(self.choose(schema[key]), tag, depth + 1)
        if "allOf" in schema:
            merged: dict = {}
            for part in schema["allOf"]:
                merged.update(part)
            return self.make(merged, tag, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = self.choose([k for k in kind if k != "null"] or ["null"])
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            return self.object(schema, tag, depth)
        if kind == "array":
            return self.array(schema, tag, depth)
        if kind in ("integer", "number"):
            return self.number(schema, kind)
        if kind == "boolean":
            return self.rng.random() < 0.5 if self.rng else True
        return None if kind == "null" else self.text(schema, tag)

    def wanted(self, schema: dict, name: str, depth: int) -> bool:
        """Whether an object gets the field ``name``: all in full mode, the required ones (and in varied
        mode some optional ones) otherwise."""
        if self.full:
            return True
        if self.rng:
            return name in schema.get("required", ()) or (depth < 3 and self.rng.random() < 0.5)
        return name in schema.get("required", schema.get("properties", {}))

    def object(self, schema: dict, tag: str, depth: int) -> dict:
        props = schema.get("properties", {})
        out = {name: self.make(sub, tag, depth + 1) for name, sub in props.items() if self.wanted(schema, name, depth)}
        extra = schema.get("additionalProperties")
        room = schema.get("maxProperties", len(out) + 2) - len(out)
        need = schema.get("minProperties", 0) - len(out)
        for i in range(max(need, min(room, 2) if self.full and isinstance(extra, dict) else 0)):
            out[f"extra_{i + 1}"] = self.make(extra if isinstance(extra, dict) else {"type": "string"}, tag, depth + 1)
        return out

    def array(self, schema: dict, tag: str, depth: int) -> list:
        if "prefixItems" in schema:
            # Calls of one turn differ (a parallel turn may not repeat a call).
            return [self.make(s, f"{tag} {i}" if i else tag, depth + 1) for i, s in enumerate(schema["prefixItems"])]
        if self.rng:
            low = schema.get("minItems", 1 if depth < 3 else 0)
            n = self.rng.randint(low, max(low, min(schema.get("maxItems", low + 2), low + 2)))
        else:
            n = max(schema.get("minItems", 0), 2 if self.full else 1)
            n = min(n, schema.get("maxItems", n))
        items = schema.get("items", {"type": "string"})
        return [self.make(items, f"{tag} {i}" if i else tag, depth + 1) for i in range(n)]

    def text(self, schema: dict, tag: str) -> str:
        if schema.get("pattern") in _PATTERN_SAMPLES:
            return _PATTERN_SAMPLES[schema["pattern"]]
        if schema.get("format") in FORMATS:
            return FORMATS[schema["format"]]
        low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
        if self.rng:
            text = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 3)))[:high]
            return text + "x" * max(0, low - len(text))
        text = _TEXT
        while len(text) < low:
            text += " " + text
        text = text[:max(low, min(high, 24) - len(tag))]
        return (text + tag)[:high]

    def number(self, schema: dict, kind: str) -> int | float:
        if self.rng:
            low = schema.get("minimum", schema["exclusiveMinimum"] + 1 if "exclusiveMinimum" in schema else 0)
            high = schema.get("maximum", schema["exclusiveMaximum"] - 1 if "exclusiveMaximum" in schema else low + 100)
            value = self.rng.randint(int(low), int(max(low, high)))
            return value if kind == "integer" else float(value) + (0.5 if value + 0.5 <= high else 0.0)
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(low + (1 if "exclusiveMinimum" in schema else 0), 3)
        high = schema.get("maximum")
        value = min(value, high) if high is not None else value
        return int(value) if kind == "integer" else float(value)
