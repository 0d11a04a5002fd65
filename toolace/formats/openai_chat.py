"""OpenAI chat-completions rows: ``{"messages": [...], "tools": [...]}``, the shape OpenAI's
fine-tuning API reads. Call arguments and tool results are JSON *strings* here, ``tools`` a list of
objects, as OpenAI wants them; ``content`` is ``""`` beside calls, never ``null``. For TRL and
``datasets`` use the ``hf`` layout: chat templates want arguments as objects, and ``datasets``
merges differing tool schemas of JSON rows (see ``hf``).
"""

from __future__ import annotations

import json
from typing import Any

from toolace.formats.outputs import parquet_columns
from toolace.formats.jsontext import decode_content, dumps, encode_content, loads_field
from toolace.formats.reasoning import chat_exporter
from toolace.formats.tools import api_from_openai, openai_tool
from toolace.formats.turns import DialogBuilder, RowProblem, convert_tools
from toolace.records import Dialog, SystemMessage, ToolMessage, UserMessage

NAME = "openai"
CARRIES_REASONING = True  # export --reasoning writes reasoning_content


def message_of(message: Any, reasoning: str | None = None) -> dict[str, Any]:
    """One canonical message in OpenAI's shape."""
    if isinstance(message, (SystemMessage, UserMessage)):
        return {"role": message.role, "content": message.content}
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": encode_content(message.content)}
    out: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
    if reasoning:
        out["reasoning_content"] = reasoning
    if message.tool_calls:
        out["tool_calls"] = [{"id": c.id, "type": "function",
                              "function": {"name": c.name, "arguments": dumps(c.arguments)}}
                             for c in message.tool_calls]
    return out


def make_exporter(reasoning: bool = False):
    """An exporter writing the assistant's recorded thoughts as ``reasoning_content`` when asked."""
    return chat_exporter(message_of, lambda dialog: [openai_tool(api) for api in dialog.tools], reasoning)


export_rows = make_exporter()


def tools_of(raw: Any) -> list:
    try:
        return convert_tools(loads_field(raw, "tools") or [], api_from_openai)
    except ValueError as e:
        if isinstance(e, RowProblem):
            raise
        raise RowProblem("bad_tools", str(e)) from None


def _arguments(raw: Any, name: str) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw) if raw.strip() else {}
        except ValueError as e:
            raise RowProblem("bad_arguments", f"arguments of {name} are not JSON: {e}") from None
    return raw


def import_row(row: Any, where: str) -> Dialog:
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list):
        raise RowProblem("not_an_openai_row", "expected {\"messages\": [...], \"tools\": [...]}")
    builder = DialogBuilder()
    for index, message in enumerate(row["messages"]):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "system":
            builder.system(message.get("content") or "")
        elif role == "user":
            builder.user(message.get("content"))
        elif role == "assistant" and message.get("tool_calls"):
            calls = []
            for call in message["tool_calls"]:
                if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
                    raise RowProblem("bad_call", f"messages[{index}]: a tool call needs a function object")
                function = call["function"]
                name = function.get("name")
                calls.append({"id": call.get("id"), "name": name, "arguments": _arguments(function.get("arguments"), name)})
            builder.calls(calls, content=message.get("content"))
        elif role == "assistant":
            builder.assistant(message.get("content") or "")
        elif role == "tool":
            builder.result(decode_content(message.get("content")), call_id=message.get("tool_call_id"),
                           name=None if message.get("tool_call_id") else message.get("name"))
        else:
            raise RowProblem("unknown_role", f"messages[{index}]: role {role!r}")
    return builder.build_from(row, NAME, tools_of(row.get("tools")))


def parquet_schema():
    import pyarrow as pa
    call = pa.struct([("id", pa.string()), ("type", pa.string()),
                      ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())]))])
    message = pa.struct([("role", pa.string()), ("content", pa.string()), ("reasoning_content", pa.string()),
                         ("tool_calls", pa.list_(call)), ("tool_call_id", pa.string())])
    return parquet_columns(("messages", pa.list_(message)), ("tools", pa.string()))


# Tool schemas differ row by row, so Parquet holds them as JSON text (as xLAM's release does).
JSON_COLUMNS = frozenset({"tools", "meta"})
