"""Rule checks of one API definition, each failure with a stable check id and a JSON path.

Used by ``synth-apis`` before an API enters the library and by ``verify`` on the tools of any
dialog, imported ones included, so everything here works on raw dicts whose schemas may be broken.

Check ids: ``invalid_schema`` (parameters or returns not a valid 2020-12 JSON Schema, parameters
not ``type: object``, ``required`` naming unknown properties, enum values or defaults invalid against
their own property schema, a ``pattern`` that is not a regular expression), ``missing_description``
(the API or any parameter, nested ones too), ``bad_name`` (function or parameter name not matching
the name pattern), ``missing_returns`` and ``unstructured_returns`` (only when a returns schema is
required, as for synthesised APIs: a result object, or a list of objects, whose fields are not
described makes hollow tool results, DESIGN §1.3).

Paths read like ``parameters.properties.city.enum[2]``; names that are not plain identifiers are
quoted (``parameters.properties["start date"]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from toolace.jsonpaths import join
from toolace.records import Api, Failure

# Letters, digits, '_', '.', '-' (what real APIs use); spaces are refused unless the pattern allows them.
DEFAULT_NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}"

_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)

# Keywords whose value is a map of name -> schema, one schema, or a list of schemas.
_SCHEMA_MAPS = {"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"}
_SCHEMA_ONE = {"items", "additionalProperties", "not", "if", "then", "else", "contains",
               "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems"}
_SCHEMA_LIST = {"allOf", "anyOf", "oneOf", "prefixItems"}
# Keywords the meta-schema only asks to be strings / numbers / arrays / anything.
_ANY_STRING = {"description", "title", "$comment", "pattern"}
_ANY_NUMBER = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
_ANY_ARRAY = {"enum", "examples"}
_ANY_VALUE = {"default", "const"}
# Annotations that do not change what a value must look like.
_ANNOTATIONS = {"description", "title", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"}


def _shape(schema: Any) -> Any:
    """The schema with every value the meta-schema does not care about blanked out.

    Two schemas with the same shape are both valid or both invalid against the 2020-12 meta-schema,
    and shapes repeat far more than schemas (descriptions, names and enum values differ), so the
    slow meta-schema check is cached by shape.
    """
    if not isinstance(schema, dict):
        return schema
    shaped = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            value = {f"k{i}": _shape(sub) for i, sub in enumerate(value.values())}
        elif key in _SCHEMA_ONE:
            value = _shape(value)
        elif key in _SCHEMA_LIST and isinstance(value, list):
            value = [_shape(sub) for sub in value]
        elif key in _ANY_STRING and isinstance(value, str):
            value = ""
        elif key in _ANY_NUMBER and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = 0
        elif key in _ANY_ARRAY and isinstance(value, list):
            value = []
        elif key in _ANY_VALUE:
            value = None
        elif key == "required" and isinstance(value, list):
            firsts: dict[str, int] = {}
            value = [f"r{firsts.setdefault(v, len(firsts))}" if isinstance(v, str) else v for v in value]
        shaped[key] = value
    return shaped


@lru_cache(maxsize=65536)
def _shape_is_valid(shape_bytes: bytes) -> bool:
    return _META.is_valid(orjson.loads(shape_bytes))


def _meta_valid(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return isinstance(schema, bool)
    properties = schema.get("properties")
    parts = [schema]
    if isinstance(properties, dict):  # check each property alone: their shapes repeat most
        parts = [{**schema, "properties": {}}, *properties.values()]
    try:
        return all(_shape_is_valid(orjson.dumps(_shape(part), option=orjson.OPT_SORT_KEYS)) for part in parts)
    except TypeError:  # not JSON (a Python object slipped in): let the full check explain
        return False


def _meta_failures(schema: Any, where: str) -> list[Failure]:
    if _meta_valid(schema):
        return []
    failures = []
    for error in sorted(_META.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))[:5]:
        path = where
        for key in error.absolute_path:
            path = join(path, key)
        failures.append(Failure(check="invalid_schema", message=f"not a valid JSON Schema: {error.message}",
                                path=path))
    return failures or [Failure(check="invalid_schema", message="not a valid JSON Schema", path=where)]


@lru_cache(maxsize=16384)
def _value_validator(schema_bytes: bytes) -> Draft202012Validator:
    return Draft202012Validator(orjson.loads(schema_bytes), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _value_problem(value: Any, schema: dict[str, Any]) -> str | None:
    """Why ``value`` breaks ``schema`` (annotations ignored), or None."""
    rules = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    try:
        validator = _value_validator(orjson.dumps(rules, option=orjson.OPT_SORT_KEYS))
        error = next(iter(validator.iter_errors(value)), None)
    except Exception as e:  # a schema broken in a way the meta-schema lets through (e.g. a bad regex)
        return f"cannot be checked: {e}"
    return error.message if error is not None else None


# A counted repetition as grammar compilers read it: {n}, {n,} or {n,m}.
_COUNT = re.compile(r"\{(\d+)(?:,(\d*))?\}")


def counts_ok(pattern: str) -> bool:
    """Whether every unescaped ``{`` outside a character class is a valid count after an atom.

    Python's ``re`` reads a stray ``{`` as a literal; ECMA-262 (JSON Schema's regex dialect, with the
    ``u`` flag) and the engine's grammar compiler refuse it ("Invalid repetition count": HTTP 400 for
    every request that carries the schema), as seen in APIs the 135M model wrote.
    """
    i, in_class, previous = 0, False, ""
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i, previous = i + 2, "atom"
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "{":
            count = _COUNT.match(pattern, i)
            if not count or previous in ("", "(", "|") or (count.group(2) and int(count.group(2)) < int(count.group(1))):
                return False
            i, previous = count.end(), "count"
            continue
        previous = char if char in "(|" else "atom"
        i += 1
    return True


def _walk(schema: Any, path: str, pattern: re.Pattern) -> Iterator[Failure]:
    """Failures inside one (already meta-valid) schema: its properties, items and branches."""
    if not isinstance(schema, dict):
        return
    regex = schema.get("pattern")
    if isinstance(regex, str):
        try:
            re.compile(regex)
        except re.error as e:
            yield Failure(check="invalid_schema", message=f"pattern is not a regular expression: {e}",
                          path=join(path, "pattern"))
        else:
            if not counts_ok(regex):
                yield Failure(check="invalid_schema", path=join(path, "pattern"),
                              message="pattern has a '{' that is not a count like {2} or {1,3} after something "
                                      "(escape it as \\{ to mean the character)")
    if "enum" in schema and isinstance(schema["enum"], list):
        own = {k: v for k, v in schema.items() if k != "enum"}
        for index, value in enumerate(schema["enum"]):
            problem = _value_problem(value, own)
            if problem:
                yield Failure(check="invalid_schema", message=f"enum value {value!r} breaks its own schema: "
                              f"{problem}", path=join(join(path, "enum"), index))
    if "default" in schema:
        problem = _value_problem(schema["default"], schema)
        if problem:
            yield Failure(check="invalid_schema", message=f"default {schema['default']!r} breaks its own "
                          f"schema: {problem}", path=join(path, "default"))
    properties = schema.get("properties")
    if isinstance(properties, dict):
        required = schema.get("required")
        if isinstance(required, list):
            unknown = [name for name in required if name not in properties]
            if unknown:
                yield Failure(check="invalid_schema", path=join(path, "required"),
                              message=f"required names unknown properties: {', '.join(map(str, unknown))}")
        for name, sub in properties.items():
            where = join(join(path, "properties"), name)
            if not pattern.fullmatch(name):
                yield Failure(check="bad_name", path=where,
                              message=f"parameter name {name!r} does not match {pattern.pattern!r}")
            if isinstance(sub, dict) and not _text(sub.get("description")):
                yield Failure(check="missing_description", path=join(where, "description"),
                              message=f"parameter {name!r} has no description")
            yield from _walk(sub, where, pattern)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _walk(items, join(path, "items"), pattern)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        branches = schema.get(key)
        if isinstance(branches, list):
            for index, branch in enumerate(branches):
                yield from _walk(branch, join(join(path, key), index), pattern)


def unstructured(schema: Any, path: str) -> Iterator[Failure]:
    """Objects in a result schema that do not say what they hold (no ``properties``, no value schema)."""
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties")
        if not (isinstance(props, dict) and props) and not isinstance(schema.get("additionalProperties"), dict):
            yield Failure(check="unstructured_returns", path=path,
                          message="an object in the result has no described fields")
        for name, sub in (props or {}).items() if isinstance(props, dict) else ():
            yield from unstructured(sub, join(join(path, "properties"), name))
    elif kind == "array":
        yield from unstructured(schema.get("items"), join(path, "items"))


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


@lru_cache(maxsize=64)
def _compiled(name_pattern: str) -> re.Pattern:
    return re.compile(name_pattern)


def api_problems(api: dict | Api, *, name_pattern: str = DEFAULT_NAME_PATTERN,
                 require_returns: bool = False) -> list[Failure]:
    """Every rule an API definition breaks (empty when it is fine); see the module docstring."""
    if isinstance(api, Api):
        name, description, parameters, returns = api.name, api.description, api.parameters, api.returns
        has_returns = returns is not None
    elif isinstance(api, dict):
        name, description = api.get("name"), api.get("description")
        parameters = api.get("parameters", {"type": "object", "properties": {}})
        returns, has_returns = api.get("returns"), api.get("returns") is not None
    else:
        return [Failure(check="invalid_schema", message="an API must be a JSON object")]
    pattern = _compiled(name_pattern)
    failures = []
    if not isinstance(name, str) or not pattern.fullmatch(name):
        failures.append(Failure(check="bad_name", path="name",
                                message=f"function name {name!r} does not match {name_pattern!r}"))
    if not _text(description):
        failures.append(Failure(check="missing_description", path="description", message="the API has no description"))

    if not isinstance(parameters, dict):
        failures.append(Failure(check="invalid_schema", path="parameters", message="parameters must be a JSON object"))
    else:
        meta = _meta_failures(parameters, "parameters")
        failures.extend(meta)
        if parameters.get("type") != "object":
            failures.append(Failure(check="invalid_schema", path="parameters.type",
                                    message=f"parameters must have type 'object', not {parameters.get('type')!r}"))
        if not meta:
            failures.extend(_walk(parameters, "parameters", pattern))
        elif isinstance(parameters.get("properties"), dict):
            # The schema is broken, but names and descriptions can still be reported.
            failures.extend(f for f in _walk({"properties": parameters["properties"]}, "parameters", pattern)
                            if f.check != "invalid_schema")

    if has_returns:
        meta = _meta_failures(returns, "returns")
        failures.extend(meta)
        if require_returns and not meta:
            failures.extend(unstructured(returns, "returns"))
    elif require_returns:
        failures.append(Failure(check="missing_returns", path="returns", message="the API has no returns schema"))
    return failures
