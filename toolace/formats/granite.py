"""Granite's granular task views (Granite-20B-FunctionCalling, arXiv 2407.00121).

Each dialog yields several training rows ``{"id", "task", "messages", "meta"}``; the system turn
lists the function library one JSON per line after ``<|function_call_library|>`` and names the
task, and the last assistant turn is the target. Calls are written
``<function_call> {"name": ..., "arguments": {...}}``; "no function fits" is ``no_function``.

Tasks: function-name detection (names only), parameter-value pair detection (one given function,
its arguments), next-best function (the next call after earlier calls and their results), parallel
functions (several calls in one turn), function chaining (every call a request needs, in order),
nested calling (the same, with values taken from earlier results written as ``$var_k.path$``
references to calls labelled ``$var_k``), and response generation (the answer after the results).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolace.formats.outputs import parquet_columns, text_turns
from toolace.formats.jsontext import dumps, encode_content
from toolace.formats.tools import plain_tool
from toolace.formats.turns import RowProblem, Turn, is_no_function, row_meta, turns
from toolace.records import Api, Dialog, ToolCall

NAME = "granite"
TASKS = ("function_name_detection", "parameter_value_detection", "next_best_function", "parallel_functions",
         "function_chaining", "nested_calling", "response_generation")
SYSTEM = ("You are a helpful assistant with access to the following function calls. Your task is to produce "
          "a sequence of function calls necessary to generate response to the user utterance. Use the "
          "following function calls as required.\n<|function_call_library|>\n")
NO_FUNCTION = {"name": "no_function", "arguments": {}}
INSTRUCTIONS = {
    "function_name_detection": "Task: function name detection. Write only the name of each function to call, "
                               "one <function_call> {\"name\": ...} per line.",
    "parameter_value_detection": "Task: parameter-value pair detection. The function to call is given; write "
                                 "its call with every argument the request supplies.",
    "next_best_function": "Task: next-best function. Given the calls made so far and their results, write "
                          "the next function call(s).",
    "parallel_functions": "Task: parallel functions. Write every call the request needs, one per line.",
    "function_chaining": "Task: function chaining. Write the whole sequence of calls the request needs, in order.",
    "nested_calling": "Task: nested function calling. Label each call \"$var_k\" and pass an earlier call's "
                      "output as \"$var_k.field$\".",
    "response_generation": "Task: response generation. Answer the user from the function results.",
}


def function_call(call: dict[str, Any]) -> str:
    return f"<function_call> {dumps(call)}"


def _system(tools: list[Api], task: str, note: str = "") -> dict[str, str]:
    library = "\n".join(dumps(plain_tool(api)) for api in tools)
    tail = ("\n\nIf none of the functions are relevant or the given question lacks the parameters required by "
            f"the function, please output \"{function_call(NO_FUNCTION)}\".\n\n{INSTRUCTIONS[task]}{note}")
    return {"role": "system", "content": SYSTEM + library + tail}


def _render(turn: Turn) -> list[dict[str, str]]:
    if turn.kind == "calls":
        lines = [function_call({"name": c.name, "arguments": c.arguments}) for c in turn.calls]
        return [{"role": "assistant", "content": "\n".join(lines)}]
    if turn.kind == "results":
        return [{"role": "tool", "content": encode_content(r.content)} for r in turn.results]
    return [{"role": turn.kind, "content": turn.text or ""}]


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}.{i}" if path else str(i))]
    return [(path, value)]


def _nested(segment: list[Turn]) -> tuple[list[dict[str, Any]], bool]:
    """The segment's calls labelled ``$var_k``; arguments equal to an earlier result value become references."""
    labelled, sources, referenced = [], [], False
    by_id: dict[str, str] = {}
    for turn in segment:
        if turn.kind == "calls":
            for call in turn.calls:
                arguments = {}
                for key, value in call.arguments.items():
                    ref = next((f"${label}.{path}$" if path else f"${label}$" for label, path, v in sources
                                if _referable(value) and v == value and type(v) is type(value)), None)
                    referenced = referenced or ref is not None
                    arguments[key] = ref if ref else value
                label = f"var_{len(by_id) + 1}"
                by_id[call.id] = label
                labelled.append({"name": call.name, "arguments": arguments, "label": f"${label}"})
        elif turn.kind == "results":
            for result in turn.results:
                if result.tool_call_id in by_id:
                    sources += [(by_id[result.tool_call_id], p, v) for p, v in _leaves(result.content)]
    return labelled, referenced


