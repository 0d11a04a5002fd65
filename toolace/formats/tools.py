"""Tool definitions in and out: BFCL, ToolACE, OpenAI and xLAM shapes <-> the canonical ``Api``.

Importers translate each vocabulary into JSON Schema (see ``schema_types``), normalise defaults
that have one reading (``defaults``) and validate the result as an ``Api``; anything that cannot be converted raises ``ToolConversionError`` with the reason, so
callers report and skip that one tool. Exporters write the shape each dataset format carries.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from toolace.formats.defaults import normalise_defaults
from toolace.formats.schema_types import (
    NO_DEFAULT, TOOLACE_NAMES, SchemaTypeError, annotation_of, parse_annotation_with_default, to_json_schema,
    to_vocabulary,
)
from toolace.records import Api
from toolace.schema_reading import resolved

# Keys of a tool that carry its meaning; anything else is kept in ``meta["source_fields"]``.
_TOOL_KEYS = {"name", "description", "parameters", "returns", "required"}


class ToolConversionError(ValueError):
    """A tool definition that cannot become a canonical API; ``reason`` is a short, countable slug."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _name_and_description(tool: Any) -> tuple[str, str]:
    if not isinstance(tool, dict):
        raise ToolConversionError("not_an_object", f"a tool must be a JSON object, not {type(tool).__name__}")
    name = tool.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ToolConversionError("no_name", "the tool has no name")
    description = tool.get("description") or ""
    if not isinstance(description, str):
        raise ToolConversionError("bad_description", f"{name}: description must be text")
    return name, description


def _build(name: str, description: str, parameters: dict, returns: Any, extra: dict) -> Api:
    meta = {"source_fields": extra} if extra else {}
    parameters, changes = normalise_defaults(parameters)
    if changes:
        meta["normalised_defaults"] = changes
    try:
        return Api(name=name, description=description, parameters=parameters,
                   returns=returns if isinstance(returns, dict) else None, meta=meta)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ToolConversionError("invalid_schema", f"{name}: {where}: {first['msg']}") from None


def api_from_schema_style(tool: Any) -> Api:
    """A BFCL or ToolACE tool (``{"name", "description", "parameters": {"type": "dict", ...}}``)."""
    name, description = _name_and_description(tool)
    parameters = tool.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise ToolConversionError("bad_parameters", f"{name}: parameters must be a JSON object")
    if parameters and "properties" not in parameters and not isinstance(parameters.get("type"), str):
        raise ToolConversionError("flat_parameters", f"{name}: parameters are a flat map (xLAM style); "
                                                     "use --format xlam")
    parameters = dict(parameters)
    if "type" not in parameters:
        parameters["type"] = "object"
    top_required = tool.get("required")
    if isinstance(top_required, list) and "required" not in parameters:
        parameters["required"] = top_required  # some dumps put the list beside parameters
    try:
        parameters = to_json_schema(parameters, f"{name}.parameters")
        returns = to_json_schema(tool.get("returns"), f"{name}.returns")
    except SchemaTypeError as e:
        raise ToolConversionError("unknown_type", str(e)) from None
    extra = {k: v for k, v in tool.items() if k not in _TOOL_KEYS}
    return _build(name, description, parameters, returns, extra)


api_from_bfcl = api_from_schema_style
api_from_toolace = api_from_schema_style


def api_from_openai(tool: Any) -> Api:
    """An OpenAI tool ``{"type": "function", "function": {...}}`` (a bare function object also works)."""
    if isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("function"), dict):
        extra = {k: v for k, v in tool.items() if k not in ("type", "function")}
        tool = {**tool["function"], **({"wrapper_fields": extra} if extra else {})}
    return api_from_schema_style(tool)


def marks_required(tools: Any) -> bool:
    """Whether xLAM-style definitions mark required parameters ToolAlpaca's way (``"required": true``).

    Decided over all the tools of one row or record: a ToolAlpaca tool whose parameters are all
    optional carries no marker at all, and must not be read the xLAM way (every unmarked parameter
    required) because of it.
    """
    return isinstance(tools, list) and any(
        isinstance(tool, dict) and isinstance(tool.get("parameters"), dict)
        and any(isinstance(spec, dict) and isinstance(spec.get("required"), bool) for spec in tool["parameters"].values())
        for tool in tools)


