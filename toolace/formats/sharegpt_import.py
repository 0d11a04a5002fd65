"""Reading LLaMA-Factory's function-call ShareGPT rows into canonical dialogs.

A ``function_call`` value is one call or a list of calls, as JSON or as a Python literal; its
``arguments`` may themselves be JSON text. The ``observation`` after parallel calls holds their
results in call order, joined as LLaMA-Factory joins them or as a JSON list.
"""

from __future__ import annotations

from typing import Any

from toolace.formats.jsontext import decode_content, loads_field
from toolace.formats.sharegpt import NAME, RESULTS_SEPARATOR
from toolace.formats.tools import api_from_openai
from toolace.formats.turns import DialogBuilder, RowProblem, convert_tools, read_value
from toolace.records import Dialog


def import_row(row: Any, where: str) -> Dialog:
    if not isinstance(row, dict) or not isinstance(row.get("conversations"), list):
        raise RowProblem("not_a_sharegpt_row", "expected {\"conversations\": [...], \"system\", \"tools\"}")
    try:
        raw_tools = loads_field(row.get("tools") or "[]", "tools")
    except ValueError as e:
        raise RowProblem("bad_tools", str(e)) from None
    tools = convert_tools(raw_tools, api_from_openai)  # plain functions, or OpenAI-wrapped ones
    builder = DialogBuilder()
    if row.get("system"):
        builder.system(row["system"])
    open_calls = 0
    for index, turn in enumerate(row["conversations"]):
        role, value = (turn.get("from"), turn.get("value")) if isinstance(turn, dict) else (None, None)
        if role in ("function_call", "observation") and not isinstance(value, str):
            raise RowProblem("bad_content", f"conversations[{index}]: value must be text")
        if role == "human":
            builder.user(value)
        elif role == "gpt":
            builder.assistant(value)
        elif role == "function_call":
            calls = read_value(value, f"conversations[{index}]")
            calls = calls if isinstance(calls, list) else [calls]
            builder.calls(calls)
            open_calls = len(calls)
        elif role == "observation":
            for result in _results(value, open_calls, index):
                builder.result(result)
            open_calls = 0
        elif role == "system":
            builder.system(value)
        else:
            raise RowProblem("unknown_role", f"conversations[{index}]: role {role!r}")
    return builder.build_from(row, NAME, tools)


def _results(value: str, calls: int, index: int) -> list[Any]:
    """The results of ``calls`` parallel calls: LLaMA-Factory's joined text, or a JSON list of them."""
    if calls <= 1:
        return [decode_content(value)]
    parts = value.split(RESULTS_SEPARATOR)
    if len(parts) == calls:
        return [decode_content(part) for part in parts]
    results = read_value(value, f"conversations[{index}]")
    if not (isinstance(results, list) and len(results) == calls):
        raise RowProblem("bad_observation", f"conversations[{index}]: {calls} parallel calls need {calls} results, "
                                            f"joined by {RESULTS_SEPARATOR!r} or as a JSON list")
    return results
