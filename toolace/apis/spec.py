"""The API spec the model writes, and its conversion to and from the canonical API record.

Free JSON Schema is hard for a small model to write and for the engine to constrain, so the model
fills a small, bounded form instead: parameters and result fields as lists of ``{name, type,
description, required, constraints...}``, two levels deep (``items`` of arrays, ``properties`` of
objects). A list or an object must say what it holds: the form has no way to write a bare
``object``, so results carry structure a tool simulator can fill (DESIGN §1.3). Code turns the form
into the canonical ``parameters`` and ``returns`` JSON Schemas; examples shown to the model go the
other way, so the model always sees the very form it must write.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolace.records import Failure

SCALARS = ["string", "integer", "number", "boolean"]
TYPES = [*SCALARS, "array", "object"]
FORMATS = ["date", "date-time", "time", "email", "uri", "uuid", "ipv4"]
NAME = r"^[a-z][a-z0-9_]{2,47}$"
PARAM_NAME = r"^[a-z][a-z0-9_]{0,31}$"
MAX_PARAMETERS = 8
# result fields, and the fields of one object or list item: 8 made the 135M engine run past the writer's
# 1,600 tokens (an OHLCV bar with symbol and date needs 7: a known limit of the one spec form)
MAX_FIELDS = 6

_CONSTRAINTS = {
    "enum": {"type": "array", "minItems": 2, "maxItems": 6, "items": {"type": "string", "minLength": 1, "maxLength": 32}},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "pattern": {"type": "string", "minLength": 1, "maxLength": 60},
    "format": {"enum": FORMATS},
    "default": {"type": "string", "maxLength": 40},
}
_BASE = {  # what every parameter and field has
    "name": {"type": "string", "pattern": PARAM_NAME},
    "description": {"type": "string", "minLength": 3, "maxLength": 150},  # stated in prompts/api_synth.txt
    "required": {"type": "boolean"},
}
_PLAIN_ITEMS = {"type": "object", "properties": {"type": {"enum": SCALARS}}, "required": ["type"],
                "additionalProperties": False}


def _variant(type_: Any, *, extra: dict[str, Any], need: tuple[str, ...], required: bool) -> dict[str, Any]:
    keys = ["name", "type", "description", *(["required"] if required else []), *need]
    return {"type": "object", "properties": {**_BASE, "type": type_, **extra}, "required": keys,
            "additionalProperties": False}


def _fields(field: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "maxItems": MAX_FIELDS, "items": field}


# A field two levels down (inside an object or a list item): a plain value or a list of plain values.
_INNER = {"anyOf": [
    _variant({"enum": SCALARS}, extra={"enum": _CONSTRAINTS["enum"], "format": _CONSTRAINTS["format"]},
             need=(), required=False),
    _variant({"const": "array"}, extra={"items": _PLAIN_ITEMS}, need=("items",), required=False),
]}
_RECORD_ITEMS = {"type": "object", "properties": {"type": {"const": "object"}, "properties": _fields(_INNER)},
                 "required": ["type", "properties"], "additionalProperties": False}
_ITEMS = {"anyOf": [_PLAIN_ITEMS, _RECORD_ITEMS]}


def _top(scalar_extra: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """A parameter or result field: a plain value, a list (of plain values or of records), or a record.

    A list or a record must say what it holds: a structure left open makes hollow data (a tool result
    forced to ``{}``), as the first strong-model run showed.
    """
    return {"anyOf": [
        _variant({"enum": SCALARS}, extra=scalar_extra, need=(), required=required),
        _variant({"const": "array"}, extra={"items": _ITEMS}, need=("items",), required=required),
        _variant({"const": "object"}, extra={"properties": _fields(_INNER)}, need=("properties",), required=required),
    ]}


_PARAMETER = _top(_CONSTRAINTS, required=True)
_RESULT_FIELD = _top({"enum": _CONSTRAINTS["enum"], "format": _CONSTRAINTS["format"]}, required=True)
SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": NAME},
        "description": {"type": "string", "minLength": 10, "maxLength": 200},  # stated in prompts/api_synth.txt
        "parameters": {"type": "array", "minItems": 1, "maxItems": MAX_PARAMETERS, "items": _PARAMETER},
        "returns": {"type": "array", "minItems": 1, "maxItems": MAX_FIELDS, "items": _RESULT_FIELD},
    },
    "required": ["name", "description", "parameters", "returns"],
    "additionalProperties": False,
}


def chained_spec_schema(parameter: str, type_: str) -> dict[str, Any]:
    """``SPEC_SCHEMA`` whose first parameter is pinned: ``parameter``, of ``type_``, required.

    The API written under it consumes a result field of an earlier API of its family (search -> id ->
    details / book / cancel), so dependent dialogs have links to follow.
    """
    first = _variant({"const": type_}, extra={**_CONSTRAINTS, "name": {"const": parameter},
                                              "required": {"const": True}}, need=(), required=True)
    parameters = {"type": "array", "minItems": 1, "maxItems": MAX_PARAMETERS, "prefixItems": [first],
                  "items": _PARAMETER}
    return {**SPEC_SCHEMA, "properties": {**SPEC_SCHEMA["properties"], "parameters": parameters}}


_KEYWORDS_FOR = {  # constraint keywords that mean something for each type
    "string": {"enum", "pattern", "format", "default"},
    "integer": {"enum", "minimum", "maximum", "default"},
    "number": {"enum", "minimum", "maximum", "default"},
    "boolean": {"default"},
    "array": set(),
    "object": set(),
}


def _typed(value: str, type_: str) -> Any:
    """A string the model wrote, as a value of ``type_``; unchanged when it does not convert
    (the rule checks then reject the API with the reason)."""
    try:
        if type_ == "integer":
            number = float(value)
            return int(number) if number.is_integer() else value
        if type_ == "number":
            return float(value)
    except ValueError:
        return value
    if type_ == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _enum(values: list[str], type_: str) -> list[Any]:
    """Enum values typed, repeats removed (a small model likes to pad a list with one value)."""
    return list(dict.fromkeys(_typed(v, type_) for v in values))


def _object_schema(fields: list[dict[str, Any]], where: str, failures: list[Failure], dropped: Counter, *,
                   result: bool) -> dict[str, Any]:
    """An object schema from a list of fields. A result promises every field unless the field says
    ``required: false`` (returned only by some calls: details given only when asked for)."""
    properties: dict[str, Any] = {}
    required = []
    for field in fields:
        name = field["name"]
        schema = _field_schema(field, f"{where}.properties.{name}", failures, dropped, result=result)
        if name in properties:
            if properties[name] != schema:
                failures.append(Failure(check="invalid_schema", message=f"duplicate name {name!r}",
                                        path=f"{where}.properties.{name}"))
            continue  # a field repeated word for word is a model stutter, not a second field
        properties[name] = schema
        if field.get("required", result):
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _field_schema(field: dict[str, Any], where: str, failures: list[Failure], dropped: Counter, *,
                  result: bool) -> dict[str, Any]:
    """The JSON Schema of one parameter or field of the spec form, nested fields included.

    Constraints that mean nothing for the type (a ``pattern`` on an integer) are dropped and counted,
    not kept as noise in training data.
    """
    type_ = field["type"]
    schema: dict[str, Any] = {"type": type_, "description": field["description"]}
    for keyword in ("enum", "minimum", "maximum", "pattern", "format", "default"):
        if keyword not in field:
            continue
        if keyword not in _KEYWORDS_FOR[type_]:
            dropped[f"dropped_{keyword}"] += 1
        elif keyword == "enum":
            schema["enum"] = _enum(field["enum"], type_)
        elif keyword == "default":
            if field["default"].strip():  # an empty default is the model saying "none"
                schema["default"] = _typed(field["default"], type_)
        else:
            schema[keyword] = field[keyword]
    items = field.get("items")
    if type_ == "array":
        items = items or {"type": "string"}
        if items["type"] == "object":
            schema["items"] = _object_schema(items.get("properties") or [], f"{where}.items", failures, dropped,
                                             result=result)
        else:
            schema["items"] = {"type": items["type"]}
    elif type_ == "object":
        schema.update(_object_schema(field.get("properties") or [], where, failures, dropped, result=result))
    elif items is not None or "properties" in field:
        dropped["dropped_nesting"] += 1
    return schema


def spec_to_api(spec: dict[str, Any]) -> tuple[dict[str, Any], list[Failure], Counter]:
    """The canonical API of a spec, the problems found converting it, and what was dropped."""
    failures: list[Failure] = []
    dropped: Counter = Counter()
    properties: dict[str, Any] = {}
    required = []
    for param in spec["parameters"]:
        name = param["name"]
        where = f"parameters.properties.{name}"
        if name in properties:
            failures.append(Failure(check="invalid_schema", message=f"duplicate parameter {name!r}", path=where))
            continue
        properties[name] = _field_schema(param, where, failures, dropped, result=False)
        if param.get("required"):
            required.append(name)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    returns = _object_schema(spec["returns"], "returns", failures, dropped, result=True)
    api = {"name": spec["name"], "description": spec["description"], "parameters": parameters, "returns": returns}
    return api, failures, dropped


def _spec_field(name: str, schema: dict[str, Any], required: bool | None) -> dict[str, Any]:
    """One property of a canonical schema in the spec form (the inverse of ``_field_schema``)."""
    field: dict[str, Any] = {"name": name, "type": schema.get("type", "string"),
                             "description": schema.get("description", "")}
    if required is not None:
        field["required"] = required
    for keyword in ("enum", "minimum", "maximum", "pattern", "format", "default"):
        if keyword in schema:
            value = schema[keyword]
            field[keyword] = ([str(v) for v in value] if keyword == "enum" else
                              str(value).lower() if isinstance(value, bool) else
                              str(value) if keyword == "default" else value)
    items = schema.get("items")
    if field["type"] == "array" and isinstance(items, dict):
        field["items"] = {"type": items.get("type", "string")}
        if items.get("type") == "object":
            field["items"]["properties"] = _spec_fields(items, required is not None)
    if field["type"] == "object":
        field["properties"] = _spec_fields(schema, required is not None)
    return field


def _spec_fields(schema: dict[str, Any], with_required: bool) -> list[dict[str, Any]]:
    inner = set(schema.get("required") or [])
    return [_spec_field(n, s, (n in inner) if with_required else None)
            for n, s in (schema.get("properties") or {}).items()]


def api_to_spec(api: dict[str, Any]) -> dict[str, Any]:
    """The spec form of a canonical API (to show it as an example)."""
    return {"name": api["name"], "description": api.get("description", ""),
            "parameters": _spec_fields(api.get("parameters") or {}, True),
            "returns": _spec_fields(api.get("returns") or {}, True)}
