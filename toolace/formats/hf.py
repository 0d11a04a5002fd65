"""Hugging Face chat rows: ``{"messages", "tools", "meta"}``, the layout TRL, axolotl and Unsloth read.

What transformers' chat templates expect, and what ``datasets`` loads whatever the rows' schemas:

- assistant calls: ``{"id", "type": "function", "function": {"name", "arguments": {...}}}`` with the
  arguments as a JSON *object* (a template writes them with ``tojson``; a string would be
  double-encoded);
- ``content`` is always a string (``""`` beside calls): ``null`` breaks DeepSeek-V3 and GPT-OSS;
- tool messages carry ``tool_call_id`` and ``name``; their content is the result as text (JSON
  text for structured results);
- ``tools`` is JSON text, which TRL's SFTTrainer decodes: rows whose tools differ load in any
  ``datasets`` version with no casting error and no other row's parameters turning up as nulls.
  Arguments stay objects: ``datasets`` 4.7 and later (what TRL requires) read them as ``Json``; older
  versions merge the argument keys of all rows (use the sharegpt export for LLaMA-Factory).
- with ``--reasoning``, an assistant message with a recorded thought carries ``reasoning_content``.

In Parquet each message is a JSON value (Arrow's ``json`` extension type), which ``datasets``
decodes as ``Json``, so a message has its own keys only (a template's ``"tool_calls" in message``
stays false for a plain reply).
"""

from __future__ import annotations

from typing import Any

from toolace.formats.jsontext import dumps, encode_content
from toolace.formats.outputs import parquet_columns
from toolace.formats.reasoning import chat_exporter
from toolace.formats.tools import openai_tool
from toolace.records import AssistantMessage, ToolMessage

NAME = "hf"
CARRIES_REASONING = True  # export --reasoning writes reasoning_content
REASONING = "reasoning_content"


def message_of(message: Any, reasoning: str | None = None) -> dict[str, Any]:
    """One canonical message in the hf layout."""
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool_call_id": message.tool_call_id, "name": message.name,
                "content": encode_content(message.content)}
    out: dict[str, Any] = {"role": message.role, "content": message.content or ""}
    if isinstance(message, AssistantMessage):
        if reasoning:
            out[REASONING] = reasoning
        if message.tool_calls:
            out["tool_calls"] = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                                 for c in message.tool_calls]
    return out


def make_exporter(reasoning: bool = False):
    """An exporter writing the assistant's recorded thoughts as ``reasoning_content`` when asked."""
    return chat_exporter(message_of, lambda dialog: dumps([openai_tool(api) for api in dialog.tools]), reasoning)


export_rows = make_exporter()


def parquet_schema():
    import pyarrow as pa
    return parquet_columns(("messages", pa.list_(pa.json_())), ("tools", pa.string()))


JSON_COLUMNS = frozenset({"messages", "meta"})
