"""Call executability: every call names a listed tool and its arguments fit that tool's schema.

Arguments are checked by jsonschema (2020-12, with a format checker and ECMA-262 patterns: see
``toolace.schema_reading``), which walks nested objects and arrays and follows ``$ref``; each error
keyword maps onto a stable check id and carries the JSON path of the value.
Validators are compiled once per distinct API (keyed on its canonical JSON bytes): dialogs sample
their tools from one library, so the same few hundred schemas come back again and again.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from toolace.apis.checks import Finding, api_findings
from toolace.records import Api, AssistantMessage, Failure, schema_problem
from toolace.schema_reading import Validator, add_ecma_formats, read_schema
from toolace.verify.config import RuleConfig
from toolace.verify.fastcheck import Check, compile_check
from toolace.jsonpaths import join, join_all, short

CHECK_OF_KEYWORD = {
    "type": "wrong_type",
    "enum": "enum_violation", "const": "enum_violation",
    "pattern": "pattern_mismatch",
    "format": "bad_format",
    "required": "missing_required", "dependentRequired": "missing_required",
    "additionalProperties": "unknown_argument", "unevaluatedProperties": "unknown_argument",
    "propertyNames": "unknown_argument",
    **dict.fromkeys(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                     "minLength", "maxLength", "minItems", "maxItems", "uniqueItems",
                     "minProperties", "maxProperties", "minContains", "maxContains"], "out_of_range"),
}
_JSON_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object",
              type(None): "null"}

# ISO 8601 local times are what people (and most APIs) write; RFC 3339 also wants an offset.
_LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?")
_LOCAL_TIME = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?")


def _iso(parse, pattern: re.Pattern):
    def check(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not pattern.fullmatch(value):
            return False
        parse(value[:-1] + "+00:00" if value[-1] in "zZ" else value)
        return True
    return check


def _format_checker(strict: bool) -> FormatChecker:
    checker = add_ecma_formats(FormatChecker())  # every format whose checker is installed
    if not strict:
        checker.checks("date-time", raises=ValueError)(_iso(datetime.fromisoformat, _LOCAL_DATETIME))
        checker.checks("time", raises=ValueError)(_iso(time.fromisoformat, _LOCAL_TIME))
    return checker


_CHECKERS = {strict: _format_checker(strict) for strict in (False, True)}


@dataclass(frozen=True)
class CompiledApi:
    """What checking calls to one API needs, computed once per distinct API definition."""

    findings: tuple[Finding, ...]  # API definition failures, paths relative to the API
    validator: Validator | None  # None when the parameters are not a usable schema
    fast: Check | None  # quick yes/no for the validator, None when the schema is beyond it
    returns_validator: Validator | None
    properties: frozenset[str]
    required: tuple[str, ...]
    open: bool  # the schema itself allows names beyond its properties


def compiled_api(api: Api, config: RuleConfig) -> CompiledApi:
    try:
        key = orjson.dumps([api.name, api.description, api.parameters, api.returns], option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not JSON-serialisable (a Python object in a hand-built Api): do not cache
        return _compile_api(api.name, api.description, api.parameters, api.returns, config.name_pattern,
                            config.require_returns, config.strict_formats)
    return _cached_api(key, config.name_pattern, config.require_returns, config.strict_formats)


@lru_cache(maxsize=16384)
def _cached_api(key: bytes, name_pattern: str, require_returns: bool, strict_formats: bool) -> CompiledApi:
    return _compile_api(*orjson.loads(key), name_pattern, require_returns, strict_formats)


def _compile_api(name, description, parameters, returns, name_pattern, require_returns, strict_formats) -> CompiledApi:
    findings = api_findings({"name": name, "description": description, "parameters": parameters, "returns": returns},
                            name_pattern=name_pattern, require_returns=require_returns)
    checker = _CHECKERS[strict_formats]
    # Arguments are still checked when only an enum value or a default is wrong; not when the
    # schema itself is not one (jsonschema would raise on unknown types such as "dict").
    usable = isinstance(parameters, dict) and schema_problem(parameters) is None
    validator = Validator(parameters, format_checker=checker) if usable else None
    returns_validator = (Validator(returns, format_checker=checker)
                         if isinstance(returns, dict) and schema_problem(returns) is None else None)
    view = read_schema(parameters) if isinstance(parameters, dict) else None
    top = view.schema if view is not None and isinstance(view.schema, dict) else {}
    props = top.get("properties") if isinstance(top.get("properties"), dict) else {}
    required = top.get("required")
    extra = top.get("additionalProperties", False)
    is_open = extra is not False or bool(top.get("patternProperties"))
    # The quick check reads the resolved view only when it means exactly what the schema means.
    fast = compile_check(top, checker) if validator is not None and view.exact else None
    return CompiledApi(tuple(findings), validator, fast, returns_validator, frozenset(props),
                       tuple(r for r in required if isinstance(r, str)) if isinstance(required, list) else (),
                       is_open)


def check_calls(ctx) -> Iterator[Failure]:
    """unknown_function, then every argument failure of every call of the dialog."""
    for mi, message in enumerate(ctx.dialog.messages):
        if not isinstance(message, AssistantMessage):
            continue
        for ci, call in enumerate(message.tool_calls):
            base = f"messages[{mi}].tool_calls[{ci}]"
            api = ctx.tools.get(call.name)
            if api is None:
                near = difflib.get_close_matches(call.name, list(ctx.tools), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else f"; tools: {', '.join(list(ctx.tools)[:8]) or 'none'}"
                yield Failure(check="unknown_function", path=join(base, "name"),
                              message=f"{call.name!r} is not in the tool list{hint}")
                continue
            yield from argument_failures(call.name, call.arguments, ctx.compiled(api), join(base, "arguments"))


def argument_failures(name: str, arguments: dict[str, Any], api: CompiledApi, base: str) -> Iterator[Failure]:
    """Every way ``arguments`` break the API's parameters; paths start at ``base``."""
    if not api.open:
        for key in arguments:
            if key not in api.properties:
                where = join("arguments", key)
                yield Failure(check="unknown_argument", path=join(base, key),
                              message=f"{name}: {where} is not a parameter of {name} "
                                      f"(parameters: {', '.join(sorted(api.properties)) or 'none'})")
    if api.validator is None:  # broken schema (reported as invalid_schema): names are all we can check
        for key in api.required:
            if key not in arguments:
                yield _missing(name, base, [], key)
        return
    reported: set[tuple] = set()
    try:
        if api.fast is not None and api.fast(arguments):
            return
        for error in api.validator.iter_errors(arguments):
            yield from _map_error(name, base, error, reported)
    except Exception as e:  # a schema problem the meta-schema lets through (e.g. an unresolvable $ref)
        yield Failure(check="invalid_schema", path=base, message=f"{name}: arguments cannot be checked: {e}")


