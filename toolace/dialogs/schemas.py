"""JSON Schemas the agents answer in, built from the dialog's APIs so that decoding constrains them.

API schemas come from an LLM or an importer; before they constrain decoding they are made
*decodable*: every string, array and object gets a bound (a weak model fills an unbounded string
until ``max_tokens``), formats become patterns, and constructs grammar engines reject are dropped.
"""

from __future__ import annotations

import re
from typing import Any

from toolace.apis.checks import counts_ok
from toolace.records import Api
from toolace.schema_reading import resolved

ARG_STRING = 60  # characters of an argument string without its own bound
RESULT_STRING = 80
MAX_ITEMS = 3
MAX_DEPTH = 4
THOUGHT_SOURCES = ["user", "earlier_result", "default", "inferred"]
ERROR_CODES = ["INVALID_ARGUMENT", "NOT_FOUND", "RATE_LIMITED", "TIMEOUT", "PERMISSION_DENIED", "UNAVAILABLE"]
# A result for an API whose definition has no ``returns`` (imported APIs often lack one).
GENERIC_RETURNS = {"type": "object", "properties": {"result": {"type": "string"}}, "required": ["result"]}

_FORMAT_PATTERNS = {
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "date-time": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
    "time": r"^\d{2}:\d{2}(:\d{2})?$",
    "email": r"^[a-z0-9._]{1,20}@[a-z0-9]{1,15}\.[a-z]{2,4}$",
}
# Formats xgrammar decodes natively within a bounded length.
_BOUNDED_FORMATS = {"uuid", "ipv4", "ipv6"}
# Regex features grammar compilers do not support; such a pattern is dropped.
_UNSUPPORTED_PATTERN = re.compile(r"\(\?|\\[1-9bBAZzGpP]")
# An unbounded repetition: such a pattern alone would let a weak model write forever.
_OPEN_REPEAT = re.compile(r"(?<!\\)[*+]|\{\d*,\}")
_SCALARS = {"string", "integer", "number", "boolean", "null"}
_KEEP_NUMERIC = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def decodable_pattern(pattern: Any) -> bool:
    """Whether a ``pattern`` can go to the engine's grammar compiler as it is."""
    if not isinstance(pattern, str) or _UNSUPPORTED_PATTERN.search(pattern) or _OPEN_REPEAT.search(pattern):
        return False
    try:
        re.compile(pattern)
    except re.error:
        return False
    return counts_ok(pattern)


def decodable(schema: Any, *, string_bound: int = ARG_STRING, depth: int = 0) -> dict[str, Any]:
    """A bounded copy of ``schema`` that a grammar engine compiles and a weak model cannot run away in."""
    schema = schema if depth else resolved(schema)  # $ref, allOf, X-or-null read as JSON Schema means them
    if not isinstance(schema, dict):
        return {"type": "string", "maxLength": string_bound}
    if "const" in schema:
        return {"const": schema["const"]}
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return {"enum": list(schema["enum"])}
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return {"anyOf": [decodable(o, string_bound=string_bound, depth=depth + 1) for o in options[:4]]}
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if isinstance(k, str)]
        if len(kinds) > 1:
            return {"anyOf": [decodable({**schema, "type": k}, string_bound=string_bound, depth=depth)
                              for k in kinds[:3]]}
        kind = kinds[0] if kinds else None
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if depth >= MAX_DEPTH and kind in ("object", "array"):
        return {"type": "string", "maxLength": string_bound}
    if kind == "object":
        return _object(schema, string_bound, depth)
    if kind == "array":
        items = schema.get("items")
        out = {"type": "array", "items": decodable(items if isinstance(items, dict) else {"type": "string"},
                                                   string_bound=string_bound, depth=depth + 1)}
        low = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        high = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else MAX_ITEMS
        out["maxItems"] = max(min(high, MAX_ITEMS), low, 1)
        if low:
            out["minItems"] = low
        return out
    if kind == "string":
        return _string(schema, string_bound)
    if kind in ("integer", "number"):
        return {"type": kind, **{k: schema[k] for k in _KEEP_NUMERIC if isinstance(schema.get(k), (int, float))}}
    if kind in _SCALARS:
        return {"type": kind}
    return {"type": "string", "maxLength": string_bound}


def _object(schema: dict, string_bound: int, depth: int) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    # A free-form object has no grammar bound at all; it becomes an empty object.
    props = {name: decodable(sub, string_bound=string_bound, depth=depth + 1) for name, sub in properties.items()}
    listed = schema.get("required") if isinstance(schema.get("required"), list) else []
    required = [name for name in listed if name in props]
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def _string(schema: dict, string_bound: int) -> dict[str, Any]:
    """A string bounded either by a bounded pattern or format, or by its length (xgrammar refuses both)."""
    fmt = schema.get("format")
    if fmt in _BOUNDED_FORMATS:
        return {"type": "string", "format": fmt}
    pattern = schema.get("pattern")
    if not decodable_pattern(pattern):
        pattern = _FORMAT_PATTERNS.get(fmt)
    if pattern:
        return {"type": "string", "pattern": pattern}
    low = schema.get("minLength") if isinstance(schema.get("minLength"), int) else 0
    high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else string_bound
    out: dict[str, Any] = {"type": "string", "maxLength": max(min(high, 4 * string_bound), low, 1)}
    if low:
        out["minLength"] = low
    return out


