"""Severity: a sample is rejected for what makes it wrong; a flaw in a tool declaration it does not
depend on is a warning in the verdict, counted in the stats, and a rejection only with --strict."""

import copy
import json

from typer.testing import CliRunner

from toolace.cli import app
from toolace.jsonl import read_jsonl
from toolace.verify.config import RuleConfig
from toolace.verify.run import verify_dialogs
from verify_samples import call_dialog, verdict

# The issue's dialog: get_news declares "default": null for a string; the dialog never calls it.
ISSUE_D1 = json.loads('{"id":"d1","kind":"single","tools":[{"name":"get_alerts","description":"Weather alerts for a '
                      'region.","parameters":{"type":"object","properties":{"region":{"type":"string","description":'
                      '"Region code."}},"required":["region"]}},{"name":"get_news","description":"News for a topic.",'
                      '"parameters":{"type":"object","properties":{"topic":{"type":"string","description":"Topic."},'
                      '"lang":{"type":"string","description":"Language code.","default":null}},"required":["topic"]}}],'
                      '"messages":[{"role":"user","content":"Any alerts for NO-03?"},{"role":"assistant","tool_calls":'
                      '[{"id":"c0","name":"get_alerts","arguments":{"region":"NO-03"}}]},{"role":"tool","tool_call_id":'
                      '"c0","name":"get_alerts","content":{"alerts":[]}},{"role":"assistant","content":"No alerts for '
                      'NO-03."}]}')

# BFCL's commonest blemish: a boolean declared with the default "false" (a string), on the tool called.
FLAG = {"name": "set_flag", "description": "Set a flag.", "parameters": {"type": "object", "properties": {
    "on": {"type": "boolean", "description": "Whether on.", "default": "false"},
    "deck": {"type": "array", "description": "Cards.", "items": {"type": "object", "properties": {
        "rank": {"type": "string"}}}}}, "required": []}}


def test_a_flaw_of_a_tool_the_dialog_never_calls_is_a_warning():
    failures, warnings = verdict(copy.deepcopy(ISSUE_D1))
    assert failures == []
    assert [(w.check, w.path) for w in warnings] == [("invalid_schema", "tools[1].parameters.properties.lang.default")]
    failures, warnings = verdict(copy.deepcopy(ISSUE_D1), RuleConfig(strict=True))
    assert [f.check for f in failures] == ["invalid_schema"] and warnings == []


def test_blemishes_of_the_called_tool_warn_but_a_broken_call_still_fails():
    failures, warnings = verdict(call_dialog(FLAG, {"on": True, "deck": [{"rank": "A"}]}))
    assert failures == []
    assert sorted((w.check, w.path) for w in warnings) == [
        ("invalid_schema", "tools[0].parameters.properties.on.default"),
        ("missing_description", "tools[0].parameters.properties.deck.items.properties.rank.description")]
    failures, _ = verdict(call_dialog(FLAG, {"on": "false"}))
    assert [f.check for f in failures] == ["wrong_type"]


def test_a_broken_declaration_of_the_called_tool_fails():
    broken = copy.deepcopy(ISSUE_D1)
    broken["tools"][0]["parameters"]["properties"]["region"]["description"] = ""  # a blemish: warned
    broken["tools"][0]["parameters"]["required"] = ["region", "country"]  # the call cannot be judged: fails
    failures, warnings = verdict(broken)
    assert [(f.check, f.path) for f in failures] == [("invalid_schema", "tools[0].parameters.required"),
                                                     ("missing_required", "messages[1].tool_calls[0].arguments.country")]
    assert sorted((w.check, w.path) for w in warnings) == [
        ("invalid_schema", "tools[1].parameters.properties.lang.default"),
        ("missing_description", "tools[0].parameters.properties.region.description")]
    broken["tools"][0]["description"] = ""  # a called tool must say what it does
    assert "missing_description" in [f.check for f in verdict(broken)[0]]


def test_duplicate_names_fail_only_when_the_dialog_calls_that_name():
    twice = copy.deepcopy(ISSUE_D1)
    twice["tools"].append(copy.deepcopy(twice["tools"][1]))
    failures, warnings = verdict(twice)
    assert failures == [] and ("bad_name", "tools[2].name") in [(w.check, w.path) for w in warnings]
    twice["tools"].append(copy.deepcopy(twice["tools"][0]))
    failures, _ = verdict(twice)
    assert [(f.check, f.path) for f in failures] == [("bad_name", "tools[3].name")]


async def test_warnings_are_kept_in_the_verdict_and_counted(tmp_path):
    source = tmp_path / "dialogs.jsonl"
    source.write_text(json.dumps(ISSUE_D1) + "\n")
    stats = await verify_dialogs([source], out=tmp_path / "v.jsonl", workers=1)
    [kept] = read_jsonl(tmp_path / "v.jsonl")
    assert kept["verdict"]["passed"] and kept["verdict"]["warnings"][0]["check"] == "invalid_schema"
    assert stats.kept == 1 and stats.counters["warning:invalid_schema"] == 1
    figures = json.loads((tmp_path / "v.stats.json").read_text())
    assert figures["warnings_by_check"] == {"invalid_schema": 1} and figures["dialogs_with_warnings"] == 1


def test_cli_strict_rejects_on_warnings(tmp_path):
    source = tmp_path / "dialogs.jsonl"
    source.write_text(json.dumps(ISSUE_D1) + "\n")
    result = CliRunner().invoke(app, ["verify", str(source), "--rules-only", "--strict", "--out", str(tmp_path / "v.jsonl")])
    assert result.exit_code == 0, result.output
    [rejected] = read_jsonl(tmp_path / "v.rejected.jsonl")
    assert [f["check"] for f in rejected["failures"]] == ["invalid_schema"]
    assert not (tmp_path / "v.jsonl").read_text().strip()


async def test_the_report_counts_kept_dialogs_by_warning(tmp_path):
    from toolace.report import collect
    from toolace.report.tables import verification

    source = tmp_path / "dialogs.jsonl"
    source.write_text(json.dumps(ISSUE_D1) + "\n" + json.dumps(call_dialog(FLAG, {"on": "no"}, "d2")) + "\n")
    await verify_dialogs([source], out=tmp_path / "verified.jsonl", rejected=tmp_path / "rejected.jsonl", workers=1)
    summary = collect(tmp_path)
    assert summary.verified.warnings == {"invalid_schema": 1}
    rows = {row[0]: row[1] for row in verification(summary).rows}
    assert rows["  kept, warned: invalid_schema"] == "1" and rows["  wrong_type"] == "1"
