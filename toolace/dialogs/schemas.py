"""JSON Schemas the agents answer in, built from the dialog's APIs so that decoding constrains them.

API schemas come from an LLM or an importer; before they constrain decoding they are made
*decodable*: every string, array and object gets a bound (a weak model fills an unbounded string
until ``max_tokens``), formats become patterns, and constructs grammar engines reject are dropped.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

from toolace.apis.checks import counts_ok
from toolace.apis.links import ITEM
from toolace.dialogs.budget import COMPACT, Budget
from toolace.records import Api
from toolace.schema_reading import resolved

MAX_DEPTH = 4
OPEN_KEYS = 4  # keys of an object whose fields are not declared (a bounded open shape, never a forced {})
THOUGHT_SOURCES = ["user", "earlier_result", "default", "inferred"]
# Errors injected into valid calls (``tool_error_rate``): failures on the service's side or in its data,
# never INVALID_ARGUMENT, which would blame arguments that are valid.
ERROR_CODES = ["NOT_FOUND", "RATE_LIMITED", "TIMEOUT", "PERMISSION_DENIED", "UNAVAILABLE"]
TRANSIENT_CODES = ["RATE_LIMITED", "TIMEOUT", "UNAVAILABLE"]  # a retry may succeed
SEARCH_VERBS = {"search", "find", "list", "lookup", "query", "browse", "filter", "discover", "locate", "scan",
                "explore", "recommend", "suggest"}
_MAY_BE_EMPTY = re.compile(r"\b(empty|if any|or none|zero or more)\b", re.I)
_EXCEPTIONS = re.compile(r"(^|_)(skipped|failed|failing|failures?|errors?|warnings?|rejected|missing|conflicts?|"
                         r"alerts?|recalls?|violations?|issues?|abuse|exceptions?|declined|unmatched|invalid)(_|$)")
# A parameter asking for a number of items (limit, top_n, max_results, page_size, count, ...).
_ITEM_COUNT = re.compile(r"(^|_)(limit|count|top|top_n|max_results|max_items|page_size|num|number_of)(_|$)")
# A result for an API whose definition has no ``returns`` (imported APIs often lack one).
GENERIC_RETURNS = {"type": "object", "properties": {"result": {"type": "string"}}, "required": ["result"]}

_FORMAT_PATTERNS = {
    "date": r"^\d{4}-\d{2}-\d{2}$",
    # RFC 3339 wants an offset; any offset, so a local time the user gave keeps its own (not forced to Z).
    "date-time": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$",
    "time": r"^\d{2}:\d{2}(:\d{2})?$",
    # any address a person gives (the user's value is copied exactly), each part bounded
    "email": r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63}){0,3}\.[A-Za-z]{2,24}$",
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


def decodable(schema: Any, *, budget: Budget = COMPACT, depth: int = 0, result: bool = False) -> dict[str, Any]:
    """A bounded copy of ``schema`` that a grammar engine compiles and a weak model cannot run away in.

    ``result``: the schema of a simulated tool result, which carries what the API promises at every
    depth: the fields its ``required`` lists name (every field when a record has no such list), and
    at least one item per list. ``budget`` bounds strings and lists that have no bound of their own.
    """
    string_bound = budget.result_string if result else budget.arg_string
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
            return {"anyOf": [decodable(o, budget=budget, depth=depth + 1, result=result)
                              for o in options[:4]]}
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if isinstance(k, str)]
        if len(kinds) > 1:
            return {"anyOf": [decodable({**schema, "type": k}, budget=budget, depth=depth, result=result)
                              for k in kinds[:3]]}
        kind = kinds[0] if kinds else None
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if depth >= MAX_DEPTH and kind in ("object", "array"):
        return {"type": "string", "maxLength": string_bound}
    if kind == "object":
        return _object(schema, budget, depth, result)
    if kind == "array" and isinstance(schema.get("prefixItems"), list) and schema["prefixItems"]:
        # A tuple (Pydantic's tuple[...]): its positions, each with its own schema, and nothing after.
        tuple_items = [decodable(s, budget=budget, depth=depth + 1, result=result)
                       for s in schema["prefixItems"][:budget.arg_items * 2]]
        return {"type": "array", "prefixItems": tuple_items, "items": False, "minItems": len(tuple_items),
                "maxItems": len(tuple_items)}
    if kind == "array":
        items = schema.get("items")
        out = {"type": "array", "items": decodable(items if isinstance(items, dict) else {"type": "string"},
                                                   budget=budget, depth=depth + 1, result=result)}
        low = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
        low = max(low, 1) if result else low
        bound = budget.result_items if result else budget.arg_items
        high = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else bound
        out["maxItems"] = max(min(high, bound), low, 1)
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


def _object(schema: dict, budget: Budget, depth: int, result: bool) -> dict[str, Any]:
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    if not properties:
        return open_object(budget.result_string if result else budget.arg_string, at_least=1 if result else 0)
    props = {name: decodable(sub, budget=budget, depth=depth + 1, result=result)
             for name, sub in properties.items()}
    for name, sub in properties.items():
        if result and may_be_empty(name, sub):
            props[name].pop("minItems", None)
    listed = schema.get("required") if isinstance(schema.get("required"), list) else list(props) if result else []
    required = [name for name in listed if name in props]
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def may_be_empty(name: str, schema: Any) -> bool:
    """Whether a result list says it can be empty ("empty when none failed", "warnings, if any"): such a
    list, and a list named for exceptions (``skipped_signers``, ``failing_jobs``, ``abuse_reports``,
    ``warnings``), may hold no item; every other list holds at least one (a hollow result is never
    forced). Strong-model reviews 6, 8 and 9: a clean IP, a passing run and a reminder to every unsigned
    signer had to be given an invented report, failure or signer."""
    if not isinstance(schema, dict) or isinstance(schema.get("minItems"), int):  # the API's own bound stands
        return False
    return bool(_EXCEPTIONS.search(name) or _MAY_BE_EMPTY.search(str(schema.get("description", ""))))


def open_object(string_bound: int, at_least: int = 0) -> dict[str, Any]:
    """An object whose fields are not declared: a few snake_case keys with plain, bounded values.

    A free-form object has no grammar bound at all, and forcing it to ``{}`` makes hollow data.
    """
    value = {"anyOf": [{"type": "string", "maxLength": string_bound}, {"type": "number"}, {"type": "boolean"}]}
    out = {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,23}$"}, "additionalProperties": value,
           "maxProperties": OPEN_KEYS}
    if at_least:
        out["minProperties"] = at_least
    return out


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


def arguments_schema(api: Api, fixed: dict[str, Any] | None = None, budget: Budget = COMPACT) -> dict[str, Any]:
    """The arguments of one call: the API's parameters, with ``fixed`` values pinned by ``const``."""
    schema = decodable(api.parameters, budget=budget)
    for name, value in (fixed or {}).items():
        schema["properties"][name] = {"const": value}
        if name not in schema["required"]:
            schema["required"].append(name)
    return schema


