"""Reading Hermes / Qwen rows (``{"messages": [{"role", "content"}]}``) into canonical dialogs.

Rows in the field are written by many hands: tags with or without the template's newlines, calls
as JSON or as a Python dict (``{'name': 'f', 'arguments': {'x': True}}``), results as user turns of
``<tool_response>`` blocks or as ``tool`` turns, and tools inside ``<tools></tools>`` of a Qwen
system prompt (one JSON object a line) or a Hermes-2-Pro one (a JSON or Python list). What a row
holds is read whole or the row is refused with a reason: text around the blocks is never dropped.
"""

from __future__ import annotations

import re
from typing import Any

from toolace.formats.hermes import DEFAULT_SYSTEM, NAME, TOOLS_HEAD, TOOLS_TAIL
from toolace.formats.jsontext import decode_content
from toolace.formats.tools import api_from_openai
from toolace.formats.turns import DialogBuilder, RowProblem, convert_tools, read_value
from toolace.records import Dialog

_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_RESPONSE = re.compile(r"<tool_response>\s*(.*?)\s*</tool_response>", re.DOTALL)
_TOOLS = re.compile(r"<tools>\s*(.*?)\s*</tools>", re.DOTALL)


def tools_in_system(system: str) -> tuple[str | None, list]:
    """(the system text to keep, the raw tools of its ``<tools>`` block).

    Qwen's own template text around the block is the format, not content, and is dropped; any other
    wording (Hermes-2-Pro's, a dataset's own) is kept whole as the system message.
    """
    head, sep, rest = system.partition(TOOLS_HEAD)
    qwen = bool(sep) and rest.endswith(TOOLS_TAIL)
    # The instructions themselves mention "<tools></tools>": the block is the last one holding something.
    blocks = [b for b in _TOOLS.findall(TOOLS_HEAD[-7:] + rest if qwen else system) if b]
    block = blocks[-1] if blocks else ""
    if block.startswith("["):
        raws = read_value(block, "the <tools> block")
    else:  # Qwen: one tool per line
        raws = [read_value(line, "a <tools> line") for line in block.split("\n") if line.strip()]
    if not isinstance(raws, list):
        raise RowProblem("bad_tools", "the <tools> block is not a list of tools")
    if qwen:
        return (None if head == DEFAULT_SYSTEM else head), raws
    return system, raws


def import_row(row: Any, where: str) -> Dialog:
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list):
        raise RowProblem("not_a_hermes_row", "expected {\"messages\": [...]}")
    builder, raw_tools = DialogBuilder(), []
    for index, message in enumerate(row["messages"]):
        role, content = (message.get("role"), message.get("content")) if isinstance(message, dict) else (None, None)
        if not isinstance(content, str):
            raise RowProblem("bad_content", f"messages[{index}]: content must be text")
        if role == "system":
            system, raw_tools = tools_in_system(content)
            if system:
                builder.system(system)
        elif role == "assistant" and _CALL.search(content):
            blocks = _CALL.findall(content)
            text, rest = content[:content.find("<tool_call>")].rstrip("\n"), _CALL.sub("", content).strip()
            if rest != text.strip():
                raise RowProblem("text_after_calls", f"messages[{index}]: text between or after <tool_call> "
                                                     "blocks has no place in a call turn")
            builder.calls([_call(block, index) for block in blocks], content=text or None)
        elif role == "assistant":
            builder.assistant(content)
        elif role == "tool" or (role == "user" and _RESPONSE.search(content)):
            _results(builder, content, index, tagged=role == "user")
        elif role == "user":
            builder.user(content)
        else:
            raise RowProblem("unknown_role", f"messages[{index}]: role {role!r}")
    return builder.build_from(row, NAME, convert_tools(raw_tools, api_from_openai))


def _call(block: str, index: int) -> dict:
    call = read_value(block, f"messages[{index}]: <tool_call>")
    if not isinstance(call, dict):
        raise RowProblem("bad_call", f"messages[{index}]: a <tool_call> must hold one object")
    return call


def _results(builder: DialogBuilder, content: str, index: int, tagged: bool) -> None:
    """One turn of results: ``<tool_response>`` blocks (a ``tool`` turn may also hold the bare result)."""
    blocks = _RESPONSE.findall(content)
    if not blocks and not tagged:
        builder.result(decode_content(content))
        return
    if _RESPONSE.sub("", content).strip():
        raise RowProblem("text_beside_results", f"messages[{index}]: text outside the <tool_response> blocks")
    for block in blocks:
        builder.result(decode_content(block))
