"""MCP tools as a tool source: the result of a server's ``tools/list`` request.

A file holds the JSON-RPC response (``{"jsonrpc", "id", "result": {"tools": [...], "nextCursor"}}``),
its bare ``result``, a list of tools, or one response per line (one page each). A tool is
``{name, title?, description?, inputSchema, outputSchema?, annotations?, icons?, _meta?}``
(schema.ts of the MCP specification, 2025-06-18 and 2025-11-25): ``inputSchema`` becomes the
parameters, ``outputSchema`` the returns (the shape of ``structuredContent``), and the rest is kept
in ``meta["mcp"]``.
"""

from __future__ import annotations

from typing import Any

from toolace.formats.tool_sources import RecordSource, unpack_with
from toolace.formats.tools import ToolConversionError, api_from_schema_style

# Tool fields with no place in an API, kept as they are in meta["mcp"].
_KEPT = ("title", "annotations", "icons", "_meta", "execution")


def _tools_list_result(record: dict) -> list[Any] | None:
    if "error" in record and "result" not in record:
        error = record["error"] if isinstance(record["error"], dict) else {}
        raise ToolConversionError("mcp_error", f"the server answered an error: {error.get('message', record['error'])}")
    result = record.get("result", record)
    if isinstance(result, dict) and isinstance(result.get("tools"), list):
        return result["tools"]
    return None


def api_from_mcp(tool: Any):
    """One MCP ``Tool`` as a canonical API."""
    if not isinstance(tool, dict):
        raise ToolConversionError("not_an_object", f"a tool must be a JSON object, not {type(tool).__name__}")
    if not isinstance(tool.get("inputSchema"), dict):
        raise ToolConversionError("bad_parameters", f"{tool.get('name')}: an MCP tool needs an inputSchema object")
    parameters = {k: v for k, v in tool["inputSchema"].items() if k != "$schema"}
    returns = tool.get("outputSchema")
    unknown = set(tool) - {"name", "description", "inputSchema", "outputSchema", *_KEPT}
    if unknown:
        raise ToolConversionError("unread_field", f"{tool.get('name')}: fields MCP does not define: "
                                                  f"{', '.join(sorted(unknown))}")
    api = api_from_schema_style({"name": tool.get("name"), "description": tool.get("description"),
                                 "parameters": parameters,
                                 "returns": {k: v for k, v in returns.items() if k != "$schema"}
                                 if isinstance(returns, dict) else None})
    kept = {k: tool[k] for k in _KEPT if k in tool}
    dialects = {k: s["$schema"] for k, s in (("inputSchema", tool["inputSchema"]), ("outputSchema", returns))
                if isinstance(s, dict) and "$schema" in s}
    if dialects:
        kept["$schema"] = dialects
    if kept:
        api.meta["mcp"] = kept
    return api


SOURCE = RecordSource(unpack_with(_tools_list_result), lambda raw, _: api_from_mcp(raw))
