"""One reading of JSON Schema for every consumer: API checks, verify, decoding schemas, exporters.

Tool schemas arrive written the ways generators write them: Pydantic puts nested models in
``$defs`` behind ``$ref`` (also wrapped as ``allOf: [{"$ref": ...}]``), ``Optional[X]`` as
``anyOf: [X, {"type": "null"}]``, tuples as ``prefixItems``. ``resolved`` gives the same schema
with references inlined (looked up by ``referencing``, the registry jsonschema itself uses, so
``$id``, anchors and JSON pointers mean what they mean there), mergeable ``allOf`` members merged
and a lone ``X``-or-null written as ``X`` that also allows null. Consumers that walk a schema by its
keywords (descriptions, names, bounds) read this view; validation of values keeps the schema as
written (jsonschema follows references itself) with ECMA-262 patterns (``Validator``).

A recursive reference is inlined once and then cut to its type and description; such a view is
*looser* than the schema, and says so (``exact=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from toolace import ecma_regex
from toolace.jsonpaths import join

_ROOT = "urn:toolace:schema"
# Where subschemas sit (maps of name -> schema, lists of schemas, single schemas).
SUBSCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SUBSCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
                 "unevaluatedItems", "unevaluatedProperties")
_DEFINITIONS = ("$defs", "definitions")
ANNOTATIONS = frozenset({"description", "title", "$comment", "examples", "default", "deprecated", "readOnly",
                         "writeOnly"})
# Keywords that constrain one JSON type only: a value of another type (null) passes them.
_TYPE_SPECIFIC = frozenset({
    "properties", "required", "additionalProperties", "patternProperties", "propertyNames", "minProperties",
    "maxProperties", "dependentRequired", "dependentSchemas", "unevaluatedProperties",
    "items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains", "maxContains",
    "unevaluatedItems", "minLength", "maxLength", "pattern", "format", "contentEncoding", "contentMediaType",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "nullable",
})
_LOWER_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"})
_UPPER_BOUNDS = frozenset({"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"})


# -- values: jsonschema with ECMA-262 patterns ------------------------------------------------

def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not ecma_regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, patterns, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if ecma_regex.search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


Validator = validators.extend(Draft202012Validator, {"pattern": _pattern, "patternProperties": _pattern_properties})
"""Draft 2020-12 validation as jsonschema does it, with ``pattern`` read as ECMA-262."""


def add_ecma_formats(checker):
    """``format: regex`` checked as ECMA-262 too (returns the checker)."""
    checker.checks("regex")(ecma_regex.is_valid)
    return checker


@lru_cache(maxsize=16384)
def _value_validator(rules_bytes: bytes) -> Validator:
    return Validator(orjson.loads(rules_bytes), format_checker=add_ecma_formats(Draft202012Validator.FORMAT_CHECKER))


def value_problem(value: Any, schema: dict[str, Any]) -> str | None:
    """Why ``value`` breaks ``schema`` (its annotations ignored), or None."""
    rules = {k: v for k, v in schema.items() if k not in ANNOTATIONS}
    try:
        validator = _value_validator(orjson.dumps(rules, option=orjson.OPT_SORT_KEYS))
        error = next(iter(validator.iter_errors(value)), None)
    except Exception as e:  # a schema broken in a way the meta-schema lets through (a bad regex, a bad $ref)
        return f"cannot be checked: {e}"
    return error.message if error is not None else None


# -- the resolved view ------------------------------------------------------------------------

@dataclass
class SchemaView:
    """A schema as consumers read it: ``schema`` resolved; ``problems`` as ``(path, message)``, the
    path relative to the schema (``properties.to``)."""

    schema: Any
    exact: bool = True
    problems: list[tuple[str, str]] = field(default_factory=list)


def resolved(schema: Any) -> Any:
    """``schema`` with references inlined, ``allOf`` merged, X-or-null collapsed (see the module doc)."""
    return read_schema(schema).schema


def read_schema(schema: Any, root: Any = None) -> SchemaView:
    """The resolved view of ``schema``; its ``$ref`` are looked up in ``root`` (default: itself), e.g.
    a whole OpenAPI document for a schema taken out of it."""
    if not isinstance(schema, dict) or not _needs_reading(schema):
        return SchemaView(schema)
    if root is not None:  # a large document: not worth a cache key
        return _read(schema, root)
    try:
        key = orjson.dumps([schema, root])  # not sorted: the order of properties is kept (it is the order shown)
    except TypeError:
        return _read(schema, root)
    view = _cached_read(key)
    return SchemaView(orjson.loads(orjson.dumps(view.schema)), view.exact, list(view.problems))


@lru_cache(maxsize=4096)
def _cached_read(key: bytes) -> SchemaView:
    schema, root = orjson.loads(key)
    return _read(schema, root)


def _needs_reading(schema: Any) -> bool:
    if isinstance(schema, dict):
        if any(k in schema for k in ("$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", *_DEFINITIONS)):
            return True
        return any(_needs_reading(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_needs_reading(v) for v in schema)
    return False


def _resolver(document: Any):
    resource = DRAFT202012.create_resource(document)
    uri = resource.id() or _ROOT
    return Registry().with_resource(uri, resource).resolver(base_uri=uri)


def deref(node: Any, root: Any) -> Any:
    """``node`` itself, or what its ``$ref`` (followed until none is left) points to in ``root``.

    For objects that are not schemas but are referenced the same way (OpenAPI parameters, responses).
    Raises ``referencing.exceptions.Unresolvable``.
    """
    resolver, seen = _resolver(root), set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        found = resolver.lookup(node["$ref"])
        node, resolver = found.contents, found.resolver
    return node


def _read(schema: dict, root: Any) -> SchemaView:
    document = root if root is not None else schema
    resolver = _resolver(document)
    view = SchemaView(None)
    if root is not None and schema is not root:
        view.schema = _Reader(view).node(schema, resolver, "", ())
    else:
        view.schema = _Reader(view).node(document, resolver, "", ())
    return view


class _Reader:
    def __init__(self, view: SchemaView):
        self.view = view

    def node(self, schema: Any, resolver, path: str, stack: tuple[int, ...]) -> Any:
        if not isinstance(schema, dict):
            return schema
        if isinstance(schema.get("$id"), str) and path:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
        node = {k: v for k, v in schema.items() if k not in _DEFINITIONS}
        ref = node.pop("$ref", None)
        if isinstance(ref, str):
            target = self.follow(ref, resolver, path, stack)
            if target is None:
                node["$ref"] = ref  # left as written; the problem is recorded
            else:
                node = _merge_or_all_of(target, self.children(node, resolver, path, stack))
                return node
        return self.combine(self.children(node, resolver, path, stack))

    def follow(self, ref: str, resolver, path: str, stack: tuple[int, ...]) -> dict | None:
        try:
            found = resolver.lookup(ref)
        except Unresolvable as e:
            self.view.exact = False
            self.view.problems.append((path, f"$ref {ref!r} cannot be resolved: {type(e).__name__}"))
            return None
        key = id(found.contents)  # the target itself: two spellings of one reference are one
        if key in stack or len(stack) > 32:  # recursive: cut to what the value is, not what it holds
            self.view.exact = False
            contents = found.contents if isinstance(found.contents, dict) else {}
            return {k: v for k, v in contents.items() if k in ("type", "description", "title")}
        return self.node(found.contents, found.resolver, path, stack + (key,))

    def children(self, node: dict, resolver, path: str, stack) -> dict:
        for key in SUBSCHEMA_MAPS:
            if isinstance(node.get(key), dict):
                node[key] = {name: self.node(sub, resolver, join(join(path, key), name), stack)
                             for name, sub in node[key].items()}
        for key in SUBSCHEMA_LISTS:
            if isinstance(node.get(key), list):
                node[key] = [self.node(sub, resolver, join(join(path, key), i), stack) for i, sub in enumerate(node[key])]
        for key in SUBSCHEMA_ONE:
            if isinstance(node.get(key), dict):
                node[key] = self.node(node[key], resolver, join(path, key), stack)
        return node

    def combine(self, node: dict) -> dict:
        members = node.get("allOf")
        if isinstance(members, list) and all(isinstance(m, dict) for m in members):
            rest = {k: v for k, v in node.items() if k != "allOf"}
            merged = _merge_all([rest, *members])
            if merged is not None:
                node = merged
        for key in ("anyOf", "oneOf"):
            collapsed = _without_null_branch(node, key)
            if collapsed is not None:
                node = collapsed
        return node


def _merge_or_all_of(target: dict, siblings: dict) -> dict:
    """A ``$ref`` with sibling keywords: both apply (2019-09 on); the sibling's annotations win."""
    if not siblings:
        return target
    merged = _merge_all([siblings, target])
    return merged if merged is not None else {**siblings, "allOf": [target]}


