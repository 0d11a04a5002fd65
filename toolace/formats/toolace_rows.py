"""The ToolACE row (Team-ACE/ToolACE): ``{"system", "conversations": [{"from", "value"}]}``.

The system text is the released instruction with the tool list inside; assistant calls are written
``[func(a=1, b="x")]`` (parsed back by ``callsyntax``), and a tool turn is
``[{"name": ..., "results": ...}]``. No-call answers are the assistant's natural-language reply.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from toolace.formats.outputs import parquet_columns, text_turns
from toolace.formats.callsyntax import CallSyntaxError, looks_like_calls, parse_calls, print_calls
from toolace.formats.jsontext import dumps, loads_text
from toolace.formats.tools import api_from_toolace, toolace_tool
from toolace.formats.turns import DialogBuilder, RowProblem, call_dict, convert_tools, row_meta, turns
from toolace.records import Api, Dialog

NAME = "toolace"

# The released text, whitespace as in the data (FORMATS.md); only the tool list changes.
SYSTEM_HEAD = (
    "You are an expert in composing functions. You are given a question and a set of possible functions. \n"
    "Based on the question, you will need to make one or more function/tool calls to achieve the purpose. \n"
    "If none of the function can be used, point it out. If the given question lacks the parameters required "
    "by the function,\nalso point it out. You should only return the function call in tools call sections.\n"
    "Here is a list of functions in JSON format that you can invoke:\n"
)
SYSTEM_TAIL = (
    ". \nShould you decide to return the function call(s). \n"
    "Put it in the format of [func1(params_name=params_value, params_name2=params_value2...), func2(params)]\n"
    "\nNO other text MUST be included. \n"
)
_LIST_MARK = "Here is a list of functions in JSON format that you can invoke:"


def system_text(tools: list[Api]) -> str:
    """The ToolACE system prompt holding these tools."""
    return SYSTEM_HEAD + dumps([toolace_tool(api) for api in tools]) + SYSTEM_TAIL


def tools_in_system(text: str) -> list[Any]:
    """The raw tool list inside a ToolACE system prompt."""
    at = text.find(_LIST_MARK)
    if at < 0:
        raise RowProblem("no_tool_list", "the system prompt holds no tool list")
    start = text.find("[", at + len(_LIST_MARK))
    try:
        tools, _end = json.JSONDecoder().raw_decode(text, start)
    except ValueError as e:
        raise RowProblem("bad_tool_list", f"the tool list in the system prompt is not JSON: {e}") from None
    if not isinstance(tools, list):
        raise RowProblem("bad_tool_list", "the tool list in the system prompt is not a list")
    return tools


def export_rows(dialog: Dialog, notes: Counter) -> list[dict[str, Any]]:
    conversations = []
    for turn in turns(dialog):
        if turn.kind == "system":
            notes["system_message_dropped (ToolACE has a fixed system text)"] += 1
        elif turn.kind in ("user", "assistant"):
            conversations.append({"from": turn.kind, "value": turn.text})
        elif turn.kind == "calls":
            if turn.text:
                notes["assistant_text_beside_calls_dropped"] += 1
            try:
                value = print_calls([call_dict(c) for c in turn.calls])
            except ValueError as e:
                raise RowProblem("unprintable_call", str(e)) from None
            conversations.append({"from": "assistant", "value": value})
        else:
            results = [{"name": r.name, "results": r.content} for r in turn.results]
            conversations.append({"from": "tool", "value": dumps(results)})
    return [{"system": system_text(dialog.tools), "conversations": conversations, "meta": row_meta(dialog)}]


def _results(value: str) -> list[Any]:
    try:
        data = loads_text(value, "tool turn")  # some rows hold Python reprs
    except ValueError as e:
        raise RowProblem("bad_tool_turn", str(e)) from None
    return data if isinstance(data, list) else [data]


def _calls(value: str, tools: list[Api], index: int) -> list[dict[str, Any]] | None:
    """The calls of an assistant turn, or None when it is text. A reply shaped like a call list that
    does not parse is text ("[Note: see the (Doc Search API) page]") unless it starts by naming a tool,
    which makes it a broken call: the row is refused."""
    if not looks_like_calls(value):
        return None
    try:
        return parse_calls(value)
    except CallSyntaxError as e:
        named = value.strip()[1:].split("(", 1)[0].strip()
        if any(api.name == named for api in tools):
            raise RowProblem("unparsable_call", f"conversations[{index}]: {e}") from None
        return None


def import_row(row: Any, where: str) -> Dialog:
    if not isinstance(row, dict) or not isinstance(row.get("conversations"), list):
        raise RowProblem("not_a_toolace_row", "expected {\"system\", \"conversations\": [...]}")
    tools = convert_tools(tools_in_system(str(row.get("system", ""))), api_from_toolace)
    builder = DialogBuilder()
    for index, turn in enumerate(row["conversations"]):
        if not isinstance(turn, dict):
            raise RowProblem("bad_turn", f"conversations[{index}] is not an object")
        role, value = turn.get("from"), turn.get("value")
        if not isinstance(value, str):
            raise RowProblem("bad_turn", f"conversations[{index}].value is not text")
        if role in ("user", "human"):
            builder.user(value)
        elif role in ("assistant", "gpt"):
            calls = _calls(value, tools, index)
            if calls is None:
                builder.assistant(value)
            else:
                builder.calls(calls)
        elif role in ("tool", "observation", "function"):
            for item in _results(value):
                if isinstance(item, dict) and "name" in item:
                    if set(item) != {"name", "results"}:  # {"name", "result"}: the value would be lost
                        raise RowProblem("unread_field", f"conversations[{index}]: a tool result is "
                                                         f"{{\"name\", \"results\"}}, not {sorted(item)}")
                    builder.result(item["results"], name=item["name"])
                else:
                    builder.result(item)
        elif role == "system":
            builder.system(value)
        else:
            raise RowProblem("unknown_role", f"conversations[{index}]: role {role!r}")
    return builder.build_from(row, NAME, tools)


def parquet_schema():
    import pyarrow as pa
    return parquet_columns(("system", pa.string()), ("conversations", text_turns("from", "value")))


JSON_COLUMNS = frozenset({"meta"})
