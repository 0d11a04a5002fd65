"""Function masking and irrelevance augmentation, through every exporter."""

import json
import math
import random
import re
from collections import Counter

import jsonschema
import pytest

from test_formats_data import make_dialogs, write_dialogs
from toolace.formats import EXPORTERS, IMPORTERS
from toolace.formats.augment import MASK_ALPHABET, augment, irrelevance_eligible, mask_functions
from toolace.formats.export import export_dialogs
from toolace.formats.imports import import_dialogs
from toolace.jsonl import read_jsonl
from toolace.records import Dialog
from toolace.verify.rules import check_rules

DIALOGS = make_dialogs(120, seed=11)


def _names(dialog: Dialog) -> set[str]:
    """Every function and parameter name of a dialog, nested object properties included."""
    found = {api.name for api in dialog.tools} | {c.name for c in dialog.calls()}

    def walk(schema):
        if isinstance(schema, dict):
            for name, sub in (schema.get("properties") or {}).items():
                found.add(name)
                walk(sub)
            walk(schema.get("items"))
    for api in dialog.tools:
        walk(api.parameters)
    return found


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
async def test_masking_everything_leaves_no_original_name_anywhere(tmp_path, fmt):
    source = write_dialogs(tmp_path / "dialogs.jsonl", DIALOGS)
    stats = await export_dialogs(source, fmt, tmp_path / "out.jsonl", mask_functions=1.0, seed=5)
    assert stats.counters["augmented: mask"] == len(DIALOGS)
    rows = _rows(tmp_path / "out.jsonl")
    by_id = {d.id: d for d in DIALOGS}
    assert rows
    for row in rows:
        original = by_id[row["meta"]["id"]]
        text = json.dumps(row, ensure_ascii=False)
        leaked = [name for name in _names(original) if name in text]
        assert not leaked, (fmt, leaked)
        assert "mask" in row["meta"]["augment"]


def test_masked_names_follow_hammer_and_are_identifiers():
    dialog = DIALOGS[1]
    masked = mask_functions(dialog, random.Random(0))
    for api in masked.tools:
        assert 5 <= len(api.name) <= 15 and set(api.name) <= set(MASK_ALPHABET) and api.name.isidentifier()
        assert all(4 <= len(p) <= 10 and set(p) <= set(MASK_ALPHABET) and p.isidentifier() for p in api.properties)
    assert [a.description for a in masked.tools] == [a.description for a in dialog.tools]
    renamed = {c.id: c.name for c in masked.calls()}
    for message in masked.messages:
        if message.role == "tool":
            assert message.name == renamed[message.tool_call_id]


def test_masked_calls_still_pass_the_rule_layer_against_the_masked_tools():
    masked_count = 0
    for dialog in make_dialogs(300, seed=5):
        masked, applied = augment(dialog, seed=1, mask=1.0)
        assert applied == ["mask"]
        before = {f.check for f in check_rules(dialog)}
        after = {f.check for f in check_rules(masked)}
        assert after <= before, (dialog.id, after - before)  # masking breaks nothing
        for call in masked.calls():
            jsonschema.validate(call.arguments, masked.tool(call.name).parameters)
        masked_count += len(masked.calls())
    assert masked_count > 300


async def test_masked_toolace_rows_parse_back_and_validate(tmp_path):
    source = write_dialogs(tmp_path / "dialogs.jsonl", DIALOGS)
    await export_dialogs(source, "toolace", tmp_path / "toolace.jsonl", mask_functions=1.0)
    stats = await import_dialogs(tmp_path / "toolace.jsonl", "toolace", tmp_path / "back.jsonl")
    assert stats.rejected == 0 and stats.kept == len(DIALOGS)
    for dialog in read_jsonl(tmp_path / "back.jsonl", Dialog):
        assert not [f for f in check_rules(dialog) if f.check != "incomplete_reply"]


def test_a_default_equal_to_the_used_value_changes_too():
    dialog = Dialog.model_validate({"id": "d", "kind": "single", "tools": [{
        "name": "get_weather", "description": "Weather for a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City.", "default": "Paris"},
            "unit": {"type": "string", "enum": ["c", "f"], "default": "c", "description": "Unit."},
            "days": {"type": "integer", "default": 3, "maximum": 3, "description": "Days."},
            "code": {"type": "string", "pattern": "^[A-Z]{2}$", "default": "FR", "description": "Code."},
            "other": {"type": "string", "default": "x", "description": "Unused default."}}}}],
        "messages": [{"role": "user", "content": "Weather in Paris? I'd call get_weather myself."},
                     {"role": "assistant", "tool_calls": [{"id": "c0", "name": "get_weather", "arguments": {
                         "city": "Paris", "unit": "c", "days": 3, "code": "FR"}}]},
                     {"role": "tool", "tool_call_id": "c0", "name": "get_weather",
                      "content": {"temp": 21, "log": ["get_weather: ok"]}},
                     {"role": "assistant", "content": "get_weather says 21 °C."}]})
    masked = mask_functions(dialog, random.Random(3))
    (api,) = masked.tools
    (call,) = masked.calls()
    by_description = {s["description"]: (p, s) for p, s in api.properties.items()}
    city, unit, days, code, other = (by_description[d] for d in ("City.", "Unit.", "Days.", "Code.", "Unused default."))
    assert city[1]["default"] != "Paris" and unit[1]["default"] == "f" and days[1]["default"] < 3  # maximum 3
    assert "default" not in code[1]  # no other value is known to match the pattern
    assert other[1]["default"] == "x"
    assert call.arguments == {city[0]: "Paris", unit[0]: "c", days[0]: 3, code[0]: "FR"}
    assert masked.meta["augment"]["mask"]["defaults_changed"] == 3 and masked.meta["augment"]["mask"]["defaults_dropped"] == 1
    assert "get_weather" not in masked.model_dump_json()  # free text and tool results too
    assert masked.messages[2].content["log"] == [f"{api.name}: ok"]


