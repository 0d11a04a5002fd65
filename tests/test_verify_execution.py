"""The execution check: the user's functions run in another process, by keyword, with a timeout."""

import os

import pytest

from toolace.errors import InputError
from toolace.jsonl import JsonlWriter, read_jsonl
from toolace.verify.execution import ToolExecutor
from toolace.verify.run import verify_dialogs
from verify_samples import api, call_dialog

TOOLS = '''
import os
import time
from os.path import join  # imported, not defined here: never callable


def add(a, b):
    return {"sum": a + b, "pid": os.getpid()}


def boom(x):
    raise ValueError(f"no record {x}")


def slow(seconds):
    time.sleep(seconds)
    return {"sum": 0}


def wrong(a, b):
    return {"sum": "many"}


def odd(a):
    return {1, 2}


class Opaque:
    def __repr__(self):
        return "<Opaque>"


def opaque():
    return Opaque()


def _private():
    return 1
'''

ADD = {**api({"a": {"type": "integer"}, "b": {"type": "integer"}}, ["a", "b"], name="add"),
       "returns": {"type": "object", "properties": {"sum": {"type": "integer"}}, "required": ["sum"]}}


@pytest.fixture
def tools(tmp_path):
    path = tmp_path / "tools.py"
    path.write_text(TOOLS)
    return path


async def test_executor_calls_by_keyword_and_survives_failures(tools):
    with ToolExecutor(tools, timeout=1.0) as executor:
        assert executor.names == {"add", "boom", "slow", "wrong", "odd", "opaque"}
        ok, result = await executor.call("add", {"b": 2, "a": 1})
        assert ok and result["sum"] == 3 and result["pid"] != os.getpid()
        assert await executor.call("boom", {"x": 7}) == (False, "raised ValueError: no record 7")
        ok, why = await executor.call("add", {"a": 1})
        assert not ok and "missing 1 required positional argument: 'b'" in why
        assert await executor.call("odd", {"a": 1}) == (True, [1, 2])  # it ran: a set comes back as a list
        assert await executor.call("opaque", {}) == (True, "<Opaque>")  # no JSON form: its repr
        assert await executor.call("slow", {"seconds": 30}) == (False, "timed out after 1 s")
        ok, result = await executor.call("add", {"a": 2, "b": 2})  # a fresh process took over
        assert ok and result["sum"] == 4


def test_a_broken_tools_file_is_an_input_error(tmp_path):
    path = tmp_path / "tools.py"
    path.write_text("def f(:\n")
    with pytest.raises(InputError, match="--exec-tools cannot import .*SyntaxError"):
        ToolExecutor(path).start()
    with pytest.raises(InputError, match="no such file"):
        ToolExecutor(tmp_path / "missing.py")


async def test_verify_with_exec_tools(tools, tmp_path):
    wrong = {**ADD, "name": "wrong"}
    boom = api({"x": {"type": "integer"}}, ["x"], name="boom")
    slow = {**api({"seconds": {"type": "number"}}, ["seconds"], name="slow")}
    other = api({"q": {"type": "string"}}, ["q"], name="search")
    dialogs = [call_dialog(ADD, {"a": 1, "b": 2}, "ok"), call_dialog(boom, {"x": 3}, "raises"),
               call_dialog(wrong, {"a": 1, "b": 2}, "bad_return"), call_dialog(slow, {"seconds": 30}, "hangs"),
               call_dialog(other, {"q": "x"}, "not_defined"), call_dialog(ADD, {"a": "1", "b": 2}, "rule_fail")]
    src = tmp_path / "dialogs.jsonl"
    with JsonlWriter(src) as writer:
        for dialog in dialogs:
            writer.write(dialog)
    stats = await verify_dialogs([src], out=tmp_path / "v.jsonl", exec_tools=tools, exec_timeout=1.0, workers=4)
    kept = {r["id"]: r["verdict"] for r in read_jsonl(tmp_path / "v.jsonl")}
    rejected = {r["id"]: r["record"]["verdict"] for r in read_jsonl(tmp_path / "v.rejected.jsonl")}
    # The check judges whether the call ran: a result off its returns schema still ran.
    assert kept == {"ok": {"passed": True, "layer": "execution", "failures": []},
                    "bad_return": {"passed": True, "layer": "execution", "failures": []}}
    assert rejected["raises"]["failures"] == [{"check": "execution_error", "path": "messages[1].tool_calls[0]",
                                               "message": "boom: raised ValueError: no record 3"}]
    assert rejected["not_defined"]["failures"] == [
        {"check": "execution_undefined", "path": "messages[1].tool_calls[0].name",
         "message": "'search' is not defined in tools.py, so the call cannot run"}]
    assert rejected["hangs"]["failures"][0]["message"] == "slow: timed out after 1 s"
    assert rejected["rule_fail"]["layer"] == "rules"  # a call that breaks the rules is never executed
    assert stats.counters["exec_calls"] == 4 and stats.counters["exec_not_defined"] == 1
