"""Hermes / Qwen 2.5–3 tool turns rendered as text: ``{"messages": [{"role", "content"}]}``.

The system turn carries the tools inside ``<tools></tools>`` exactly as Qwen's chat template
writes them; each call is a ``<tool_call>`` JSON block in the assistant turn, and the results come
back in one user turn of ``<tool_response>`` blocks, in call order.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolace.formats.outputs import parquet_columns, text_turns
from toolace.formats.jsontext import dumps, encode_content
from toolace.formats.tools import openai_tool
from toolace.formats.turns import call_dict, row_meta, turns
from toolace.records import Dialog

NAME = "hermes"
DEFAULT_SYSTEM = "You are a helpful assistant."
TOOLS_HEAD = ("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
              "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
TOOLS_TAIL = ("\n</tools>\n\nFor each function call, return a json object with function name and arguments "
              "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
              "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")


def system_text(dialog: Dialog, system: str | None) -> str:
    tools = "".join("\n" + dumps(openai_tool(api)) for api in dialog.tools)
    return (system or DEFAULT_SYSTEM) + TOOLS_HEAD + tools + TOOLS_TAIL


def export_rows(dialog: Dialog, notes: Counter) -> list[dict[str, Any]]:
    system, messages = None, []
    for turn in turns(dialog):
        if turn.kind == "system":
            system = turn.text if system is None else f"{system}\n\n{turn.text}"
        elif turn.kind in ("user", "assistant"):
            messages.append({"role": turn.kind, "content": turn.text})
        elif turn.kind == "calls":
            blocks = [f"<tool_call>\n{dumps(call_dict(c))}\n</tool_call>" for c in turn.calls]
            messages.append({"role": "assistant", "content": "\n".join(([turn.text] if turn.text else []) + blocks)})
        else:
            blocks = [f"<tool_response>\n{encode_content(r.content)}\n</tool_response>" for r in turn.results]
            messages.append({"role": "user", "content": "\n".join(blocks)})
    return [{"messages": [{"role": "system", "content": system_text(dialog, system)}] + messages,
             "meta": row_meta(dialog)}]


def parquet_schema():
    return parquet_columns(("messages", text_turns("role", "content")))


JSON_COLUMNS = frozenset({"meta"})
