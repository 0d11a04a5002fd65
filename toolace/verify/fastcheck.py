"""A fast yes/no check of a value against the JSON Schema subset tool parameters use.

jsonschema walks a value in about 100 µs per call; nearly every call in real data is valid, so a
closure tree built once per schema answers "valid?" first (a few µs) and jsonschema runs only to
explain a value this check refuses. It must never accept what jsonschema would refuse: any keyword
it does not implement makes ``compile_check`` return None, and the caller always uses jsonschema.
Refusing too much only costs time. Tests compare both on generated values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import FormatChecker

from toolace.ecma_regex import compile_pattern

Check = Callable[[Any], bool]

# Validation keywords of 2020-12 that this module does not implement: their presence means "ask
# jsonschema". Any other unknown key is an annotation that jsonschema ignores too.
_UNSUPPORTED = frozenset({
    "$ref", "$dynamicRef", "$id", "$schema", "$anchor", "$dynamicAnchor", "$vocabulary", "allOf", "anyOf", "oneOf",
    "not", "if", "then", "else", "dependentSchemas", "prefixItems", "contains", "patternProperties", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "multipleOf", "uniqueItems", "maxContains", "minContains",
    "maxProperties", "minProperties", "dependentRequired",
})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it: ``true`` is not ``1``, ``1`` is ``1.0``, deep for containers."""
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return one == two


def compile_check(schema: Any, formats: FormatChecker) -> Check | None:
    """A ``value -> bool`` for ``schema``, or None when the schema uses a keyword not implemented here."""
    if schema is True:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if not isinstance(schema, dict) or _UNSUPPORTED.intersection(schema):
        return None
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not all(isinstance(n, str) and n in _TYPES for n in names):
            return None
        tests = [_TYPES[n] for n in names]
        nullable = schema.get("nullable") is True  # OpenAPI: verify forgives null here
        if len(tests) == 1 and not nullable:
            checks.append(tests[0])
        else:
            checks.append(lambda v: any(t(v) for t in tests) or (nullable and v is None))
    if "enum" in schema:
        allowed = schema["enum"]
        if not isinstance(allowed, list):
            return None
        checks.append(lambda v: any(json_equal(v, a) for a in allowed))
    if "const" in schema:
        const = schema["const"]
        checks.append(lambda v: json_equal(v, const))
    if "pattern" in schema:
        if not isinstance(schema["pattern"], str):
            return None
        regex = compile_pattern(schema["pattern"]).regex  # ECMA-262, as the validator reads it
        if regex is None:
            return None
        checks.append(lambda v: not isinstance(v, str) or regex.find(v) is not None)
    for key, test in (("minLength", lambda v, n: len(v) >= n), ("maxLength", lambda v, n: len(v) <= n)):
        if key in schema:
            checks.append(_bounded(schema[key], str, test))
    for key, test in (("minItems", lambda v, n: len(v) >= n), ("maxItems", lambda v, n: len(v) <= n)):
        if key in schema:
            checks.append(_bounded(schema[key], list, test))
    for key, test in (("minimum", lambda v, n: v >= n), ("maximum", lambda v, n: v <= n),
                      ("exclusiveMinimum", lambda v, n: v > n), ("exclusiveMaximum", lambda v, n: v < n)):
        if key in schema:
            bound = schema[key]
            if not _is_number(bound):
                return None
            checks.append(lambda v, b=bound, t=test: not _is_number(v) or t(v, b))
    if "format" in schema:
        name = schema["format"]
        checks.append(lambda v: formats.conforms(v, name))
    if "required" in schema:
        required = schema["required"]
        if not isinstance(required, list):
            return None
        checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
    if "properties" in schema or "additionalProperties" in schema:
        object_check = _object_check(schema, formats)
        if object_check is None:
            return None
        checks.append(object_check)
    if "items" in schema:
        item = compile_check(schema["items"], formats)
        if item is None:
            return None
        checks.append(lambda v: not isinstance(v, list) or all(map(item, v)))
    return _all_of(checks)


def _all_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)

    def check(value: Any) -> bool:
        for one in checks:
            if not one(value):
                return False
        return True
    return check


def _bounded(bound: Any, kind: type, test) -> Check:
    if not isinstance(bound, int) or isinstance(bound, bool):
        return lambda v: not isinstance(v, kind)  # odd bound: refuse, let jsonschema explain
    return lambda v: not isinstance(v, kind) or test(v, bound)


def _object_check(schema: dict, formats: FormatChecker) -> Check | None:
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return None
    compiled = {}
    for name, sub in properties.items():
        compiled[name] = compile_check(sub, formats)
        if compiled[name] is None:
            return None
    extra: Check | None = None
    if "additionalProperties" in schema:
        extra = compile_check(schema["additionalProperties"], formats)
        if extra is None:
            return None

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for key, item in value.items():
            sub = compiled.get(key, extra)
            if sub is not None and not sub(item):
                return False
        return True
    return check
