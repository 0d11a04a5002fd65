"""Hermes / Qwen 2.5–3 tool turns rendered as text: ``{"messages": [{"role", "content"}]}``.

The system turn carries the tools inside ``<tools></tools>`` exactly as Qwen's chat template
writes them; each call is a ``<tool_call>`` JSON block in the assistant turn, and the results come
back in one user turn of ``<tool_response>`` blocks, in call order.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from toolace.formats.outputs import parquet_columns, text_turns
from toolace.formats.jsontext import decode_content, dumps, encode_content
from toolace.formats.tools import api_from_openai, openai_tool
from toolace.formats.turns import DialogBuilder, RowProblem, call_dict, convert_tools, row_meta, turns
from toolace.records import Dialog

NAME = "hermes"
DEFAULT_SYSTEM = "You are a helpful assistant."
TOOLS_HEAD = ("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
              "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
TOOLS_TAIL = ("\n</tools>\n\nFor each function call, return a json object with function name and arguments "
              "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
              "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")
_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_RESPONSE = re.compile(r"<tool_response>\n(.*?)\n</tool_response>", re.DOTALL)


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


def _tools(system: str) -> tuple[str | None, list]:
    head, sep, rest = system.partition(TOOLS_HEAD)
    if not sep:
        return system, []
    block = rest.split("\n</tools>", 1)[0]
    try:
        raws = [json.loads(line) for line in block.split("\n") if line.strip()]
    except ValueError as e:
        raise RowProblem("bad_tools", f"a <tools> line is not JSON: {e}") from None
    return (None if head == DEFAULT_SYSTEM else head), convert_tools(raws, api_from_openai)


def import_row(row: Any, where: str) -> Dialog:
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list):
        raise RowProblem("not_a_hermes_row", "expected {\"messages\": [...]}")
    builder, tools = DialogBuilder(), []
    for index, message in enumerate(row["messages"]):
        role, content = (message.get("role"), message.get("content")) if isinstance(message, dict) else (None, None)
        if not isinstance(content, str):
            raise RowProblem("bad_content", f"messages[{index}]: content must be text")
        if role == "system":
            system, tools = _tools(content)
            if system:
                builder.system(system)
        elif role == "assistant" and _CALL.search(content):
            calls = []
            for block in _CALL.findall(content):
                try:
                    calls.append(json.loads(block))
                except ValueError as e:
                    raise RowProblem("bad_json", f"messages[{index}]: <tool_call> {e}") from None
            text = content[:content.find("<tool_call>")].rstrip("\n")
            builder.calls(calls, content=text or None)
        elif role == "assistant":
            builder.assistant(content)
        elif role in ("user", "tool") and content.startswith("<tool_response>"):
            for block in _RESPONSE.findall(content):
                builder.result(decode_content(block))
        elif role == "user":
            builder.user(content)
        else:
            raise RowProblem("unknown_role", f"messages[{index}]: role {role!r}")
    return builder.build_from(row, NAME, tools)


def parquet_schema():
    return parquet_columns(("messages", text_turns("role", "content")))


JSON_COLUMNS = frozenset({"meta"})
