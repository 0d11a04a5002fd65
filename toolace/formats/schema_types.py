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


# The type vocabularies, one table per source. Each maps a type name to the JSON Schema fragment
# it means; ``ANY`` (the empty schema) is "any value". Lookups ignore case; the tables agree on
# every name they share (tested), so one merged lookup serves all of them.
ANY: dict[str, Any] = {}

JSON_SCHEMA_TYPES = {name: {"type": name} for name in
                     ("object", "array", "string", "number", "integer", "boolean", "null")}

# BFCL, every category: bfcl_eval/constants/type_mappings.py (GORILLA_TO_OPENAPI, and the names its
# JAVA_TYPE_CONVERSION / JS_TYPE_CONVERSION add). One deliberate difference: BFCL turns ``any`` into
# "string" because its Java/JavaScript prompts ask for values in string form; here it means any value.
BFCL_TYPES = {
    "integer": {"type": "integer"}, "number": {"type": "number"}, "float": {"type": "number"},
    "string": {"type": "string"}, "boolean": {"type": "boolean"}, "bool": {"type": "boolean"},
    "array": {"type": "array"}, "list": {"type": "array"}, "dict": {"type": "object"},
    "object": {"type": "object"}, "tuple": {"type": "array"}, "any": ANY,
    # Java (simple_java)
    "byte": {"type": "integer"}, "short": {"type": "integer"}, "long": {"type": "integer"},
    "double": {"type": "number"}, "char": {"type": "string"}, "String": {"type": "string"},
    "ArrayList": {"type": "array"}, "Array": {"type": "array"}, "HashMap": {"type": "object"},
    "Hashtable": {"type": "object"}, "Queue": {"type": "array"}, "Stack": {"type": "array"},
    "Set": {"type": "array", "uniqueItems": True}, "Any": ANY,
    # JavaScript (simple_javascript)
    "Bigint": {"type": "integer"}, "Boolean": {"type": "boolean"},
}

# Python annotations as xLAM/APIGen and Pydantic-era tools write them (builtins, ``typing``,
# ``datetime``). A ``Callable`` argument is passed as its source text (xLAM answers hold
# "lambda x: x ** 2"), so it is a string.
PYTHON_TYPES = {
    "str": {"type": "string"}, "int": {"type": "integer"}, "float": {"type": "number"},
    "bool": {"type": "boolean"}, "bytes": {"type": "string"}, "decimal": {"type": "number"},
    "complex": {"type": "string"}, "none": {"type": "null"}, "nonetype": {"type": "null"},
    "list": {"type": "array"}, "tuple": {"type": "array"}, "set": {"type": "array", "uniqueItems": True},
    "frozenset": {"type": "array", "uniqueItems": True}, "sequence": {"type": "array"},
    "iterable": {"type": "array"}, "iterator": {"type": "array"}, "collection": {"type": "array"},
    "ndarray": {"type": "array"},
    "dict": {"type": "object"}, "mapping": {"type": "object"}, "mutablemapping": {"type": "object"},
    "ordereddict": {"type": "object"}, "defaultdict": {"type": "object"}, "typeddict": {"type": "object"},
    "any": ANY, "object": {"type": "object"},
    "callable": {"type": "string"}, "function": {"type": "string"},
    "datetime": {"type": "string", "format": "date-time"}, "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"}, "timedelta": {"type": "string", "format": "duration"},
    "uuid": {"type": "string", "format": "uuid"}, "path": {"type": "string"},
}

# Other spellings seen in ToolACE and ToolAlpaca data.
OTHER_TYPES = {"map": {"type": "object"}, "hashmap": {"type": "object"}, "text": {"type": "string"},
               "mixed": ANY, "object?": ANY, "typing.any": ANY}

TYPE_TABLES = {"JSON Schema": JSON_SCHEMA_TYPES, "BFCL": BFCL_TYPES, "Python": PYTHON_TYPES, "other": OTHER_TYPES}
_LOOKUP = {name.lower(): fragment for table in TYPE_TABLES.values() for name, fragment in table.items()}
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


def type_fragment(name: str, where: str) -> dict[str, Any]:
    """One type word in any vocabulary -> the JSON Schema it means (``{}`` for any value; a blank
    name, as a few BFCL JavaScript tools write, declares no type either)."""
    fragment = _LOOKUP.get(name.strip().lower()) if name.strip() else ANY
    if fragment is None:
        raise SchemaTypeError(f"{where}: unknown type {name!r}")
    return dict(fragment)


