"""The hf layout, --reasoning, and names fitted to each format's rules (issue 12, point 5)."""

from __future__ import annotations

import ast
import json
import math
import re
from collections import Counter

import pytest

from test_formats_data import make_dialogs, write_dialogs
from toolace.errors import InputError
from toolace.formats import FORMATS, hf
from toolace.formats.export import export_dialogs
from toolace.formats.names import CALL_SYNTAX_NAMES, OPENAI_NAMES, fit_names, restore_names
from toolace.records import Dialog
from toolace.testing import bfcl_like

OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _close(a, b) -> bool:
    """Equal, floats to 10 significant digits: ``datasets``' JSON loader writes Json columns with ujson's
    default precision (Parquet keeps them exact)."""
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def with_thoughts(dialog: Dialog) -> Dialog:
    """The dialog with a recorded thought before every assistant message, as gen-dialogs writes them."""
    thoughts = []
    for index, message in enumerate(dialog.messages):
        if message.role == "assistant":
            names = [c.name for c in message.tool_calls]
            sources = [{"argument": k, "source": "user"} for c in message.tool_calls for k in c.arguments][:2]
            thoughts.append({"message": index, "intent": f"thought number {index}",
                             **({"tools": names, "sources": sources} if names else {})})
    return dialog.model_copy(update={"meta": {**dialog.meta, "thoughts": thoughts}})


def test_hf_row_shape():
    dialog = next(d for d in make_dialogs(40, seed=4) if d.kind == "parallel")
    (row,) = hf.export_rows(dialog, Counter())
    assert isinstance(row["tools"], str) and json.loads(row["tools"])[0]["type"] == "function"
    for message, original in zip(row["messages"], dialog.messages):
        assert isinstance(message["content"], str)
        if message["role"] == "tool":
            assert message["tool_call_id"] == original.tool_call_id and message["name"] == original.name
        for call, made in zip(message.get("tool_calls", []), getattr(original, "tool_calls", [])):
            assert call == {"id": made.id, "type": "function", "function": {"name": made.name, "arguments": made.arguments}}
        if message["role"] == "assistant" and not original.tool_calls:
            assert "tool_calls" not in message  # GPT-OSS and DeepSeek test `"tool_calls" in message`


async def test_hf_jsonl_and_parquet_load_through_datasets_with_arguments_as_objects(tmp_path):
    datasets = pytest.importorskip("datasets")
    dialogs = make_dialogs(120, seed=9) + bfcl_like.make_dialogs(60)
    source = write_dialogs(tmp_path / "d.jsonl", dialogs)
    await export_dialogs(source, "hf", tmp_path / "hf.jsonl")
    await export_dialogs(source, "hf", tmp_path / "hf.parquet", parquet=True)
    expected = _rows(tmp_path / "hf.jsonl")
    for kind, path in (("json", tmp_path / "hf.jsonl"), ("parquet", tmp_path / "hf.parquet")):
        loaded = datasets.load_dataset(kind, data_files=str(path), split="train")
        assert len(loaded) == len(dialogs)
        for row, want in zip(loaded, expected):
            # No phantom keys, no nulls, objects stay objects.
            assert row["messages"] == want["messages"] if kind == "parquet" else _close(row["messages"], want["messages"])
            assert json.loads(row["tools"]) == json.loads(want["tools"])


async def test_reasoning_is_exported_on_request_only(tmp_path):
    dialogs = [with_thoughts(d) for d in make_dialogs(40, seed=2)]
    source = write_dialogs(tmp_path / "d.jsonl", dialogs)
    for fmt in ("hf", "openai"):
        await export_dialogs(source, fmt, tmp_path / f"{fmt}.jsonl")
        assert not any("reasoning_content" in m for r in _rows(tmp_path / f"{fmt}.jsonl") for m in r["messages"])
        stats = await export_dialogs(source, fmt, tmp_path / f"{fmt}.r.jsonl", reasoning=True)
        assistant_turns = sum(m.role == "assistant" for d in dialogs for m in d.messages)
        assert stats.counters["note: assistant turns with reasoning"] == assistant_turns
        for row, dialog in zip(_rows(tmp_path / f"{fmt}.r.jsonl"), dialogs):
            for index, message in enumerate(row["messages"]):
                if message["role"] == "assistant":
                    assert message["reasoning_content"].startswith(f"thought number {index}")
                    called = [c["function"]["name"] for c in message.get("tool_calls", [])]
                    if called:  # the names as exported (fitted to the format), not the originals
                        assert f"Tools: {', '.join(dict.fromkeys(called))}." in message["reasoning_content"]
                else:
                    assert "reasoning_content" not in message
    with pytest.raises(InputError, match="--reasoning"):
        await export_dialogs(source, "sharegpt", tmp_path / "s.jsonl", reasoning=True)


