"""A stand-in for the engine in tests and benchmarks: answers any agent request with a valid instance.

``agent_responder`` fits ``ScriptedLLM(responder=...)`` and reads only the request's schema, so
it answers user, assistant and tool requests alike, instantly and deterministically.
"""

from __future__ import annotations

from typing import Any

from toolace.dialogs.schemas import _FORMAT_PATTERNS

_PATTERN_SAMPLES = dict(zip(_FORMAT_PATTERNS.values(), ["2024-05-17", "2024-05-17T09:30:00Z", "09:30",
                                                         "ana@example.com"]))
_WORDS = "please check this for me with the usual details thanks".split()


def _text(schema: dict[str, Any], tag: str) -> str:
    if schema.get("pattern") in _PATTERN_SAMPLES:
        return _PATTERN_SAMPLES[schema["pattern"]]
    low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
    text = " ".join(_WORDS)
    while len(text) < low:
        text += " " + text
    text = text[:max(low, min(high, 24) - len(tag))]
    return (text + tag)[:high]


def instance(schema: Any, tag: str = "", *, full: bool = False) -> Any:
    """A small valid instance of one of toolace's bounded agent schemas (``tag`` ends every free string).

    ``full``: every field the schema allows is filled, two items per list, and extra keys where an
    object allows them: what a thorough strong model would write. Anything hollow in its output was
    forced by the schema, not chosen by the model.
    """
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return instance(schema["anyOf"][0], tag, full=full)
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        wanted = props if full else schema.get("required", props)
        out = {name: instance(props[name], tag, full=full) for name in props if name in wanted}
        extra = schema.get("additionalProperties")
        room = schema.get("maxProperties", len(out) + 2) - len(out)
        need = schema.get("minProperties", 0) - len(out)
        for i in range(max(need, min(room, 2) if full and isinstance(extra, dict) else 0)):
            out[f"extra_{i + 1}"] = instance(extra if isinstance(extra, dict) else {"type": "string"}, tag, full=full)
        return out
    if kind == "array":
        if "prefixItems" in schema:
            # Calls of one turn differ (a parallel turn may not repeat a call).
            return [instance(s, f"{tag} {i}" if i else tag, full=full) for i, s in enumerate(schema["prefixItems"])]
        items = schema.get("items", {"type": "string"})
        n = max(schema.get("minItems", 0), 2 if full else 1)
        return [instance(items, f"{tag} {i}" if i else tag, full=full)
                for i in range(min(n, schema.get("maxItems", n)))]
    if kind == "string":
        return _text(schema, tag)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        value = max(low + (1 if "exclusiveMinimum" in schema else 0), 3)
        high = schema.get("maximum")
        value = min(value, high) if high is not None else value
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return None


def agent_responder(request: Any) -> Any:
    """Reply to any structured agent request with a valid instance of its schema."""
    return instance(request.schema)


def full_responder(request: Any) -> Any:
    """Reply with every field the schema allows filled (``instance(full=True)``): the "full" fake."""
    return instance(request.schema, full=True)


def numbered_responder(tagged: tuple[str, ...] = ("user_turn", "tool_result")) -> Any:
    """Like ``agent_responder``, but the strings of ``tagged`` replies end with the request's number.

    Tool results then differ from each other, so a test can tell which result a value came from;
    assistant replies stay the same, so self-consistency samples agree.
    """
    count = 0

    def respond(request: Any) -> Any:
        nonlocal count
        count += 1
        return instance(request.schema, f" #{count}" if request.schema_name in tagged else "")

    return respond
