"""Each export format against its documented shape (FORMATS.md, LLaMA-Factory's dataset_info), Parquet, CLI."""

import json
import os
import subprocess
import sys
from collections import Counter

import pyarrow.parquet as pq
import pytest

from test_formats_data import make_dialogs, write_dialogs
from toolace.formats import EXPORTERS, granite, hermes, openai_chat, sharegpt, toolace_rows, xlam
from toolace.formats.callsyntax import parse_calls
from toolace.formats.names import restore_names
from toolace.errors import InputError
from toolace.formats.export import export_dialogs
from toolace.formats.imports import import_dialogs
from toolace.jsonl import read_jsonl
from toolace.formats.toolace_rows import SYSTEM_HEAD, SYSTEM_TAIL
from toolace.records import Dialog

# FORMATS.md's running example: get_weather(location), Boston, {"temp": 22}, one answer.
WEATHER = Dialog.model_validate({
    "id": "weather-1", "kind": "single",
    "tools": [{"name": "get_weather", "description": "Current weather for a city.",
               "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "City."}},
                              "required": ["location"]},
               "returns": {"type": "object", "properties": {"temp": {"type": "number"}}}}],
    "messages": [{"role": "user", "content": "What's the weather in Boston?"},
                 {"role": "assistant", "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"location": "Boston"}}]},
                 {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": {"temp": 22}},
                 {"role": "assistant", "content": "It is 22 °C in Boston."}]})
PARALLEL = Dialog.model_validate({**WEATHER.to_dict(), "id": "weather-2", "kind": "parallel", "messages": [
    {"role": "user", "content": "Boston and Paris?"},
    {"role": "assistant", "tool_calls": [{"id": "a", "name": "get_weather", "arguments": {"location": "Boston"}},
                                         {"id": "b", "name": "get_weather", "arguments": {"location": "Paris"}}]},
    {"role": "tool", "tool_call_id": "a", "name": "get_weather", "content": {"temp": 22}},
    {"role": "tool", "tool_call_id": "b", "name": "get_weather", "content": {"temp": 18}},
    {"role": "assistant", "content": "Boston 22 °C, Paris 18 °C."}]})


def test_toolace_row_shape():
    (row,) = toolace_rows.export_rows(WEATHER, Counter())
    assert set(row) == {"system", "conversations", "meta"}
    assert row["system"].startswith(SYSTEM_HEAD) and row["system"].endswith(SYSTEM_TAIL)
    tools = json.loads(row["system"][len(SYSTEM_HEAD):-len(SYSTEM_TAIL)])
    assert tools == [{"name": "get_weather", "description": "Current weather for a city.",
                      "parameters": {"type": "dict", "properties": {"location": {"type": "string", "description": "City."}},
                                     "required": ["location"]}, "required": None}]
    assert row["conversations"] == [
        {"from": "user", "value": "What's the weather in Boston?"},
        {"from": "assistant", "value": '[get_weather(location="Boston")]'},
        {"from": "tool", "value": '[{"name": "get_weather", "results": {"temp": 22}}]'},
        {"from": "assistant", "value": "It is 22 °C in Boston."}]
    (parallel,) = toolace_rows.export_rows(PARALLEL, Counter())
    assert parse_calls(parallel["conversations"][1]["value"]) == [
        {"name": "get_weather", "arguments": {"location": "Boston"}}, {"name": "get_weather", "arguments": {"location": "Paris"}}]
    assert json.loads(parallel["conversations"][2]["value"]) == [
        {"name": "get_weather", "results": {"temp": 22}}, {"name": "get_weather", "results": {"temp": 18}}]


def test_openai_row_shape():
    (row,) = openai_chat.export_rows(WEATHER, Counter())
    assert row["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather for a city.", "parameters": WEATHER.tools[0].parameters}}]
    assert row["messages"] == [
        {"role": "user", "content": "What's the weather in Boston?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Boston"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 22}'},
        {"role": "assistant", "content": "It is 22 °C in Boston."}]