def call_schema(api: Api, fixed: dict[str, Any] | None = None, budget: Budget = COMPACT) -> dict[str, Any]:
    return {"type": "object", "properties": {"name": {"const": api.name},
                                             "arguments": arguments_schema(api, fixed, budget)},
            "required": ["name", "arguments"], "additionalProperties": False}


def calls_schema(calls: list[tuple[Api, dict[str, Any] | None]], budget: Budget = COMPACT) -> dict[str, Any]:
    """Exactly the planned calls of one turn, in order (``prefixItems``), so the turn has their shape."""
    return {"type": "array", "prefixItems": [call_schema(api, fixed, budget) for api, fixed in calls],
            "items": False, "minItems": len(calls), "maxItems": len(calls)}


def thought_schema(tool_names: list[str], argument_names: list[str], budget: Budget = COMPACT) -> dict[str, Any]:
    """The structured thought before a call: intent, chosen tools, the source of every argument."""
    props: dict[str, Any] = {"intent": {"type": "string", "minLength": 5, "maxLength": budget.intent}}
    required = ["intent"]
    if tool_names:
        props["tools"] = {"type": "array", "items": {"enum": sorted(set(tool_names))}, "minItems": 1, "maxItems": 4}
        required.append("tools")
    if argument_names:
        source = {"type": "object", "properties": {"argument": {"enum": sorted(set(argument_names))},
                                                   "source": {"enum": THOUGHT_SOURCES}},
                  "required": ["argument", "source"], "additionalProperties": False}
        # One entry per argument of every call of the turn (a parallel turn repeats names).
        props["sources"] = {"type": "array", "items": source, "maxItems": min(16, len(argument_names))}
        required.append("sources")
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def assistant_schema(action: str, calls: list[tuple[Api, dict[str, Any] | None]] | None = None,
                     budget: Budget = COMPACT) -> dict[str, Any]:
    """The assistant's whole reply: ``{"thought": ..., "action": {...}}`` for one planned action.

    ``call`` carries the calls; ``ask``, ``answer`` and ``summarize`` carry a message.
    """
    if action == "call":
        names = [api.name for api, _ in calls or []]
        arguments = [p for api, _ in calls or [] for p in api.properties]
        body = {"type": "object", "properties": {"type": {"const": "call"}, "calls": calls_schema(calls or [], budget)},
                "required": ["type", "calls"], "additionalProperties": False}
        thought = thought_schema(names, arguments, budget)
    else:
        body = {"type": "object", "properties": {"type": {"const": action},
                                                 "message": {"type": "string", "minLength": 2,
                                                             "maxLength": budget.message}},
                "required": ["type", "message"], "additionalProperties": False}
        thought = thought_schema([], [], budget)
    return {"type": "object", "properties": {"thought": thought, "action": body},
            "required": ["thought", "action"], "additionalProperties": False}


