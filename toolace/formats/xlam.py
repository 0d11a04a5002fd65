"""xLAM / APIGen rows: ``{"id", "query", "tools", "answers"}`` with tools and answers as JSON text.

One user query and the calls that answer it, nothing more: a dialog with a second user turn, or
with calls that need earlier results, is skipped with its reason. ``answers: []`` means no
available function fits (Hammer's irrelevance rows). Hammer's prompt rows (``instruction`` with
``[BEGIN OF AVAILABLE TOOLS]`` and ``[BEGIN OF QUERY]`` blocks, fenced JSON ``output``) import too.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Any

from toolace.formats.outputs import parquet_columns
from toolace.formats.jsontext import content_id, dumps, loads_field
from toolace.formats.tools import api_from_xlam, marks_required, xlam_tool
from toolace.formats.turns import NO_FUNCTION_REPLY, DialogBuilder, RowProblem, call_dict, convert_tools, meta_of, row_meta, turns
from toolace.records import Dialog

NAME = "xlam"


def export_rows(dialog: Dialog, notes: Counter) -> list[dict[str, Any]]:
    steps = [t for t in turns(dialog) if t.kind != "system"]
    users = [t for t in steps if t.kind == "user"]
    if len(users) != 1 or steps[0].kind != "user":
        raise RowProblem("multi_turn", f"{len(users)} user turns; xLAM holds one query")
    if len(steps) < 2 or steps[1].kind not in ("calls", "assistant"):
        raise RowProblem("no_answer", "the query is not followed by an assistant turn")
    if any(t.kind == "calls" for t in steps[2:]):
        raise RowProblem("dependent_calls", "later calls depend on tool results; xLAM holds one turn of calls")
    answers = [call_dict(c) for c in steps[1].calls]
    if steps[1].kind == "calls" and steps[1].text:
        notes["assistant_text_beside_calls_dropped"] += 1
    return [{"id": dialog.id, "query": steps[0].text, "tools": dumps([xlam_tool(api) for api in dialog.tools]),
             "answers": dumps(answers), "meta": row_meta(dialog)}]


_BLOCK = r"\[BEGIN OF {0}\]\n?(.*?)\n?\[END OF {0}\]"


def hammer_row(row: dict) -> dict:
    """Hammer's training prompt row -> ``{query, tools, answers}``."""
    text = row["instruction"]
    tools = re.search(_BLOCK.format("AVAILABLE TOOLS"), text, re.DOTALL)
    query = re.search(_BLOCK.format("QUERY"), text, re.DOTALL)
    if not tools or not query:
        raise RowProblem("not_an_xlam_row", "instruction lacks the AVAILABLE TOOLS or QUERY block")
    output = row.get("output", "").strip()
    output = re.sub(r"^```(?:json)?\s*|\s*```$", "", output)
    return {"query": query.group(1).strip(), "tools": tools.group(1), "answers": output}


def import_row(row: Any, where: str) -> Dialog:
    if isinstance(row, dict) and "instruction" in row and "query" not in row:
        row = {**row, **hammer_row(row)}
    if not isinstance(row, dict) or not isinstance(row.get("query"), str):
        raise RowProblem("not_an_xlam_row", "expected {\"query\", \"tools\", \"answers\"}")
    try:
        raw_tools = loads_field(row.get("tools") or "[]", "tools")
        answers = loads_field(row.get("answers") or "[]", "answers")
    except ValueError as e:
        raise RowProblem("bad_json", str(e)) from None
    if not isinstance(answers, list):
        raise RowProblem("bad_json", "answers must be a list")
    tools = convert_tools(raw_tools, functools.partial(api_from_xlam, marked=marks_required(raw_tools)))
    builder = DialogBuilder()
    builder.user(row["query"])
    dialog_id, kind, meta = meta_of(row)
    if answers:
        builder.calls(answers)
    else:
        builder.assistant(NO_FUNCTION_REPLY)
        kind = "irrelevance" if kind == "imported" else kind
    if dialog_id is None and row.get("id") is not None:
        dialog_id = f"xlam-{row['id']}"
    return builder.build(dialog_id or content_id(NAME, row), tools, kind, meta)


def parquet_schema():
    import pyarrow as pa
    return parquet_columns(*((name, pa.string()) for name in ("id", "query", "tools", "answers")))


JSON_COLUMNS = frozenset({"meta"})