def test_sharegpt_row_shape_and_dataset_info(tmp_path):
    (row,) = sharegpt.export_rows(WEATHER, Counter())
    assert row["conversations"] == [
        {"from": "human", "value": "What's the weather in Boston?"},
        {"from": "function_call", "value": '{"name": "get_weather", "arguments": {"location": "Boston"}}'},
        {"from": "observation", "value": '{"temp": 22}'},
        {"from": "gpt", "value": "It is 22 °C in Boston."}]
    assert json.loads(row["tools"]) == [{"name": "get_weather", "description": "Current weather for a city.",
                                          "parameters": WEATHER.tools[0].parameters}]
    assert row["system"] == ""
    (parallel,) = sharegpt.export_rows(PARALLEL, Counter())
    assert json.loads(parallel["conversations"][1]["value"]) == [
        {"name": "get_weather", "arguments": {"location": "Boston"}}, {"name": "get_weather", "arguments": {"location": "Paris"}}]
    # Results joined as LLaMA-Factory's own converter joins OpenAI-style tool messages.
    assert parallel["conversations"][2]["value"] == '{"temp": 22}\n</tool_response>\n<tool_response>\n{"temp": 18}'
    # The keys LLaMA-Factory's data/README.md documents for a sharegpt dataset with tools.
    (tmp_path / "dataset_info.json").write_text(json.dumps({"someone_else": {"file_name": "x.json"}}))
    sharegpt.write_dataset_info(tmp_path / "sharegpt.jsonl", "toolace_sharegpt")
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["someone_else"] == {"file_name": "x.json"}
    assert info["toolace_sharegpt"] == {
        "file_name": "sharegpt.jsonl", "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                 "observation_tag": "observation", "function_tag": "function_call"}}


def test_sharegpt_rows_alternate_as_llamafactory_requires():
    for dialog in make_dialogs(200, seed=8):
        try:
            (row,) = sharegpt.export_rows(dialog, Counter())
        except Exception as e:  # only the documented refusals
            assert e.reason in ("roles_do_not_alternate", "no_assistant_turn")
            continue
        roles = [t["from"] for t in row["conversations"]]
        assert len(roles) % 2 == 0
        assert all(r in ("human", "observation") for r in roles[0::2])
        assert all(r in ("gpt", "function_call") for r in roles[1::2])


def test_hermes_row_shape():
    (row,) = hermes.export_rows(PARALLEL, Counter())
    system, user, calls, results, answer = row["messages"]
    assert system["role"] == "system" and system["content"].startswith("You are a helpful assistant.\n\n# Tools\n")
    inside = system["content"].split("<tools>\n")[1].split("\n</tools>")[0]
    assert [json.loads(line) for line in inside.splitlines()] == [
        {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city.",
                                          "parameters": WEATHER.tools[0].parameters}}]
    assert calls == {"role": "assistant", "content":
                     '<tool_call>\n{"name": "get_weather", "arguments": {"location": "Boston"}}\n</tool_call>\n'
                     '<tool_call>\n{"name": "get_weather", "arguments": {"location": "Paris"}}\n</tool_call>'}
    assert results == {"role": "user", "content": '<tool_response>\n{"temp": 22}\n</tool_response>\n'
                                                  '<tool_response>\n{"temp": 18}\n</tool_response>'}
    assert user["role"] == "user" and answer["role"] == "assistant"


def test_xlam_row_shape():
    (row,) = xlam.export_rows(WEATHER, Counter())
    assert {k: row[k] for k in ("id", "query")} == {"id": "weather-1", "query": "What's the weather in Boston?"}
    assert all(isinstance(row[k], str) for k in ("tools", "answers"))
    assert json.loads(row["tools"]) == [{"name": "get_weather", "description": "Current weather for a city.",
                                         "parameters": {"location": {"type": "str", "description": "City."}}}]
    assert json.loads(row["answers"]) == [{"name": "get_weather", "arguments": {"location": "Boston"}}]