def result_schema(api: Api, pinned: dict[str, dict[str, Any]] | None = None, *, arguments: dict[str, Any] | None = None,
                  empty: bool = False, budget: Budget = COMPACT) -> dict[str, Any]:
    """What the tool agent may return for ``api``: every documented field at every depth, lists of at
    least one item (``decodable(result=True)``).

    ``pinned`` fields are required with a given schema: a dependent call pins the producer's linked
    field to the consumer's parameter schema, so the value the next call needs is present and valid
    (a ``list[].field`` path pins the field of every item of the list).
    A top-level field named like an argument echoes its value (the city asked for is the city
    returned). ``empty``: the call matches nothing, so the top-level lists are empty (planned, and
    recorded in the dialog).
    """
    schema = decodable(api.returns or GENERIC_RETURNS, budget=budget, result=True)
    props = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(props, dict):
        return schema  # only object results can feed a later call (see plan.Library)
    for name, value in (arguments or {}).items():
        if name in props and _echoes(props[name], value):
            props[name] = {"const": value}
    asked = asked_items(arguments or {})
    if asked > budget.result_items:  # a call asking for 20 items gets room for 20, within the API's own bound
        declared = resolved(api.returns).get("properties", {}) if api.returns else {}
        for name, sub in props.items():
            own = declared[name].get("maxItems") if isinstance(declared.get(name), dict) else None
            if sub.get("type") == "array" and "prefixItems" not in sub:
                limit = min(asked, budget.asked_items, own if isinstance(own, int) else asked)
                sub["maxItems"] = max(sub["maxItems"], limit)
    if empty:
        for name, sub in props.items():
            if sub.get("type") == "array":
                props[name] = {"type": "array", "maxItems": 0}
    for path, sub in (pinned or {}).items():
        name, _, field = path.partition(ITEM)
        items = props.get(name, {}).get("items") if field else None
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            items["properties"][field] = decodable(sub, budget=budget)  # every item has it; the first is used
            if field not in items["required"]:
                items["required"].append(field)
        else:
            props[name] = decodable(sub, budget=budget)
        if name not in schema["required"]:
            schema["required"].append(name)
    return schema


def _echoes(schema: dict[str, Any], value: Any) -> bool:
    """Whether a result field of (decodable) ``schema`` must repeat an argument ``value``: a plain
    value that the field's own schema (type, enum, pattern, length) accepts."""
    if isinstance(value, (dict, list)) or value is None or schema.get("type") not in _SCALARS:
        return False
    return Draft202012Validator(schema).is_valid(value)


def asked_items(arguments: dict[str, Any]) -> int:
    """The number of items a call asks for (``limit=20``, ``top_products_limit=10``), else 0."""
    counts = [value for name, value in arguments.items()
              if _ITEM_COUNT.search(name) and isinstance(value, int) and not isinstance(value, bool) and value > 0]
    return max(counts, default=0)


def error_codes(api: Api, *, consumer: bool = False) -> list[str]:
    """The errors a valid call of ``api`` may meet. A search that finds nothing returns an empty
    list, never NOT_FOUND; a call taking an id an earlier result just gave (``consumer``) meets only a
    passing fault (the strong-model review judged "not found" or "not yours" for it implausible)."""
    if consumer:
        return TRANSIENT_CODES
    return [code for code in ERROR_CODES if code != "NOT_FOUND"] if is_search(api) else ERROR_CODES


def is_search(api: Api) -> bool:
    """Whether ``api`` searches or lists (its name starts with a search verb and its result has a
    top-level list): only such a call may match nothing (a planned empty result). A solver's list of
    steps or a loan's schedule is never empty."""
    if api.name.split("_", 1)[0].lower() not in SEARCH_VERBS:
        return False
    returns = api.returns or {}
    props = returns.get("properties") if isinstance(returns.get("properties"), dict) else {}
    return any(isinstance(sub, dict) and sub.get("type") == "array" for sub in props.values())


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
