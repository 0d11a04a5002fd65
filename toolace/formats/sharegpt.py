"""LLaMA-Factory's function-call ShareGPT: ``{"conversations": [{"from", "value"}], "system", "tools"}``.

LLaMA-Factory reads ``human``/``observation`` turns at even positions and ``gpt``/``function_call``
turns at odd ones, and drops a row that breaks this; so a dialog whose roles cannot alternate is
skipped with a reason rather than written broken. A ``function_call`` value is one JSON object
``{"name", "arguments"}``, or a JSON list of them for parallel calls; the matching ``observation``
then holds the results in call order joined as LLaMA-Factory's own converter joins OpenAI-style
tool messages (``RESULTS_SEPARATOR``), so that Qwen-style templates render one ``<tool_response>``
per result. ``dataset_info.json`` maps the columns.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from toolace.formats.outputs import parquet_columns, text_turns
from toolace.formats.jsontext import dumps, encode_content
from toolace.formats.tools import plain_tool
from toolace.formats.turns import RowProblem, call_dict, row_meta, turns
from toolace.jsonl import write_json_atomic
from toolace.records import Dialog

NAME = "sharegpt"
_EVEN, _ODD = ("human", "observation"), ("gpt", "function_call")
# LLaMA-Factory's OpenAIDatasetConverter (0.9.5) joins consecutive tool messages with this text.
RESULTS_SEPARATOR = "\n</tool_response>\n<tool_response>\n"


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
            value = RESULTS_SEPARATOR.join(encode_content(r.content) for r in turn.results)
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


def parquet_schema():
    import pyarrow as pa
    return parquet_columns(("conversations", text_turns("from", "value")), ("system", pa.string()),
                           ("tools", pa.string()))


JSON_COLUMNS = frozenset({"meta"})