def _merge_all(schemas: list[dict]) -> dict | None:
    """One schema equivalent to all of ``schemas`` together, or None when they cannot merge safely.

    Annotations are taken from the first schema that has them.
    """
    merged: dict[str, Any] = {}
    closing = [s for s in schemas if any(k in s for k in ("additionalProperties", "unevaluatedProperties",
                                                            "patternProperties"))]
    if closing and sum(1 for s in schemas if "properties" in s or s in closing) > 1:
        return None  # additionalProperties only sees its own schema's properties: merging changes meaning
    for schema in schemas:
        for key, value in schema.items():
            if key not in merged:
                merged[key] = value
            elif key in ANNOTATIONS or _same(merged[key], value):
                continue
            else:
                combined = _merge_keyword(key, merged[key], value)
                if combined is None:
                    return None
                merged[key] = combined
    return merged


def _merge_keyword(key: str, one: Any, two: Any) -> Any:
    if key == "properties" and isinstance(one, dict) and isinstance(two, dict):
        out = dict(one)
        for name, sub in two.items():
            if name in out:
                both = _merge_all([out[name], sub]) if isinstance(out[name], dict) and isinstance(sub, dict) else None
                if both is None:
                    return None
                out[name] = both
            else:
                out[name] = sub
        return out
    if key == "required" and isinstance(one, list) and isinstance(two, list):
        return list(dict.fromkeys(one + two))
    if key == "type":
        first, second = _types(one), _types(two)
        if first is None or second is None:
            return None
        both = [t for t in first if t in second or (t == "integer" and "number" in second)]
        both += [t for t in second if t == "integer" and "number" in first and t not in both]
        return (both[0] if len(both) == 1 else both) if both else None
    if key in _LOWER_BOUNDS and _is_number(one) and _is_number(two):
        return max(one, two)
    if key in _UPPER_BOUNDS and _is_number(one) and _is_number(two):
        return min(one, two)
    if key == "enum" and isinstance(one, list) and isinstance(two, list):
        both = [v for v in one if any(_same(v, w) for w in two)]
        return both or None
    return None


