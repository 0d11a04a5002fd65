"""OpenAPI 3.0 / 3.1 documents (JSON or YAML) as a tool source: one API per operation.

Each operation (``get /pets/{petId}``) becomes an API named by its ``operationId`` (else method and
path). Its path and query parameters (path-level ones included, the operation's winning) and the
properties of a JSON request body merge into one parameters object; a body that is not an object
with properties, or whose names collide with a parameter, becomes one ``body`` parameter. The
schema of the first 2xx response becomes the returns. Every ``$ref`` is resolved against the
document (``toolace.schema_reading``); OpenAPI 3.0 schema words (``nullable``, boolean
``exclusiveMinimum``, ``example``) are written as JSON Schema. Header and cookie parameters are
transport, not arguments: they are listed in ``meta["openapi"]``, with where each parameter goes.
The document is checked first with ``openapi-spec-validator``; one that is not valid is refused
whole, with the validator's first complaint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from referencing.exceptions import Unresolvable

from toolace.errors import InputError
from toolace.formats.schema_types import walk_schema
from toolace.formats.tool_sources import Found, convert
from toolace.formats.tools import ToolConversionError, api_from_openai
from toolace.schema_reading import deref, read_schema

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_ARGUMENT_PLACES = ("path", "query")


def load_document(path: Path) -> Any:
    """The document in ``path``: JSON, or YAML (which JSON also is)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    if Path(path).suffix.lower() == ".json":
        try:
            return json.loads(text)
        except ValueError as e:
            raise InputError(f"{path}: not valid JSON: {e}") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(f"{path}: not valid YAML: {e}") from None


class OpenApiSource:
    """``import-apis --format openapi``: every operation of every document."""

    def tools(self, path: Path) -> Iterator[Found]:
        spec = load_document(path)
        problem = _spec_problem(spec)
        if problem:
            yield Found(str(path), error=ToolConversionError("invalid_openapi", problem))
            return
        for route, item in (spec.get("paths") or {}).items():
            try:
                item = deref(item, spec)
            except Unresolvable as e:
                yield Found(f"{path} {route}", error=ToolConversionError("unresolvable_ref", str(e)))
                continue
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    where = f"{path} {method.upper()} {route}"
                    yield convert(where, item[method], lambda op: api_from_operation(spec, route, method, op, item))


def _spec_problem(spec: Any) -> str | None:
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith(("3.0", "3.1")):
        version = spec.get("openapi", spec.get("swagger")) if isinstance(spec, dict) else None
        return f"not an OpenAPI 3.0 or 3.1 document (version {version!r}); convert Swagger 2.0 first"
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(spec)
    except OpenAPIValidationError as e:
        where = "/".join(str(p) for p in getattr(e, "path", []) or [])
        return f"not a valid OpenAPI document{' at ' + where if where else ''}: {getattr(e, 'message', e)}"
    return None


