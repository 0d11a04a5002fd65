"""Reading OpenAI chat rows (``{"messages", "tools"}``) into canonical dialogs, legacy function
calling included: ``functions`` beside the messages, an assistant ``function_call`` and ``function``
result turns, as fine-tuning sets written before ``tools`` existed hold them.

A message field this reader does not carry (``weight``, ``audio``, a refusal) refuses the row with
its name rather than being dropped; text given as a list of text parts is joined.
"""

from __future__ import annotations

from typing import Any

from toolace.formats.jsontext import decode_content, loads_field
from toolace.formats.openai_chat import NAME
from toolace.formats.tools import api_from_openai
from toolace.formats.turns import DialogBuilder, RowProblem, convert_tools
from toolace.records import Dialog

# What each role's message may carry; a null or empty value of any other field is no content.
_FIELDS = {"system": {"role", "content", "name"}, "developer": {"role", "content", "name"},
           "user": {"role", "content", "name"},
           "assistant": {"role", "content", "tool_calls", "function_call", "name", "refusal"},
           "tool": {"role", "content", "tool_call_id", "name"}, "function": {"role", "content", "name"}}


def tools_of(row: dict[str, Any]) -> list:
    """The row's tools: ``tools`` entries, or legacy ``functions`` (bare function objects)."""
    try:
        raws = (loads_field(row.get("tools"), "tools") or []) + (loads_field(row.get("functions"), "functions") or [])
    except (TypeError, ValueError) as e:
        if isinstance(e, RowProblem):
            raise
        raise RowProblem("bad_tools", str(e)) from None
    return convert_tools(raws, api_from_openai)


def import_row(row: Any, where: str) -> Dialog:
    if not isinstance(row, dict) or not isinstance(row.get("messages"), list):
        raise RowProblem("not_an_openai_row", "expected {\"messages\": [...], \"tools\": [...]}")
    builder = DialogBuilder()
    for index, message in enumerate(row["messages"]):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _FIELDS:
            raise RowProblem("unknown_role", f"messages[{index}]: role {role!r}")
        unread = [k for k, v in message.items() if k not in _FIELDS[role] and v not in (None, "", [], {})]
        if unread or message.get("refusal"):
            raise RowProblem("unread_field", f"messages[{index}]: {', '.join(unread or ['refusal'])} cannot be "
                                             "carried by a canonical dialog")
        content = _text(message.get("content"), index)
        if role in ("system", "developer"):
            builder.system(content or "")
        elif role == "user":
            builder.user(content)
        elif role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            builder.calls(_calls(message, index), content=content)
        elif role == "assistant":
            builder.assistant(content or "")
        elif role == "tool":
            builder.result(decode_content(content), call_id=message.get("tool_call_id"),
                           name=None if message.get("tool_call_id") else message.get("name"))
        else:  # legacy "function" result, matched by name
            builder.result(decode_content(content), name=message.get("name"))
    return builder.build_from(row, NAME, tools_of(row))


def _calls(message: dict[str, Any], index: int) -> list[dict[str, Any]]:
    if message.get("tool_calls") and message.get("function_call"):
        raise RowProblem("bad_call", f"messages[{index}]: both tool_calls and function_call")
    wrapped = message.get("tool_calls") or [{"function": message["function_call"]}]
    calls = []
    for call in wrapped:
        if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
            raise RowProblem("bad_call", f"messages[{index}]: a tool call needs a function object")
        function = call["function"]
        calls.append({"id": call.get("id"), "name": function.get("name"), "arguments": function.get("arguments")})
    return calls


def _text(content: Any, index: int) -> Any:
    """Content as text: a list of ``{"type": "text", "text"}`` parts is joined; other parts refuse the row."""
    if not isinstance(content, list):
        return content
    if not all(isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
               for part in content):
        raise RowProblem("unread_field", f"messages[{index}]: content parts other than text")
    return "".join(part["text"] for part in content)