def _referable(value: Any) -> bool:
    """Values distinctive enough that equality means "taken from the result" (not 1, True or "")."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return len(value) >= 3
    return isinstance(value, (int, float)) and abs(value) >= 2


def make_exporter(tasks: tuple[str, ...] = TASKS):
    """An exporter writing the views of ``tasks`` only."""
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise ValueError(f"unknown Granite task(s): {', '.join(unknown)}; choose from {', '.join(TASKS)}")

    def export_rows(dialog: Dialog, notes: Counter) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []

        def view(task: str, history: list[dict], target: str, tools: list[Api] | None = None,
                 note: str = "") -> None:
            if task in tasks:
                messages = [_system(dialog.tools if tools is None else tools, task, note)] + history
                rows.append({"id": f"{dialog.id}:{task}:{len(rows)}", "task": task,
                             "messages": messages + [{"role": "assistant", "content": target}],
                             "meta": row_meta(dialog, task=task)})

        steps = [t for t in turns(dialog) if t.kind != "system"]
        history: list[dict] = []
        segment_start, segment_history = 0, []
        for index, turn in enumerate(steps + [Turn("user")]):  # a sentinel closes the last segment
            if turn.kind == "user":
                _segment_views(view, steps[segment_start:index], segment_history)
                segment_start, segment_history = index, list(history)
            elif turn.kind == "calls":
                _call_views(view, turn, steps[segment_start:index], history, dialog)
            elif turn.kind == "assistant":
                after_results = index > 0 and steps[index - 1].kind == "results"
                if after_results:
                    view("response_generation", history, turn.text or "")
                elif is_no_function(dialog) and index > 0 and steps[index - 1].kind == "user":
                    view("function_name_detection", history, function_call(NO_FUNCTION))
            if index < len(steps):
                history = history + _render(turn)
        if not rows:
            raise RowProblem("no_granite_view", "the dialog yields no view of the selected tasks")
        return rows

    return export_rows


def _call_views(view, turn: Turn, before: list[Turn], history: list[dict], dialog: Dialog) -> None:
    calls: list[ToolCall] = turn.calls
    view("function_name_detection", history, "\n".join(function_call({"name": c.name}) for c in calls))
    for call in calls:
        api = dialog.tool(call.name)
        if api is not None:
            view("parameter_value_detection", history,
                 function_call({"name": call.name, "arguments": call.arguments}), tools=[api],
                 note=f" The function to call is {call.name}.")
    full = "\n".join(function_call({"name": c.name, "arguments": c.arguments}) for c in calls)
    if len(calls) > 1:
        view("parallel_functions", history, full)
    if any(t.kind == "calls" for t in before):
        view("next_best_function", history, full)


def _segment_views(view, segment: list[Turn], history: list[dict]) -> None:
    """Chaining or nested views of one request: its user turn and every call until the next request."""
    call_turns = [t for t in segment if t.kind == "calls"]
    if len(call_turns) < 2 or segment[0].kind != "user":
        return
    context = history + _render(segment[0])
    labelled, referenced = _nested(segment)
    if referenced:
        view("nested_calling", context, "\n".join(function_call(c) for c in labelled))
    else:
        plain = [{"name": c["name"], "arguments": c["arguments"]} for c in labelled]
        view("function_chaining", context, "\n".join(function_call(c) for c in plain))


def parquet_schema():
    import pyarrow as pa
    return parquet_columns(("id", pa.string()), ("task", pa.string()), ("messages", text_turns("role", "content")))


JSON_COLUMNS = frozenset({"meta"})
export_rows = make_exporter()
