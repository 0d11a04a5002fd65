"""Rule checks of one API definition, each failure with a stable check id and a JSON path.

Used by ``synth-apis`` before an API enters the library and by ``verify`` on the tools of any
dialog, imported ones included, so everything here works on raw dicts whose schemas may be broken.

Check ids: ``invalid_schema`` (parameters or returns not a valid 2020-12 JSON Schema, parameters
not ``type: object``, ``required`` naming unknown properties, a ``$ref`` that does not resolve,
enum values or defaults invalid against their own property schema, a ``pattern`` that is not an
ECMA-262 regular expression), ``missing_description`` (the API or any parameter, nested ones too),
``bad_name`` (function or parameter name not matching the name pattern), ``missing_returns`` and
``unstructured_returns`` (only when a returns schema is required, as for synthesised APIs: a result
object, or a list of objects, whose fields are not described makes hollow tool results, DESIGN §1.3).

Schemas are read through ``toolace.schema_reading`` (``$ref`` inlined, ``allOf`` merged), so a
description kept in ``$defs`` is found where the reference uses it. ``api_findings`` also tells
which failures are *blemishes*: flaws of the declaration that do not change which arguments are
valid (a default or an enum member off its own type, a parameter or nested field without a
description, a pattern that needs reading without the ``u`` flag). ``verify`` warns about those
instead of rejecting a dialog for them; ``synth-apis`` rejects them all.

Paths read like ``parameters.properties.city.enum[2]``; names that are not plain identifiers are
quoted (``parameters.properties["start date"]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from toolace.ecma_regex import compile_pattern
from toolace.jsonpaths import join
from toolace.records import Api, Failure
from toolace.schema_reading import read_schema, value_problem

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


@dataclass(frozen=True)
class Finding:
    """One failure of an API definition; ``blemish`` when it does not change which arguments are valid."""

    failure: Failure
    blemish: bool = False


def _walk(schema: Any, path: str, pattern: re.Pattern) -> Iterator[Finding]:
    """Findings inside one (already meta-valid, resolved) schema: its properties, items and branches."""
    if not isinstance(schema, dict):
        return
    regex = schema.get("pattern")
    if isinstance(regex, str):
        yield from _pattern_findings(regex, join(path, "pattern"))
    if "enum" in schema and isinstance(schema["enum"], list):
        own = {k: v for k, v in schema.items() if k != "enum"}
        for index, value in enumerate(schema["enum"]):
            problem = value_problem(value, own)
            if problem:
                yield Finding(Failure(check="invalid_schema", message=f"enum value {value!r} breaks its own schema: "
                                      f"{problem}", path=join(join(path, "enum"), index)), blemish=True)
    if "default" in schema:
        problem = value_problem(schema["default"], schema)
        if problem:
            yield Finding(Failure(check="invalid_schema", message=f"default {schema['default']!r} breaks its own "
                                  f"schema: {problem}", path=join(path, "default")), blemish=True)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        required = schema.get("required")
        if isinstance(required, list):
            unknown = [name for name in required if name not in properties]
            if unknown:
                yield Finding(Failure(check="invalid_schema", path=join(path, "required"),
                                      message=f"required names unknown properties: {', '.join(map(str, unknown))}"))
        for name, sub in properties.items():
            where = join(join(path, "properties"), name)
            if not pattern.fullmatch(name):
                yield Finding(Failure(check="bad_name", path=where,
                                      message=f"parameter name {name!r} does not match {pattern.pattern!r}"))
            if isinstance(sub, dict) and not _text(sub.get("description")):
                yield Finding(Failure(check="missing_description", path=join(where, "description"),
                                      message=f"parameter {name!r} has no description"), blemish=True)
            yield from _walk(sub, where, pattern)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _walk(schema[key], join(path, key), pattern)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        branches = schema.get(key)
        if isinstance(branches, list):
            for index, branch in enumerate(branches):
                yield from _walk(branch, join(join(path, key), index), pattern)


def _pattern_findings(regex: str, path: str) -> Iterator[Finding]:
    compiled = compile_pattern(regex)
    if compiled.regex is None:
        yield Finding(Failure(check="invalid_schema", path=path,
                              message=f"pattern is not an ECMA-262 regular expression: {compiled.error}"))
    elif compiled.unicode:
        return  # with the u flag, a stray '{' does not compile
    elif not counts_ok(regex):
        yield Finding(Failure(check="invalid_schema", path=path,
                              message="pattern has a '{' that is not a count like {2} or {1,3} after something "
                                      "(escape it as \\{ to mean the character)"))
    else:
        yield Finding(Failure(check="invalid_schema", path=path,
                              message="pattern is ECMA-262 only without the u flag JSON Schema asks for "
                                      f"(read without it): {regex!r}"), blemish=True)


def _under(base: str, path: str) -> str:
    return f"{base}{'' if not path or path.startswith('[') else '.'}{path}"


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
    return [finding.failure for finding in api_findings(api, name_pattern=name_pattern,
                                                        require_returns=require_returns)]


def api_findings(api: dict | Api, *, name_pattern: str = DEFAULT_NAME_PATTERN,
                 require_returns: bool = False) -> list[Finding]:
    """``api_problems`` with each failure marked blemish or not."""
    if isinstance(api, Api):
        name, description, parameters, returns = api.name, api.description, api.parameters, api.returns
        has_returns = returns is not None
    elif isinstance(api, dict):
        name, description = api.get("name"), api.get("description")
        parameters = api.get("parameters", {"type": "object", "properties": {}})
        returns, has_returns = api.get("returns"), api.get("returns") is not None
    else:
        return [Finding(Failure(check="invalid_schema", message="an API must be a JSON object"))]
    pattern = _compiled(name_pattern)
    findings = []
    if not isinstance(name, str) or not pattern.fullmatch(name):
        findings.append(Finding(Failure(check="bad_name", path="name",
                                        message=f"function name {name!r} does not match {name_pattern!r}")))
    if not _text(description):
        findings.append(Finding(Failure(check="missing_description", path="description",
                                        message="the API has no description")))

    if not isinstance(parameters, dict):
        findings.append(Finding(Failure(check="invalid_schema", path="parameters",
                                        message="parameters must be a JSON object")))
    else:
        meta = _meta_failures(parameters, "parameters")
        findings.extend(Finding(f) for f in meta)
        if parameters.get("type") != "object":
            findings.append(Finding(Failure(check="invalid_schema", path="parameters.type",
                                            message=f"parameters must have type 'object', not "
                                                    f"{parameters.get('type')!r}")))
        view = read_schema(parameters)
        findings.extend(Finding(Failure(check="invalid_schema", path=_under("parameters", where), message=message))
                        for where, message in view.problems)
        if not meta:
            findings.extend(_walk(view.schema, "parameters", pattern))
        elif isinstance(view.schema.get("properties"), dict):
            # The schema is broken, but names and descriptions can still be reported.
            findings.extend(f for f in _walk({"properties": view.schema["properties"]}, "parameters", pattern)
                            if f.failure.check != "invalid_schema")

    if has_returns:
        meta = _meta_failures(returns, "returns")
        view = read_schema(returns)
        findings.extend(Finding(f) for f in meta)
        findings.extend(Finding(Failure(check="invalid_schema", path=_under("returns", where), message=message))
                        for where, message in view.problems)
        if require_returns and not meta:
            findings.extend(Finding(f) for f in unstructured(view.schema, "returns"))
    elif require_returns:
        findings.append(Finding(Failure(check="missing_returns", path="returns", message="the API has no returns schema")))
    return findings