def test_granite_views():
    dependent = Dialog.model_validate({
        "id": "dep", "kind": "dependent", "tools": [
            WEATHER.tools[0].to_dict(),
            {"name": "find_city", "description": "City of a landmark.", "parameters": {
                "type": "object", "properties": {"landmark": {"type": "string", "description": "Landmark."}}, "required": ["landmark"]}}],
        "messages": [
            {"role": "user", "content": "Weather where the Freedom Trail is?"},
            {"role": "assistant", "tool_calls": [{"id": "a", "name": "find_city", "arguments": {"landmark": "Freedom Trail"}}]},
            {"role": "tool", "tool_call_id": "a", "name": "find_city", "content": {"city": "Boston"}},
            {"role": "assistant", "tool_calls": [{"id": "b", "name": "get_weather", "arguments": {"location": "Boston"}}]},
            {"role": "tool", "tool_call_id": "b", "name": "get_weather", "content": {"temp": 22}},
            {"role": "assistant", "content": "It is 22 °C there."}]})
    rows = granite.export_rows(dependent, Counter()) + granite.export_rows(PARALLEL, Counter())
    by_task = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(row)
        system = row["messages"][0]["content"]
        assert "<|function_call_library|>\n" in system and row["messages"][-1]["role"] == "assistant"
        assert row["meta"]["task"] == row["task"]
    assert set(by_task) == set(granite.TASKS) - {"function_chaining"}
    nested = by_task["nested_calling"][0]["messages"][-1]["content"].splitlines()
    assert nested == ['<function_call> {"name": "find_city", "arguments": {"landmark": "Freedom Trail"}, "label": "$var_1"}',
                      '<function_call> {"name": "get_weather", "arguments": {"location": "$var_1.city$"}, "label": "$var_2"}']
    assert by_task["function_name_detection"][0]["messages"][-1]["content"] == '<function_call> {"name": "find_city"}'
    assert by_task["next_best_function"][0]["messages"][-2] == {"role": "tool", "content": '{"city": "Boston"}'}
    pvd = by_task["parameter_value_detection"][0]
    library = [line for line in pvd["messages"][0]["content"].splitlines() if line.startswith('{"name": ')]
    assert [json.loads(line)["name"] for line in library] == ["find_city"]  # only the given function
    assert by_task["response_generation"][0]["messages"][-1]["content"] == "It is 22 °C there."
    assert len(by_task["parallel_functions"][0]["messages"][-1]["content"].splitlines()) == 2
    only = granite.make_exporter(("response_generation",))(dependent, Counter())
    assert [r["task"] for r in only] == ["response_generation"]


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
async def test_parquet_holds_the_same_rows(tmp_path, fmt):
    dialogs = make_dialogs(60, seed=6)
    source = write_dialogs(tmp_path / "dialogs.jsonl", dialogs)
    await export_dialogs(source, fmt, tmp_path / "out.jsonl", mask_functions=0.5, irrelevance=0.2)
    await export_dialogs(source, fmt, tmp_path / "out.parquet", parquet=True, mask_functions=0.5, irrelevance=0.2)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert len(table) == len(rows)
    json_columns = EXPORTERS[fmt].JSON_COLUMNS
    for row, stored in zip(rows, table):
        for key, value in row.items():
            got = stored[key]
            if key in json_columns:  # JSON text, or a list of JSON values (Arrow's json type)
                got = [json.loads(item) for item in got] if isinstance(got, list) else json.loads(got)
            if isinstance(value, list) and value and isinstance(value[0], dict):  # struct lists fill absent keys with None
                got = [{k: v for k, v in item.items() if k in original} for item, original in zip(got, value)]
            assert got == value, (fmt, key)


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "toolace"])
async def test_parquet_exports_import_back(tmp_path, fmt):
    dialogs = make_dialogs(40, seed=12)
    source = write_dialogs(tmp_path / "dialogs.jsonl", dialogs)
    await export_dialogs(source, fmt, tmp_path / "out.parquet", parquet=True)
    stats = await import_dialogs(tmp_path / "out.parquet", fmt, tmp_path / "back.jsonl")
    assert stats.kept == 40 and stats.rejected == 0
    back = {d.id: restore_names(d) for d in read_jsonl(tmp_path / "back.jsonl", Dialog)}
    for dialog in dialogs:
        assert [(c.name, c.arguments) for c in back[dialog.id].calls()] == [(c.name, c.arguments) for c in dialog.calls()]
        assert back[dialog.id].kind == dialog.kind


def _run(*args):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "toolace", *args], capture_output=True, text=True, timeout=120, env=env)


def test_cli_export_and_import(tmp_path):
    source = write_dialogs(tmp_path / "verified.jsonl", make_dialogs(40, seed=1))
    out = _run("export", str(source), "--format", "sharegpt", "--out", str(tmp_path / "export" / "sharegpt.jsonl"),
               "--mask-functions", "0.5", "--irrelevance", "0.1", "--seed", "3")
    assert out.returncode == 0, out.stderr
    assert "rows written" in out.stderr and "augmented: mask" in out.stderr
    assert json.loads((tmp_path / "export" / "dataset_info.json").read_text())["toolace_sharegpt"]["formatting"] == "sharegpt"
    back = _run("import-dialogs", str(tmp_path / "export" / "sharegpt.jsonl"), "--format", "sharegpt",
                "--out", str(tmp_path / "back.jsonl"))
    assert back.returncode == 0, back.stderr
    assert "calls read" in back.stderr and len((tmp_path / "back.jsonl").read_text().splitlines()) == 40


async def test_bad_options_name_the_option(tmp_path):
    source = write_dialogs(tmp_path / "d.jsonl", make_dialogs(2))
    with pytest.raises(InputError, match="--format must be one of"):
        await export_dialogs(source, "alpaca", tmp_path / "x.jsonl")
    with pytest.raises(InputError, match="--irrelevance: Input should be less than or equal to 1"):
        await export_dialogs(source, "xlam", tmp_path / "x.jsonl", irrelevance=1.5)
    with pytest.raises(InputError, match="--granite-tasks: unknown task 'chat'"):
        await export_dialogs(source, "granite", tmp_path / "x.jsonl", granite_tasks="parallel_functions,chat")


def test_cli_bad_input_is_one_line_exit_2(tmp_path):
    (tmp_path / "broken.jsonl").write_text('{"id": "x", "messages": []}\n')
    out = _run("export", str(tmp_path / "broken.jsonl"), "--format", "openai", "--out", str(tmp_path / "x.jsonl"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"{tmp_path / 'broken.jsonl'}:1:" in errors[0]
    assert not (tmp_path / "x.jsonl").exists()  # nothing half-written