def canonical_type_name(name: str, where: str) -> str | None:
    """One type word in any vocabulary -> its JSON Schema type name; None means "any type"."""
    return type_fragment(name, where).get("type")


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
        fragment, _optional, default = parse_annotation_with_default(declared, where)
        if default is not NO_DEFAULT and "default" not in node:
            node["default"] = default
    else:
        fragment = type_fragment(declared, where)
    out: dict[str, Any] = {}
    for key, value in node.items():  # the fragment takes the place of "type"; the node's own keys win
        if key == "type":
            out.update((k, v) for k, v in fragment.items() if k not in node or k == "type")
        else:
            out[key] = value
    return out


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

_TOKEN = re.compile(r"\s*(\[|\]|,|\||'[^']*'|\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_.]*|\.\.\.|-?\d+)")
# What may follow the type: ", optional", "(optional)", ", default='London'", "(default 0.5)", "= None".
_DEFAULT = re.compile(r"(?:\bdefaults?\b(?:\s+(?:is|to|value|of))?\s*[:=]?|^\s*=)\s*(?P<value>.+)$",
                      re.IGNORECASE | re.DOTALL)
NO_DEFAULT = object()


def _is_annotation(text: str) -> bool:
    return bool(re.search(r"[\[\],|=(]|optional|default", text, re.IGNORECASE))


def parse_annotation(text: str, where: str = "type") -> tuple[dict[str, Any], bool]:
    """``"List[int], optional"`` -> (``{"type": "array", "items": {"type": "integer"}}``, True)."""
    schema, optional, _default = parse_annotation_with_default(text, where)
    return schema, optional


def parse_annotation_with_default(text: str, where: str = "type") -> tuple[dict[str, Any], bool, Any]:
    """``"float, optional (default 0.5)"`` -> (``{"type": "number"}``, True, 0.5); the default is
    ``NO_DEFAULT`` when the text names none."""
    body, decorations = _split_decorations(text.strip())
    optional = bool(re.search(r"\boptional\b", decorations, re.IGNORECASE))
    match = _DEFAULT.search(decorations)
    default = _default_value(match.group("value")) if match else NO_DEFAULT
    if default is not NO_DEFAULT:
        optional = True  # a parameter with a default may be left out
    if default is None:
        default = NO_DEFAULT  # Python's "= None" says the argument may be left out, not that null is a value
    if not body:
        return {}, optional, default
    tokens = _tokenize(body, where)
    schema, rest, top_optional = _annotation(tokens, where, top=True)
    if rest:
        raise SchemaTypeError(f"{where}: cannot read type {text!r}")
    return schema, optional or top_optional, default


def _split_decorations(text: str) -> tuple[str, str]:
    """``"Dict[str, int], optional"`` -> (``"Dict[str, int]"``, ``", optional"``): the type ends at
    the first ``,``, ``(`` or ``=`` outside brackets and quotes, or at the word "optional"/"default"."""
    depth, quote = 0, ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0 and (char in ",(=" or text[index - 1:index].isspace()
                             and re.match(r"(optional|default)\b", text[index:], re.IGNORECASE)):
            return text[:index].strip(), text[index:]
    return text, ""


def _default_value(text: str) -> Any:
    """A default as written after "default": a Python literal if it reads as one, else the bare text."""
    from toolace.formats.callsyntax import CallSyntaxError, parse_literal

    raw = text.strip()
    for candidate in (raw, raw.rstrip(").").strip()):
        try:
            return parse_literal(candidate)
        except CallSyntaxError:
            continue
    return raw.rstrip(").").strip().strip("'\"")


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
    if head.split(".")[-1].lower() == "callable" and tokens and tokens[0] == "[":
        tokens = _skip_brackets(tokens)  # Callable[[float], float]: its signature is not the value's type
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
    schema = type_fragment(head.split(".")[-1], where)
    canonical = schema.get("type")
    if canonical == "array" and args:
        if name == "tuple" and len(args) > 1 and any(a != args[0] for a in args):
            schema["prefixItems"] = args
        elif args[0]:
            schema["items"] = args[0]
    elif canonical == "object" and len(args) == 2 and args[1]:
        schema["additionalProperties"] = args[1]
    return schema, tokens, False


def _skip_brackets(tokens: list[str]) -> list[str]:
    depth = 0
    for index, token in enumerate(tokens):
        depth += {"[": 1, "]": -1}.get(token, 0)
        if depth == 0:
            return tokens[index + 1:]
    return []


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
