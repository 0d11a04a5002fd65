"""OpenAI chat-completions rows: ``{"messages": [...], "tools": [...]}``, the shape OpenAI's
fine-tuning API reads. Call arguments and tool results are JSON *strings* here, ``tools`` a list of
objects, as OpenAI wants them; ``content`` is ``""`` beside calls, never ``null``. For TRL and
``datasets`` use the ``hf`` layout: chat templates want arguments as objects, and ``datasets``
merges differing tool schemas of JSON rows (see ``hf``).
"""

from __future__ import annotations

from typing import Any

from toolace.formats.outputs import parquet_columns
from toolace.formats.jsontext import dumps, encode_content
from toolace.formats.reasoning import chat_exporter
from toolace.formats.tools import openai_tool
from toolace.records import SystemMessage, ToolMessage, UserMessage

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


def parquet_schema():
    import pyarrow as pa
    call = pa.struct([("id", pa.string()), ("type", pa.string()),
                      ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())]))])
    message = pa.struct([("role", pa.string()), ("content", pa.string()), ("reasoning_content", pa.string()),
                         ("tool_calls", pa.list_(call)), ("tool_call_id", pa.string())])
    return parquet_columns(("messages", pa.list_(message)), ("tools", pa.string()))


# Tool schemas differ row by row, so Parquet holds them as JSON text (as xLAM's release does).
JSON_COLUMNS = frozenset({"tools", "meta"})