async def test_reasoning_goes_where_the_template_reads_it(tmp_path):
    trl = pytest.importorskip("trl")
    from pathlib import Path

    from toolace.formats.chat_templates import load_template, render
    templates = Path(trl.__file__).parent / "chat_templates"
    dialogs = [with_thoughts(d) for d in make_dialogs(24, seed=2) if d.kind in ("single", "dependent", "non_tool")]
    source = write_dialogs(tmp_path / "d.jsonl", dialogs)
    for name, field in (("qwen3", "reasoning_content"), ("gptoss", "thinking")):
        out = tmp_path / f"{name}.jsonl"
        await export_dialogs(source, "hf", out, reasoning=True, chat_template=templates / f"{name}.jinja")
        summary = json.loads((tmp_path / f"{name}.stats.json").read_text())["chat_template"]
        assert summary["reasoning_rendered"] is True
        rows = _rows(out)
        assert rows
        for row in rows:
            last = row["messages"][-1]
            assert field in last
            text = render(load_template(templates / f"{name}.jinja"), row["messages"], json.loads(row["tools"]))
            assert last[field] in text  # the final turn's thought is in the training text
            if name == "qwen3":
                assert f"<think>\n{last[field]}\n</think>" in text


async def test_openai_and_hf_names_follow_openai_rules_with_the_mapping_in_meta(tmp_path):
    dialogs = bfcl_like.make_dialogs(50) + make_dialogs(50, seed=3)
    source = write_dialogs(tmp_path / "d.jsonl", dialogs)
    by_id = {d.id: d for d in dialogs}
    for fmt in ("openai", "hf"):
        stats = await export_dialogs(source, fmt, tmp_path / f"{fmt}.jsonl")
        assert stats.kept == len(dialogs) and stats.counters["dialogs with renamed names"] > 40
        for row in _rows(tmp_path / f"{fmt}.jsonl"):
            tools = json.loads(row["tools"]) if isinstance(row["tools"], str) else row["tools"]
            names = [t["function"]["name"] for t in tools]
            called = [c["function"]["name"] for m in row["messages"] for c in m.get("tool_calls", [])]
            results = [m["name"] for m in row["messages"] if m["role"] == "tool" and "name" in m]
            assert all(OPENAI_NAME.match(n) for n in names + called + results)
            original = by_id[row["meta"]["id"]]
            renamed = row["meta"].get("renamed", {}).get("functions", {})
            assert [renamed.get(c.name, c.name) for c in original.calls()] == called
            assert set(renamed) == {a.name for a in original.tools if not OPENAI_NAME.match(a.name)}


async def test_toolace_calls_are_python_calls_even_masked(tmp_path):
    dialogs = bfcl_like.make_dialogs(60) + make_dialogs(60, seed=3)
    source = write_dialogs(tmp_path / "d.jsonl", dialogs)
    for mask in (0.0, 1.0):
        out = tmp_path / f"toolace{mask}.jsonl"
        stats = await export_dialogs(source, "toolace", out, mask_functions=mask, seed=11)
        assert stats.kept == len(dialogs)
        calls = [t["value"] for r in _rows(out) for t in r["conversations"]
                 if t["from"] == "assistant" and t["value"].startswith("[")]
        assert len(calls) > 60
        for value in calls:  # what BFCL does with a prompt-mode answer
            for call in ast.parse(value, mode="eval").body.elts:
                assert isinstance(call, ast.Call) and not call.args and all(k.arg for k in call.keywords)