def api_from_operation(spec: dict, route: str, method: str, operation: dict, item: dict):
    """One operation as a canonical API (see the module docstring)."""
    version_30 = str(spec.get("openapi")).startswith("3.0")

    def schema(node: Any) -> Any:
        view = read_schema(node, root=spec)
        if view.problems:
            raise ToolConversionError("unresolvable_ref", "; ".join(message for _, message in view.problems))
        return _from_30(view.schema) if version_30 else view.schema

    properties: dict[str, Any] = {}
    required: list[str] = []
    places: dict[str, str] = {}
    transport: list[dict[str, str]] = []
    for parameter in _parameters(spec, item, operation):
        name, place = parameter.get("name"), parameter.get("in")
        if place not in _ARGUMENT_PLACES:
            transport.append({"name": name, "in": place})
            continue
        sub = dict(schema(_parameter_schema(parameter)))
        if parameter.get("description"):
            sub["description"] = parameter["description"]
        properties[name] = sub
        places[name] = place
        if parameter.get("required") or place == "path":
            required.append(name)
    body = _body(spec, operation)
    if body is not None:
        body_schema, body_required, body_description = schema(body[0]), body[1], body[2]
        names = body_schema.get("properties") if isinstance(body_schema, dict) else None
        if body_schema.get("type", "object") == "object" and isinstance(names, dict) and not set(names) & set(properties):
            properties.update(names)
            places.update(dict.fromkeys(names, "body"))
            if body_required:
                required += [n for n in body_schema.get("required", []) if n in names]
        else:
            properties["body"] = {**body_schema, **({"description": body_description} if body_description else {})}
            places["body"] = "body"
            if body_required:
                required.append("body")
    returns = _returns(spec, operation)
    name = operation.get("operationId") or _name_of(method, route)
    summary, description = operation.get("summary") or "", operation.get("description") or ""
    if summary and description and summary.rstrip(". ") not in description:
        description = f"{summary.rstrip('. ')}. {description}"
    api = api_from_openai({"name": name, "description": (description or summary).strip(),
                           "parameters": {"type": "object", "properties": properties,
                                          **({"required": list(dict.fromkeys(required))} if required else {})},
                           "returns": schema(returns) if returns is not None else None})
    api.domain = [str(t) for t in operation.get("tags", [])[:1]]
    api.meta["openapi"] = {"method": method, "path": route, "in": places,
                           **({"transport_parameters": transport} if transport else {}),
                           **({"operationId": operation["operationId"]} if operation.get("operationId") else {})}
    return api


def _parameters(spec: dict, item: dict, operation: dict) -> list[dict]:
    """Path-level parameters, then the operation's; the operation's win for the same (name, in)."""
    merged: dict[tuple, dict] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        try:
            parameter = deref(raw, spec)
        except Unresolvable as e:
            raise ToolConversionError("unresolvable_ref", str(e)) from None
        merged[(parameter.get("name"), parameter.get("in"))] = parameter
    return list(merged.values())


def _parameter_schema(parameter: dict) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    for media in (parameter.get("content") or {}).values():
        return media.get("schema", {})
    return {}


def _json_media(content: Any) -> dict | None:
    if not isinstance(content, dict) or not content:
        return None
    for media_type, media in content.items():
        if media_type.split(";")[0].strip().endswith(("/json", "+json")):
            return media
    return next(iter(content.values()))


def _body(spec: dict, operation: dict) -> tuple[Any, bool, str] | None:
    if "requestBody" not in operation:
        return None
    try:
        body = deref(operation["requestBody"], spec)
    except Unresolvable as e:
        raise ToolConversionError("unresolvable_ref", str(e)) from None
    media = _json_media(body.get("content"))
    if media is None or "schema" not in media:
        return None
    return media["schema"], bool(body.get("required")), body.get("description", "")


def _returns(spec: dict, operation: dict) -> Any:
    """The schema of the first 2xx response that has one (exact codes first, then ``2XX``)."""
    responses = operation.get("responses") or {}
    codes = sorted(c for c in map(str, responses) if re.fullmatch(r"2\d\d", c)) + [c for c in ("2XX", "2xx") if c in responses]
    for code in codes:
        try:
            response = deref(responses.get(code, responses.get(int(code)) if code.isdigit() else None), spec)
        except Unresolvable as e:
            raise ToolConversionError("unresolvable_ref", str(e)) from None
        media = _json_media(response.get("content") if isinstance(response, dict) else None)
        if media is not None and "schema" in media:
            return media["schema"]
    return None


def _name_of(method: str, route: str) -> str:
    """``get /pets/{petId}`` -> ``get_pets_petId``."""
    words = re.findall(r"[A-Za-z0-9]+", route)
    return "_".join([method, *words])


def _from_30(schema: Any) -> Any:
    """OpenAPI 3.0's schema words as JSON Schema 2020-12 (3.1 schemas already are)."""
    def fix(node: dict, _where: str) -> dict:
        if node.pop("nullable", False) is True:
            if isinstance(node.get("type"), str):
                node["type"] = [node["type"], "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(node.get(exclusive), bool):
                if node.pop(exclusive) and bound in node:
                    node[exclusive] = node.pop(bound)
        if "example" in node:
            node.setdefault("examples", [node.pop("example")])
        return node
    return walk_schema(schema, fix)


SOURCE = OpenApiSource()
