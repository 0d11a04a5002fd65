"""OpenAI chat-completions rows: ``{"messages": [...], "tools": [...]}``, the shape OpenAI's
fine-tuning API and TRL read. Call arguments and tool results are JSON *strings* here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolace.formats.outputs import parquet_columns
from toolace.formats.jsontext import dumps, encode_content
from toolace.formats.tools import openai_tool
from toolace.formats.turns import row_meta
from toolace.records import Dialog, SystemMessage, ToolMessage, UserMessage

NAME = "openai"


def message_of(message: Any) -> dict[str, Any]:
    """One canonical message in OpenAI's shape."""
    if isinstance(message, (SystemMessage, UserMessage)):
        return {"role": message.role, "content": message.content}
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": encode_content(message.content)}
    out: dict[str, Any] = {"role": "assistant", "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [{"id": c.id, "type": "function",
                              "function": {"name": c.name, "arguments": dumps(c.arguments)}}
                             for c in message.tool_calls]
    return out


def export_rows(dialog: Dialog, notes: Counter) -> list[dict[str, Any]]:
    return [{"messages": [message_of(m) for m in dialog.messages],
             "tools": [openai_tool(api) for api in dialog.tools], "meta": row_meta(dialog)}]


def parquet_schema():
    import pyarrow as pa
    call = pa.struct([("id", pa.string()), ("type", pa.string()),
                      ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())]))])
    message = pa.struct([("role", pa.string()), ("content", pa.string()), ("tool_calls", pa.list_(call)),
                         ("tool_call_id", pa.string())])
    return parquet_columns(("messages", pa.list_(message)), ("tools", pa.string()))


# Tool schemas differ row by row, so Parquet holds them as JSON text (as xLAM's release does).
JSON_COLUMNS = frozenset({"tools", "meta"})