def _map_error(name: str, base: str, error: ValidationError, reported: set) -> Iterator[Failure]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        # The branch the value's type picks says more ("too long") than the branches it is not ("not null").
        fitting = [e for e in error.context if e.validator != "type"]
        error = best_match(fitting or error.context)
    keyword = error.validator
    path = list(error.absolute_path)
    where = join_all("arguments", path)
    check = CHECK_OF_KEYWORD.get(keyword, "wrong_type")
    value = error.instance
    if keyword == "required":
        for key in error.validator_value:
            if isinstance(value, dict) and key not in value and (tuple(path), key) not in reported:
                reported.add((tuple(path), key))
                yield _missing(name, base, path, key)
        return
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        if not path:
            return  # top-level extras are reported by name already, whatever the schema says
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for key in value if isinstance(value, dict) else ():
            if key not in known:
                yield Failure(check=check, path=join(join_all(base, path), key),
                              message=f"{name}: {join(where, key)} is not a known key "
                                      f"(known: {', '.join(sorted(known)) or 'none'})")
        return
    if keyword == "type":
        if value is None and error.schema.get("nullable") is True:
            return  # OpenAPI's nullable: null is allowed
        message = f"expected {_types(error.validator_value)}, got {_JSON_TYPE.get(type(value), 'value')} {short(value)}"
    elif keyword in ("enum", "const"):
        allowed = error.validator_value if keyword == "enum" else [error.validator_value]
        message = f"{short(value)} is not one of {short(allowed, 120)}"
    elif keyword == "pattern":
        message = f"{short(value)} does not match the pattern {error.validator_value!r}"
    elif keyword == "format":
        message = f"{short(value)} is not a valid {error.validator_value}"
    elif check == "out_of_range":
        message = f"{short(value)} breaks {keyword} {short(error.validator_value)}"
    else:
        message = error.message
    yield Failure(check=check, path=join_all(base, path), message=f"{name}: {where}: {message}")


def _missing(name: str, base: str, path: list, key: str) -> Failure:
    return Failure(check="missing_required", path=join(join_all(base, path), key),
                   message=f"{name}: required argument {join(join_all('arguments', path), key)} is missing")


def _types(expected: Any) -> str:
    return " or ".join(expected) if isinstance(expected, list) else str(expected)