async def test_openai_masking_uses_names_openai_accepts(tmp_path):
    source = write_dialogs(tmp_path / "dialogs.jsonl", DIALOGS[:40])
    await export_dialogs(source, "openai", tmp_path / "openai.jsonl", mask_functions=1.0)
    for row in _rows(tmp_path / "openai.jsonl"):
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", t["function"]["name"]) for t in row["tools"])


def _eligible(dialogs):
    return [d for d in dialogs if irrelevance_eligible(d)]


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
async def test_irrelevance_in_each_format_s_own_way(tmp_path, fmt):
    source = write_dialogs(tmp_path / "dialogs.jsonl", DIALOGS)
    eligible = {d.id: d for d in _eligible(DIALOGS)}
    assert len(eligible) >= 15
    stats = await export_dialogs(source, fmt, tmp_path / "out.jsonl", irrelevance=1.0)
    assert stats.counters["augmented: irrelevance"] == len(eligible)
    relabelled = [r for r in _rows(tmp_path / "out.jsonl") if r["meta"].get("augment", {}).get("irrelevance")]
    if fmt == "xlam":  # a clarify dialog keeps two user turns: xLAM skips it as multi-turn
        eligible = {i: d for i, d in eligible.items() if d.kind != "clarify"}
    assert {r["meta"]["id"] for r in relabelled} == set(eligible)
    for row in relabelled:
        called = eligible[row["meta"]["id"]].calls()[0].name
        text = json.dumps(row, ensure_ascii=False)
        assert called not in text  # the needed function is gone from the tool list
        assert row["meta"]["kind"] == "irrelevance"
        if fmt == "xlam":
            assert row["answers"] == "[]"
        elif fmt == "toolace":
            last = row["conversations"][-1]
            assert last["from"] == "assistant" and not last["value"].startswith("[") and "function" in last["value"]
        elif fmt == "granite":
            assert row["task"] == "function_name_detection"
            assert row["messages"][-1]["content"] == '<function_call> {"name": "no_function", "arguments": {}}'
        elif fmt == "openai":
            assert row["messages"][-1]["role"] == "assistant" and "tool_calls" not in row["messages"][-1]
        elif fmt == "sharegpt":
            assert row["conversations"][-1]["from"] == "gpt"
        elif fmt == "hermes":
            assert row["messages"][-1]["role"] == "assistant" and "<tool_call>" not in row["messages"][-1]["content"]


async def test_irrelevance_share_and_seed(tmp_path):
    dialogs = make_dialogs(1200, seed=2)
    source = write_dialogs(tmp_path / "dialogs.jsonl", dialogs)
    eligible = len(_eligible(dialogs))
    stats = await export_dialogs(source, "xlam", tmp_path / "a.jsonl", irrelevance=0.3, seed=9)
    got = stats.counters["augmented: irrelevance"]
    assert abs(got - 0.3 * eligible) < 4 * math.sqrt(eligible * 0.3 * 0.7), (got, eligible)
    await export_dialogs(source, "xlam", tmp_path / "b.jsonl", irrelevance=0.3, seed=9)
    await export_dialogs(source, "xlam", tmp_path / "c.jsonl", irrelevance=0.3, seed=10)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()
    settings = json.loads((tmp_path / "a.stats.json").read_text())
    assert settings["augment"] == {"mask_functions": 0.0, "irrelevance": 0.3, "seed": 9}


def test_only_single_call_dialogs_with_other_tools_are_eligible():
    kinds = Counter(d.kind for d in _eligible(DIALOGS))
    assert set(kinds) <= {"single", "clarify"}
    for dialog in DIALOGS:
        made, applied = augment(dialog, seed=0, irrelevance=1.0)
        if applied:
            assert made.kind == "irrelevance" and not made.calls() and len(made.tools) == len(dialog.tools) - 1
            assert made.messages[-1].role == "assistant" and made.messages[-1].content
        else:
            assert made is dialog


async def test_masked_and_relabelled_rows_import_back_in_every_two_way_format(tmp_path):
    source = write_dialogs(tmp_path / "dialogs.jsonl", DIALOGS)
    for fmt in IMPORTERS:
        await export_dialogs(source, fmt, tmp_path / f"{fmt}.jsonl", mask_functions=0.5, irrelevance=0.5, seed=4)
        stats = await import_dialogs(tmp_path / f"{fmt}.jsonl", fmt, tmp_path / f"{fmt}.back.jsonl")
        assert stats.rejected == 0, (fmt, stats.reasons)
