"""hf exports rendered by the real chat templates: TRL's shipped ones and Mistral's own generator.

Every kind of dialog (generated, with nasty values and names) and BFCL-style dialogs (dotted names,
integer enums, parallel calls) go through ``export --format hf --chat-template T``; the result is
loaded with ``datasets`` and rendered again by a tokenizer's ``apply_chat_template`` with the tools
decoded from their JSON column, exactly as TRL's SFTTrainer does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_formats_data import make_dialogs, write_dialogs
from toolace.formats.chat_templates import TemplateAdapter, Variant, check, load_template
from toolace.formats.export import export_dialogs
from toolace.formats.turns import RowProblem
from toolace.records import Dialog
from toolace.testing import bfcl_like

trl = pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")
from toolace.testing.consumers import (  # noqa: E402  (needs the test extra)
    CANNOT, MISTRAL_VERSIONS, TRL_TOOL_TEMPLATES, render_loaded, template_file, text_beside_calls, trl_template,
)

TOOL_TEMPLATES = TRL_TOOL_TEMPLATES


@pytest.fixture(scope="module")
def dialogs() -> list[Dialog]:
    return make_dialogs(240, seed=21) + bfcl_like.make_dialogs(160, seed=2)


@pytest.fixture(scope="module")
def source(tmp_path_factory, dialogs) -> Path:
    return write_dialogs(tmp_path_factory.mktemp("templates") / "dialogs.jsonl", dialogs)


def mistral_template(tmp_path: Path, version: str) -> Path:
    pytest.importorskip("mistral_common")
    return template_file(f"mistral_{version}", tmp_path)


@pytest.mark.parametrize("name", TOOL_TEMPLATES + [f"mistral_{v}" for v in MISTRAL_VERSIONS])
async def test_every_template_keeps_what_it_can_express_and_renders_it(tmp_path, source, dialogs, name):
    template = template_file(name, tmp_path)
    out = tmp_path / f"{name}.jsonl"
    stats = await export_dialogs(source, "hf", out, chat_template=template)
    cannot = CANNOT.get(name, lambda d: False)
    expressible = [d for d in dialogs if not cannot(d)]
    assert stats.kept >= 0.95 * len(expressible), (name, dict(stats.reasons))
    skipped = {json.loads(line)["id"] for line in out.with_name(f"{name}.skipped.jsonl").read_text().splitlines()}
    assert skipped <= {d.id for d in dialogs if cannot(d)}, (name, dict(stats.reasons))
    if name in CANNOT:
        assert skipped, name  # the rows it cannot express are refused, not exported broken
    rendered = render_loaded(out, template)  # loaded by datasets, rendered as SFTTrainer does
    assert rendered.rows == stats.kept and not rendered.errors and not rendered.double_encoded
    assert rendered.null_content == 0


def test_trl_ships_the_templates_named_in_the_issue():
    for name in TOOL_TEMPLATES:
        assert trl_template(name).exists(), name


@pytest.mark.parametrize("name, changes", [
    ("qwen2_5", {}), ("qwen3", {}), ("deepseekv3", {"string_arguments": True}),
    ("llama3_1", {"json_results": True}), ("gptoss", {"json_results": True})])
def test_the_variant_each_template_needs(name, changes):
    assert TemplateAdapter(load_template(trl_template(name))).variant.changes() == changes


def test_mistral_gets_nine_character_alphanumeric_ids(tmp_path, dialogs):
    adapter = TemplateAdapter(load_template(mistral_template(tmp_path, "v3")))
    assert adapter.variant.nine_char_ids
    from toolace.formats import hf
    dialog = next(d for d in dialogs if d.calls() and not text_beside_calls(d) and d.kind == "dependent")
    (row,) = hf.export_rows(dialog, None)
    adapted = adapter.adapt(row, dialog.id)
    ids = [c["id"] for m in adapted["messages"] for c in m.get("tool_calls", [])]
    assert ids and all(len(i) == 9 and i.isalnum() for i in ids) and len(set(ids)) == len(ids)
    assert [m["tool_call_id"] for m in adapted["messages"] if m["role"] == "tool"] == ids[:len(
        [m for m in adapted["messages"] if m["role"] == "tool"])]


def _weather_row(arguments_as_text: bool = False) -> tuple[list[dict], list[dict]]:
    arguments = {"city": "Paris", "days": 2}
    messages = [{"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": "", "tool_calls": [{"id": "call_0", "type": "function", "function": {
                    "name": "get_weather", "arguments": json.dumps(arguments) if arguments_as_text else arguments}}]},
                {"role": "tool", "tool_call_id": "call_0", "name": "get_weather", "content": '{"temp_c": 21}'},
                {"role": "assistant", "content": "21 °C."}]
    canonical = _weather_row()[0] if arguments_as_text else messages
    return messages, canonical


def test_the_check_catches_double_encoded_arguments():
    qwen = load_template(trl_template("qwen2_5"))
    messages, canonical = _weather_row(arguments_as_text=True)  # the openai export, as the issue saw it
    with pytest.raises(RowProblem) as caught:
        check(qwen, messages, None, canonical)
    assert caught.value.reason == "template_double_encodes"
    check(qwen, *_weather_row()[:1], None)


def _loop_template(tmp_path: Path, tool_turns: bool, arguments: str) -> Path:
    """A small template: every message (tool results only if ``tool_turns``), calls as ``name`` + ``arguments``."""
    path = tmp_path / f"t{tool_turns}{len(arguments)}.jinja"
    skip = "" if tool_turns else "{% if m.role != 'tool' %}"
    path.write_text("{% for m in messages %}" + skip + "{{ m.role }}: {{ m.content }}"
                    "{% for c in m.tool_calls or [] %}{{ c.function.name }}" + arguments + "{% endfor %}\n"
                    + ("" if tool_turns else "{% endif %}") + "{% endfor %}")
    return path


def test_the_check_catches_a_dropped_result_and_a_python_literal(tmp_path):
    with pytest.raises(RowProblem) as caught:
        check(load_template(_loop_template(tmp_path, False, "{{ c.function.arguments | tojson }}")),
              _weather_row()[0], None)
    assert caught.value.reason == "template_drops_result"
    with pytest.raises(RowProblem) as caught:
        check(load_template(_loop_template(tmp_path, True, "{{ c.function.arguments }}")), _weather_row()[0], None)
    assert caught.value.reason == "template_python_repr"


async def test_a_template_that_raises_skips_the_row_with_its_reason(tmp_path, source):
    out = tmp_path / "llama.jsonl"
    await export_dialogs(source, "hf", out, chat_template=trl_template("llama3_1"))
    reasons = [json.loads(line) for line in (tmp_path / "llama.skipped.jsonl").read_text().splitlines()]
    assert reasons and {r["reason"] for r in reasons} == {"template_raised"}
    assert all("only supports single tool-calls" in r["failures"][0]["message"] for r in reasons)
    stats = json.loads((tmp_path / "llama.stats.json").read_text())
    assert stats["reasons"]["template_raised"] == len(reasons)
    assert stats["chat_template"]["variant"] == {"json_results": True}


def test_a_model_folder_or_tokenizer_config_is_a_template(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({
        "chat_template": (trl_template("qwen2_5")).read_text(), "eos_token": {"content": "<|im_end|>"}}))
    template = load_template(tmp_path)
    assert template.tokens["eos_token"] == "<|im_end|>" and "<tool_call>" in template.text


def test_variant_changes_nothing_by_default():
    messages, _ = _weather_row()
    assert Variant().apply(messages) == messages


def test_two_same_calls_in_one_turn_must_both_show():
    messages, _ = _weather_row()
    messages[1]["tool_calls"].append({**messages[1]["tool_calls"][0], "id": "call_1"})
    messages.insert(3, {**messages[2], "tool_call_id": "call_1"})
    gptoss = TemplateAdapter(load_template(trl_template("gptoss")))
    with pytest.raises(RowProblem) as caught:  # GPT-OSS writes only the first call of a turn
        gptoss.adapt({"messages": messages, "tools": "[]"}, "x")
    assert caught.value.reason == "template_drops_call" and "2 calls to get_weather" in caught.value.detail
    TemplateAdapter(load_template(trl_template("qwen2_5"))).adapt({"messages": messages, "tools": "[]"}, "x")