def arguments_schema(api: Api, fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    """The arguments of one call: the API's parameters, with ``fixed`` values pinned by ``const``."""
    schema = decodable(api.parameters)
    for name, value in (fixed or {}).items():
        schema["properties"][name] = {"const": value}
        if name not in schema["required"]:
            schema["required"].append(name)
    return schema


def call_schema(api: Api, fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": {"name": {"const": api.name},
                                             "arguments": arguments_schema(api, fixed)},
            "required": ["name", "arguments"], "additionalProperties": False}


def calls_schema(calls: list[tuple[Api, dict[str, Any] | None]]) -> dict[str, Any]:
    """Exactly the planned calls of one turn, in order (``prefixItems``), so the turn has their shape."""
    return {"type": "array", "prefixItems": [call_schema(api, fixed) for api, fixed in calls],
            "items": False, "minItems": len(calls), "maxItems": len(calls)}


def thought_schema(tool_names: list[str], argument_names: list[str]) -> dict[str, Any]:
    """The structured thought before a call: intent, chosen tools, the source of every argument."""
    props: dict[str, Any] = {"intent": {"type": "string", "minLength": 5, "maxLength": 120}}
    required = ["intent"]
    if tool_names:
        props["tools"] = {"type": "array", "items": {"enum": sorted(set(tool_names))}, "minItems": 1, "maxItems": 4}
        required.append("tools")
    if argument_names:
        source = {"type": "object", "properties": {"argument": {"enum": sorted(set(argument_names))},
                                                   "source": {"enum": THOUGHT_SOURCES}},
                  "required": ["argument", "source"], "additionalProperties": False}
        props["sources"] = {"type": "array", "items": source, "maxItems": min(8, len(set(argument_names)))}
        required.append("sources")
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def assistant_schema(action: str, calls: list[tuple[Api, dict[str, Any] | None]] | None = None,
                     message_bound: int = 400) -> dict[str, Any]:
    """The assistant's whole reply: ``{"thought": ..., "action": {...}}`` for one planned action.

    ``call`` carries the calls; ``ask``, ``answer`` and ``summarize`` carry a message.
    """
    if action == "call":
        names = [api.name for api, _ in calls or []]
        arguments = [p for api, _ in calls or [] for p in api.properties]
        body = {"type": "object", "properties": {"type": {"const": "call"}, "calls": calls_schema(calls or [])},
                "required": ["type", "calls"], "additionalProperties": False}
        thought = thought_schema(names, arguments)
    else:
        body = {"type": "object", "properties": {"type": {"const": action},
                                                 "message": {"type": "string", "minLength": 2,
                                                             "maxLength": message_bound}},
                "required": ["type", "message"], "additionalProperties": False}
        thought = thought_schema([], [])
    return {"type": "object", "properties": {"thought": thought, "action": body},
            "required": ["thought", "action"], "additionalProperties": False}


def result_schema(api: Api, pinned: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the tool agent may return for ``api``; ``pinned`` fields are required with a given schema.

    A dependent call pins the producer's linked field to the consumer's parameter schema, so the
    value the next call needs is present and valid for it.
    """
    schema = decodable(api.returns or GENERIC_RETURNS, string_bound=RESULT_STRING)
    if schema.get("type") != "object":
        return schema  # only object results can feed a later call (see plan.Library)
    # Every documented top-level field is returned: a weak model would otherwise answer ``{}``.
    schema["required"] = list(schema["properties"])
    for name, sub in (pinned or {}).items():
        schema["properties"][name] = decodable(sub)
        if name not in schema["required"]:
            schema["required"].append(name)
    return schema


def error_schema(code: str) -> dict[str, Any]:
    """A tool failure: ``{"error": {"code": CODE, "message": ...}}`` with the code chosen beforehand."""
    error = {"type": "object", "properties": {"code": {"const": code},
                                              "message": {"type": "string", "minLength": 5, "maxLength": 160}},
             "required": ["code", "message"], "additionalProperties": False}
    return {"type": "object", "properties": {"error": error}, "required": ["error"], "additionalProperties": False}


def message_schema(bound: int = 300) -> dict[str, Any]:
    """A user turn: one message."""
    return {"type": "object", "properties": {"message": {"type": "string", "minLength": 3, "maxLength": bound}},
            "required": ["message"], "additionalProperties": False}
