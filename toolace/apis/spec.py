"""The API spec the model writes, and its conversion to and from the canonical API record.

Free JSON Schema is hard for a small model to write and for the engine to constrain, so the model
fills a small, bounded form instead: parameters as a list of ``{name, type, description, required,
constraints...}`` with one level of nesting (``items`` of arrays, ``properties`` of objects). Code
turns the form into the canonical ``parameters`` JSON Schema and ``returns``; examples shown to the
model go the other way, so the model always sees the very form it must write.
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

_CONSTRAINTS = {
    "enum": {"type": "array", "minItems": 2, "maxItems": 6, "items": {"type": "string", "minLength": 1, "maxLength": 32}},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "pattern": {"type": "string", "minLength": 1, "maxLength": 60},
    "format": {"enum": FORMATS},
    "default": {"type": "string", "maxLength": 40},
}
_NAMED = {  # what every parameter and field has
    "name": {"type": "string", "pattern": PARAM_NAME},
    "type": {"enum": TYPES},
    "description": {"type": "string", "minLength": 3, "maxLength": 150},
    "required": {"type": "boolean"},
}
_FIELD = {  # a nested field: one level below a parameter, or one field of the result
    "type": "object",
    "properties": {**_NAMED, "items_type": {"enum": [*SCALARS, "object"]}, "enum": _CONSTRAINTS["enum"]},
    "required": ["name", "type", "description"],
    "additionalProperties": False,
}
_FIELDS = {"type": "array", "minItems": 1, "maxItems": 5, "items": _FIELD}
_PARAMETER = {
    "type": "object",
    "properties": {
        **_NAMED,
        **_CONSTRAINTS,
        "items": {"type": "object", "properties": {"type": {"enum": [*SCALARS, "object"]}, "properties": _FIELDS},
                  "required": ["type"], "additionalProperties": False},
        "properties": _FIELDS,
    },
    "required": ["name", "type", "description", "required"],
    "additionalProperties": False,
}
SPEC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": NAME},
        "description": {"type": "string", "minLength": 10, "maxLength": 200},
        "parameters": {"type": "array", "minItems": 1, "maxItems": 6, "items": _PARAMETER},
        "returns": {"type": "array", "minItems": 1, "maxItems": 6, "items": _FIELD},
    },
    "required": ["name", "description", "parameters", "returns"],
    "additionalProperties": False,
}

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


def _object_schema(fields: list[dict[str, Any]], where: str, failures: list[Failure], *,
                   with_required: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for field in fields:
        name, schema = field["name"], _field_schema(field)
        if name in properties:
            if properties[name] != schema:
                failures.append(Failure(check="invalid_schema", message=f"duplicate name {name!r}",
                                        path=f"{where}.properties.{name}"))
            continue  # a field repeated word for word is a model stutter, not a second field
        properties[name] = schema
        if field.get("required"):
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if with_required and required:
        schema["required"] = required
    return schema


def _field_schema(field: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": field["type"], "description": field["description"]}
    if field["type"] == "array":
        schema["items"] = {"type": field.get("items_type", "string")}
    elif "enum" in field and field["type"] in ("string", "integer", "number"):
        schema["enum"] = _enum(field["enum"], field["type"])
    return schema


def spec_to_api(spec: dict[str, Any]) -> tuple[dict[str, Any], list[Failure], Counter]:
    """The canonical API of a spec, the problems found converting it, and what was dropped.

    Constraints that mean nothing for a parameter's type (a ``pattern`` on an integer) are dropped
    and counted, not kept as noise in training data.
    """
    failures: list[Failure] = []
    dropped: Counter = Counter()
    properties: dict[str, Any] = {}
    required = []
    for param in spec["parameters"]:
        name, type_ = param["name"], param["type"]
        where = f"parameters.properties.{name}"
        if name in properties:
            failures.append(Failure(check="invalid_schema", message=f"duplicate parameter {name!r}", path=where))
            continue
        schema: dict[str, Any] = {"type": type_, "description": param["description"]}
        for keyword in ("enum", "minimum", "maximum", "pattern", "format", "default"):
            if keyword not in param:
                continue
            if keyword not in _KEYWORDS_FOR[type_]:
                dropped[f"dropped_{keyword}"] += 1
            elif keyword == "enum":
                schema["enum"] = _enum(param["enum"], type_)
            elif keyword == "default":
                if param["default"].strip():  # an empty default is the model saying "none"
                    schema["default"] = _typed(param["default"], type_)
            else:
                schema[keyword] = param[keyword]
        if type_ == "array":
            items = param.get("items") or {"type": "string"}
            if items["type"] == "object" and items.get("properties"):
                schema["items"] = _object_schema(items["properties"], f"{where}.items", failures, with_required=True)
            else:
                schema["items"] = {"type": items["type"]}
        elif type_ == "object" and param.get("properties"):
            schema.update(_object_schema(param["properties"], where, failures, with_required=True))
        elif "items" in param or "properties" in param:
            dropped["dropped_nesting"] += 1
        properties[name] = schema
        if param["required"]:
            required.append(name)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    returns = _object_schema(spec["returns"], "returns", failures, with_required=False)
    api = {"name": spec["name"], "description": spec["description"], "parameters": parameters, "returns": returns}
    return api, failures, dropped


def _field_spec(name: str, schema: dict[str, Any], required: bool | None) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "type": schema.get("type", "string"),
                             "description": schema.get("description", "")}
    if required is not None:
        field["required"] = required
    items = schema.get("items")
    if field["type"] == "array" and isinstance(items, dict):
        field["items_type"] = items.get("type", "string")
    if isinstance(schema.get("enum"), list):
        field["enum"] = [str(v) for v in schema["enum"]]
    return field


def api_to_spec(api: dict[str, Any]) -> dict[str, Any]:
    """The spec form of a canonical API (to show it as an example); deeper nesting is flattened."""
    params = []
    parameters = api.get("parameters") or {}
    required = set(parameters.get("required") or [])
    for name, schema in (parameters.get("properties") or {}).items():
        param: dict[str, Any] = {"name": name, "type": schema.get("type", "string"),
                                 "description": schema.get("description", ""), "required": name in required}
        for keyword in ("enum", "minimum", "maximum", "pattern", "format", "default"):
            if keyword in schema:
                value = schema[keyword]
                param[keyword] = ([str(v) for v in value] if keyword == "enum" else
                                  str(value).lower() if isinstance(value, bool) else
                                  str(value) if keyword == "default" else value)
        items = schema.get("items")
        if param["type"] == "array" and isinstance(items, dict):
            param["items"] = {"type": items.get("type", "string")}
            if items.get("properties"):
                inner = set(items.get("required") or [])
                param["items"]["properties"] = [_field_spec(n, s, n in inner) for n, s in items["properties"].items()]
        if param["type"] == "object" and schema.get("properties"):
            inner = set(schema.get("required") or [])
            param["properties"] = [_field_spec(n, s, n in inner) for n, s in schema["properties"].items()]
        params.append(param)
    returns = api.get("returns") or {}
    fields = [_field_spec(n, s, None) for n, s in (returns.get("properties") or {}).items()]
    return {"name": api["name"], "description": api.get("description", ""), "parameters": params, "returns": fields}
