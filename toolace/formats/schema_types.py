"""Type vocabularies of tool schemas: BFCL/ToolACE names (``dict``, ``float``, ``int``, ``tuple``,
``any``), Python annotations as xLAM writes them (``str, optional``, ``List[int]``,
``Dict[str, Any]``) and JSON Schema, the canonical one (DESIGN §2).

Only schema positions are translated (``properties`` values, ``items``, ``anyOf`` members, ...):
a parameter *named* ``type``, ``properties`` or ``required`` is a key of ``properties`` and is
never mistaken for a keyword.
"""

from __future__ import annotations

import re
from typing import Any


class SchemaTypeError(ValueError):
    """A type the converter does not know; the message names it and where it was."""


# Every spelling seen in BFCL, ToolACE, xLAM and ToolAlpaca data, lower-cased.
_NAMES = {
    "dict": "object", "object": "object", "map": "object", "hashmap": "object",
    "float": "number", "number": "number", "double": "number", "decimal": "number",
    "int": "integer", "integer": "integer", "long": "integer",
    "str": "string", "string": "string", "text": "string",
    "bool": "boolean", "boolean": "boolean",
    "list": "array", "array": "array", "tuple": "array", "set": "array", "sequence": "array",
    "iterable": "array",
    "null": "null", "none": "null", "nonetype": "null",
}
_ANY = {"any", "typing.any", "object?", "mixed"}
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
               "unevaluatedItems", "unevaluatedProperties", "additionalItems")

# Canonical -> ToolACE's released vocabulary.
TOOLACE_NAMES = {"object": "dict", "integer": "int", "number": "float"}


def walk_schema(schema: Any, fix, where: str = "parameters") -> Any:
    """Copy ``schema`` applying ``fix(node, where)`` to every subschema, outermost first."""
    if not isinstance(schema, dict):
        return schema
    node = fix(dict(schema), where)
    for key in _SUBSCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            node[key] = {name: walk_schema(sub, fix, f"{where}.{name}") for name, sub in node[key].items()}
    for key in _SUBSCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [walk_schema(sub, fix, f"{where}.{key}[{i}]") for i, sub in enumerate(node[key])]
    for key in _SUBSCHEMAS:
        if isinstance(node.get(key), dict):
            node[key] = walk_schema(node[key], fix, f"{where}.{key}")
        elif key == "items" and isinstance(node.get(key), list):  # old tuple form
            node["prefixItems"] = [walk_schema(s, fix, f"{where}.items[{i}]") for i, s in enumerate(node.pop(key))]
    return node


def canonical_type_name(name: str, where: str) -> str | None:
    """One type word in any vocabulary -> its JSON Schema name; None means "any type"."""
    key = name.strip().lower()
    if key in _ANY:
        return None
    if key in _NAMES:
        return _NAMES[key]
    raise SchemaTypeError(f"{where}: unknown type {name!r}")


def _fix_node(node: dict, where: str) -> dict:
    if node.get("required", []) is None:  # ToolACE writes "required": null
        del node["required"]
    if "type" not in node:
        if isinstance(node.get("properties"), dict):
            node["type"] = "object"
        return node
    declared = node["type"]
    if isinstance(declared, list):
        names = [canonical_type_name(t, where) if isinstance(t, str) else _bad(t, where) for t in declared]
        if None in names:
            del node["type"]
        else:
            node["type"] = list(dict.fromkeys(names))
        return node
    if not isinstance(declared, str):
        _bad(declared, where)
    if _is_annotation(declared):
        fragment, _optional = parse_annotation(declared, where)
        del node["type"]
        return {**fragment, **node}
    name = canonical_type_name(declared, where)
    if name is None:
        del node["type"]
    else:
        node["type"] = name
    return node


def _bad(value: Any, where: str):
    raise SchemaTypeError(f"{where}: type must be a name, not {value!r}")


def to_json_schema(schema: Any, where: str = "parameters") -> Any:
    """A schema written in any known vocabulary, as JSON Schema."""
    return walk_schema(schema, _fix_node, where)


def to_vocabulary(schema: Any, names: dict[str, str]) -> Any:
    """A JSON Schema with its type names renamed (e.g. to ToolACE's ``dict``/``int``/``float``)."""
    def rename(node: dict, _where: str) -> dict:
        declared = node.get("type")
        if isinstance(declared, str):
            node["type"] = names.get(declared, declared)
        elif isinstance(declared, list):
            node["type"] = [names.get(t, t) for t in declared]
        return node
    return walk_schema(schema, rename)


# -- Python annotations ("str, optional", "List[Dict[str, Any]]") ------------------------------

_OPTIONAL_SUFFIX = re.compile(r"\s*(,\s*optional|\(optional\)|\boptional)\s*$", re.IGNORECASE)
_TOKEN = re.compile(r"\s*(\[|\]|,|\||'[^']*'|\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_.]*|\.\.\.|-?\d+)")


