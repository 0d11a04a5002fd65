"""LLaMA-Factory's function-call ShareGPT: ``{"conversations": [{"from", "value"}], "system", "tools"}``.

LLaMA-Factory reads ``human``/``observation`` turns at even positions and ``gpt``/``function_call``
turns at odd ones, and drops a row that breaks this; so a dialog whose roles cannot alternate is
skipped with a reason rather than written broken. A ``function_call`` value is one JSON object
``{"name", "arguments"}``, or a JSON list of them for parallel calls; the matching ``observation``
then holds a JSON list of the results in call order. ``dataset_info.json`` maps the columns.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from toolace.formats.outputs import parquet_columns, text_turns
from toolace.formats.jsontext import decode_content, dumps, encode_content, loads_field
from toolace.formats.tools import api_from_openai, plain_tool
from toolace.formats.turns import DialogBuilder, RowProblem, call_dict, convert_tools, row_meta, turns
from toolace.records import Dialog

NAME = "sharegpt"
_EVEN, _ODD = ("human", "observation"), ("gpt", "function_call")


def dataset_info_entry(file_name: str) -> dict[str, Any]:
    """The ``dataset_info.json`` entry that tells LLaMA-Factory how to read the exported file."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call"},
    }


def write_dataset_info(out: Path, dataset_name: str) -> Path:
    """Add (or replace) this dataset's entry in ``dataset_info.json`` beside the output; others stay."""
    path = Path(out).parent / "dataset_info.json"
    info = json.loads(path.read_text()) if path.exists() else {}
    info[dataset_name] = dataset_info_entry(Path(out).name)
    from toolace.runner import write_json_atomic
    write_json_atomic(path, info)
    return path


def export_rows(dialog: Dialog, notes: Counter) -> list[dict[str, Any]]:
    system, conversations = "", []
    for turn in turns(dialog):
        if turn.kind == "system":
            system = turn.text if not system else f"{system}\n\n{turn.text}"
        elif turn.kind == "user":
            conversations.append({"from": "human", "value": turn.text})
        elif turn.kind == "assistant":
            conversations.append({"from": "gpt", "value": turn.text})
        elif turn.kind == "calls":
            if turn.text:
                notes["assistant_text_beside_calls_dropped"] += 1
            calls = [call_dict(c) for c in turn.calls]
            conversations.append({"from": "function_call", "value": dumps(calls[0] if len(calls) == 1 else calls)})
        else:
            contents = [r.content for r in turn.results]
            value = encode_content(contents[0]) if len(contents) == 1 else dumps(contents)
            conversations.append({"from": "observation", "value": value})
    while conversations and conversations[-1]["from"] in _EVEN:
        notes[f"trailing_{conversations[-1]['from']}_turn_dropped"] += 1
        conversations.pop()
    for index, turn in enumerate(conversations):
        if turn["from"] not in (_EVEN if index % 2 == 0 else _ODD):
            raise RowProblem("roles_do_not_alternate",
                             f"turn {index} is {turn['from']}; LLaMA-Factory needs human/observation, "
                             "then gpt/function_call, in turn")
    if not conversations:
        raise RowProblem("no_assistant_turn", "nothing for the model to learn")
    return [{"conversations": conversations, "system": system,
             "tools": dumps([plain_tool(api) for api in dialog.tools]), "meta": row_meta(dialog)}]


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
        if role == "human":
            builder.user(value)
        elif role == "gpt":
            builder.assistant(value)
        elif role == "function_call":
            calls = _json(value, index)
            calls = calls if isinstance(calls, list) else [calls]
            builder.calls(calls)
            open_calls = len(calls)
        elif role == "observation":
            results = decode_content(value) if open_calls == 1 else _json(value, index)
            if open_calls > 1 and not (isinstance(results, list) and len(results) == open_calls):
                raise RowProblem("bad_observation", f"conversations[{index}]: {open_calls} parallel calls need "
                                                    f"a JSON list of {open_calls} results")
            for result in (results if open_calls > 1 else [results]):
                builder.result(result)
            open_calls = 0
        elif role == "system":
            builder.system(value)
        else:
            raise RowProblem("unknown_role", f"conversations[{index}]: role {role!r}")
    return builder.build_from(row, NAME, tools)


def _json(value: Any, index: int) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError) as e:
        raise RowProblem("bad_json", f"conversations[{index}]: {e}") from None


def parquet_schema():
    import pyarrow as pa
    return parquet_columns(("conversations", text_turns("from", "value")), ("system", pa.string()),
                           ("tools", pa.string()))


JSON_COLUMNS = frozenset({"meta"})