async def test_one_seed_masks_names_the_same_in_every_format(tmp_path):
    dialogs = make_dialogs(30, seed=7)
    source = write_dialogs(tmp_path / "d.jsonl", dialogs)
    seen: dict[str, dict] = {}
    for fmt in ("toolace", "openai", "hf", "sharegpt", "hermes"):
        await export_dialogs(source, fmt, tmp_path / f"{fmt}.jsonl", mask_functions=1.0, seed=3)
        for row in _rows(tmp_path / f"{fmt}.jsonl"):
            masked = json.dumps(row, ensure_ascii=False)
            seen.setdefault(row["meta"]["id"], {})[fmt] = masked
    from toolace.formats.augment import augment
    for dialog in dialogs:
        masked, _ = augment(dialog, seed=3, mask=1.0)
        for api in masked.tools:
            assert api.name.isidentifier() and OPENAI_NAME.match(api.name)
            assert all(api.name in text for text in seen[dialog.id].values()), api.name
            assert all(p.isidentifier() for p in api.properties)


def test_fit_names_rewrites_tools_calls_results_and_thoughts_and_restores():
    dialog = with_thoughts(Dialog.model_validate({"id": "d", "kind": "single", "tools": [
        {"name": "math.factorial", "description": "n!", "parameters": {"type": "object", "properties": {
            "class": {"type": "integer", "description": "n"}, "n x": {"type": "integer", "description": "m"}}}},
        {"name": "math_factorial", "description": "clash", "parameters": {"type": "object", "properties": {}}}],
        "messages": [{"role": "user", "content": "5! please"},
                     {"role": "assistant", "tool_calls": [{"id": "c0", "name": "math.factorial",
                                                           "arguments": {"class": 5, "n x": 1}}]},
                     {"role": "tool", "tool_call_id": "c0", "name": "math.factorial", "content": 120},
                     {"role": "assistant", "content": "120"}]}))
    fitted, mapping = fit_names(dialog, OPENAI_NAMES)
    assert mapping == {"functions": {"math.factorial": "math_factorial_2"}}
    assert [a.name for a in fitted.tools] == ["math_factorial_2", "math_factorial"]
    assert fitted.messages[2].name == "math_factorial_2" and fitted.meta["thoughts"][0]["tools"] == ["math_factorial_2"]
    fitted, mapping = fit_names(dialog, CALL_SYNTAX_NAMES)
    assert mapping["parameters"] == {"math.factorial": {"class": "class_", "n x": "n_x"}}
    assert fitted.calls()[0].arguments == {"class_": 5, "n_x": 1}
    assert {s["argument"] for s in fitted.meta["thoughts"][0]["sources"]} == {"class_", "n_x"}
    back = restore_names(fitted.model_copy(update={"meta": {**fitted.meta, "renamed": mapping}}))
    assert back.calls() == dialog.calls() and back.tools == dialog.tools


async def test_names_skip_policy_refuses_with_a_reason(tmp_path):
    source = write_dialogs(tmp_path / "d.jsonl", bfcl_like.make_dialogs(20))
    stats = await export_dialogs(source, "openai", tmp_path / "o.jsonl", names="skip")
    assert stats.kept == 0 and stats.reasons == {"unfit_name": 20}
    detail = _rows(tmp_path / "o.skipped.jsonl")[0]["failures"][0]["message"]
    assert "^[a-zA-Z0-9_-]{1,64}$" in detail


def test_each_format_is_registered_once_with_its_name_rule():
    assert FORMATS["openai"].names is OPENAI_NAMES and FORMATS["hf"].names is OPENAI_NAMES
    assert FORMATS["toolace"].names is CALL_SYNTAX_NAMES and FORMATS["hf"].importer is None
    from toolace.config import ExportConfig
    assert ExportConfig().formats == list(FORMATS)


async def test_reasoning_follows_augmentation(tmp_path):
    dialogs = [with_thoughts(d) for d in make_dialogs(60, seed=8) if d.kind in ("single", "parallel", "dependent")]
    source = write_dialogs(tmp_path / "d.jsonl", dialogs)
    stats = await export_dialogs(source, "hf", tmp_path / "m.jsonl", reasoning=True, mask_functions=1.0,
                                 irrelevance=0.5, seed=2)
    assert stats.counters["augmented: irrelevance"] and stats.counters["augmented: mask"] == len(dialogs)
    by_id = {d.id: d for d in dialogs}
    for row in _rows(tmp_path / "m.jsonl"):
        originals = {a.name for a in by_id[row["meta"]["id"]].tools}
        for message in row["messages"]:
            reasoning = message.get("reasoning_content", "")
            assert not any(name in reasoning for name in originals)  # masked names only
            if row["meta"]["kind"] == "irrelevance" and message["role"] == "assistant":
                assert "Tools:" not in reasoning  # the thought behind the removed call is gone
