"""Importers and exporters on the real samples in ``../shared/reference/data``."""

import json
import random

import orjson

from test_formats_data import DATA, NASTY, toolace_sample_tools
from toolace.formats import EXPORTERS, IMPORTERS
from toolace.formats.callsyntax import print_calls, printable_name
from toolace.formats.export import export_dialogs
from toolace.formats.imports import import_dialogs
from toolace.formats.names import restore_names
from toolace.jsonl import read_jsonl
from toolace.records import Dialog


def _value(schema: dict, rng: random.Random):
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    kind = rng.choice(kind) if isinstance(kind, list) else kind
    if kind == "string":
        return rng.choice(NASTY + ["us", "2024-01-31", "AAPL"])
    if kind == "int":
        return rng.randint(-5, 500)
    if kind == "float":
        return rng.choice([0.5, 12.0, -3.25, 1e-05])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [rng.choice(NASTY), {"nested": [1, (2, 3)], "q": "a'b"}]
    return None


def _call_text(calls, rng: random.Random) -> str:
    """A call string the way ToolACE rows spell them: Python repr here, double quotes there."""
    if rng.random() < 0.5:
        return print_calls(calls)
    parts = [f"{c['name']}(" + ", ".join(f"{k}={v!r}" for k, v in c["arguments"].items()) + ")" for c in calls]
    return "[" + ", ".join(parts) + "]"


def _plain(value):
    """What a Python-literal value reads as in JSON: tuples are lists."""
    return json.loads(json.dumps(value))


def toolace_rows_with_calls(seed: int = 0):
    """Rows made of the 100 real system prompts, with calls to their own tools (spaces, dots and all)."""
    rng = random.Random(seed)
    lines = (DATA / "toolace_system_prompts.jsonl").read_text().splitlines()
    rows, expected = [], []
    for line, tools in zip(lines, toolace_sample_tools()):
        system = json.loads(line)["system"]
        conversations, calls_made = [{"from": "user", "value": "Can you help me with this, please?"}], []
        for _turn in range(rng.randint(1, 2)):
            calls = []
            for tool in rng.sample(tools, rng.randint(1, min(3, len(tools)))):
                props = tool["parameters"]["properties"]
                required = tool["parameters"].get("required") or []
                args = {p: _value(s, rng) for p, s in props.items() if p in required or rng.random() < 0.5}
                calls.append({"name": tool["name"], "arguments": args})
            conversations.append({"from": "assistant", "value": _call_text(calls, rng)})
            conversations.append({"from": "tool", "value": json.dumps(
                [{"name": c["name"], "results": {"status": "ok", "echo": rng.choice(NASTY)}} for c in calls])})
            conversations.append({"from": "assistant", "value": "Here is what I found, [in short]: all fine."})
            conversations.append({"from": "user", "value": "Thanks! One more thing."})
            calls_made += calls
        conversations.pop()
        rows.append({"system": system, "conversations": conversations})
        expected.append(calls_made)
    return rows, expected


async def test_import_dialogs_reads_every_call_of_rows_built_from_real_toolace_prompts(tmp_path):
    rows, expected = toolace_rows_with_calls()
    source = tmp_path / "toolace.json"  # a JSON array, as the Hugging Face release ships it
    source.write_text(json.dumps(rows, ensure_ascii=False))
    stats = await import_dialogs(source, "toolace", tmp_path / "dialogs.jsonl")
    dialogs = list(read_jsonl(tmp_path / "dialogs.jsonl", Dialog))
    total = sum(len(calls) for calls in expected)
    assert stats.kept == 100 and stats.rejected == 0 and stats.counters["calls read"] == total > 200
    names_with_spaces = 0
    for dialog, calls in zip(dialogs, expected):
        got = [{"name": c.name, "arguments": c.arguments} for c in dialog.calls()]
        assert orjson.dumps(got) == orjson.dumps(_plain(calls))
        names_with_spaces += sum(" " in c["name"] for c in calls)
        results = [m for m in dialog.messages if m.role == "tool"]
        assert [r.name for r in results] == [c["name"] for c in calls]
    assert names_with_spaces > 50
    # Real names with parentheses and commas ("M4.5+ Earthquakes, Past 7 Days") all print and parse back.
    real = [tool for tools in toolace_sample_tools() for tool in tools]
    assert all(printable_name(t["name"]) for t in real) and any("," in t["name"] for t in real)
    assert sum(len(d.tools) for d in dialogs) == 446


async def test_import_dialogs_on_real_xlam_style_items(tmp_path):
    items = json.loads((DATA / "toolalpaca_xlam_style.json").read_text())
    stats = await import_dialogs(DATA / "toolalpaca_xlam_style.json", "xlam", tmp_path / "dialogs.jsonl")
    dialogs = list(read_jsonl(tmp_path / "dialogs.jsonl", Dialog))
    assert stats.kept == len(dialogs) == len(items) == 114 and stats.rejected == 0
    for dialog, item in zip(dialogs, items):
        assert dialog.messages[0].content == item["query"]
        assert [{"name": c.name, "arguments": c.arguments} for c in dialog.calls()] == item["answers"]
        assert (dialog.kind == "irrelevance") == (item["answers"] == [])
        assert [a.name for a in dialog.tools] == [t["name"] for t in item["tools"]]


async def test_import_dialogs_on_hammer_prompt_rows(tmp_path):
    stats = await import_dialogs(DATA / "hammer_masking_example.json", "xlam", tmp_path / "dialogs.jsonl")
    rows = json.loads((DATA / "hammer_masking_example.json").read_text())
    dialogs = list(read_jsonl(tmp_path / "dialogs.jsonl", Dialog))
    assert stats.kept == 10 and stats.rejected == 0
    for dialog, row in zip(dialogs, rows):
        answers = json.loads(row["output"].strip().strip("`"))
        assert [{"name": c.name, "arguments": c.arguments} for c in dialog.calls()] == answers
        assert dialog.messages[0].content in row["instruction"]
    assert sum(d.kind == "irrelevance" for d in dialogs) == 2


async def test_real_dialogs_export_to_every_format_and_back(tmp_path):
    rows, _ = toolace_rows_with_calls(seed=1)
    (tmp_path / "toolace.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    await import_dialogs(tmp_path / "toolace.jsonl", "toolace", tmp_path / "canonical.jsonl")
    await import_dialogs(DATA / "toolalpaca_xlam_style.json", "xlam", tmp_path / "alpaca.jsonl")
    for name in ("canonical", "alpaca"):
        originals = {d.id: d for d in read_jsonl(tmp_path / f"{name}.jsonl", Dialog)}
        for fmt in EXPORTERS:
            out = tmp_path / f"{name}.{fmt}.jsonl"
            stats = await export_dialogs(tmp_path / f"{name}.jsonl", fmt, out)
            assert stats.kept + stats.rejected == len(originals)
            if fmt not in IMPORTERS:
                continue
            await import_dialogs(out, fmt, tmp_path / "back.jsonl")
            for dialog in map(restore_names, read_jsonl(tmp_path / "back.jsonl", Dialog)):
                original = originals[dialog.id]
                assert [(c.name, c.arguments) for c in dialog.calls()] == [(c.name, c.arguments) for c in original.calls()]
