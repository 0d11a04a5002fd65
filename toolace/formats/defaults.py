"""Declared defaults that break their own type, normalised on import when only one reading exists.

Real tool sets write ``"default": "false"`` for a boolean (BFCL's commonest blemish), ``"10"`` for
an integer, ``"0.5"`` for a number, ``"[]"`` for an array, ``10`` for a string. Each of these has
one meaning, so the importer writes it as JSON and records the change in the API's meta
(``normalised_defaults``: path, from, to). Anything else (``null`` for a string, ``""`` for an
integer, ``true`` for a string: "true" or "True"?) stays as written, and verify warns about it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from toolace.jsonpaths import join
from toolace.schema_reading import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_ONE, value_problem

_INTEGER = re.compile(r"[+-]?\d+")
_NONE = object()


def normalise_defaults(schema: Any, path: str = "parameters") -> tuple[Any, list[dict[str, Any]]]:
    """``schema`` with unambiguous defaults fixed (a copy), and the list of changes made."""
    changes: list[dict[str, Any]] = []
    return _walk(schema, path, changes), changes


def _walk(schema: Any, path: str, changes: list) -> Any:
    if not isinstance(schema, dict):
        return schema
    node = dict(schema)
    if "default" in node and value_problem(node["default"], node):
        fixed = _reading(node["default"], node)
        if fixed is not _NONE and not value_problem(fixed, node):
            changes.append({"path": join(path, "default"), "from": node["default"], "to": fixed})
            node["default"] = fixed
    for key in SUBSCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            node[key] = {name: _walk(sub, join(join(path, key), name), changes) for name, sub in node[key].items()}
    for key in SUBSCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [_walk(sub, join(join(path, key), i), changes) for i, sub in enumerate(node[key])]
    for key in SUBSCHEMA_ONE:
        if isinstance(node.get(key), dict):
            node[key] = _walk(node[key], join(path, key), changes)
    return node


def _reading(value: Any, schema: dict[str, Any]) -> Any:
    """The one JSON value ``value`` can mean under the schema's declared type, or ``_NONE``."""
    declared = schema.get("type")
    types = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    if isinstance(value, str):
        text = value.strip()
        if "boolean" in types and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if "integer" in types and _INTEGER.fullmatch(text):
            return int(text)
        if "number" in types:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                return int(text) if _INTEGER.fullmatch(text) else number
        if ("array" in types or "object" in types) and text[:1] in "[{":
            try:
                return json.loads(text)
            except ValueError:
                return _NONE
        return _NONE
    if isinstance(value, float) and value.is_integer() and "integer" in types:
        return int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "string" in types:
        return str(value)
    return _NONE
