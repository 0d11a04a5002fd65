"""Output-to-input links between APIs: a result field of one named and typed like a parameter of another.

Dependent dialogs (ToolACE's dependent and multi-step data) follow these links: the planner calls the
producer, then the consumer with the linked value. synth-apis writes APIs that chain on purpose
(``chain`` jobs, recorded in ``meta.links``); imported libraries link wherever names and types match.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, NamedTuple

# Field names too common to link unrelated APIs on their own.
GENERIC_NAMES = {"id", "name", "type", "value", "data", "result", "status", "query", "text", "limit", "page",
                 "count", "code", "message", "description", "title", "date", "time", "url"}
SCALARS = {"string", "integer", "number", "boolean"}
ITEM = "[]."  # a result path into the items of a list: ``fact_checks[].fact_check_id``
# A result field that identifies something a follow-up call acts on (order_id, booking_reference, ...).
_HANDLE = re.compile(r"(^|_)(id|ids|code|number|no|reference|ref|token|key|slug|sku|handle|uuid)$")


class Link(NamedTuple):
    """``producer``'s result ``field`` (a path, see ``found_fields``) feeds ``consumer``'s ``parameter``
    (indexes into the API list)."""

    producer: int
    field: str
    consumer: int
    parameter: str


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def scalar_type(schema: Any) -> str | None:
    """The scalar type of a property (the first one of a type list), or None."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k in SCALARS), None)
    return kind if isinstance(kind, str) and kind in SCALARS else None


def _compatible(a: str, b: str) -> bool:
    return a == b or {a, b} == {"integer", "number"}


def result_fields(api: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields of an object result ({} for any other result)."""
    returns = api.get("returns") or {}
    props = returns.get("properties") if isinstance(returns, dict) and returns.get("type") == "object" else None
    return props if isinstance(props, dict) else {}


def inputs(api: dict[str, Any]) -> set[str]:
    """The normalised names of an API's parameters and of the fields of its record and list-of-records
    parameters (a booking API taking ``deliveries[].deal_id`` has not found a deal id either)."""
    props = (api.get("parameters") or {}).get("properties") or {}
    return {norm(n) for name, schema in props.items() for n in (name, *record_fields(schema, lists_only=False))}


def found_fields(api: dict[str, Any]) -> dict[str, Any]:
    """The result fields an API finds or makes, by path: top-level fields, and the fields of the items
    of a top-level list as ``list[].field`` (a search finds ``fact_checks[].fact_check_id``). Not the
    ones repeating its own inputs (a trace API that takes ``trace_id`` and echoes it has not *found*
    a trace id a later call could take)."""
    own = inputs(api)
    found = {}
    for name, schema in result_fields(api).items():
        if norm(name) not in own:
            found[name] = schema
        for field, sub in record_fields(schema, lists_only=True).items():
            if norm(field) not in own:
                found[f"{name}{ITEM}{field}"] = sub
    return found


def record_fields(schema: Any, *, lists_only: bool) -> dict[str, Any]:
    """The fields of the records a list schema holds, and of a record schema itself unless
    ``lists_only``; {} for anything else."""
    if isinstance(schema, dict) and schema.get("type") == "array":
        schema = schema.get("items")
    elif lists_only:
        return {}
    fields = schema.get("properties") if isinstance(schema, dict) else None
    return fields if isinstance(fields, dict) else {}


def leaf(path: str) -> str:
    """The field name at the end of a result path (``fact_checks[].fact_check_id`` -> ``fact_check_id``)."""
    return path.rsplit(ITEM, 1)[-1]


def value_at(result: Any, path: str) -> Any:
    """The value a result holds at ``path``; for ``list[].field``, the first item's (the top result).

    Raises KeyError, IndexError or TypeError when the result lacks it.
    """
    top, _, field = path.partition(ITEM)
    return result[top][0][field] if field else result[top]


def path_text(path: str) -> str:
    """A path in words for prompts: ``fact_check_id of the top result in fact_checks``."""
    top, _, field = path.partition(ITEM)
    return f"{field} of the top result in {top}" if field else top


def is_handle(name: str) -> bool:
    """Whether a field name says it identifies something (``order_id``, ``booking_reference``)."""
    return bool(_HANDLE.search(name.lower()))


def handles(api: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, type) of the result fields a follow-up API could take: scalar identifiers it found or made."""
    return [(name, kind) for name, schema in found_fields(api).items()
            if (kind := scalar_type(schema)) in ("string", "integer") and is_handle(leaf(name))]


def find_links(apis: list[dict[str, Any]], per_field: int = 20) -> list[Link]:
    """Every link where a result field and a parameter match by normalised name and compatible type.

    A generic name (``id``, ``status``) links only APIs of the same top-level domain; a result field
    that repeats one of the producer's own inputs links nothing (``found_fields``).
    """
    consumers: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for i, api in enumerate(apis):
        props = (api.get("parameters") or {}).get("properties") or {}
        for param, schema in props.items():
            if kind := scalar_type(schema):
                consumers[norm(param)].append((i, param, kind))
    links = []
    for p, api in enumerate(apis):
        domain = api.get("domain") or []
        for fname, schema in found_fields(api).items():
            kind, key = scalar_type(schema), norm(leaf(fname))
            if not kind or key not in consumers:
                continue
            generic = key in GENERIC_NAMES or len(key) < 4
            found = [(c, param) for c, param, ckind in consumers[key] if c != p and _compatible(kind, ckind)
                     and (not generic or (domain and (apis[c].get("domain") or [])[:1] == domain[:1]))]
            links += [Link(p, fname, c, param) for c, param in found[:per_field]]
    return links