def _is_annotation(text: str) -> bool:
    return bool(re.search(r"[\[\],|]|optional", text, re.IGNORECASE))


def parse_annotation(text: str, where: str = "type") -> tuple[dict[str, Any], bool]:
    """``"List[int], optional"`` -> (``{"type": "array", "items": {"type": "integer"}}``, True)."""
    optional = False
    body = text.strip()
    match = _OPTIONAL_SUFFIX.search(body)
    if match:
        optional, body = True, body[:match.start()].strip()
    if not body:
        return {}, optional
    tokens = _tokenize(body, where)
    schema, rest, top_optional = _annotation(tokens, where, top=True)
    if rest:
        raise SchemaTypeError(f"{where}: cannot read type {text!r}")
    return schema, optional or top_optional


def _tokenize(text: str, where: str) -> list[str]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise SchemaTypeError(f"{where}: cannot read type {text!r}")
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


def _annotation(tokens: list[str], where: str, top: bool = False) -> tuple[dict, list[str], bool]:
    """One annotation from the token list: (schema, remaining tokens, marked optional)."""
    options = []
    optional = False
    while True:
        schema, tokens, opt = _single(tokens, where, top)
        options.append(schema)
        optional = optional or opt
        if tokens and tokens[0] == "|":
            tokens = tokens[1:]
            continue
        break
    return (_union(options) if len(options) > 1 else options[0]), tokens, optional


def _single(tokens: list[str], where: str, top: bool) -> tuple[dict, list[str], bool]:
    if not tokens:
        raise SchemaTypeError(f"{where}: type ends too early")
    head, tokens = tokens[0], tokens[1:]
    args: list[dict] = []
    literals: list[Any] = []
    if tokens and tokens[0] == "[":
        tokens = tokens[1:]
        while tokens and tokens[0] != "]":
            if head.lower().endswith("literal"):
                literals.append(_literal(tokens[0], where))
                tokens = tokens[1:]
            elif tokens[0] == "...":
                tokens = tokens[1:]
            else:
                arg, tokens, _ = _annotation(tokens, where)
                args.append(arg)
            if tokens and tokens[0] == ",":
                tokens = tokens[1:]
        if not tokens:
            raise SchemaTypeError(f"{where}: missing ']' in type")
        tokens = tokens[1:]
    name = head.split(".")[-1].lower()
    if name == "optional":
        inner = args[0] if args else {}
        return (inner if top else _union([inner, {"type": "null"}])), tokens, top
    if name == "union":
        return _union(args), tokens, False
    if name == "literal":
        kinds = {type(v) for v in literals}
        base = {str: "string", int: "integer", float: "number", bool: "boolean"}.get(kinds.pop()) if len(kinds) == 1 else None
        return ({"type": base} if base else {}) | {"enum": literals}, tokens, False
    canonical = canonical_type_name(head.split(".")[-1], where)
    schema: dict[str, Any] = {} if canonical is None else {"type": canonical}
    if canonical == "array" and args:
        if name == "tuple" and len(args) > 1 and any(a != args[0] for a in args):
            schema["prefixItems"] = args
        elif args[0]:
            schema["items"] = args[0]
        if name == "set":
            schema["uniqueItems"] = True
    elif canonical == "object" and len(args) == 2 and args[1]:
        schema["additionalProperties"] = args[1]
    return schema, tokens, False


def _literal(token: str, where: str) -> Any:
    if token[:1] in "'\"":
        return token[1:-1]
    if token.lstrip("-").isdigit():
        return int(token)
    if token in ("True", "False"):
        return token == "True"
    raise SchemaTypeError(f"{where}: cannot read Literal value {token!r}")


def _union(options: list[dict]) -> dict:
    if any(not o for o in options):  # Union[..., Any] is Any
        return {}
    if all(set(o) == {"type"} and isinstance(o["type"], str) for o in options):
        return {"type": list(dict.fromkeys(o["type"] for o in options))}
    return {"anyOf": options}


# -- JSON Schema -> xLAM annotation ------------------------------------------------------------

_XLAM_NAMES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None",
               "object": "dict", "array": "List"}


def annotation_of(schema: dict[str, Any]) -> str:
    """The xLAM-style annotation for a JSON Schema (``List[int]``, ``Union[str, None]``, ``Any``)."""
    declared = schema.get("type")
    if isinstance(declared, list):
        return "Union[" + ", ".join(annotation_of({"type": t}) for t in declared) + "]"
    if declared == "array":
        items = schema.get("items")
        return f"List[{annotation_of(items)}]" if isinstance(items, dict) and items.get("type") else "List"
    if declared == "object" and isinstance(schema.get("additionalProperties"), dict) \
            and schema["additionalProperties"].get("type"):
        return f"Dict[str, {annotation_of(schema['additionalProperties'])}]"
    return _XLAM_NAMES.get(declared, "Any") if isinstance(declared, str) else "Any"