def api_from_xlam(tool: Any, marked: bool = False) -> Api:
    """An xLAM/APIGen tool whose ``parameters`` map each name to ``{"type": "str, optional", ...}``.

    ``marked``: its row marks required parameters with ``"required": true`` (see ``marks_required``).
    """
    name, description = _name_and_description(tool)
    flat = tool.get("parameters") or {}
    if isinstance(flat, dict) and isinstance(flat.get("type"), str) and isinstance(flat.get("properties"), dict):
        return api_from_schema_style(tool)  # some xLAM-style files already carry JSON Schema
    if not isinstance(flat, dict):
        raise ToolConversionError("bad_parameters", f"{name}: parameters must be a JSON object")
    # ToolAlpaca-style files mark required parameters with "required": true and leave the rest
    # unmarked; xLAM-60k marks optional ones in the type ("str, optional") instead.
    # (A *list* under "required" is a nested object's own required names, not this marker.)
    explicit = marked or marks_required([tool])
    properties: dict[str, Any] = {}
    required: list[str] = []
    for pname, spec in flat.items():
        if not isinstance(spec, dict):
            raise ToolConversionError("bad_parameters", f"{name}.{pname}: a parameter must be a JSON object")
        declared = spec.get("type", "Any")
        if not isinstance(declared, str):
            raise ToolConversionError("unknown_type", f"{name}.{pname}: type must be text, not {declared!r}")
        try:
            fragment, optional, default = parse_annotation_with_default(declared, f"{name}.{pname}")
            if default is not NO_DEFAULT and "default" not in spec:
                fragment["default"] = default
            rest = to_json_schema({k: v for k, v in spec.items()
                                   if k != "type" and not (k in ("required", "optional") and isinstance(v, bool))},
                                  f"{name}.{pname}")
        except SchemaTypeError as e:
            raise ToolConversionError("unknown_type", str(e)) from None
        properties[pname] = {**fragment, **rest}
        if spec.get("optional") is True:
            optional = True
        if (spec.get("required") is True) if explicit else not optional:
            required.append(pname)
    parameters = {"type": "object", "properties": properties, "required": required}
    extra = {k: v for k, v in tool.items() if k not in _TOOL_KEYS}
    return _build(name, description, parameters, tool.get("returns"), extra)



# -- canonical -> dataset shapes -------------------------------------------------------------

def plain_tool(api: Api) -> dict[str, Any]:
    """``{"name", "description", "parameters"}`` with JSON Schema parameters (ShareGPT, Granite)."""
    return {"name": api.name, "description": api.description, "parameters": api.parameters}


def openai_tool(api: Api) -> dict[str, Any]:
    """The OpenAI ``tools`` entry."""
    return {"type": "function", "function": plain_tool(api)}


def toolace_tool(api: Api) -> dict[str, Any]:
    """A tool as the released ToolACE rows write it: ``dict``/``int``/``float`` and ``"required": null``."""
    parameters = to_vocabulary(api.parameters, TOOLACE_NAMES)
    ordered = {"type": parameters.pop("type", "dict"), "properties": parameters.pop("properties", {}),
               "required": parameters.pop("required", [])}
    return {"name": api.name, "description": api.description, "parameters": {**ordered, **parameters},
            "required": None}


def xlam_tool(api: Api) -> dict[str, Any]:
    """An xLAM tool: a flat parameter map, optional ones marked ``", optional"`` in their type.

    The flat map has no room for ``$defs``, so references are inlined first.
    """
    flat = {}
    properties = resolved(api.parameters).get("properties")
    for pname, schema in (properties if isinstance(properties, dict) else {}).items():
        schema = schema if isinstance(schema, dict) else {}
        annotation = annotation_of(schema)
        if pname not in api.required:
            annotation += ", optional"
        flat[pname] = {"type": annotation, **{k: v for k, v in schema.items() if k != "type"}}
    return {"name": api.name, "description": api.description, "parameters": flat}


def api_key(api: Api) -> bytes:
    """Canonical bytes of what an API means (name, description, schemas): identical ones merge."""
    import orjson
    return orjson.dumps({"name": api.name, "description": api.description, "parameters": api.parameters,
                         "returns": api.returns}, option=orjson.OPT_SORT_KEYS)