def _without_null_branch(node: dict, key: str) -> dict | None:
    """``{"anyOf": [X, {"type": "null"}]}`` as X allowing null, when that says exactly the same."""
    options = node.get(key)
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        return None
    nulls = [o for o in options if o.get("type") == "null" and set(o) <= ANNOTATIONS | {"type"}]
    others = [o for o in options if not any(o is n for n in nulls)]
    if not nulls or len(others) != 1:
        return None
    other = others[0]
    if not set(other) <= _TYPE_SPECIFIC | ANNOTATIONS | {"type", "enum", "const"}:
        return None
    if "type" not in other and "enum" not in other and "const" not in other:
        return None  # X does not fix a type: keep the branches as they are
    rest = {k: v for k, v in node.items() if k != key}
    merged = _merge_all([rest, other])
    if merged is None or any(k in rest for k in ("type", "enum", "const")):
        return None
    if "type" in other:
        types = _types(other["type"]) or []
        merged["type"] = [*types, "null"] if "null" not in types else types
    if "enum" in other:
        merged["enum"] = [*other["enum"], None] if None not in other["enum"] else other["enum"]
    if "const" in other:
        merged["enum"] = [merged.pop("const"), None]
    return merged


def _types(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return list(value)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same(one: Any, two: Any) -> bool:
    return type(one) is type(two) and one == two
